"""Offline cluster objects: a file or a directory of manifests or ``kubectl get -o yaml`` dumps.

>>> objects = load_manifests(Path("dump/"))  # doctest: +SKIP
>>> sorted({item["kind"] for item in objects.items})  # doctest: +SKIP
['ConfigMap', 'Deployment', 'Pod', 'Service']

What is kept is what the API server would return, minus what must never end up in a snapshot:
Secrets are dropped whole, ConfigMaps lose their ``data`` and ``binaryData`` (and the
last-applied annotation that repeats them). YAML timestamps come back as the API's strings.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import yaml

from collectors.cluster import ClusterObjects, KubeObject

__all__ = ["MANIFEST_SUFFIXES", "ManifestError", "load_manifests"]

log = logging.getLogger(__name__)

MANIFEST_SUFFIXES = (".yaml", ".yml", ".json")
"""File endings read from a directory (as ``kubectl apply -R -f DIR`` does)."""

# The C loader is the same safe loader (no arbitrary tags), several times faster on the
# multi-megabyte dumps a real cluster produces.
_SAFE_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

_LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"


class ManifestError(ValueError):
    """A manifest file that cannot be read or parsed; the message names the file."""


def load_manifests(path: Path) -> ClusterObjects:
    """Read every Kubernetes object from a file or, recursively, a directory.

    Directories are read in sorted path order, taking ``*.yaml``, ``*.yml`` and ``*.json``.
    YAML files may hold several documents; ``kind: List`` and ``<Kind>List`` dumps are
    flattened into their items. Documents that are not objects (empty, plain strings) are
    skipped, as are objects without a ``kind`` (Helm ``Chart.yaml``, CI files), except Argo
    Workflows written without their type header, which are recognised by their shape.

    Raises :class:`ManifestError` for a path that does not exist or cannot be read, invalid
    YAML or JSON (with the line), and objects whose ``kind`` or ``metadata`` is malformed.
    """
    started = time.monotonic()
    files = _manifest_files(path)
    objects = ClusterObjects()
    secrets = 0
    for file in files:
        for item in _objects_in(file):
            if item.get("kind") == "Secret":
                secrets += 1
                continue
            objects.items.append(_without_config_data(item))
    if secrets:
        log.debug("dropped %d Secret(s) read from %s", secrets, path)
    log.info(
        "read %d objects from %d manifest file(s) under %s in %.0f ms",
        len(objects.items),
        len(files),
        path,
        (time.monotonic() - started) * 1000,
    )
    return objects


def _manifest_files(path: Path) -> list[Path]:
    if path.is_dir():
        found = (
            f for f in path.rglob("*") if f.suffix.lower() in MANIFEST_SUFFIXES and f.is_file()
        )
        return sorted(found, key=lambda file: file.relative_to(path).parts)
    if path.is_file():
        # A file named explicitly is read whatever its ending, like ``kubectl apply -f``.
        return [path]
    raise ManifestError(f"{path}: no such file or directory")


def _objects_in(file: Path) -> Iterator[KubeObject]:
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        reason = error.strerror if isinstance(error, OSError) else "not UTF-8 text"
        raise ManifestError(f"{file}: cannot read: {reason}") from None
    for number, document in enumerate(_documents(file, text), start=1):
        for item in _flatten(document):
            checked = _checked(item, file, number)
            if checked.get("kind") is None:
                log.debug("skipped an object without a kind in %s, document %d", file, number)
                continue
            yield checked


def _documents(file: Path, text: str) -> list[Any]:
    if file.suffix.lower() == ".json":
        try:
            return [json.loads(text)]
        except json.JSONDecodeError as error:
            raise ManifestError(f"{file}:{error.lineno}: invalid JSON: {error.msg}") from None
    try:
        return [_api_scalars(document) for document in yaml.load_all(text, Loader=_SAFE_LOADER)]
    except yaml.YAMLError as error:
        raise ManifestError(_yaml_error_line(file, error)) from None


def _yaml_error_line(file: Path, error: yaml.YAMLError) -> str:
    if isinstance(error, yaml.MarkedYAMLError):
        mark = error.problem_mark or error.context_mark
        where = f"{file}:{mark.line + 1}" if mark is not None else str(file)
        problem = " ".join(part for part in (error.problem, error.context) if part)
        return f"{where}: invalid YAML: {problem or 'parse error'}"
    return f"{file}: invalid YAML: {' '.join(str(error).split())}"


def _api_scalars(value: Any) -> Any:
    """Turn YAML's implicit timestamps back into the strings the API server sends."""
    if isinstance(value, dict):
        return {key: _api_scalars(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_api_scalars(item) for item in value]
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
            return value.isoformat(timespec="seconds") + "Z"
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


def _flatten(document: Any) -> Iterator[Any]:
    if not isinstance(document, dict):
        if document is not None:
            log.debug("skipped a %s document that is not an object", type(document).__name__)
        return
    kind = document.get("kind")
    items = document.get("items")
    if isinstance(kind, str) and kind.endswith("List") and isinstance(items, list):
        # Raw API lists (``kubectl get --raw``) leave kind and apiVersion off their items.
        item_kind = kind.removesuffix("List")
        for item in items:
            if isinstance(item, dict) and item_kind and "kind" not in item:
                item = {"kind": item_kind, "apiVersion": document.get("apiVersion", ""), **item}
            yield from _flatten(item)
        return
    yield document


def _checked(item: Any, file: Path, number: int) -> KubeObject:
    if "kind" not in item and _looks_like_argo_workflow(item):
        # Argo's own test data and KFP's run API return Workflows without their type header.
        item = {"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow", **item}
    kind = item.get("kind")
    if kind is not None and not isinstance(kind, str):
        raise ManifestError(f"{file}: document {number}: kind is not a string")
    if "metadata" in item and not isinstance(item["metadata"], dict):
        raise ManifestError(f"{file}: document {number}: metadata is not a mapping")
    checked: KubeObject = item
    return checked


def _looks_like_argo_workflow(item: KubeObject) -> bool:
    spec = item.get("spec")
    status = item.get("status")
    return (
        isinstance(spec, dict)
        and isinstance(spec.get("templates"), list)
        and ("entrypoint" in spec or (isinstance(status, dict) and "nodes" in status))
    )


def _without_config_data(item: KubeObject) -> KubeObject:
    if item.get("kind") != "ConfigMap":
        return item
    stripped = {key: value for key, value in item.items() if key not in ("data", "binaryData")}
    metadata = stripped.get("metadata")
    if isinstance(metadata, dict) and isinstance(metadata.get("annotations"), dict):
        annotations = {k: v for k, v in metadata["annotations"].items() if k != _LAST_APPLIED}
        stripped["metadata"] = {**metadata, "annotations": annotations}
    return stripped
