"""Graph export: the documented JSON fields, and DOT that survives hostile names."""

from __future__ import annotations

import json
import re

from collectors.model import Snapshot
from dashboard.export import EXPORT_SCHEMA, export_dot, export_json


def test_json_has_the_documented_fields(small_snapshot: Snapshot) -> None:
    doc = json.loads(export_json(small_snapshot))
    assert doc["schema"] == EXPORT_SCHEMA
    assert doc["window"]["step_seconds"] == 15
    node = doc["nodes"][0]
    assert {k: node[k] for k in ("kind", "namespace", "name", "app", "version")} == {
        "kind": "workload",
        "namespace": "bookinfo",
        "name": "productpage-v1",
        "app": "productpage",
        "version": "v1",
    }
    (edge,) = doc["edges"]
    assert edge["kind"] == "calls" and edge["protocol"] == "http"
    traffic = edge["traffic"]
    assert traffic["request_rate"] == 10.5
    assert traffic["error_ratio"] == (1.0 / 3.0) / 10.5
    assert traffic["p50_ms"] == 3.2
    # NaN and unknown percentiles are null, so the output is strict JSON.
    assert traffic["p95_ms"] is None and traffic["p99_ms"] is None
    assert traffic["response_flags"] == {"UF": 0.1}
    assert doc["incidents"][0]["root_cause"] == small_snapshot.incidents[0].root_cause


def test_json_is_deterministic(small_snapshot: Snapshot) -> None:
    assert export_json(small_snapshot) == export_json(small_snapshot)


def test_dot_escapes_names_from_the_cluster(small_snapshot: Snapshot) -> None:
    dot = export_dot(small_snapshot)
    assert dot.startswith("digraph meshlens {") and dot.rstrip().endswith("}")
    # Every double quote inside a string is escaped: strings pair up.
    unescaped = re.sub(r"\\.", "", dot)
    assert unescaped.count('"') % 2 == 0
    assert r"we\"ird\\name" in dot
    assert "10.50 rps, 3.2% err" in dot
