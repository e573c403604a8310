"""What the lineage views show: pipeline runs, a run's steps, and lineage around one node.

Plain frozen data, built by :mod:`.lineage_runs` and :mod:`.lineage_walk` from a snapshot and
drawn by the Lineage page and the notebook.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from collectors.kinds import EdgeKind


class Role(StrEnum):
    """What a lineage node is to the people asking "where did this come from"."""

    DATASET = "dataset"  # data a pipeline read that no step in the snapshot wrote, or named so
    MODEL = "model"  # a model file: served by a model server or named so by its step
    ARTIFACT = "artifact"  # anything else a step wrote: features, metrics, reports
    METADATA = "metadata"  # KFP's UI metadata and metrics files, and step logs
    STEP = "step"
    MODEL_SERVER = "model server"  # a KServe InferenceService
    WORKLOAD = "workload"  # the Deployment serving a model in the mesh
    CALLER = "caller"  # a workload in the mesh calling a model server


FAILED_PHASES = frozenset({"Failed", "Error"})
FINISHED_PHASES = frozenset({"Succeeded", "Failed", "Error", "Skipped", "Omitted"})


@dataclass(frozen=True, slots=True)
class RunRow:
    """One pipeline run (an Argo Workflow, a KFP run when Kubeflow labelled it)."""

    id: str  # PIPELINE_RUN node id
    name: str  # the Workflow's name
    namespace: str
    title: str  # the KFP run name, else the Workflow's name
    pipeline: str
    phase: str
    started: datetime | None
    finished: datetime | None
    duration_s: float | None  # to its end, or to the snapshot's end while it runs
    failed_step: str = ""  # the task that failed it, "" when none did
    failed_message: str = ""
    steps: int | None = None  # None: the steps are not readable (see ``steps_note``)
    steps_note: str = ""  # why the steps are not shown (offloaded, unreadable)
    models: tuple[str, ...] = ()  # model artifact ids it produced
    kfp_run_id: str = ""


@dataclass(frozen=True, slots=True)
class StepRow:
    """One step of a run: what ran, where, for how long, and what it read and wrote."""

    id: str  # PIPELINE_STEP node id
    task: str
    phase: str
    started: datetime | None
    finished: datetime | None
    duration_s: float | None
    message: str = ""
    exit_code: str = ""
    role: str = ""  # "driver" for KFP v2's bookkeeping pods
    machine: str = ""  # the Kubernetes node it ran on
    pod: str = ""  # pod node id, "" when the pod is gone
    pod_phase: str = ""
    gpus_requested: int = 0
    gpu_devices: tuple[str, ...] = ()  # GPU node ids its pod holds now
    inputs: tuple[str, ...] = ()  # artifact ids
    outputs: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class RunDag:
    """A run's steps in the order they ran and the DAG between them."""

    run: RunRow
    steps: tuple[StepRow, ...]
    edges: tuple[tuple[str, str], ...]  # (step id, step id that waited for it)


@dataclass(frozen=True, slots=True)
class LineageNode:
    """A node on a lineage walk, ``distance`` hops upstream (< 0) or downstream (> 0)."""

    id: str
    role: Role
    label: str
    distance: int
    detail: str = ""  # a phase, a model state, a URI scheme
    run: str = ""  # a step's run node id
    failed: bool = False


@dataclass(frozen=True, slots=True)
class LineageEdge:
    """A hop on a lineage walk, always drawn in the direction data flows."""

    source: str
    target: str
    kind: EdgeKind


@dataclass(frozen=True, slots=True)
class Lineage:
    """Everything upstream and downstream of one node, as far as lineage goes."""

    focus: str
    nodes: tuple[LineageNode, ...]  # upstream first (farthest first), the focus, downstream
    edges: tuple[LineageEdge, ...]
    runs: tuple[str, ...] = ()  # run node ids whose steps are on the walk

    def of_role(self, role: Role) -> tuple[LineageNode, ...]:
        """The walk's nodes of one role, in walk order."""
        return tuple(node for node in self.nodes if node.role is role)
