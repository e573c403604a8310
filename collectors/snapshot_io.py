"""Save and load snapshots: one versioned file, lossless, with one-line errors.

The file is a zip archive (so a truncated copy fails its checksums instead of loading half a
graph) holding:

- ``manifest.json``: ``{"format": "meshlens-snapshot", "version": N}``, read first so a foreign
  or newer file is recognised before anything else is parsed;
- ``snapshot.json``: meta, nodes, edges, incidents, check findings and cluster changes, in graph
  insertion order;
- ``series.npz``: the long-format series as plain numpy arrays (categorical codes and their
  labels, int64 nanosecond timestamps, float64 values), loaded without pickle.

Docs: ``docs/snapshot-format.md``.
"""

from __future__ import annotations

import io
import json
import logging
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from collectors.codec import DecodeError, decode, encode
from collectors.model import (
    SCHEMA_VERSION,
    Change,
    Edge,
    Finding,
    Incident,
    Node,
    Snapshot,
    SnapshotMeta,
    empty_series,
)

log = logging.getLogger(__name__)

FORMAT_NAME = "meshlens-snapshot"
MANIFEST = "manifest.json"
BODY = "snapshot.json"
SERIES = "series.npz"


class SnapshotError(Exception):
    """A snapshot file cannot be read or written; the message is one line for people."""


def save_snapshot(snapshot: Snapshot, path: Path) -> None:
    """Write ``snapshot`` to ``path`` (replaced atomically, so a crash leaves no half file)."""
    body = {
        "meta": encode(snapshot.meta),
        "nodes": [encode(node) for node in snapshot.nodes()],
        "edges": [encode(edge) for edge in snapshot.edges()],
        "incidents": [encode(incident) for incident in snapshot.incidents],
        "findings": [encode(finding) for finding in snapshot.findings],
        "changes": [encode(change) for change in snapshot.changes],
    }
    manifest = {"format": FORMAT_NAME, "version": SCHEMA_VERSION}
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            archive.writestr(MANIFEST, json.dumps(manifest))
            archive.writestr(BODY, json.dumps(body, separators=(",", ":")))
            archive.writestr(SERIES, _series_bytes(snapshot.series))
        tmp.replace(path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise SnapshotError(f"cannot write snapshot {path}: {exc.strerror or exc}") from None
    log.info(
        "saved snapshot %s (%d nodes, %d series rows)",
        path,
        snapshot.graph.number_of_nodes(),
        len(snapshot.series),
    )


def load_snapshot(path: Path) -> Snapshot:
    """Read a snapshot written by :func:`save_snapshot`.

    Raises :class:`SnapshotError` with a one-line reason for a missing, truncated, foreign,
    corrupt or newer-version file.
    """
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            if MANIFEST not in names:
                raise SnapshotError(f"{path} is not a meshlens snapshot (no {MANIFEST})")
            _check_manifest(path, _read_json(archive, MANIFEST))
            missing = {BODY, SERIES} - names
            if missing:
                raise SnapshotError(f"{path} is incomplete: missing {', '.join(sorted(missing))}")
            body = _read_json(archive, BODY)
            series = _series_from_bytes(archive.read(SERIES))
    except FileNotFoundError:
        raise SnapshotError(f"snapshot file not found: {path}") from None
    except IsADirectoryError:
        raise SnapshotError(f"{path} is a directory, not a snapshot file") from None
    except zipfile.BadZipFile:
        raise SnapshotError(f"{path} is truncated or not a meshlens snapshot") from None
    except (zipfile.LargeZipFile, EOFError, ValueError, KeyError, OSError) as exc:
        # zipfile reports a failed CRC as BadZipFile but truncated members as EOFError/ValueError.
        raise SnapshotError(f"{path} is corrupt: {_one_line(exc)}") from None
    snapshot = _build(path, body)
    snapshot.series = series
    log.info(
        "loaded snapshot %s (%d nodes, %d series rows)",
        path,
        snapshot.graph.number_of_nodes(),
        len(series),
    )
    return snapshot


def _check_manifest(path: Path, manifest: Any) -> None:
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT_NAME:
        raise SnapshotError(f"{path} is not a meshlens snapshot")
    version = manifest.get("version")
    if not isinstance(version, int) or isinstance(version, bool):
        raise SnapshotError(f"{path} has no valid format version")
    if version > SCHEMA_VERSION:
        raise SnapshotError(
            f"{path} was written by a newer meshlens (format v{version}; "
            f"this version reads up to v{SCHEMA_VERSION}): upgrade meshlens to open it"
        )


def _read_json(archive: zipfile.ZipFile, name: str) -> Any:
    try:
        return json.loads(archive.read(name))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise SnapshotError(f"{archive.filename}: {name} is not valid JSON ({exc})") from None


def _build(path: Path, body: Any) -> Snapshot:
    try:
        if not isinstance(body, dict):
            raise DecodeError("snapshot body is not an object")
        snapshot = Snapshot(meta=decode(SnapshotMeta, body["meta"]))
        for item in body["nodes"]:
            snapshot.add_node(decode(Node, item))
        for item in body["edges"]:
            snapshot.add_edge(decode(Edge, item))
        snapshot.incidents = [decode(Incident, item) for item in body["incidents"]]
        # Snapshots saved before checks existed have no findings: none were looked for.
        snapshot.findings = [decode(Finding, item) for item in body.get("findings", [])]
        # Nor changes, from before the triage timeline: none were recorded.
        snapshot.changes = [decode(Change, item) for item in body.get("changes", [])]
    except (DecodeError, KeyError, TypeError) as exc:
        raise SnapshotError(f"{path} is corrupt: {_one_line(exc)}") from None
    return snapshot


def _series_bytes(series: pd.DataFrame) -> bytes:
    entity = series["entity"].astype("category")
    metric = series["metric"].astype("category")
    timestamps = pd.DatetimeIndex(series["timestamp"]).as_unit("ns")
    buffer = io.BytesIO()
    np.savez(
        buffer,
        entity_codes=entity.cat.codes.to_numpy(np.int32),
        entity_labels=np.asarray(entity.cat.categories.astype(str), dtype=np.str_),
        metric_codes=metric.cat.codes.to_numpy(np.int32),
        metric_labels=np.asarray(metric.cat.categories.astype(str), dtype=np.str_),
        timestamp_ns=timestamps.asi8,
        value=series["value"].to_numpy(np.float64),
    )
    return buffer.getvalue()


def _series_from_bytes(data: bytes) -> pd.DataFrame:
    arrays = np.load(io.BytesIO(data), allow_pickle=False)  # never unpickle a file from outside
    n = len(arrays["value"])
    if n == 0:
        return empty_series()
    columns = [arrays[k] for k in ("entity_codes", "metric_codes", "timestamp_ns")]
    if any(len(c) != n for c in columns):
        raise ValueError("series columns have different lengths")
    return pd.DataFrame(
        {
            "entity": _categorical(arrays["entity_codes"], arrays["entity_labels"]),
            "metric": _categorical(arrays["metric_codes"], arrays["metric_labels"]),
            "timestamp": pd.to_datetime(arrays["timestamp_ns"], unit="ns", utc=True),
            "value": arrays["value"].astype(np.float64),
        }
    )


def _categorical(codes: np.ndarray[Any, Any], labels: np.ndarray[Any, Any]) -> pd.Categorical[str]:
    if len(codes) and (codes.min() < -1 or codes.max() >= len(labels)):
        raise ValueError("series category codes out of range")
    categories = pd.Index([str(x) for x in labels])
    return pd.Categorical.from_codes(codes.astype(np.int64), categories=categories)


def _one_line(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return text.splitlines()[0]
