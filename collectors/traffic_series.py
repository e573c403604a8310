"""Traffic series: Istio range-query results -> the snapshot's long-format frame.

Entities are the ids the traffic graph uses: a call edge's :attr:`~collectors.model.Edge.id`
(built by :mod:`collectors.traffic_paths`, the same code the graph uses) and the destination
workload node. Metrics (see :data:`~collectors.model.SERIES_COLUMNS`):

- edges: ``request_rate``, ``error_rate`` (HTTP errors plus gRPC errors), ``p95_ms``,
  ``throughput`` (TCP bytes both ways);
- workload nodes: ``request_rate`` and ``error_rate`` summed over the paths into them, and
  ``p95_ms`` from the node-level latency query.

The per-path reporter choice is the graph's: the destination side wins over the source side.
When several series land on one entity and metric (two paths into one node, or HTTP and gRPC
errors of one edge) rates are summed per timestamp, and a ``p95_ms`` takes the worst value.

Range queries carry no cluster labels; clusters come from the instant answers of the same path
(:func:`collectors.traffic_paths.path_clusters`). In a multi-cluster mesh where one path exists in
several clusters, its series are summed over them and land on the first cluster seen.

The work is vectorised: Python loops run once per series, never per point.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from collectors.ids import DEFAULT_CLUSTER
from collectors.kinds import NodeKind
from collectors.model import empty_series
from collectors.prom import MetricsResults, RangeSeries
from collectors.traffic_paths import (
    NO_CLUSTER_LABELS,
    NodeRef,
    RequestPath,
    Route,
    choose_reporters,
    path_clusters,
    reporter_of,
    route,
)

__all__ = ["METRICS", "traffic_series"]

METRICS = ("request_rate", "error_rate", "p95_ms", "throughput")
"""Series metric names, in the order of the frame's ``metric`` categories."""

_WORST = frozenset({"p95_ms"})  # metrics that combine by max instead of sum
_WORST_CODES = np.array([METRICS.index(name) for name in sorted(_WORST)], np.int8)

EDGE_QUERIES = {
    "series_requests": "request_rate",
    "series_errors": "error_rate",
    "series_grpc_errors": "error_rate",
    "series_latency_p95": "p95_ms",
    "series_tcp_sent_bytes": "throughput",
    "series_tcp_received_bytes": "throughput",
}
"""Range query key -> edge metric it feeds."""

NODE_METRICS = frozenset({"request_rate", "error_rate"})
"""Edge metrics that also add up on the destination workload node."""

NODE_LATENCY_QUERY = "series_node_latency_p95"


@dataclass(frozen=True, slots=True)
class _Piece:
    entity: str
    metric: str
    series: RangeSeries


def traffic_series(results: MetricsResults) -> pd.DataFrame:
    """Return the long-format series of call edges and destination workloads.

    Failed or missing range queries are skipped; with none answered the frame is empty.
    """
    pieces = list(_pieces(results))
    if not pieces:
        return empty_series()
    return _frame(pieces)


def _answered(results: MetricsResults, key: str) -> list[RangeSeries]:
    return [] if key in results.failed else results.range.get(key, [])


def _pieces(results: MetricsResults) -> Iterator[_Piece]:
    clusters = path_clusters(results)
    edge_series = [(key, s) for key in EDGE_QUERIES for s in _answered(results, key)]
    chosen = choose_reporters(
        (RequestPath.of(s.labels), reporter_of(s.labels)) for _, s in edge_series
    )
    routes: dict[RequestPath, Route] = {}
    workload_ids: dict[tuple[str, str], str] = {}
    for known_path, found in clusters.items():
        _note_workload(workload_ids, route(known_path, found).target)

    for key, series in edge_series:
        path = RequestPath.of(series.labels)
        if chosen[path] != reporter_of(series.labels):
            continue
        where = routes.get(path)
        if where is None:
            where = route(path, clusters.get(path, NO_CLUSTER_LABELS))
            routes[path] = where
            _note_workload(workload_ids, where.target)
        metric = EDGE_QUERIES[key]
        yield _Piece(where.edge_id, metric, series)
        if metric in NODE_METRICS and where.target.kind is NodeKind.WORKLOAD:
            yield _Piece(where.target.id, metric, series)

    for series in _answered(results, NODE_LATENCY_QUERY):
        namespace = series.labels.get("destination_workload_namespace", "")
        workload = series.labels.get("destination_workload", "")
        if workload in ("", "unknown"):
            continue
        entity = workload_ids.get((namespace, workload))
        if entity is None:
            entity = NodeRef(NodeKind.WORKLOAD, workload, namespace, DEFAULT_CLUSTER).id
        yield _Piece(entity, "p95_ms", series)


def _note_workload(workload_ids: dict[tuple[str, str], str], target: NodeRef) -> None:
    if target.kind is NodeKind.WORKLOAD:
        workload_ids.setdefault((target.namespace, target.name), target.id)


def _frame(pieces: list[_Piece]) -> pd.DataFrame:
    # Each (entity, metric) pair gets a dense code; rows carry only that code until the end.
    pairs = list(dict.fromkeys((piece.entity, piece.metric) for piece in pieces))
    pair_code = {pair: code for code, pair in enumerate(pairs)}
    entities = list(dict.fromkeys(entity for entity, _ in pairs))
    entity_code = {entity: code for code, entity in enumerate(entities)}
    pair_entity = np.array([entity_code[entity] for entity, _ in pairs], np.int32)
    pair_metric = np.array([METRICS.index(metric) for _, metric in pairs], np.int8)
    contributors = Counter(pair_code[(p.entity, p.metric)] for p in pieces)
    pair_shared = np.array([contributors[code] > 1 for code in range(len(pairs))], np.bool_)

    lengths = np.fromiter((len(p.series.values) for p in pieces), np.int64, len(pieces))
    piece_pairs = np.fromiter((pair_code[(p.entity, p.metric)] for p in pieces), np.int32)
    pair_rows = np.repeat(piece_pairs, lengths)
    stamps = np.concatenate([np.asarray(p.series.timestamps, np.int64) for p in pieces])
    values = np.concatenate([np.asarray(p.series.values, np.float64) for p in pieces])

    present = ~np.isnan(values)
    shared = pair_shared[pair_rows]
    alone = present & ~shared
    parts = [(pair_rows[alone], stamps[alone], values[alone])]
    shared &= present
    if shared.any():
        worst = np.isin(pair_metric, _WORST_CODES)
        parts.append(_combine(pair_rows[shared], stamps[shared], values[shared], worst))
    out_pairs, out_stamps, out_values = (np.concatenate([p[i] for p in parts]) for i in range(3))
    # Entities whose rows were all NaN are left out of the categories too.
    used = np.zeros(len(entities), np.bool_)
    used[pair_entity[np.bincount(out_pairs, minlength=len(pairs)) > 0]] = True
    renumbered = np.cumsum(used, dtype=np.int32) - 1
    return pd.DataFrame(
        {
            "entity": pd.Categorical.from_codes(
                renumbered[pair_entity][out_pairs],
                categories=pd.Index([e for e, keep in zip(entities, used, strict=True) if keep]),
            ),
            "metric": pd.Categorical.from_codes(
                pair_metric[out_pairs], categories=pd.Index(METRICS)
            ),
            "timestamp": _utc(out_stamps),
            "value": out_values,
        }
    )


_Rows = tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.float64]]


def _combine(
    pairs: npt.NDArray[np.int32],
    stamps: npt.NDArray[np.int64],
    values: npt.NDArray[np.float64],
    worst_pair: npt.NDArray[np.bool_],
) -> _Rows:
    """Sum (or, for ``worst_pair`` pairs, take the max of) rows sharing a pair and timestamp."""
    slots, slot_stamps = _time_slots(stamps)
    n_slots = len(slot_stamps)
    keys = pairs.astype(np.int64) * n_slots + slots
    space = len(worst_pair) * n_slots
    dense = space <= max(4 * len(keys), 1 << 20)
    if dense:
        codes, key_of_code = keys, np.arange(space, dtype=np.int64)
    else:
        codes, uniques = pd.factorize(keys)
        key_of_code, space = np.asarray(uniques, np.int64), len(uniques)
    used = np.flatnonzero(np.bincount(codes, minlength=space))
    group_keys = key_of_code[used]
    combined = np.bincount(codes, weights=values, minlength=space)[used].astype(np.float64)
    group_pairs = group_keys // n_slots
    worst_rows = worst_pair[pairs]
    if worst_rows.any():
        highest = np.full(space, -np.inf)
        np.maximum.at(highest, codes[worst_rows], values[worst_rows])
        worst_groups = worst_pair[group_pairs]
        combined[worst_groups] = highest[used][worst_groups]
    return group_pairs, slot_stamps[group_keys % n_slots], combined


def _time_slots(
    stamps: npt.NDArray[np.int64],
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Return a dense index of each timestamp and the timestamps indexed.

    Range answers sit on a step grid, so the index is arithmetic; irregular stamps fall back
    to hashing.
    """
    first = int(stamps.min())
    offsets = stamps - first
    step = int(np.gcd.reduce(offsets)) or 1
    n_slots = int(offsets.max()) // step + 1
    if n_slots <= 4 * len(stamps):
        return offsets // step, first + step * np.arange(n_slots, dtype=np.int64)
    codes, uniques = pd.factorize(stamps)
    return codes.astype(np.int64), np.asarray(uniques, np.int64)


def _utc(seconds: npt.NDArray[np.int64]) -> pd.DatetimeIndex:
    return pd.DatetimeIndex(
        (seconds * 1_000_000_000).astype("datetime64[ns]"), dtype="datetime64[ns]"
    ).tz_localize("UTC")
