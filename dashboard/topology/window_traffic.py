"""Traffic over a chosen time window, recomputed from a snapshot's series (vectorised).

See :mod:`dashboard.topology.window` for the time model: a window ``(start, end]`` takes the
series points with ``start < t <= end``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt
import pandas as pd

from collectors.health import DEFAULT_THRESHOLDS, HealthThresholds, apply_health
from collectors.kinds import EdgeKind
from collectors.model import Snapshot, TrafficStats
from collectors.traffic_stats import sum_stats
from dashboard.topology.window import TimeWindow

__all__ = ["traffic_in_window"]


@dataclass(frozen=True, slots=True)
class _Figures:
    """Per-entity window figures, aligned arrays indexed by the entity's position."""

    position: dict[str, int]
    request_rate: npt.NDArray[np.float64]
    error_rate: npt.NDArray[np.float64]
    throughput: npt.NDArray[np.float64]
    p95_ms: npt.NDArray[np.float64]  # NaN: no latency point in the window


def _window_figures(series: pd.DataFrame, window: TimeWindow) -> _Figures:
    """Means of the rate metrics and the request-weighted p95 of every entity, vectorised."""
    stamps = series["timestamp"]
    inside = (stamps > pd.Timestamp(window.start)) & (stamps <= pd.Timestamp(window.end))
    rows = series[inside & series["value"].notna()]  # NaN is a missing point, not a number
    entity_codes, entities = pd.factorize(rows["entity"])
    slot_codes, slot_stamps = pd.factorize(rows["timestamp"])
    count, steps = len(entities), len(slot_stamps)
    values = rows["value"].to_numpy(np.float64)
    metric = rows["metric"]

    def per_entity(name: str) -> npt.NDArray[np.float64]:
        chosen = (metric == name).to_numpy(bool)
        sums = np.bincount(entity_codes[chosen], weights=values[chosen], minlength=count)
        return sums / max(steps, 1)

    # A request rate per (entity, step) to weight each p95 point with: matched by sorted keys.
    keys = entity_codes.astype(np.int64) * max(steps, 1) + slot_codes
    is_requests = (metric == "request_rate").to_numpy(bool)
    request_keys, request_values = keys[is_requests], values[is_requests]
    order = np.argsort(request_keys, kind="stable")
    request_keys, request_values = request_keys[order], request_values[order]
    is_p95 = (metric == "p95_ms").to_numpy(bool)
    p95_keys, p95_values, p95_entities = keys[is_p95], values[is_p95], entity_codes[is_p95]
    at = np.minimum(np.searchsorted(request_keys, p95_keys), max(len(request_keys) - 1, 0))
    matched = request_keys[at] == p95_keys if len(request_keys) else np.zeros(len(p95_keys), bool)
    weights = np.where(matched, request_values[at] if len(request_keys) else 0.0, 0.0)

    weight_sums = np.bincount(p95_entities, weights=weights, minlength=count)
    weighted = np.bincount(p95_entities, weights=weights * p95_values, minlength=count)
    plain = np.bincount(p95_entities, weights=p95_values, minlength=count)
    points = np.bincount(p95_entities, minlength=count)
    with np.errstate(invalid="ignore", divide="ignore"):
        p95 = np.where(weight_sums > 0, weighted / weight_sums, plain / points)
    return _Figures(
        position={str(entity): i for i, entity in enumerate(entities)},
        request_rate=per_entity("request_rate"),
        error_rate=per_entity("error_rate"),
        throughput=per_entity("throughput"),
        p95_ms=p95.astype(np.float64),
    )


def _p95(figures: _Figures, at: int) -> float | None:
    value = float(figures.p95_ms[at])
    return None if np.isnan(value) else value


def _edge_stats(figures: _Figures, entity: str, snapshot: TrafficStats | None) -> TrafficStats:
    at = figures.position.get(entity)
    if at is None:
        return TrafficStats()
    errors = float(figures.error_rate[at])
    throughput = float(figures.throughput[at])
    to_destination = 1.0
    if snapshot is not None and snapshot.throughput > 0:
        to_destination = snapshot.bytes_to_destination / snapshot.throughput
    return TrafficStats(
        request_rate=float(figures.request_rate[at]),
        error_rate=errors,
        rate_5xx=errors,
        p95_ms=_p95(figures, at),
        bytes_to_destination=throughput * to_destination,
        bytes_to_source=throughput * (1.0 - to_destination),
        mtls_ratio=None if snapshot is None else snapshot.mtls_ratio,
    )


def traffic_in_window(
    snapshot: Snapshot, window: TimeWindow, thresholds: HealthThresholds = DEFAULT_THRESHOLDS
) -> Snapshot:
    """Return a copy of ``snapshot`` whose call edges and nodes carry ``window``'s traffic.

    Figures come from the series points with ``window.start < timestamp <= window.end``:

    - ``request_rate``, ``error_rate`` and ``throughput`` are means over the window's steps,
      the distinct timestamps any series has in it. A step where one entity has no point counts
      as 0: a rate series is absent exactly when its counter did not exist or move (an error
      series starts at the first error), so averaging only the points present would inflate a
      short error burst. A step where no series has a point is a gap in collection and is not
      counted at all, since nothing is known about it.
    - ``p95_ms`` is the mean of the per-step p95, weighted by that step's request rate (a plain
      mean when the entity has no requests at its latency points). Quantiles cannot be
      re-aggregated exactly from quantiles; this is the usual approximation, and it keeps a busy
      slow stretch from being diluted by quiet fast ones.
    - The series do not split errors into 4xx, 5xx and gRPC: every error counts as 5xx
      (``rate_5xx = error_rate``), so it is judged with the stricter server-error thresholds.
    - Response codes, gRPC statuses, response flags, connection rates, p50 and p99 have no
      series: dicts stay empty, rates 0, the rest ``None``. The mTLS share has none either; the
      snapshot's own is kept, since a mesh's mTLS policy seldom changes within hours and a lock
      that vanished with the window would read as a security change. HTTP body bytes have no
      series either; TCP throughput is split between the directions in the proportion of the
      snapshot's own stats for the edge, all to the destination when those are unknown.
    - A node's ``inbound`` is, as in :mod:`collectors.traffic`, the sum of the call edges into it
      (or addressed to it, for a service), with the p95 of the node's own latency series.

    Edges and nodes without points in the window keep existing with zero traffic. Health is
    judged again by :func:`collectors.health.apply_health`. The input is not modified; the copy
    shares its meta, series, incidents and untouched objects, which both treat as read-only.
    """
    figures = _window_figures(snapshot.series, window)
    graph = snapshot.graph.copy()  # fresh attribute dicts: replacing objects leaves the input
    received: dict[str, list[TrafficStats]] = {}
    for _, _, data in graph.edges(data=True):
        edge = data["edge"]
        if edge.kind is not EdgeKind.CALLS:
            continue
        stats = _edge_stats(figures, edge.id, edge.traffic)
        data["edge"] = replace(edge, traffic=stats)
        for receiver in {edge.target, edge.service} - {""}:
            received.setdefault(receiver, []).append(stats)
    for node_id, data in graph.nodes(data=True):
        node = data["node"]
        if node_id not in received and node.inbound is None:
            data["node"] = replace(node)  # apply_health below sets health on every node
            continue
        inbound = sum_stats(received.get(node_id, ()))
        at = figures.position.get(node_id)
        inbound.p95_ms = None if at is None else _p95(figures, at)
        data["node"] = replace(node, inbound=inbound)
    windowed = Snapshot(
        meta=snapshot.meta,
        graph=graph,
        series=snapshot.series,
        incidents=snapshot.incidents,
        findings=snapshot.findings,
    )
    apply_health(windowed, thresholds)
    return windowed
