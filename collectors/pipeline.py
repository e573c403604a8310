"""From source-shaped inputs to a :class:`Snapshot`: transforms, merge, enrichment.

Every source, live or demo, goes through :func:`build_snapshot`; there is no second path that
builds a graph directly. Either input may be missing (metrics without cluster access still give
a traffic graph; cluster objects without metrics still give the object graph).

Parts merge in a fixed order, cluster objects first, so the cluster's facts win over what
telemetry infers about the same node: inventory, then Istio traffic, then GPUs (DCGM exporter
and kube-state-metrics, only when GPU queries were asked). Their series are stacked into one
frame.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pandas as pd

from collectors.changes import cluster_changes
from collectors.checks import flag_findings, run_checks
from collectors.cluster import ClusterObjects
from collectors.enrich.gpu import count_workload_gpus
from collectors.enrich.idle import flag_idle
from collectors.gpu import gpu_graph, gpu_series, has_gpu_metrics
from collectors.health import DEFAULT_THRESHOLDS, HealthThresholds, apply_health
from collectors.inventory import inventory_graph, latest_objects
from collectors.model import (
    GraphPart,
    Incident,
    Node,
    Snapshot,
    SnapshotMeta,
    SourceStatus,
    empty_series,
)
from collectors.prom import MetricsResults
from collectors.traffic import traffic_graph, traffic_series

log = logging.getLogger(__name__)

EnrichStep = Callable[[Snapshot], None]


@dataclass(frozen=True, slots=True)
class BuildOptions:
    """What a caller can tune about a build."""

    thresholds: HealthThresholds = DEFAULT_THRESHOLDS
    extra_steps: Sequence[EnrichStep] = field(default_factory=tuple)


def build_snapshot(
    *,
    objects: ClusterObjects | None,
    metrics: MetricsResults | None,
    sources: Sequence[SourceStatus],
    generator: str,
    window: tuple[datetime, datetime, int, int] | None = None,
    incidents: Iterable[Incident] = (),
    options: BuildOptions | None = None,
) -> Snapshot:
    """Run the transforms over whatever the sources delivered and return the snapshot.

    ``window`` is ``(start, end, step_seconds, rate_window_seconds)``; it defaults to the one
    the metrics were asked for, and is required when there are no metrics.
    """
    options = options or BuildOptions()
    if window is None:
        if metrics is None:
            raise ValueError("a snapshot without metrics needs an explicit window")
        window = (metrics.start, metrics.end, metrics.step_seconds, metrics.rate_window_seconds)
    start, end, step, rate_window = window
    meta = SnapshotMeta(
        start=start,
        end=end,
        step_seconds=step,
        rate_window_seconds=rate_window,
        created_at=datetime.now(UTC),
        generator=generator,
        sources=list(sources),
    )
    snapshot = Snapshot(meta=meta, incidents=list(incidents))
    parts: list[GraphPart] = []
    if objects is not None:
        parts.append(inventory_graph(objects))
    if metrics is not None:
        parts.append(traffic_graph(metrics))
        series = [traffic_series(metrics)]
        if has_gpu_metrics(metrics):
            parts.append(gpu_graph(metrics))
            series.append(gpu_series(metrics))
        snapshot.series = concat_series(series)
    merge_parts(snapshot, parts)
    # Idleness (and who holds GPUs) is only knowable when telemetry was read: without it every
    # node would look idle.
    steps = (flag_idle, count_workload_gpus) if metrics is not None else ()
    for step_fn in (*steps, *options.extra_steps):
        step_fn(snapshot)
    apply_health(snapshot, options.thresholds)
    if objects is not None:
        # Checks read the finished graph: flags, call edges and health are all known by now.
        latest = latest_objects(objects.items)
        snapshot.findings = run_checks(latest, snapshot)
        flag_findings(snapshot, snapshot.findings)
        snapshot.changes = cluster_changes(latest, snapshot)
    log.info(
        "built snapshot: %d nodes, %d edges, %d series rows, %d findings, %d changes",
        snapshot.graph.number_of_nodes(),
        snapshot.graph.number_of_edges(),
        len(snapshot.series),
        len(snapshot.findings),
        len(snapshot.changes),
    )
    return snapshot


def concat_series(frames: Sequence[pd.DataFrame]) -> pd.DataFrame:
    """Stack long-format series frames, keeping the schema of :func:`empty_series`.

    ``entity`` and ``metric`` stay categorical, with the union of the frames' categories in
    order of first appearance (concatenating differing categoricals would give plain objects).
    """
    frames = [frame for frame in frames if len(frame)]
    if not frames:
        return empty_series()
    if len(frames) == 1:
        return frames[0]
    columns: dict[str, pd.Series[Any]] = {}
    for name in ("entity", "metric"):
        categories = pd.Index(
            list(dict.fromkeys(c for frame in frames for c in frame[name].cat.categories))
        )
        columns[name] = pd.concat(
            [frame[name].cat.set_categories(categories) for frame in frames], ignore_index=True
        )
    for name in ("timestamp", "value"):
        columns[name] = pd.concat([frame[name] for frame in frames], ignore_index=True)
    return pd.DataFrame(columns)


def merge_parts(snapshot: Snapshot, parts: Iterable[GraphPart]) -> None:
    """Add the parts' nodes (merged by id, earlier parts first) and then all their edges."""
    merged: dict[str, Node] = {}
    edges = []
    for part in parts:
        for node in part.nodes:
            known = merged.get(node.id)
            merged[node.id] = node if known is None else merge_node(known, node)
        edges.extend(part.edges)
    for node in merged.values():
        snapshot.add_node(node)
    for edge in edges:
        snapshot.add_edge(edge)


def merge_node(first: Node, second: Node) -> Node:
    """Combine two views of one node.

    The cluster's view (first) keeps its kind, labels and facts; telemetry fills what the
    cluster could not know (canonical app/version when unlabelled, inbound traffic) and adds its
    flags.
    """
    return Node(
        id=first.id,
        kind=first.kind,
        name=first.name,
        namespace=first.namespace,
        cluster=first.cluster,
        app=first.app or second.app,
        version=first.version or second.version,
        labels={**second.labels, **first.labels},
        flags=first.flags | second.flags,
        health=first.health,
        inbound=first.inbound if first.inbound is not None else second.inbound,
        attrs={**second.attrs, **first.attrs},
    )
