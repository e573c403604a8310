"""What the overview page shows, computed from a snapshot (pure, no Dash)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from collectors.kinds import EdgeKind, Health, NodeKind, SourceState
from collectors.model import Snapshot, SnapshotMeta
from dashboard.data import Staleness
from dashboard.topology.window import human_duration

_HEALTH_ORDER = {Health.FAILURE: 0, Health.DEGRADED: 1, Health.HEALTHY: 2, Health.NO_TRAFFIC: 3}


@dataclass(frozen=True, slots=True)
class NamespaceRow:
    """One namespace's counts."""

    namespace: str
    workloads: int
    services: int
    call_edges: int  # edges whose destination lives in the namespace
    unhealthy: int  # workloads degraded or failing


@dataclass(frozen=True, slots=True)
class EdgeRow:
    """One call edge worth a look."""

    source: str
    target: str
    protocol: str
    request_rate: float
    error_ratio: float
    p95_ms: float | None
    health: Health


def namespace_rows(snapshot: Snapshot) -> list[NamespaceRow]:
    """Count workloads, services, inbound call edges and unhealthy workloads per namespace."""
    workloads: Counter[str] = Counter()
    services: Counter[str] = Counter()
    unhealthy: Counter[str] = Counter()
    for node in snapshot.nodes():
        if node.kind is NodeKind.WORKLOAD:
            workloads[node.namespace] += 1
            if node.health in (Health.DEGRADED, Health.FAILURE):
                unhealthy[node.namespace] += 1
        elif node.kind is NodeKind.SERVICE:
            services[node.namespace] += 1
    calls: Counter[str] = Counter(
        snapshot.node(e.target).namespace for e in snapshot.edges(EdgeKind.CALLS)
    )
    names = sorted(n for n in {*workloads, *services, *calls} if n)
    return [NamespaceRow(n, workloads[n], services[n], calls[n], unhealthy[n]) for n in names]


def worst_edges(snapshot: Snapshot, limit: int = 15) -> list[EdgeRow]:
    """Call edges ordered by health (failing first), then error ratio, then rate."""
    rows = []
    for edge in snapshot.edges(EdgeKind.CALLS):
        stats = edge.traffic
        if stats is None:
            continue
        rows.append(
            EdgeRow(
                source=snapshot.node(edge.source).name,
                target=snapshot.node(edge.target).name,
                protocol=edge.protocol.value if edge.protocol else "",
                request_rate=stats.request_rate,
                error_ratio=stats.error_ratio,
                p95_ms=stats.p95_ms,
                health=edge.health,
            )
        )
    rows.sort(key=lambda r: (_HEALTH_ORDER[r.health], -r.error_ratio, -r.request_rate))
    return rows[:limit]


def freshness(meta: SnapshotMeta, now: datetime) -> str:
    """How old the snapshot's data is, for the source badge: "data until 12:00 UTC, 8 h ago"."""
    age = (now - meta.end).total_seconds()
    if age < 60:
        when = "just now" if age > -60 else "in the future (check the clocks)"
    else:
        when = f"{human_duration(60 * (age // 60))} ago"
    return f"data until {meta.end:%Y-%m-%d %H:%M} UTC, {when}"


def stale_message(stale: Staleness, refresh_seconds: int | None) -> str:
    """The banner over every page while collections fail.

    >>> from datetime import UTC
    >>> at = datetime(2026, 11, 24, 12, 3, 15, tzinfo=UTC)
    >>> stale_message(Staleness(at, "Prometheus did not answer: timeout", 2), 30)[:57]
    'Data stale since 12:03:15 UTC (2 collections failed): '
    """
    failed = (
        "1 collection failed" if stale.failures == 1 else f"{stale.failures} collections failed"
    )
    retry = f"; retrying every {human_duration(refresh_seconds)}" if refresh_seconds else ""
    return (
        f"Data stale since {stale.since:%H:%M:%S} UTC ({failed}): {stale.reason.rstrip('.')}. "
        f"Showing the last good data{retry}."
    )


def source_notes(meta: SnapshotMeta) -> list[str]:
    """One line per source that is not all there, e.g. a graph from telemetry alone."""
    return [
        f"{source.kind.capitalize()} ({source.name}): {source.detail or source.state.value}"
        for source in meta.sources
        if source.state is not SourceState.OK
    ]
