"""Merging the traffic and health of several snapshot parts into one view element.

Rates, bytes and per-code dicts are summed; latency percentiles are the worst (largest) of the
parts, because quantiles cannot be summed; the mTLS share is weighted by requests (by bytes for
TCP). Health is the worst of the parts.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

from collectors.kinds import Health
from collectors.model import TrafficStats
from collectors.traffic_stats import sum_stats

__all__ = ["merge_traffic", "worst_health"]

_SEVERITY = (Health.NO_TRAFFIC, Health.HEALTHY, Health.DEGRADED, Health.FAILURE)


def worst_health(values: Iterable[Health]) -> Health:
    """Return the most severe health; no traffic when there is nothing to judge."""
    return max(values, key=_SEVERITY.index, default=Health.NO_TRAFFIC)


def _worst_ms(values: Iterable[float | None]) -> float | None:
    present = [value for value in values if value is not None and not math.isnan(value)]
    return max(present) if present else None


def _merged_mtls(stats: Sequence[TrafficStats]) -> float | None:
    judged = [one for one in stats if one.mtls_ratio is not None]
    if not judged:
        return None
    weights = [one.request_rate if one.request_rate > 0 else one.throughput for one in judged]
    total = sum(weights)
    if total <= 0:
        return min(one.mtls_ratio for one in judged if one.mtls_ratio is not None)
    return sum(w * (one.mtls_ratio or 0.0) for w, one in zip(weights, judged, strict=True)) / total


def merge_traffic(stats: Sequence[TrafficStats]) -> TrafficStats:
    """Merge the traffic of several edges (rules in the module docstring)."""
    total = sum_stats(stats)
    total.p50_ms = _worst_ms(one.p50_ms for one in stats)
    total.p95_ms = _worst_ms(one.p95_ms for one in stats)
    total.p99_ms = _worst_ms(one.p99_ms for one in stats)
    total.mtls_ratio = _merged_mtls(stats)
    return total
