"""Traffic on each side of a diff, and what changed in it: call edges that came or went, jumps.

A side maps entity ids (call edges and the nodes that receive traffic) to
:class:`~collectors.model.TrafficStats`. A snapshot file gives its rate window's stats
(:func:`graph_traffic`); a window of the series gives its means (:func:`window_traffic`):
rates are averaged over every slot of the window, a slot without a point counting as no
traffic (Prometheus leaves points out when nothing happened), and ``p95_ms`` over the slots
that have one.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

import pandas as pd

from collectors.kinds import EdgeKind, NodeKind
from collectors.model import Snapshot, TrafficStats
from dashboard.analysis.diff_types import DiffOptions, EdgeChange, Jump
from dashboard.analysis.diff_words import EntityNames, jumps_between, rate_words
from dashboard.analysis.frames import metric_frame, rates_frame

__all__ = ["TrafficSide", "compare_traffic", "graph_traffic", "window_traffic"]

TrafficSide = Mapping[str, TrafficStats]
"""Traffic per node or call edge id over one side's window."""

# Services receive what the workloads behind them receive: judging both would say it twice.
_NOT_JUDGED = frozenset({NodeKind.SERVICE, NodeKind.NAMESPACE})


def _active(stats: TrafficStats) -> bool:
    return stats.request_rate > 0 or stats.throughput > 0 or stats.connection_rate > 0


def graph_traffic(snapshot: Snapshot) -> dict[str, TrafficStats]:
    """The call edges' and receiving nodes' stats over the snapshot's own rate window."""
    side: dict[str, TrafficStats] = {}
    for edge in snapshot.edges(EdgeKind.CALLS):
        if edge.traffic is not None:
            side[edge.id] = edge.traffic
    for node in snapshot.nodes():
        if node.inbound is not None and node.kind not in _NOT_JUDGED:
            side[node.id] = node.inbound
    return side


def _window_rows(series: pd.DataFrame, start: datetime, end: datetime) -> pd.DataFrame:
    stamps = series["timestamp"]
    return series[(stamps > pd.Timestamp(start)) & (stamps <= pd.Timestamp(end))]


def window_traffic(series: pd.DataFrame, start: datetime, end: datetime) -> dict[str, TrafficStats]:
    """Mean traffic per series entity over the window ``(start, end]``."""
    rows = _window_rows(series, start, end)
    slots = rows["timestamp"].nunique()
    if not slots:
        return {}
    requests, errors = rates_frame(rows)
    latency = metric_frame(rows, "p95_ms")
    volume = metric_frame(rows, "throughput")
    request_rate = requests.sum() / slots
    error_rate = errors.sum() / slots
    p95 = latency.mean()
    throughput = volume.sum() / slots
    entities = {*requests.columns, *latency.columns, *volume.columns}
    side: dict[str, TrafficStats] = {}
    for entity in entities:
        p95_ms = float(p95[entity]) if entity in p95.index and pd.notna(p95[entity]) else None
        side[entity] = TrafficStats(
            request_rate=float(request_rate.get(entity, 0.0)),
            error_rate=float(error_rate.get(entity, 0.0)),
            p95_ms=p95_ms,
            # The series keep both directions in one number; the split does not matter here.
            bytes_to_destination=float(throughput.get(entity, 0.0)),
        )
    return side


def compare_traffic(
    before: TrafficSide,
    after: TrafficSide,
    names: EntityNames,
    options: DiffOptions,
) -> tuple[list[EdgeChange], list[EdgeChange], list[Jump]]:
    """Call edges added and vanished (busiest first), and jumps (biggest first)."""
    added: list[EdgeChange] = []
    vanished: list[EdgeChange] = []
    jumps: list[Jump] = []
    idle = TrafficStats()
    for entity_id in sorted({*before, *after}):
        old, new = before.get(entity_id, idle), after.get(entity_id, idle)
        is_call = "->" in entity_id
        if is_call and _active(new) and not _active(old):
            added.append(_edge_change(names, entity_id, new))
        elif is_call and _active(old) and not _active(new):
            vanished.append(_edge_change(names, entity_id, old))
        elif _active(old) or _active(new):
            entity = names.entity(entity_id)
            jumps.extend(jumps_between(entity, old, new, options, rate_from_zero=not is_call))
    added.sort(key=_busiest)
    vanished.sort(key=_busiest)
    jumps.sort(key=lambda jump: (-jump.size, jump.entity.label, jump.metric.value))
    return added, vanished, jumps


def _edge_change(names: EntityNames, edge_id: str, stats: TrafficStats) -> EdgeChange:
    return EdgeChange(names.edge(edge_id), stats.request_rate, stats.throughput, rate_words(stats))


def _busiest(change: EdgeChange) -> tuple[float, float, str]:
    return -change.request_rate, -change.throughput, change.entity.label
