"""The GPU-only objects of the demo: notebooks, a MIG-sized service and a job left waiting.

None of them takes part in the Istio traffic model; they exist so that every GPU of section 5 of
the GPU contract has a real pod behind it and one GPU job shows what waiting looks like:

- Kubeflow notebooks ``alice`` (a whole A100, idle for hours) and ``bob`` (a ``1g.5gb`` MIG
  instance) in the profile namespace ``kubeflow-user-example-com``;
- ``feature-embedder`` in ``ml-platform`` on the ``3g.20gb`` instance;
- the Job ``llm-finetune-sweep``, whose pod asks for four H100s the node no longer has: Pending,
  ``Unschedulable`` with the scheduler's own words, and its ``FailedScheduling`` Event.

They are drawn from their own generator and appended after every other object, so the rest of
the demo is the same with or without them.
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Iterable
from dataclasses import replace
from datetime import timedelta
from typing import Any

import numpy as np

from collectors.cluster import KubeObject
from collectors.demo.context import Context
from collectors.demo.deployments import deployment_objects
from collectors.demo.faults_evidence import event
from collectors.demo.gpu_fleet import gpu_requests
from collectors.demo.gpu_notebooks import NotebookSpec, ask_for_mig, notebook_objects
from collectors.demo.kube import Namer, condition, metadata, owner
from collectors.demo.names import A100, ARTIFACT_BUCKET, H100, KUBEFLOW_USER, ML
from collectors.demo.objects import job_object
from collectors.demo.spec import Workload
from collectors.demo.timeline import Timeline

ALICE_ACTIVE = timedelta(minutes=40)  # alice worked at the start of the window, then left
SWEEP_WAITING = timedelta(minutes=25)
SCHEDULER_RETRY = timedelta(minutes=5)  # how often an unschedulable pod is tried again

EMBEDDER = Workload(
    ML,
    "feature-embedder",
    "feature-embedder",
    version="0.6.1",
    image="ghcr.io/example/feature-embedder:0.6.1",
    container="feature-embedder",
    container_ports=(8080,),
    gpu_product=A100,
    service_account="feature-embedder",
    cpu="4",
    memory="16Gi",
    args=("--model=e5-large-v2", "--batch-size=64"),
)
SWEEP = Workload(
    ML,
    "llm-finetune-sweep",
    "llm-finetune-sweep",
    kind="Job",
    image="ghcr.io/example/llm-trainer:0.9.0",
    container="trainer",
    container_ports=(),
    sidecar=False,
    gpus=4,
    gpu_product=H100,
    annotations=(("sidecar.istio.io/inject", "false"),),
    service_account="pipeline-runner",
    cpu="24",
    memory="256Gi",
    args=("--sweep=lr:1e-5,3e-5,1e-4", f"--base=s3://{ARTIFACT_BUCKET}/models/llm-assistant"),
)


class FleetNamer(Namer):
    """A :class:`Namer` whose pod addresses continue after the ones already handed out."""

    def __init__(self, rng: np.random.Generator, taken: Iterable[str]) -> None:
        super().__init__(rng)
        first = ipaddress.IPv4Address("10.244.0.1")
        self._last_ip = max((ipaddress.IPv4Address(ip) for ip in taken), default=first)

    def pod_ip(self) -> str:
        """The next pod address after every address in use."""
        self._last_ip += 1
        return str(self._last_ip)


def _namespace(ctx: Context) -> KubeObject:
    labels = {
        "kubernetes.io/metadata.name": KUBEFLOW_USER,
        "app.kubernetes.io/part-of": "kubeflow-profile",
        "istio-injection": "enabled",
        "katib.kubeflow.org/metrics-collector-injection": "enabled",
        "pipelines.kubeflow.org/enabled": "true",
        "serving.kubeflow.org/inferenceservice": "enabled",
    }
    created = ctx.namer.age(ctx.now, 60, 120)
    return {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": metadata(KUBEFLOW_USER, "", ctx.namer.uid(), created, labels=labels,
                             annotations={"owner": "user@example.com"}),
        "spec": {"finalizers": ["kubernetes"]},
        "status": {"phase": "Active"},
    }  # fmt: skip


def _embedder(ctx: Context) -> list[KubeObject]:
    found = deployment_objects(EMBEDDER, ctx)
    for obj in found:
        pod_spec = obj["spec"] if obj["kind"] == "Pod" else obj["spec"]["template"]["spec"]
        ask_for_mig(pod_spec, "3g.20gb")
    return found


def unschedulable_message(items: Iterable[KubeObject], pod_spec: dict[str, Any]) -> str:
    """What the scheduler says about a pod asking for more GPUs than any matching node has."""
    objects = list(items)
    wanted = pod_spec.get("nodeSelector", {})
    asked = sum(int(c["resources"]["requests"].get("nvidia.com/gpu", 0))
                for c in pod_spec["containers"])  # fmt: skip
    used: dict[str, int] = {}
    for pod in objects:
        # The scheduler counts only pods that may still run: a failed pod's GPUs are free.
        ended = pod.get("status", {}).get("phase") in ("Succeeded", "Failed")
        request = gpu_requests(pod) if pod["kind"] == "Pod" and not ended else None
        if request is not None and request.node:
            used[request.node] = used.get(request.node, 0) + request.whole
    nodes = [n for n in objects if n["kind"] == "Node"]
    unmatched = short = 0
    for node in nodes:
        labels = node["metadata"].get("labels", {})
        if any(labels.get(k) != v for k, v in wanted.items()):
            unmatched += 1
            continue
        offered = int(node["status"]["allocatable"].get("nvidia.com/gpu", 0))
        short += offered - used.get(node["metadata"]["name"], 0) < asked
    total = len(nodes)
    reasons = [(short, "Insufficient nvidia.com/gpu"),
               (unmatched, "node(s) didn't match Pod's node affinity/selector")]  # fmt: skip
    preemption = [(short, "No preemption victims found for incoming pod"),
                  (unmatched, "Preemption is not helpful for scheduling")]  # fmt: skip

    def listed(found: list[tuple[int, str]]) -> str:
        return ", ".join(sorted(f"{count} {why}" for count, why in found if count))

    return (
        f"0/{total} nodes are available: {listed(reasons)}. preemption: 0/{total} nodes are "
        f"available: {listed(preemption)}."
    )


def _sweep(items: list[KubeObject], ctx: Context) -> list[KubeObject]:
    asked = (ctx.now - SWEEP_WAITING).replace(microsecond=0)  # the pod's creation
    created = asked - timedelta(seconds=1)
    job, template, _ = job_object(SWEEP, ctx.namer.uid(), created, ready=0, backoff_limit=0)
    spec = json.loads(json.dumps(template["spec"]))
    spec["schedulerName"] = "default-scheduler"
    message = unschedulable_message(items, spec)
    pod: KubeObject = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": metadata(
            f"{SWEEP.name}-{ctx.namer.suffix(5)}", ML, ctx.namer.uid(), asked,
            labels=template["metadata"]["labels"],
            annotations=template["metadata"].get("annotations"), owners=[owner(job)],
            generate_name=f"{SWEEP.name}-",
        ),
        "spec": spec,
        "status": {
            "phase": "Pending",
            "conditions": [condition("PodScheduled", False, asked, "Unschedulable", message)],
            "qosClass": "Burstable",
        },
    }  # fmt: skip
    retries = int((ctx.now - asked) / SCHEDULER_RETRY)
    failed = event(pod, "FailedScheduling", message, asked, namer=ctx.namer,
                   last=asked + SCHEDULER_RETRY * retries, count=1 + retries, warning=True,
                   component="default-scheduler")  # fmt: skip
    return [job, pod, failed]


def gpu_objects(
    items: list[KubeObject], ctx: Context, timeline: Timeline, rng: np.random.Generator
) -> list[KubeObject]:
    """The GPU-only objects, named and timed from ``rng``, to append after ``items``."""
    taken = [p["status"]["podIP"] for p in items if p["kind"] == "Pod" and "podIP" in p["status"]]
    ctx = replace(ctx, namer=FleetNamer(rng, taken))
    now = ctx.now
    alice = NotebookSpec(
        "alice", 1, "", ctx.namer.age(now, 1.0, 3.0), min(timeline.start + ALICE_ACTIVE, now)
    )
    bob = NotebookSpec("bob", 0, "1g.5gb", ctx.namer.age(now, 0.4, 0.9), now, "2", "8Gi")
    found = [_namespace(ctx)]
    found += notebook_objects(alice, ctx)
    found += notebook_objects(bob, ctx)
    found += _embedder(ctx)
    found += _sweep([*items, *found], ctx)
    return found
