"""Export a snapshot's graph as JSON (schema in docs/export-format.md) or Graphviz DOT.

Pure functions: snapshot in, text out. Output is deterministic (stable order, sorted keys) so
an export of a saved-and-reloaded snapshot is byte-identical to the original's.
"""

from __future__ import annotations

import json
import math
from typing import Any

from collectors.codec import encode
from collectors.model import Edge, EdgeKind, Node, Snapshot, TrafficStats

EXPORT_SCHEMA = "meshlens-export/1"


def export_json(snapshot: Snapshot, *, include_structure: bool = True) -> str:
    """Return the graph as JSON text; ``include_structure=False`` keeps only call edges."""
    return (
        json.dumps(
            export_document(snapshot, include_structure=include_structure),
            indent=2,
            sort_keys=True,
            allow_nan=False,
        )
        + "\n"
    )


def export_document(snapshot: Snapshot, *, include_structure: bool = True) -> dict[str, Any]:
    """Return the export as JSON-ready data (see docs/export-format.md)."""
    edges = [e for e in snapshot.edges() if include_structure or e.kind is EdgeKind.CALLS]
    meta = snapshot.meta
    return {
        "schema": EXPORT_SCHEMA,
        "generator": meta.generator,
        "window": {
            "start": meta.start.isoformat(),
            "end": meta.end.isoformat(),
            "step_seconds": meta.step_seconds,
            "rate_window_seconds": meta.rate_window_seconds,
        },
        "sources": [
            {"name": s.name, "kind": s.kind, "state": s.state.value, "detail": s.detail}
            for s in meta.sources
        ],
        "nodes": [_node(n) for n in snapshot.nodes()],
        "edges": [_edge(e) for e in edges],
        "incidents": [encode(i) for i in snapshot.incidents],
    }


def _node(node: Node) -> dict[str, Any]:
    return {
        "id": node.id,
        "kind": node.kind.value,
        "namespace": node.namespace,
        "name": node.name,
        "app": node.app,
        "version": node.version,
        "health": node.health.value,
        "flags": sorted(f.value for f in node.flags),
        "inbound": _traffic(node.inbound),
    }


def _edge(edge: Edge) -> dict[str, Any]:
    return {
        "source": edge.source,
        "target": edge.target,
        "kind": edge.kind.value,
        "protocol": edge.protocol.value if edge.protocol else None,
        "service": edge.service or None,
        "health": edge.health.value,
        "traffic": _traffic(edge.traffic),
    }


def _traffic(stats: TrafficStats | None) -> dict[str, Any] | None:
    if stats is None:
        return None
    return {
        "request_rate": _num(stats.request_rate),
        "error_rate": _num(stats.error_rate),
        "error_ratio": _num(stats.error_ratio),
        "p50_ms": _num(stats.p50_ms),
        "p95_ms": _num(stats.p95_ms),
        "p99_ms": _num(stats.p99_ms),
        "throughput_bytes": _num(stats.throughput),
        "bytes_to_destination": _num(stats.bytes_to_destination),
        "bytes_to_source": _num(stats.bytes_to_source),
        "connection_rate": _num(stats.connection_rate),
        "mtls_ratio": _num(stats.mtls_ratio),
        "response_codes": {k: _num(v) for k, v in sorted(stats.response_codes.items())},
        "grpc_statuses": {k: _num(v) for k, v in sorted(stats.grpc_statuses.items())},
        "response_flags": {k: _num(v) for k, v in sorted(stats.response_flags.items())},
    }


def _num(value: float | None) -> float | None:
    """JSON has no NaN: an unknown number is null."""
    if value is None or math.isnan(value) or math.isinf(value):
        return None
    return value


def export_dot(snapshot: Snapshot) -> str:
    """Return the call graph as Graphviz DOT (workloads grouped by namespace)."""
    calls = list(snapshot.edges(EdgeKind.CALLS))
    used = {e.source for e in calls} | {e.target for e in calls}
    by_namespace: dict[str, list[Node]] = {}
    for node in snapshot.nodes():
        if node.id in used:
            by_namespace.setdefault(node.namespace, []).append(node)
    lines = ["digraph meshlens {", "  rankdir=LR;", "  node [shape=box, style=rounded];"]
    for index, (namespace, nodes) in enumerate(sorted(by_namespace.items())):
        lines.append(f"  subgraph cluster_{index} {{")
        lines.append(f"    label={_quote(namespace or '(cluster)')};")
        for node in nodes:
            label = _quote(node.name, node.kind.value)
            lines.append(
                f"    {_quote(node.id)} [label={label}, "
                f"color={_quote(_HEALTH_COLOURS[node.health.value])}];"
            )
        lines.append("  }")
    for edge in calls:
        stats = edge.traffic or TrafficStats()
        label = (
            f"{stats.request_rate:.2f} rps, {stats.error_ratio:.1%} err"
            if edge.protocol and edge.protocol.value != "tcp"
            else f"{stats.throughput:.0f} B/s"
        )
        lines.append(
            f"  {_quote(edge.source)} -> {_quote(edge.target)} "
            f"[label={_quote(label)}, color={_quote(_HEALTH_COLOURS[edge.health.value])}];"
        )
    lines.append("}")
    return "\n".join(lines) + "\n"


_HEALTH_COLOURS = {
    "healthy": "#3f9c35",
    "degraded": "#ec7a08",
    "failure": "#cc0000",
    "no_traffic": "#8a8d90",
}


def _quote(*lines: str) -> str:
    """Quote a DOT string of one or more lines.

    Names come from the cluster, so everything that could end the string is escaped.
    """
    escaped = (
        line.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ").replace("\r", " ")
        for line in lines
    )
    return '"' + "\\n".join(escaped) + '"'
