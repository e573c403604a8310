"""Naming nodes and call edges for people, wording numbers, and judging jumps (pure).

Numbers are worded by the topology's own edge-label formatter
(:func:`dashboard.figures.topology.edge_label_text`), so a rate reads the same in a diff as on
the graph.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from collectors.ids import parse_node_id
from collectors.kinds import EdgeKind, NodeKind
from collectors.model import Snapshot, TrafficStats
from dashboard.analysis.diff_types import DiffOptions, Entity, Jump, JumpMetric
from dashboard.figures.topology import EdgeLabel, edge_label_text

__all__ = ["EntityNames", "jumps_between", "percent_words", "rate_words"]

_CALLS = EdgeKind.CALLS.value
_PROTOCOL_OF_KEY = {"http": "http", "grpc": "grpc", "tcp": "tcp"}


def rate_words(stats: TrafficStats) -> str:
    """Requests per second, or bytes per second when there are no requests (TCP)."""
    if stats.request_rate > 0:
        return edge_label_text("http", stats, EdgeLabel.REQUEST_RATE)
    return edge_label_text("tcp", stats, EdgeLabel.THROUGHPUT) or "no traffic"


def percent_words(ratio: float) -> str:
    """An error ratio as the graph labels it (``55.0%``, ``<0.1%``), ``0%`` for none."""
    shown = TrafficStats(request_rate=1.0, error_rate=ratio)
    return edge_label_text("http", shown, EdgeLabel.ERROR_PCT) or "0%"


def _latency_words(p95_ms: float) -> str:
    return edge_label_text("http", TrafficStats(p95_ms=p95_ms), EdgeLabel.P95)


def _requests_words(rate: float) -> str:
    return edge_label_text("http", TrafficStats(request_rate=rate), EdgeLabel.REQUEST_RATE) or (
        "0 rps"
    )


def _bytes_words(rate: float) -> str:
    shown = TrafficStats(bytes_to_destination=rate)
    return edge_label_text("tcp", shown, EdgeLabel.THROUGHPUT) or "0 B/s"


class EntityNames:
    """Names nodes and call edges from the snapshots that know them, the first one first.

    An id no snapshot knows (a series entity whose edge the graph lacks) is named from the id
    itself, so no id is ever shown raw.
    """

    def __init__(self, snapshots: Sequence[Snapshot]) -> None:
        self._snapshots = tuple(snapshots)
        self._calls = {
            edge.id: edge for snap in reversed(snapshots) for edge in snap.edges(EdgeKind.CALLS)
        }

    def _parts(self, node_id: str) -> tuple[NodeKind | None, str, str]:
        for snap in self._snapshots:
            if node_id in snap.graph:
                found = snap.node(node_id)
                return found.kind, found.namespace, found.name
        try:
            kind, _, namespace, name = parse_node_id(node_id)
        except ValueError:
            return None, "", ""
        return kind, namespace, name

    def node(self, node_id: str) -> Entity:
        """The node ``node_id`` as people name it: ``namespace/name``."""
        kind, namespace, name = self._parts(node_id)
        label = _node_label(kind, namespace, name, namespaced=True)
        return Entity(node_id, label, kind.value if kind else "", namespace)

    def edge(self, edge_id: str) -> Entity:
        """The call edge ``edge_id`` as ``source → target``, a shared namespace said once."""
        known = self._calls.get(edge_id)
        if known is not None:
            source, target = known.source, known.target
            protocol = known.protocol.value if known.protocol else ""
        else:
            ends, _, key = edge_id.partition("#")
            source, _, target = ends.partition("->")
            protocol = _PROTOCOL_OF_KEY.get(key.split("/")[1] if key.count("/") else "", "")
        caller, callee = self._parts(source), self._parts(target)
        same = bool(caller[1]) and caller[1] == callee[1]
        left = _node_label(*caller, namespaced=not same)
        right = _node_label(*callee, namespaced=not same)
        label = f"{left} → {right} ({caller[1]})" if same else f"{left} → {right}"
        return Entity(edge_id, label, _CALLS, callee[1], source, target, protocol)

    def entity(self, entity_id: str) -> Entity:
        """A node or a call edge, whichever ``entity_id`` is (series entities are both)."""
        if entity_id in self._calls or "->" in entity_id:
            return self.edge(entity_id)
        return self.node(entity_id)


def _node_label(kind: NodeKind | None, namespace: str, name: str, *, namespaced: bool) -> str:
    if kind is None or not name:
        return "an unnamed peer"
    if kind is NodeKind.UNKNOWN:
        return "unknown peer"
    if kind is NodeKind.EXTERNAL:
        return name
    where = f"{namespace}/{name}" if namespace and namespaced else name
    # Calls that reached no workload end on the service: say so, or two edges read the same.
    return f"service {where}" if kind is NodeKind.SERVICE else where


def _ratio(before: float, after: float) -> float:
    low, high = sorted((before, after))
    return math.inf if low <= 0 else high / low


def _known(value: float | None) -> bool:
    return value is not None and math.isfinite(value)


def jumps_between(
    entity: Entity,
    before: TrafficStats,
    after: TrafficStats,
    options: DiffOptions,
    *,
    rate_from_zero: bool,
) -> list[Jump]:
    """The jumps of one entity between two sides (thresholds in :class:`DiffOptions`).

    ``rate_from_zero`` lets traffic start or stop count as a rate jump; call edges pass False,
    because an edge whose traffic starts or stops is new or vanished instead.
    """
    jumps: list[Jump] = []
    floor = options.min_request_rate
    if before.request_rate >= floor and after.request_rate >= floor:
        jumps.extend(_error_jump(entity, before, after, options))
        jumps.extend(_latency_jump(entity, before, after, options))
    if before.request_rate > 0 or after.request_rate > 0:
        jumps.extend(
            _volume_jump(
                entity,
                JumpMetric.REQUEST_RATE,
                (before.request_rate, after.request_rate),
                floor,
                options,
                rate_from_zero=rate_from_zero,
            )
        )
    elif before.throughput > 0 or after.throughput > 0:
        jumps.extend(
            _volume_jump(
                entity,
                JumpMetric.THROUGHPUT,
                (before.throughput, after.throughput),
                options.min_throughput,
                options,
                rate_from_zero=rate_from_zero,
            )
        )
    return jumps


def _error_jump(
    entity: Entity, before: TrafficStats, after: TrafficStats, options: DiffOptions
) -> list[Jump]:
    old, new = before.error_ratio, after.error_ratio
    change = abs(new - old)
    if change < options.error_ratio_points or _ratio(old, new) < options.error_ratio_factor:
        return []
    words = f"error ratio {percent_words(old)} → {percent_words(new)}"
    size = change / options.error_ratio_points
    return [Jump(entity, JumpMetric.ERROR_RATIO, old, new, size, words)]


def _latency_jump(
    entity: Entity, before: TrafficStats, after: TrafficStats, options: DiffOptions
) -> list[Jump]:
    old, new = before.p95_ms, after.p95_ms
    if old is None or new is None or not (_known(old) and _known(new)):
        return []
    change = abs(new - old)
    if change < options.p95_added_ms or _ratio(old, new) < options.p95_factor:
        return []
    words = f"p95 {_latency_words(old)} → {_latency_words(new)}"
    size = change / options.p95_added_ms
    return [Jump(entity, JumpMetric.P95_MS, old, new, size, words)]


def _volume_jump(
    entity: Entity,
    metric: JumpMetric,
    values: tuple[float, float],
    floor: float,
    options: DiffOptions,
    *,
    rate_from_zero: bool,
) -> list[Jump]:
    old, new = values
    if not rate_from_zero and min(old, new) <= 0:
        return []
    if max(old, new) < floor or _ratio(old, new) < options.rate_factor:
        return []
    shown = _requests_words if metric is JumpMetric.REQUEST_RATE else _bytes_words
    noun = "requests" if metric is JumpMetric.REQUEST_RATE else "throughput"
    if old <= 0:
        change = "started"
    elif new <= 0:
        change = "stopped"
    else:
        change = f"{100.0 * (new - old) / old:+.0f}%"
    words = f"{noun} {shown(old)} → {shown(new)} ({change})"
    # The share of the larger side gained or lost, in units of the smallest qualifying share.
    share = abs(new - old) / max(old, new)
    size = share / (1.0 - 1.0 / options.rate_factor)
    return [Jump(entity, metric, old, new, size, words)]
