"""What the topology's side panel says about one clicked node, edge or box (pure data).

:func:`element_details` answers with a :class:`Details`: titles, health and flags in words, the
traffic of the snapshot's rate window (``meta.rate_window_seconds`` ending at ``meta.end``), the
callers and callees drawn in the view, response codes, gRPC statuses and Envoy flags explained,
a long series frame (``timestamp``, ``metric``, ``value``) for the sparklines, and for a node
the Istio configuration of its members and the check findings drawn on them (a service's
findings count on the workloads it selects, see :func:`findings_by_node`).

Series are summed over the element's members: rates per timestamp, ``p95_ms`` as the worst
value, because quantiles cannot be added. A node uses its members' own series; a member without
any (a service, a peer outside the mesh) is stood for by the view's calls into it. Node series
never carry ``throughput``, so that always comes from the calls in. A collapsed namespace shows
the calls into it from outside, a node nothing called the calls it made, and a box the traffic
entering it from outside (its stats too).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

import pandas as pd

from collectors.kinds import EdgeKind, Health, NodeKind
from collectors.model import Finding, Snapshot, TrafficStats
from dashboard.topology._details_config import (
    findings_by_node,
    flag_words,
    istio_rows,
    member_findings,
)
from dashboard.topology._details_series import (
    empty_details_series,
    summed_series,
    with_series,
)
from dashboard.topology._details_words import (
    CodeRow,
    FlagRow,
    code_rows,
    flag_rows,
    grpc_status_name,
    http_code_meaning,
)
from dashboard.topology.projection import TopologyView, ViewEdge, ViewNode, merge_traffic

__all__ = [
    "CodeRow",
    "Details",
    "FlagRow",
    "Neighbour",
    "element_details",
    "empty_details_series",
    "findings_by_node",
    "grpc_status_name",
    "http_code_meaning",
    "summed_series",
]


@dataclass(frozen=True, slots=True)
class Neighbour:
    """A caller or callee of the selected node, as drawn in the view, and the call's traffic."""

    id: str
    label: str
    namespace: str
    protocol: str
    rps: float
    error_pct: float  # 0 without requests (TCP): read it with rps
    health: Health  # of the call edge
    throughput: float = 0.0  # bytes per second both ways: the only volume TCP has


@dataclass(frozen=True, slots=True, eq=False)
class Details:
    """Everything the side panel shows about one view element."""

    id: str
    element: Literal["node", "edge", "box"]
    title: str
    subtitle: str
    health: Health
    flags: tuple[tuple[str, str], ...]  # (flag value, words)
    stats: TrafficStats | None  # rate window of the snapshot, not ``window``
    callers: tuple[Neighbour, ...]
    callees: tuple[Neighbour, ...]
    codes: tuple[CodeRow, ...]
    grpc_statuses: tuple[CodeRow, ...]
    response_flags: tuple[FlagRow, ...]
    series: pd.DataFrame  # timestamp, metric, value within the window
    members: tuple[str, ...]
    notes: tuple[str, ...]
    istio: tuple[tuple[str, str], ...] = ()  # (label, one-line value), nodes only
    findings: tuple[Finding, ...] = ()  # drawn on the members, worst first; nodes only


_PROTOCOL_WORDS = {"http": "HTTP", "grpc": "gRPC", "tcp": "TCP"}
_HEALTH_WORDS = {
    Health.FAILURE: "failing",
    Health.DEGRADED: "degraded",
    Health.HEALTHY: "healthy",
    Health.NO_TRAFFIC: "no traffic",
}
_TCP_NOTE = "no latency histogram for TCP, and no response codes: bytes and connections only"


def _neighbour(edge: ViewEdge, other: ViewNode | None, other_id: str) -> Neighbour:
    traffic = edge.traffic
    return Neighbour(
        id=other_id,
        label=_node_title(other) if other is not None else other_id,
        namespace=other.namespace if other is not None else "",
        protocol=str(edge.protocol),
        rps=traffic.request_rate,
        error_pct=100.0 * traffic.error_ratio,
        health=edge.health,
        throughput=traffic.throughput,
    )


def _busiest_first(neighbours: Iterable[Neighbour]) -> tuple[Neighbour, ...]:
    return tuple(sorted(neighbours, key=lambda one: (-one.rps, -one.throughput, one.label)))


def _node_title(node: ViewNode) -> str:
    # A versioned app node is labelled with its version alone; the panel needs the app too.
    if node.kind == "app" and node.version:
        return f"{node.app} {node.version}"
    return node.label


def _node_subtitle(node: ViewNode) -> str:
    if node.kind == "namespace":
        return f"namespace {node.namespace}, collapsed"
    if node.kind == NodeKind.UNKNOWN:
        return "a peer telemetry could not identify"
    kind = "external host" if node.kind == NodeKind.EXTERNAL else node.kind
    where = "called from" if node.kind == NodeKind.EXTERNAL else "in"
    return f"{kind} {where} {node.namespace}" if node.namespace else kind


def _mtls_words(edge: ViewEdge) -> str:
    ratio = edge.traffic.mtls_ratio
    if edge.mtls is None or ratio is None:
        return "mTLS unknown"
    if edge.mtls:
        return "mTLS"
    return "plain text, no mTLS" if ratio <= 0 else f"partly mTLS ({100.0 * ratio:.0f}%)"


def _merged_note(members: tuple[str, ...], noun: str) -> list[str]:
    if len(members) < 2:
        return []
    kinds = {member.partition(":")[0] for member in members}
    what = f"{kinds.pop()}s" if len(kinds) == 1 and noun == "node" else f"{noun}s"
    return [f"merges {len(members)} {what}"]


@dataclass(frozen=True, slots=True)
class _Context:
    """The lookups every element kind needs, built once per call."""

    snapshot: Snapshot
    view: TopologyView
    nodes: Mapping[str, ViewNode]
    start: datetime
    end: datetime
    findings: Sequence[Finding] | None

    def series(
        self, entities: Collection[str], throughput_only: Collection[str] = ()
    ) -> pd.DataFrame:
        return summed_series(self.snapshot.series, entities, throughput_only, self.start, self.end)


def _members_of(edges: Iterable[ViewEdge]) -> set[str]:
    # A set: in the service graph one call can feed two view edges into the same service.
    return {member for edge in edges for member in edge.members}


def _node_series(
    ctx: _Context, node: ViewNode, inbound: list[ViewEdge], outbound: list[ViewEdge]
) -> tuple[pd.DataFrame, list[str]]:
    """The node's series and, when calls stood in for node series, a note saying so."""
    calls_in = _members_of(inbound)
    if node.kind == "namespace":
        # Node series cannot tell calls from outside the namespace from those within it.
        return ctx.series(calls_in), ["series: the calls into it from outside"]
    own = with_series(ctx.snapshot.series, node.members)
    if len(own) == len(node.members):
        return ctx.series(own, calls_in), []
    if own:
        graph = ctx.snapshot.graph
        stand_ins = {
            edge.id
            for member in node.members
            if member not in own and member in graph
            for _, _, edge in graph.in_edges(member, data="edge")
            if edge.kind is EdgeKind.CALLS
        } & calls_in
        missing = len(node.members) - len(own)
        note = f"series: calls into the {missing} of its members without series stand in for them"
        return ctx.series([*own, *stand_ins], calls_in - stand_ins), [note] if stand_ins else []
    if calls_in:
        return ctx.series(calls_in), ["series: the calls into it (it has no series of its own)"]
    calls_out = _members_of(outbound)
    if calls_out:
        return ctx.series(calls_out), ["series: the calls it made (nothing called it)"]
    return empty_details_series(), []


def _node_details(ctx: _Context, node: ViewNode) -> Details:
    inbound = [edge for edge in ctx.view.edges if edge.target == node.id]
    outbound = [edge for edge in ctx.view.edges if edge.source == node.id]
    series, series_note = _node_series(ctx, node, inbound, outbound)
    stats = node.inbound
    notes = _merged_note(node.members, "node")
    if node.kind == "namespace":
        notes.append("collapsed namespace: only calls from outside it count as inbound")
    if inbound and all(edge.protocol == "tcp" for edge in inbound):
        notes.append(_TCP_NOTE)
    if stats is None:
        notes.append("received no traffic in the window")
    return Details(
        id=node.id,
        element="node",
        title=_node_title(node),
        subtitle=_node_subtitle(node),
        health=node.health,
        flags=flag_words(node.flags),
        stats=stats,
        callers=_busiest_first(_neighbour(e, ctx.nodes.get(e.source), e.source) for e in inbound),
        callees=_busiest_first(_neighbour(e, ctx.nodes.get(e.target), e.target) for e in outbound),
        codes=code_rows(stats.response_codes, http_code_meaning) if stats else (),
        grpc_statuses=code_rows(stats.grpc_statuses, grpc_status_name) if stats else (),
        response_flags=flag_rows(stats),
        series=series,
        members=node.members,
        notes=(*notes, *series_note),
        istio=istio_rows(ctx.snapshot, node.members),
        findings=member_findings(node.members, findings_by_node(ctx.snapshot, ctx.findings)),
    )


def _edge_details(ctx: _Context, edge: ViewEdge) -> Details:
    source, target = ctx.nodes.get(edge.source), ctx.nodes.get(edge.target)
    stats = edge.traffic
    protocol = _PROTOCOL_WORDS.get(edge.protocol, edge.protocol or "unknown protocol")
    notes = _merged_note(edge.members, "call edge")
    if edge.protocol == "tcp":
        notes.append(_TCP_NOTE)
    return Details(
        id=edge.id,
        element="edge",
        title=f"{_title_or_id(source, edge.source)} → {_title_or_id(target, edge.target)}",
        subtitle=f"{protocol} · {_mtls_words(edge)}",
        health=edge.health,
        flags=(),
        stats=stats,
        callers=(),
        callees=(),
        codes=code_rows(stats.response_codes, http_code_meaning),
        grpc_statuses=code_rows(stats.grpc_statuses, grpc_status_name),
        response_flags=flag_rows(stats),
        series=ctx.series(edge.members),
        members=edge.members,
        notes=tuple(notes),
    )


def _title_or_id(node: ViewNode | None, node_id: str) -> str:
    return _node_title(node) if node is not None else node_id


def _box_details(ctx: _Context, box: ViewNode) -> Details:
    inside = {box.id} | {other.id for other in ctx.view.boxes if other.parent == box.id}
    children = [node for node in ctx.view.nodes if node.parent in inside]
    ids = {node.id for node in children}
    entering = [e for e in ctx.view.edges if e.target in ids and e.source not in ids]
    counts = Counter(node.health for node in children)
    health_words = ", ".join(
        f"{counts[health]} {words}" for health, words in _HEALTH_WORDS.items() if counts[health]
    )
    noun = "node" if len(children) == 1 else "nodes"
    notes = [f"{len(children)} {noun}: {health_words}" if children else "no nodes"]
    notes.append("stats and series: the traffic entering it from outside")
    subtitle = "namespace" if box.kind == "namespace" else f"{box.kind} in {box.namespace}"
    stats = merge_traffic([edge.traffic for edge in entering]) if entering else None
    return Details(
        id=box.id,
        element="box",
        title=box.label,
        subtitle=subtitle,
        health=box.health,
        flags=(),
        stats=stats,
        callers=(),
        callees=(),
        codes=code_rows(stats.response_codes, http_code_meaning) if stats else (),
        grpc_statuses=code_rows(stats.grpc_statuses, grpc_status_name) if stats else (),
        response_flags=flag_rows(stats),
        series=ctx.series(_members_of(entering)),
        members=box.members,
        notes=tuple(notes),
    )


def element_details(
    snapshot: Snapshot,
    view: TopologyView,
    element_id: str,
    *,
    window: tuple[datetime, datetime] | None = None,
    findings: Sequence[Finding] | None = None,
) -> Details | None:
    """Details of the view node, edge or box ``element_id``; None when the view has no such id.

    ``window`` bounds the series (default: the snapshot's whole window); naive datetimes are
    taken as UTC. Stats, codes and flags are the view's own: those of the snapshot's rate window,
    or of a chosen window when the view was projected from ``traffic_in_window``'s copy (which
    has no codes or flags). ``findings`` defaults to the snapshot's (pass the original's with such
    a copy, which has none). Ids come from URLs, so any value is answered without raising.

    A click on a node in the page's callback reads, for example,
    ``details = element_details(snapshot, view, tapped["id"], window=(start, end))``, then
    ``red_sparklines(details.series, start=start, end=end)`` draws its series.
    """
    if not isinstance(element_id, str) or not element_id:
        return None
    meta = snapshot.meta
    start, end = window if window is not None else (meta.start, meta.end)
    nodes = {node.id: node for node in view.nodes}
    ctx = _Context(snapshot, view, nodes, start, end, findings)
    node = nodes.get(element_id)
    if node is not None:
        return _node_details(ctx, node)
    for edge in view.edges:
        if edge.id == element_id:
            return _edge_details(ctx, edge)
    for box in view.boxes:
        if box.id == element_id:
            return _box_details(ctx, box)
    return None
