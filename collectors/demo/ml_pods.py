"""The pods of pipeline steps still in the cluster: a running step's, and failed steps' kept ones.

Argo's emissary layout, without a sidecar (pipeline pods opt out of injection). Every step pod
is labelled as Argo and KFP v2 label theirs and annotated with its Argo node id, so it joins its
step. The workflows' ``podGC: OnPodSuccess`` keeps a failed step's pod: phase Failed, its main
container terminated as the step's failure says, and no longer holding its GPUs.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from collectors.cluster import KubeObject
from collectors.demo.kube import Namer, condition, owner, timestamp
from collectors.demo.machines import GPU_NODE_NAMES, Placement
from collectors.demo.ml_runs import STEP_IMAGE, StepFailure
from collectors.demo.model_servers import ModelServer
from collectors.demo.names import ML
from collectors.demo.pods import PodPlan, build_pod, pod_template
from collectors.demo.spec import Workload

CONTAINER_START = timedelta(seconds=4)  # as build_pod starts containers after the pod


def _step_node(flow: KubeObject, step: str) -> dict[str, Any]:
    return next(n for n in flow["status"]["nodes"].values() if n["displayName"] == step)


def step_pod(
    flow: KubeObject,
    step: str,
    server: ModelServer,
    namer: Namer,
    placement: Placement,
    now: datetime,
    *,
    failure: StepFailure | None = None,
) -> KubeObject:
    """The pod of a workflow's step: running, or kept after ``failure`` ended it.

    A ``train`` step asks for as many GPUs of its model server's product as the server does.
    """
    name = flow["metadata"]["name"]
    node = _step_node(flow, step)
    gpus = server.gpus if step == "train" else 0
    labels = (("pipelines.kubeflow.org/v2_component", "true"),)
    spec = Workload(ML, f"{name}-{step}", server.pipeline, container="main", image=STEP_IMAGE,
                    container_ports=(), sidecar=False, gpus=gpus,
                    gpu_product=server.gpu_product if gpus else "", labels=labels,
                    annotations=(("sidecar.istio.io/inject", "false"),),
                    service_account="pipeline-runner", cpu="8", memory="64Gi",
                    args=("python", "-m", f"steps.{step}"))  # fmt: skip
    template = pod_template(spec)
    template["spec"]["restartPolicy"] = "Never"  # Argo retries steps itself, never in place
    template["metadata"]["annotations"].update(
        {
            "workflows.argoproj.io/node-id": node["id"],
            "workflows.argoproj.io/node-name": node["name"],
        }
    )
    host = GPU_NODE_NAMES.get(spec.gpu_product) or placement.place(spec)
    plan = PodPlan(
        f"{name}-{step}-{node['id'].rsplit('-', 1)[1]}",
        "",
        owner(flow),
        {
            "workflows.argoproj.io/workflow": name,
            "workflows.argoproj.io/completed": "false" if failure is None else "true",
            "pipeline/runid": flow["metadata"]["labels"]["pipeline/runid"],
        },
        host,
        placement.node_ips[host],
        datetime.fromisoformat(node["startedAt"]),
    )
    pod = build_pod(spec, template, plan, namer, now, injected=False)
    if failure is not None:
        _terminate(pod, failure, plan.started, datetime.fromisoformat(node["finishedAt"]))
    return pod


def _terminate(pod: KubeObject, failure: StepFailure, started: datetime, ended: datetime) -> None:
    """Turn a running step pod into the failed one the kubelet reports after it ended."""
    status = pod["status"]
    main = status["containerStatuses"][0]
    terminated: dict[str, Any] = {"exitCode": failure.exit_code, "reason": failure.reason}
    if failure.message:
        terminated["message"] = failure.message
    terminated |= {
        "startedAt": timestamp(started + CONTAINER_START),
        "finishedAt": timestamp(ended),
        "containerID": main["containerID"],
    }
    main.update(ready=False, started=False, state={"terminated": terminated})
    status["phase"] = "Failed"
    # The kubelet's reason for a pod that will not run again, Succeeded or Failed.
    status["conditions"] = [
        condition("Initialized", True, started + timedelta(seconds=3)),
        condition("Ready", False, ended, "PodCompleted"),
        condition("ContainersReady", False, ended, "PodCompleted"),
        condition("PodScheduled", True, started),
    ]
