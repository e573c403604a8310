"""Traffic transform: Istio query results -> call edges with RED metrics, and the nodes they touch.

Semantics follow Kiali's graph, so the numbers match what Istio users already know:

- Each sample belongs to a request path (:class:`~collectors.traffic_paths.RequestPath`). A path
  seen by a destination-side reporter (``destination``, else ``waypoint``) counts only those
  samples; a path seen only by the ``source`` reporter keeps the source's view: requests that
  never reached a workload (``destination_workload="unknown"``, flags ``UH``/``NR``) and calls
  to hosts outside the mesh. The choice is made once per path and applied to every query, so
  rates, latency, bytes and mTLS of one edge always come from the same side.
- Where the ends of a path land, and the namespaces of unknown and external nodes, are
  documented in :mod:`collectors.traffic_paths`; how samples become figures in
  :mod:`collectors.traffic_stats`.
- A workload's ``inbound`` is the sum of its incoming call edges. A service's ``inbound`` is the
  sum of the call edges addressed to it (``Edge.service``), whether they end at the service
  itself or at a workload behind it: that is the traffic the service was asked to carry.

Missing or failed query keys are tolerated: each query only adds what it carries.

:func:`traffic_series` (the same edges over time, from the range queries) lives in
:mod:`collectors.traffic_series` and is re-exported here beside :func:`traffic_graph`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field

from collectors.kinds import NodeKind
from collectors.model import Edge, GraphPart, Node
from collectors.prom import InstantSample, MetricsResults
from collectors.traffic_paths import (
    UNKNOWN,
    Clusters,
    NodeRef,
    RequestPath,
    Route,
    choose_reporters,
    is_destination_side,
    reporter_of,
    route,
)
from collectors.traffic_series import traffic_series
from collectors.traffic_stats import PERCENTILE_KEYS, TrafficAccumulator

__all__ = ["traffic_graph", "traffic_series"]

_Fold = Callable[[TrafficAccumulator, Mapping[str, str], float, bool], None]


def _requests(acc: TrafficAccumulator, labels: Mapping[str, str], v: float, dst: bool) -> None:
    acc.add_requests(labels, v, dst)


def _bytes(to_destination: bool, tcp: bool) -> _Fold:
    def fold(acc: TrafficAccumulator, labels: Mapping[str, str], v: float, dst: bool) -> None:
        acc.add_bytes(labels, v, to_destination=to_destination, tcp=tcp, destination_side=dst)

    return fold


def _connections(acc: TrafficAccumulator, labels: Mapping[str, str], v: float, _: bool) -> None:
    acc.add_connections(labels, v)


def _percentile(stats_field: str) -> _Fold:
    def fold(acc: TrafficAccumulator, _labels: Mapping[str, str], v: float, _dst: bool) -> None:
        acc.add_percentile(stats_field, v)

    return fold


FOLDS: dict[str, _Fold] = {
    "requests": _requests,
    **{key: _percentile(stats_field) for key, stats_field in PERCENTILE_KEYS.items()},
    "request_bytes": _bytes(to_destination=True, tcp=False),
    "response_bytes": _bytes(to_destination=False, tcp=False),
    "tcp_received_bytes": _bytes(to_destination=True, tcp=True),
    "tcp_sent_bytes": _bytes(to_destination=False, tcp=True),
    "tcp_connections_opened": _connections,
}
"""Instant query key -> how one of its samples is folded into an edge's totals."""


def _answered(results: MetricsResults) -> Iterator[tuple[str, InstantSample]]:
    for key in FOLDS:
        if key not in results.failed:
            for sample in results.instant.get(key, ()):
                yield key, sample


@dataclass(slots=True)
class _EdgeTotals:
    route: Route
    acc: TrafficAccumulator = field(default_factory=TrafficAccumulator)


def traffic_graph(results: MetricsResults) -> GraphPart:
    """Build the call edges and their nodes from the instant answers of the Istio query set.

    >>> from datetime import UTC, datetime
    >>> now = datetime(2024, 1, 1, tzinfo=UTC)
    >>> traffic_graph(MetricsResults(now, 60, now, now, 15)).edges
    []
    """
    answered = list(_answered(results))
    chosen = choose_reporters(
        (RequestPath.of(sample.labels), reporter_of(sample.labels)) for _, sample in answered
    )
    edges: dict[str, _EdgeTotals] = {}
    nodes: dict[str, Node] = {}
    for key, sample in answered:
        labels = sample.labels
        path = RequestPath.of(labels)
        reporter = reporter_of(labels)
        if chosen[path] != reporter or not _usable(key, sample.value):
            continue
        where = route(path, Clusters.of(labels))
        _remember_nodes(nodes, where, labels)
        totals = edges.setdefault(where.edge_id, _EdgeTotals(where))
        totals.acc.reporters.add(reporter)
        FOLDS[key](totals.acc, labels, sample.value, is_destination_side(reporter))

    built = [_edge(totals) for totals in edges.values()]
    _set_inbound(nodes, edges)
    return GraphPart(
        nodes=sorted(nodes.values(), key=lambda node: node.id),
        edges=sorted(built, key=lambda edge: edge.id),
    )


def _usable(key: str, value: float) -> bool:
    # A NaN quantile means "no requests in the window": the edge still exists, without latency.
    return math.isfinite(value) or (key in PERCENTILE_KEYS and math.isnan(value))


def _edge(totals: _EdgeTotals) -> Edge:
    edge = totals.route.edge()
    edge.traffic = totals.acc.finish()
    edge.attrs["reporter"] = ",".join(sorted(totals.acc.reporters))
    return edge


def _node(ref: NodeRef, app: str = "", version: str = "") -> Node:
    return Node(
        id=ref.id,
        kind=ref.kind,
        name=ref.name,
        namespace=ref.namespace,
        cluster=ref.cluster,
        app=app,
        version=version,
        flags=set(ref.flags),
    )


def _remember(nodes: dict[str, Node], ref: NodeRef, app: str = "", version: str = "") -> None:
    known = nodes.get(ref.id)
    if known is None:
        nodes[ref.id] = _node(ref, app, version)
        return
    # Canonical labels are "unknown" on some samples (source-reported, no metadata exchange).
    known.app = known.app or app
    known.version = known.version or version


def _canonical(labels: Mapping[str, str], side: str) -> tuple[str, str]:
    app = labels.get(f"{side}_canonical_service", "")
    version = labels.get(f"{side}_canonical_revision", "")
    return ("" if app == UNKNOWN else app), ("" if version == UNKNOWN else version)


def _remember_nodes(nodes: dict[str, Node], where: Route, labels: Mapping[str, str]) -> None:
    if where.source.kind is NodeKind.WORKLOAD:
        _remember(nodes, where.source, *_canonical(labels, "source"))
    else:
        _remember(nodes, where.source)
    if where.target.kind is NodeKind.WORKLOAD:
        _remember(nodes, where.target, *_canonical(labels, "destination"))
    else:
        _remember(nodes, where.target)
    if where.service is not None:
        _remember(nodes, where.service)


def _set_inbound(nodes: dict[str, Node], edges: dict[str, _EdgeTotals]) -> None:
    inbound: dict[str, TrafficAccumulator] = {}
    for totals in edges.values():
        receivers = {totals.route.target.id}
        if totals.route.service is not None:
            receivers.add(totals.route.service.id)
        for node_id in receivers:
            inbound.setdefault(node_id, TrafficAccumulator()).merge(totals.acc)
    for node_id, acc in inbound.items():
        nodes[node_id].inbound = acc.finish()
