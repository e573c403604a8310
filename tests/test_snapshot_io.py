"""Snapshot files: lossless round trip, and one-line errors for every kind of bad file."""

from __future__ import annotations

import json
import math
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from collectors.model import SCHEMA_VERSION, Snapshot
from collectors.snapshot_io import SnapshotError, load_snapshot, save_snapshot


def _assert_same(a: Snapshot, b: Snapshot) -> None:
    assert a.meta == b.meta
    assert list(a.nodes()) == list(b.nodes())
    edges_a, edges_b = list(a.edges()), list(b.edges())
    assert [e.id for e in edges_a] == [e.id for e in edges_b]
    for x, y in zip(edges_a, edges_b, strict=True):
        # NaN != NaN, so compare the traffic field by field with NaN-aware equality.
        assert (x.source, x.target, x.kind, x.protocol, x.service, x.health) == (
            y.source,
            y.target,
            y.kind,
            y.protocol,
            y.service,
            y.health,
        )
        for name in ("request_rate", "error_rate", "p50_ms", "p99_ms", "mtls_ratio"):
            assert getattr(x.traffic, name) == getattr(y.traffic, name)
        assert math.isnan(y.traffic.p95_ms)
        assert x.traffic.response_codes == y.traffic.response_codes
    assert a.incidents == b.incidents
    pd.testing.assert_frame_equal(a.series, b.series)


def test_round_trip_is_lossless(small_snapshot: Snapshot, tmp_path: Path) -> None:
    path = tmp_path / "s.meshlens"
    save_snapshot(small_snapshot, path)
    loaded = load_snapshot(path)
    _assert_same(small_snapshot, loaded)
    # Exact floats survive, including ones with no short decimal form.
    assert loaded.series["value"].iloc[-1] == 0.30000000000000004
    assert loaded.series["value"].iloc[3] == 1e-300
    edge = next(loaded.edges())
    assert edge.traffic is not None and edge.traffic.error_rate == 1.0 / 3.0
    # Types come back as types, not strings.
    node = next(loaded.nodes())
    assert node.attrs == {"replicas": 2, "workload_kind": "Deployment", "ready": True, "cpu": 0.25}
    assert type(node.attrs["replicas"]) is int and type(node.attrs["ready"]) is bool


def test_saving_twice_gives_the_same_content(small_snapshot: Snapshot, tmp_path: Path) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    save_snapshot(small_snapshot, first)
    save_snapshot(load_snapshot(first), second)
    with zipfile.ZipFile(first) as za, zipfile.ZipFile(second) as zb:
        for name in za.namelist():
            assert za.read(name) == zb.read(name), name


def _error(path: Path) -> str:
    with pytest.raises(SnapshotError) as info:
        load_snapshot(path)
    message = str(info.value)
    assert "\n" not in message
    return message


def test_truncated_file(small_snapshot: Snapshot, tmp_path: Path) -> None:
    path = tmp_path / "s.meshlens"
    save_snapshot(small_snapshot, path)
    data = path.read_bytes()
    for cut in (len(data) // 2, len(data) - 10, 30):
        path.write_bytes(data[:cut])
        assert "truncated" in _error(path) or "corrupt" in _error(path)


def test_flipped_byte_fails_the_checksum(small_snapshot: Snapshot, tmp_path: Path) -> None:
    path = tmp_path / "s.meshlens"
    save_snapshot(small_snapshot, path)
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo("snapshot.json")
    middle = info.header_offset + 30 + len(info.filename) + info.compress_size // 2
    data[middle] ^= 0xFF
    path.write_bytes(bytes(data))
    assert "corrupt" in _error(path) or "truncated" in _error(path)


def test_foreign_files(tmp_path: Path) -> None:
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    assert "not a meshlens snapshot" in _error(text)
    other_zip = tmp_path / "other.zip"
    with zipfile.ZipFile(other_zip, "w") as archive:
        archive.writestr("README", "x")
    assert "not a meshlens snapshot" in _error(other_zip)
    foreign_manifest = tmp_path / "foreign.zip"
    with zipfile.ZipFile(foreign_manifest, "w") as archive:
        archive.writestr("manifest.json", json.dumps({"format": "grafana", "version": 1}))
    assert "not a meshlens snapshot" in _error(foreign_manifest)


def _saved_with_member(
    snapshot: Snapshot, tmp_path: Path, member: str, edit: Callable[[Any], Any]
) -> Path:
    """Save ``snapshot`` with one JSON member of the archive passed through ``edit``."""
    path = tmp_path / "original.meshlens"
    save_snapshot(snapshot, path)
    edited = tmp_path / "edited.meshlens"
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(edited, "w") as dst:
        for name in src.namelist():
            data = src.read(name)
            if name == member:
                data = json.dumps(edit(json.loads(data))).encode()
            dst.writestr(name, data)
    return edited


def test_newer_version_is_named(small_snapshot: Snapshot, tmp_path: Path) -> None:
    newer = _saved_with_member(
        small_snapshot, tmp_path, "manifest.json", lambda m: {**m, "version": SCHEMA_VERSION + 1}
    )
    message = _error(newer)
    assert "newer meshlens" in message and f"v{SCHEMA_VERSION + 1}" in message


def test_missing_path_and_directory(tmp_path: Path) -> None:
    assert "not found" in _error(tmp_path / "nope.meshlens")
    assert "directory" in _error(tmp_path)


def test_body_with_wrong_shape(small_snapshot: Snapshot, tmp_path: Path) -> None:
    def break_first_node(body: Any) -> Any:
        body["nodes"][0]["kind"] = "spaceship"
        return body

    bad = _saved_with_member(small_snapshot, tmp_path, "snapshot.json", break_first_node)
    message = _error(bad)
    assert "corrupt" in message and "spaceship" in message
