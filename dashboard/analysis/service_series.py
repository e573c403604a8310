"""Per-service and per-workload RED frames for triage: time x node id, one frame per metric.

A service's traffic is what its inbound call edges carried (the edges whose ``service`` is the
service's id), summed per time slot. A workload reads its own node series when telemetry gave
it one, and otherwise the call edges into it, the same way.

Latency cannot be summed: a group's ``p95_ms`` is the mean of its members' p95 weighted by their
requests in the slot. That is an approximation; the true 95th percentile of the merged traffic
needs the histogram buckets, which snapshots do not keep.

>>> from collectors.model import Snapshot, SnapshotMeta
>>> from datetime import UTC, datetime
>>> now = datetime(2026, 1, 1, tzinfo=UTC)
>>> frames = service_frames(Snapshot(SnapshotMeta(now, now, 60, 60, now, "empty")))
>>> frames.requests.shape
(0, 0)
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from collectors.ids import parse_node_id
from collectors.kinds import EdgeKind, NodeKind
from collectors.model import Snapshot
from dashboard.analysis.frames import metric_frame, rates_frame

__all__ = ["ServiceFrames", "label", "label_of", "service_frames", "top_rows", "workload_frames"]


@dataclass(frozen=True, slots=True, eq=False)
class ServiceFrames:
    """Aligned time x node-id frames (same index, same columns) of one kind of node.

    ``requests`` and ``errors`` are per second, ``error_ratio`` is 0..1 and missing where
    nothing was requested, ``p95_ms`` is the request-weighted approximation described in the
    module docstring and missing where nothing was requested either.
    """

    # eq=False: a DataFrame field has no truth value, so generated equality would raise.
    requests: pd.DataFrame
    errors: pd.DataFrame
    error_ratio: pd.DataFrame
    p95_ms: pd.DataFrame


def service_frames(snapshot: Snapshot, *, resolution: str = "1min") -> ServiceFrames:
    """Requests, errors, error ratio and p95 per service, in ``resolution`` slots.

    Columns are service node ids; a service nothing sent requests to in the window is left
    out (TCP-only services too: they have bytes, not requests).
    """
    members: dict[str, list[str]] = defaultdict(list)
    for edge in snapshot.edges(EdgeKind.CALLS):
        if edge.service:
            members[edge.service].append(edge.id)
    return _group_frames(snapshot.series, members, resolution)


def workload_frames(snapshot: Snapshot, *, resolution: str = "1min") -> ServiceFrames:
    """The same frames per workload node: its own series where telemetry has them, otherwise
    the sum of the call edges into it (weighted p95 as for services)."""
    with_own_series = set(
        snapshot.series.loc[snapshot.series["metric"] == "request_rate", "entity"].astype(str)
    )
    inbound: dict[str, list[str]] = defaultdict(list)
    for edge in snapshot.edges(EdgeKind.CALLS):
        inbound[edge.target].append(edge.id)
    members = {
        node.id: [node.id] if node.id in with_own_series else inbound[node.id]
        for node in snapshot.nodes(NodeKind.WORKLOAD)
    }
    return _group_frames(snapshot.series, members, resolution)


def label(node_id: str) -> str:
    """How people name a node, from its id alone: ``namespace/name`` (the bare name when it has
    no namespace); text that is not a node id is returned as it is.

    >>> label("workload:Kubernetes/bookinfo/ratings-v1"), label("node:Kubernetes/gpu-1")
    ('bookinfo/ratings-v1', 'gpu-1')
    """
    try:
        _, _, namespace, name = parse_node_id(node_id)
    except ValueError:
        return node_id
    return f"{namespace}/{name}" if namespace else name


def label_of(snapshot: Snapshot, node_id: str) -> str:
    """How people name a node: ``namespace/name`` (the bare name when it has no namespace).

    An id the graph does not hold is read from the id itself; text that is not a node id is
    returned as it is, so a label never fails a page.
    """
    if node_id not in snapshot.graph:
        return label(node_id)
    node = snapshot.node(node_id)
    return f"{node.namespace}/{node.name}" if node.namespace else node.name


def top_rows(frame: pd.DataFrame, *, limit: int, by: Literal["max", "last"]) -> list[str]:
    """The ``limit`` columns of a time x id frame worth drawing, largest value first.

    ``by="max"`` ranks by the worst slot in the window, ``by="last"`` by the final slot (a
    column without a value there ranks after every column with one). Columns without any value
    are never chosen; ties are broken by id so the order is stable.
    """
    if by not in ("max", "last"):
        raise ValueError(f"by must be 'max' or 'last', not {by!r}")
    if limit <= 0 or frame.empty:
        return []
    seen = frame[frame.columns[frame.notna().any()]]
    scores = seen.max() if by == "max" else seen.iloc[-1].fillna(-np.inf)
    ranked = sorted(((float(score), str(column)) for column, score in scores.items()), key=_worst)
    return [column for _, column in ranked[:limit]]


def _worst(item: tuple[float, str]) -> tuple[float, str]:
    return -item[0], item[1]


def _group_frames(
    series: pd.DataFrame, members: Mapping[str, Sequence[str]], resolution: str
) -> ServiceFrames:
    """Sum rates and request-weight p95 of each group's member entities."""
    entities = sorted({entity for group in members.values() for entity in group})
    requests, errors = rates_frame(series, entities=entities, resolution=resolution)
    latency = metric_frame(series, "p95_ms", entities=entities, resolution=resolution)
    latency = latency.reindex(index=requests.index, columns=requests.columns)
    # A member's p95 counts only where it has both a latency and some requests in the slot.
    weights = requests.where((requests > 0) & latency.notna())
    weighted = latency * weights

    groups = {
        group: [entity for entity in group_members if entity in requests.columns]
        for group, group_members in sorted(members.items())
    }
    busy = [group for group, present in groups.items() if _has_requests(requests, present)]

    def summed(frame: pd.DataFrame) -> pd.DataFrame:
        return _frame_of(
            {group: frame[groups[group]].sum(axis=1, min_count=1) for group in busy},
            requests.index,
        )

    total_requests, total_errors = summed(requests), summed(errors)
    ratio = (total_errors / total_requests.where(total_requests > 0)).clip(upper=1.0)
    p95 = summed(weighted) / summed(weights)
    return ServiceFrames(
        requests=total_requests,
        errors=total_errors,
        error_ratio=ratio.astype("float64"),
        p95_ms=p95.astype("float64"),
    )


def _has_requests(requests: pd.DataFrame, columns: Iterable[str]) -> bool:
    return bool((requests[list(columns)] > 0).to_numpy().any())


def _frame_of(columns: Mapping[str, pd.Series], index: pd.Index) -> pd.DataFrame:
    if not columns:
        return pd.DataFrame(index=index, dtype="float64")
    return pd.DataFrame(dict(columns), index=index).astype("float64")
