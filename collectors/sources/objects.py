"""A snapshot of cluster objects alone: what is deployed and what the checks find, no traffic."""

from __future__ import annotations

from datetime import datetime, timedelta

from collectors.cluster import ClusterObjects
from collectors.kinds import SourceState
from collectors.model import Snapshot, SourceStatus
from collectors.pipeline import BuildOptions, build_snapshot

NO_METRICS = SourceStatus(
    "prometheus",
    "metrics",
    SourceState.UNAVAILABLE,
    "no Prometheus given: no traffic; the graph shows what is deployed",
)


def objects_snapshot(
    objects: ClusterObjects,
    cluster: SourceStatus,
    *,
    end: datetime,
    span: timedelta,
    step_seconds: int = 15,
    rate_window_seconds: int = 600,
    options: BuildOptions | None = None,
) -> Snapshot:
    """Build the snapshot of ``objects`` read by the source ``cluster`` describes, as of ``end``."""
    return build_snapshot(
        objects=objects,
        metrics=None,
        sources=[cluster, NO_METRICS],
        generator=f"{cluster.name} {cluster.detail}",
        window=(end - span, end, step_seconds, rate_window_seconds),
        options=options,
    )
