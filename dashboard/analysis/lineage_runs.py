"""Pipeline runs as the Lineage page lists them, and one run's steps as its DAG draws them.

>>> from collectors.model import SnapshotMeta
>>> runs(Snapshot(meta=SnapshotMeta.__new__(SnapshotMeta)))
[]
"""

from __future__ import annotations

from datetime import UTC, datetime

from collectors.changes_context import moment
from collectors.kinds import EdgeKind, NodeKind
from collectors.model import Node, Snapshot
from dashboard.analysis.lineage_roles import (
    artifact_role,
    neighbours,
    run_title,
    seconds_between,
    step_task,
)
from dashboard.analysis.lineage_types import (
    FAILED_PHASES,
    FINISHED_PHASES,
    Role,
    RunDag,
    RunRow,
    StepRow,
)

# Why a run shows no steps, by the collector's ``nodes_status``.
STEPS_NOTES = {
    "offloaded": "step status offloaded to Argo's database: not available from the cluster",
    "unreadable": "compressed step status could not be read",
    "none": "no step status yet",
}
_NEVER = datetime.min.replace(tzinfo=UTC)
_FAR = datetime.max.replace(tzinfo=UTC)


def runs(snapshot: Snapshot) -> list[RunRow]:
    """Every run in the snapshot, newest first (runs with no start time last)."""
    rows = [run_row(snapshot, node) for node in snapshot.nodes(NodeKind.PIPELINE_RUN)]
    by_name = sorted(rows, key=lambda r: (r.namespace, r.name))
    return sorted(by_name, key=lambda r: r.started or _NEVER, reverse=True)


def run_row(snapshot: Snapshot, run: Node) -> RunRow:
    """One run's row: phase, when, how long, which step failed it and why."""
    started = moment(run.attrs.get("started"))
    finished = moment(run.attrs.get("finished"))
    phase = str(run.attrs.get("phase", ""))
    running = phase not in FINISHED_PHASES
    steps = [step_row(snapshot, snapshot.node(s)) for s in _step_ids(snapshot, run.id)]
    failed = failing_step(steps)
    status = str(run.attrs.get("nodes_status", ""))
    readable = "steps" in run.attrs
    # Argo's run message ("child 'x' failed") is the fallback when no step says more.
    run_message = str(run.attrs.get("message", "")) if phase in FAILED_PHASES else ""
    models = {
        a
        for step in steps
        for a in step.outputs
        if artifact_role(snapshot, snapshot.node(a)) is Role.MODEL
    }
    return RunRow(
        id=run.id,
        name=run.name,
        namespace=run.namespace,
        title=run_title(run),
        pipeline=str(run.attrs.get("pipeline", "")),
        phase=phase,
        started=started,
        finished=finished,
        duration_s=seconds_between(started, snapshot.meta.end if running else finished),
        failed_step=failed.task if failed else "",
        failed_message=(failed.message if failed else "") or run_message,
        steps=len(steps) if readable else None,
        steps_note="" if readable else _steps_note(status, run),
        models=tuple(sorted(models)),
        kfp_run_id=str(run.attrs.get("kfp_run_id", "")),
    )


def _steps_note(status: str, run: Node) -> str:
    note = STEPS_NOTES.get(status, "steps not available")
    error = str(run.attrs.get("nodes_error", ""))
    return f"{note}: {error}" if error else note


def _step_ids(snapshot: Snapshot, run_id: str) -> list[str]:
    return [
        s
        for s in neighbours(snapshot, run_id, EdgeKind.OWNS, upstream=False)
        if snapshot.node(s).kind is NodeKind.PIPELINE_STEP
    ]


def failing_step(steps: list[StepRow]) -> StepRow | None:
    """The step that failed the run: the first failed task no retry of which succeeded.

    Drivers (KFP v2's bookkeeping pods) count only when no real step failed.
    """
    succeeded = {s.task for s in steps if s.phase == "Succeeded"}
    failed = [s for s in steps if s.phase in FAILED_PHASES and s.task not in succeeded]
    failed.sort(key=lambda s: (s.role == "driver", s.finished or s.started or _FAR, s.task))
    return failed[0] if failed else None


def step_row(snapshot: Snapshot, step: Node) -> StepRow:
    """One step: its times, messages, pod, machine, GPUs and artifacts."""
    started = moment(step.attrs.get("started"))
    finished = moment(step.attrs.get("finished"))
    phase = str(step.attrs.get("phase", ""))
    pods = [
        p
        for p in neighbours(snapshot, step.id, EdgeKind.OWNS, upstream=False)
        if snapshot.node(p).kind is NodeKind.POD
    ]
    pod = snapshot.node(pods[0]) if pods else None
    end = finished if phase in FINISHED_PHASES else snapshot.meta.end
    return StepRow(
        id=step.id,
        task=step_task(step),
        phase=phase,
        started=started,
        finished=finished,
        duration_s=seconds_between(started, end),
        message=str(step.attrs.get("message", "")),
        exit_code=str(step.attrs.get("exit_code", "")),
        role=str(step.attrs.get("role", "")),
        machine=str(step.attrs.get("host", "") or (pod.attrs.get("node", "") if pod else "")),
        pod=pod.id if pod else "",
        pod_phase=str(pod.attrs.get("phase", "")) if pod else "",
        gpus_requested=int(pod.attrs.get("gpu_requested", 0) or 0) if pod else 0,
        gpu_devices=tuple(neighbours(snapshot, pod.id, EdgeKind.USES_GPU, upstream=False))
        if pod
        else (),
        inputs=tuple(neighbours(snapshot, step.id, EdgeKind.CONSUMES, upstream=True)),
        outputs=tuple(neighbours(snapshot, step.id, EdgeKind.PRODUCES, upstream=False)),
    )


def run_dag(snapshot: Snapshot, run_id: str) -> RunDag | None:
    """A run's steps in the order they started and the edges of its DAG; None if unknown."""
    if run_id not in snapshot.graph or snapshot.node(run_id).kind is not NodeKind.PIPELINE_RUN:
        return None
    ids = _step_ids(snapshot, run_id)
    steps = sorted(
        (step_row(snapshot, snapshot.node(s)) for s in ids),
        key=lambda s: (s.started or _FAR, s.task, s.id),
    )
    inside = set(ids)
    edges = tuple(
        sorted(
            (s, t)
            for s in ids
            for t in neighbours(snapshot, s, EdgeKind.PRECEDES, upstream=False)
            if t in inside
        )
    )
    return RunDag(run_row(snapshot, snapshot.node(run_id)), tuple(steps), edges)
