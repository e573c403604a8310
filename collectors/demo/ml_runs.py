"""Kubeflow Pipelines runs as the Argo Workflows they compile to: steps, artifacts, outcomes.

Every run of a model's pipeline has the steps ingest -> features -> train -> evaluate ->
register-model, each a ``Pod`` entry of ``status.nodes`` whose ``children`` is the next one.
``ingest`` (and the recommender's ``features``) read datasets no step writes; every other input
is an output of an earlier step in the pipelines bucket. A run stops at the step that failed,
with Argo's message for it, or is still at its running step. ``spec.podGC`` is
``OnPodSuccess``: the pods of steps that succeeded are gone, a failed step's pod is kept.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from collectors.cluster import KubeObject
from collectors.demo.kube import Namer, metadata, timestamp
from collectors.demo.machines import GPU_NODE_NAMES, Placement
from collectors.demo.model_servers import ModelServer
from collectors.demo.names import ARTIFACT_BUCKET, DATALAKE_BUCKET, ML, PAYMENTS_BUCKET

STEPS = (("ingest", "dataset", 4), ("features", "features", 9), ("train", "model", 48),
         ("evaluate", "metrics", 5), ("register-model", "", 1))  # fmt: skip
"""Pipeline steps in order: task name, output artifact, minutes it takes."""
STEP_IMAGE = "ghcr.io/example/ml-pipelines:2.1.0"
KFP_SDK_VERSION = "2.9.0"
REPOSITORY = {"s3": {"bucket": ARTIFACT_BUCKET, "endpoint": f"minio-service.{ML}:9000",
                     "insecure": True}}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Dataset:
    """A dataset a step reads from outside the pipeline (no step of any run writes it)."""

    step: str
    name: str  # the input artifact's name in the step
    location: str  # Argo's artifact location kind: ``s3`` or ``gcs``
    bucket: str
    key: str  # ``{day}``: the last whole day before the run; ``{month}``: the run's month

    def artifact(self, started: datetime) -> dict[str, Any]:
        """The Argo input artifact a run started at ``started`` reads."""
        day = (started - timedelta(days=1)).strftime("%Y-%m-%d")
        key = self.key.format(day=day, month=started.strftime("%Y-%m"))
        return {"name": self.name, self.location: {"bucket": self.bucket, "key": key}}


DATASETS = {
    "recommender-training": (
        Dataset("ingest", "clickstream", "s3", DATALAKE_BUCKET, "events/clickstream/dt={day}"),
        Dataset("features", "product-catalog", "s3", DATALAKE_BUCKET, "catalog/products"),
    ),
    "fraud-detector-training": (
        Dataset("ingest", "transactions", "gcs", PAYMENTS_BUCKET, "transactions/month={month}"),
    ),
    "llm-assistant-finetune": (
        Dataset("ingest", "support-tickets", "s3", DATALAKE_BUCKET, "support/tickets-corpus/v3"),
    ),
}
"""Pipeline -> the datasets its steps read from outside it."""


@dataclass(frozen=True, slots=True)
class StepFailure:
    """How a run's failing step ended: its main container's termination."""

    step: str
    reason: str  # the container's terminated reason: OOMKilled, Error
    exit_code: int
    minutes: float  # how long the step ran before it failed
    message: str = ""  # what the container wrote as its termination message

    @property
    def node_message(self) -> str:
        """The step's message as Argo's controller words it from the container's termination."""
        said = f"{self.reason} (exit code {self.exit_code})"
        return f"{said}: {self.message}" if self.message else said


CUDA_OOM = (
    "torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 4.00 GiB. GPU 0 has a total "
    "capacity of 79.19 GiB of which 1.56 GiB is free. Including non-PyTorch memory, this process "
    "has 77.62 GiB memory in use. Of the allocated memory 74.89 GiB is allocated by PyTorch, and "
    "2.11 GiB is reserved by PyTorch but unallocated. If reserved but unallocated memory is large "
    "try setting PYTORCH_CUDA_ALLOC_CONF=expandable_segments:True to avoid fragmentation.  See "
    "documentation for Memory Management  "
    "(https://pytorch.org/docs/stable/notes/cuda.html#environment-variables)"
)
"""PyTorch's words for an H100 (80 GB HBM3) whose memory the fine-tuning filled."""
HOST_OOM = StepFailure("train", "OOMKilled", 137, 26.0)
"""The kernel killed the step for going over its memory limit: no message of its own."""
GPU_OOM = StepFailure("train", "Error", 1, 7.0, CUDA_OOM)
"""The training script ran out of GPU memory and wrote the exception as its last words."""


@dataclass(frozen=True, slots=True)
class RunPlan:
    """One run of a model's pipeline: when it started and how far it got."""

    server: ModelServer
    attempt: str  # names the run id: "served" is the run whose model the server loads
    started: datetime
    failure: StepFailure | None = None
    running_at: str = ""  # the step still running at the end


def run_id(pipeline: str, attempt: str) -> str:
    """The Kubeflow Pipelines run id of one run (stable, so model URIs are too)."""
    return str(
        uuid.uuid5(uuid.NAMESPACE_URL, f"https://meshlens.example/demo/{pipeline}/{attempt}")
    )


def artifact_key(pipeline: str, run: str, step: str, output: str) -> str:
    """Object key of a step's output artifact in the pipelines bucket."""
    return f"v2/artifacts/{pipeline}/{run}/{step}/{output}"


def _artifact(name: str, pipeline: str, run: str, step: str) -> dict[str, Any]:
    return {
        "name": name,
        "s3": {"bucket": ARTIFACT_BUCKET, "key": artifact_key(pipeline, run, step, name)},
    }


def _upstream(index: int) -> list[int]:
    """Steps whose output step ``index`` reads: its predecessor's, and the model after ``train``."""
    return [j for j in range(index) if STEPS[j][1] and (j == index - 1 or STEPS[j][1] == "model")]


def _inputs(plan: RunPlan, run: str, index: int) -> list[dict[str, Any]]:
    """The input artifacts step ``index`` of a run read, where they were."""
    pipeline, step = plan.server.pipeline, STEPS[index][0]
    found = [_artifact(STEPS[j][1], pipeline, run, STEPS[j][0]) for j in _upstream(index)]
    found += [d.artifact(plan.started) for d in DATASETS.get(pipeline, ()) if d.step == step]
    return found


def _step_nodes(
    plan: RunPlan, name: str, run: str, namer: Namer, placement: Placement
) -> tuple[dict[str, dict[str, Any]], str, datetime]:
    """``status.nodes`` entries of the steps that ran, the run's phase and when it stopped."""
    pipeline, server = plan.server.pipeline, plan.server
    nodes: dict[str, dict[str, Any]] = {}
    ids = [f"{name}-{namer.integer(1_000_000_000, 4_000_000_000)}" for _ in STEPS]
    clock, phase = plan.started, "Succeeded"
    for i, (step, output, minutes) in enumerate(STEPS):
        host = (GPU_NODE_NAMES[server.gpu_product] if step == "train"
                else placement.cpu_nodes[i % len(placement.cpu_nodes)])  # fmt: skip
        node: dict[str, Any] = {
            "id": ids[i], "name": f"{name}.{step}", "displayName": step, "type": "Pod",
            "templateName": step, "boundaryID": name, "startedAt": timestamp(clock),
            "hostNodeName": host, "progress": "0/1",
        }  # fmt: skip
        inputs = _inputs(plan, run, i)
        if inputs:
            node["inputs"] = {"artifacts": inputs}
        nodes[ids[i]] = node
        if step == plan.running_at:
            node["phase"] = phase = "Running"
            break
        failure = plan.failure if plan.failure and plan.failure.step == step else None
        clock += timedelta(minutes=failure.minutes if failure else minutes)
        node["finishedAt"] = timestamp(clock)
        if failure:
            node["phase"] = phase = "Failed"
            node["message"] = failure.node_message
            node["outputs"] = {"exitCode": str(failure.exit_code)}
            break
        node.update(phase="Succeeded", progress="1/1", outputs={"exitCode": "0"})
        if output:
            node["outputs"]["artifacts"] = [_artifact(output, pipeline, run, step)]
        if i + 1 < len(STEPS):
            node["children"] = [ids[i + 1]]
    return nodes, phase, clock


def _spec(pipeline: str) -> dict[str, Any]:
    tasks = [{"name": s, "template": s, **({"dependencies": [STEPS[i - 1][0]]} if i else {})}
             for i, (s, _, _) in enumerate(STEPS)]  # fmt: skip
    steps = []
    for i, (step, output, _) in enumerate(STEPS):
        template: dict[str, Any] = {"name": step, "container": {
            "image": STEP_IMAGE, "command": ["python", "-m", f"steps.{step}"]}}  # fmt: skip
        # Where inputs come from is resolved per run; the template says where they land.
        names = [STEPS[j][1] for j in _upstream(i)]
        names += [d.name for d in DATASETS.get(pipeline, ()) if d.step == step]
        if names:
            template["inputs"] = {"artifacts": [{"name": n, "path": f"/tmp/inputs/{n}"}
                                                for n in names]}  # fmt: skip
        if output:
            template["outputs"] = {"artifacts": [{"name": output,
                                                  "path": f"/tmp/outputs/{output}"}]}  # fmt: skip
        steps.append(template)
    return {
        "entrypoint": pipeline,
        "serviceAccountName": "pipeline-runner",
        "arguments": {"parameters": [{"name": "pipeline-root",
                                      "value": f"s3://{ARTIFACT_BUCKET}/v2/artifacts"}]},
        # Pods of failed steps stay, for their logs and termination messages.
        "podGC": {"strategy": "OnPodSuccess"},
        "templates": [{"name": pipeline, "dag": {"tasks": tasks}}, *steps],
    }  # fmt: skip


def _conditions(phase: str) -> list[dict[str, str]]:
    if phase == "Running":
        return [{"type": "PodRunning", "status": "True"}]
    return [{"type": "PodRunning", "status": "False"}, {"type": "Completed", "status": "True"}]


def workflow(plan: RunPlan, namer: Namer, placement: Placement) -> KubeObject:
    """The Argo Workflow of one KFP run, with its node map as the controller leaves it."""
    pipeline, started = plan.server.pipeline, plan.started
    run = run_id(pipeline, plan.attempt)
    name = f"{pipeline}-{namer.suffix(5)}"
    nodes, phase, stopped = _step_nodes(plan, name, run, namer, placement)
    # Argo's progress: succeeded pods of the pods created so far.
    progress = f"{sum(n['phase'] == 'Succeeded' for n in nodes.values())}/{len(nodes)}"
    root: dict[str, Any] = {
        "id": name, "name": name, "displayName": name, "type": "DAG", "templateName": pipeline,
        "phase": phase, "startedAt": timestamp(started), "progress": progress,
        "children": [next(iter(nodes))],
    }  # fmt: skip
    status: dict[str, Any] = {
        "phase": phase,
        "startedAt": timestamp(started),
        "progress": progress,
        "nodes": {name: root, **nodes},
        "conditions": _conditions(phase),
        "artifactRepositoryRef": {"default": True, "artifactRepository": REPOSITORY},
    }
    if phase != "Running":
        root["finishedAt"] = status["finishedAt"] = timestamp(stopped)
    if phase == "Succeeded":
        root["outboundNodes"] = [list(nodes)[-1]]
    if phase == "Failed":
        failed = next(key for key, node in nodes.items() if node["phase"] == "Failed")
        root["message"] = status["message"] = f"child '{failed}' failed"
    labels = {
        "pipeline/runid": run,
        "workflows.argoproj.io/phase": phase,
        "workflows.argoproj.io/completed": "false" if phase == "Running" else "true",
        "pipelines.kubeflow.org/kfp_sdk_version": KFP_SDK_VERSION,
    }
    annotations = {
        "pipelines.kubeflow.org/run_name": f"{pipeline} {started:%Y-%m-%d %H:%M}",
        "pipelines.kubeflow.org/kfp_sdk_version": KFP_SDK_VERSION,
    }
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Workflow",
        "metadata": metadata(name, ML, namer.uid(), started, labels=labels,
                             annotations=annotations, generate_name=f"{pipeline}-"),
        "spec": _spec(pipeline),
        "status": status,
    }  # fmt: skip
