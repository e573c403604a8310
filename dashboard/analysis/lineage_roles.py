"""Small readings shared by the lineage analyses: roles of artifacts, times, neighbours.

Kubeflow Pipelines v1 and Argo artifacts carry no type, so an artifact's role is read from
what the graph says about it (a model server loads it, no step wrote it) before its name.
"""

from __future__ import annotations

from datetime import datetime

from collectors.kinds import EdgeKind, NodeKind
from collectors.model import Node, Snapshot
from dashboard.analysis.lineage_types import Role

# KFP's own bookkeeping files: the UI's visualisation list and the run's metrics.
_METADATA_NAMES = frozenset({"mlpipeline-ui-metadata", "mlpipeline-metrics", "main-logs"})


def seconds_between(start: datetime | None, end: datetime | None) -> float | None:
    """Seconds from start to end, None when either is unknown or they are out of order."""
    if start is None or end is None or end < start:
        return None
    return (end - start).total_seconds()


def neighbours(snapshot: Snapshot, node_id: str, kind: EdgeKind, *, upstream: bool) -> list[str]:
    """Ids at the other end of ``kind`` edges into (upstream) or out of a node, sorted."""
    graph = snapshot.graph
    # Call edges are keyed by protocol and service too; every other kind by its name alone.
    if upstream:
        edges = graph.in_edges(node_id, data="edge")
        return sorted({s for s, _, edge in edges if edge.kind is kind})
    return sorted({t for _, t, edge in graph.out_edges(node_id, data="edge") if edge.kind is kind})


def owner_of(snapshot: Snapshot, node_id: str, kind: NodeKind) -> str:
    """The id of the ``kind`` node that owns this one, "" when none does."""
    owners = neighbours(snapshot, node_id, EdgeKind.OWNS, upstream=True)
    return next((o for o in owners if snapshot.node(o).kind is kind), "")


def artifact_names(snapshot: Snapshot, artifact_id: str) -> set[str]:
    """The names steps gave an artifact when they wrote or read it."""
    graph = snapshot.graph
    edges = [*graph.in_edges(artifact_id, data="edge"), *graph.out_edges(artifact_id, data="edge")]
    return {
        str(edge.attrs.get("name", ""))
        for _, _, edge in edges
        if edge.kind in (EdgeKind.PRODUCES, EdgeKind.CONSUMES) and edge.attrs.get("name")
    }


def artifact_role(snapshot: Snapshot, artifact: Node) -> Role:
    """Whether an artifact is a dataset, a model, KFP metadata or some other output.

    Served by a model server -> model; step logs and KFP's UI files -> metadata; named
    "model" by a step -> model; no step in the snapshot wrote it -> dataset (data from outside
    the pipelines); named "dataset"/"data" -> dataset; else a plain artifact.
    """
    if neighbours(snapshot, artifact.id, EdgeKind.SERVES, upstream=False):
        return Role.MODEL
    names = artifact_names(snapshot, artifact.id)
    if artifact.attrs.get("logs") is True or names & _METADATA_NAMES:
        return Role.METADATA
    if any("model" in name for name in names):
        return Role.MODEL  # a base model read from outside is still a model
    if not neighbours(snapshot, artifact.id, EdgeKind.PRODUCES, upstream=True):
        return Role.DATASET
    if any(name in ("dataset", "data") or name.endswith("dataset") for name in names):
        return Role.DATASET
    return Role.ARTIFACT


def step_task(step: Node) -> str:
    """What people call a step: its KFP task name, else Argo's display name, else its id."""
    return str(step.attrs.get("task") or step.attrs.get("display_name") or step.name)


def run_title(run: Node) -> str:
    """What people call a run: its KFP run name, else the Workflow's name."""
    return str(run.attrs.get("run_name") or run.name)
