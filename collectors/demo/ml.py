"""KServe InferenceServices and the Kubeflow Pipelines runs (Argo Workflows) that trained them.

Each model server's ``storageUri`` is exactly the URI of the ``model`` output artifact of the
``train`` step of a succeeded run (``s3://<bucket>/<key>``), so lineage can follow a model from
the run that produced it to the workload serving it. One run failed earlier and one is running
now, its training pod on a GPU node.
"""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from collectors.cluster import KubeObject
from collectors.demo.kube import Namer, condition, metadata, owner, timestamp
from collectors.demo.machines import GPU_NODE_NAMES, Placement
from collectors.demo.model_servers import MODEL_SERVERS, ModelServer
from collectors.demo.names import A100, ARTIFACT_BUCKET, ML
from collectors.demo.pods import PodPlan, build_pod, pod_template
from collectors.demo.spec import Workload

STEPS = (("ingest", "dataset", 4), ("features", "features", 9), ("train", "model", 48),
         ("evaluate", "metrics", 5), ("register-model", "", 1))  # fmt: skip
"""Pipeline steps in order: task name, output artifact, minutes it takes."""
STEP_IMAGE = "ghcr.io/example/ml-pipelines:2.1.0"
REPOSITORY = {"s3": {"bucket": ARTIFACT_BUCKET, "endpoint": f"minio-service.{ML}:9000",
                     "insecure": True}}  # fmt: skip


def run_id(pipeline: str, attempt: str) -> str:
    """The Kubeflow Pipelines run id of one run (stable, so model URIs are too)."""
    return str(
        uuid.uuid5(uuid.NAMESPACE_URL, f"https://meshlens.example/demo/{pipeline}/{attempt}")
    )


def artifact_key(pipeline: str, run: str, step: str, output: str) -> str:
    """Object key of a step's output artifact in the pipelines bucket."""
    return f"v2/artifacts/{pipeline}/{run}/{step}/{output}"


def model_uri(server: ModelServer) -> str:
    """The ``storageUri`` a model server loads: its pipeline's served run's ``train`` output."""
    key = artifact_key(server.pipeline, run_id(server.pipeline, "served"), "train", "model")
    return f"s3://{ARTIFACT_BUCKET}/{key}"


def storage_uris() -> dict[str, str]:
    """InferenceService name -> model URI."""
    return {server.name: model_uri(server) for server in MODEL_SERVERS}


def inference_service(server: ModelServer, namer: Namer, now: datetime) -> KubeObject:
    """The InferenceService of a model server (raw deployment mode)."""
    resources = {
        "requests": {"cpu": "2", "memory": "16Gi", "nvidia.com/gpu": str(server.gpus)},
        "limits": {"memory": "16Gi", "nvidia.com/gpu": str(server.gpus)},
    }
    model: dict[str, Any] = {"storageUri": model_uri(server), "protocolVersion": "v2",
                             "resources": resources}  # fmt: skip
    if server.legacy_spec:
        predictor: dict[str, Any] = {server.model_format: model}
    else:
        predictor = {"model": {"modelFormat": {"name": server.model_format}, **model}}
    predictor.update({"minReplicas": 1, "maxReplicas": 1})
    created = namer.age(now, 1.0, 3.0)
    url = f"http://{server.predictor}.{ML}.svc.cluster.local"
    return {
        "apiVersion": "serving.kserve.io/v1beta1",
        "kind": "InferenceService",
        "metadata": metadata(
            server.name, ML, namer.uid(), created, generation=1,
            annotations={"serving.kserve.io/deploymentMode": "RawDeployment"},
            labels={"pipelines.kubeflow.org/run_id": run_id(server.pipeline, "served")},
        ),
        "spec": {"predictor": predictor},
        "status": {
            "url": f"http://{server.name}.{ML}.svc.cluster.local",
            "address": {"url": url},
            "components": {"predictor": {"url": url}},
            "conditions": [condition(kind, True, created + timedelta(minutes=2))
                           for kind in ("IngressReady", "PredictorReady", "Ready")],
            "modelStatus": {"states": {"activeModelState": "Loaded",
                                       "targetModelState": "Loaded"},
                            "transitionStatus": "UpToDate",
                            "copies": {"failedCopies": 0, "totalCopies": 1}},
            "observedGeneration": 1,
        },
    }  # fmt: skip


def _artifact(name: str, pipeline: str, run: str, step: str) -> dict[str, Any]:
    return {
        "name": name,
        "s3": {"bucket": ARTIFACT_BUCKET, "key": artifact_key(pipeline, run, step, name)},
    }


def _step_nodes(
    server: ModelServer, name: str, run: str, started: datetime, namer: Namer,
    placement: Placement, fail_at: str, running_at: str,
) -> tuple[dict[str, dict[str, Any]], str, datetime]:  # fmt: skip
    """``status.nodes`` entries of the steps that ran, the run's phase and when it stopped."""
    pipeline = server.pipeline
    nodes: dict[str, dict[str, Any]] = {}
    ids = [f"{name}-{namer.integer(1_000_000_000, 4_000_000_000)}" for _ in STEPS]
    clock, phase = started, "Succeeded"
    for i, (step, output, minutes) in enumerate(STEPS):
        host = (GPU_NODE_NAMES[server.gpu_product] if step == "train"
                else placement.cpu_nodes[i % len(placement.cpu_nodes)])  # fmt: skip
        node: dict[str, Any] = {
            "id": ids[i], "name": f"{name}.{step}", "displayName": step, "type": "Pod",
            "templateName": step, "boundaryID": name, "startedAt": timestamp(clock),
            "hostNodeName": host,
        }  # fmt: skip
        # Each step reads its predecessor's output; the later ones read the model too.
        inputs = [_artifact(STEPS[j][1], pipeline, run, STEPS[j][0]) for j in range(i)
                  if STEPS[j][1] and (j == i - 1 or STEPS[j][1] == "model")]  # fmt: skip
        if inputs:
            node["inputs"] = {"artifacts": inputs}
        nodes[ids[i]] = node
        if step == running_at:
            node["phase"] = phase = "Running"
            break
        clock += timedelta(minutes=minutes)
        node["finishedAt"] = timestamp(clock)
        if step == fail_at:
            node["phase"] = phase = "Failed"
            node["message"] = "OOMKilled (exit code 137)"
            node["outputs"] = {"exitCode": "137"}
            break
        node["phase"] = "Succeeded"
        node["outputs"] = {"exitCode": "0"}
        if output:
            node["outputs"]["artifacts"] = [_artifact(output, pipeline, run, step)]
        if i + 1 < len(STEPS):
            node["children"] = [ids[i + 1]]
    return nodes, phase, clock


def _spec(pipeline: str) -> dict[str, Any]:
    tasks = [{"name": s, "template": s, **({"dependencies": [STEPS[i - 1][0]]} if i else {})}
             for i, (s, _, _) in enumerate(STEPS)]  # fmt: skip
    steps = [
        {"name": s, "container": {"image": STEP_IMAGE, "command": ["python", "-m", f"steps.{s}"]},
         **({"outputs": {"artifacts": [{"name": o, "path": f"/tmp/outputs/{o}"}]}} if o else {})}
        for s, o, _ in STEPS
    ]  # fmt: skip
    return {
        "entrypoint": pipeline,
        "serviceAccountName": "pipeline-runner",
        "arguments": {"parameters": [{"name": "pipeline-root",
                                      "value": f"s3://{ARTIFACT_BUCKET}/v2/artifacts"}]},
        "templates": [{"name": pipeline, "dag": {"tasks": tasks}}, *steps],
    }  # fmt: skip


def workflow(
    server: ModelServer,
    attempt: str,
    started: datetime,
    namer: Namer,
    placement: Placement,
    *,
    fail_at: str = "",
    running_at: str = "",
) -> KubeObject:
    """An Argo Workflow for one KFP run of a model's pipeline.

    Steps run in order; the run stops at ``fail_at`` (OOMKilled) or is still at ``running_at``.
    """
    pipeline, run = server.pipeline, run_id(server.pipeline, attempt)
    name = f"{pipeline}-{namer.suffix(5)}"
    nodes, phase, stopped = _step_nodes(server, name, run, started, namer, placement, fail_at,
                                        running_at)  # fmt: skip
    root: dict[str, Any] = {
        "id": name, "name": name, "displayName": name, "type": "DAG", "templateName": pipeline,
        "phase": phase, "startedAt": timestamp(started), "children": [next(iter(nodes))],
        "outboundNodes": [list(nodes)[-1]],
    }  # fmt: skip
    status: dict[str, Any] = {
        "phase": phase,
        "startedAt": timestamp(started),
        "progress": f"{sum(n['phase'] == 'Succeeded' for n in nodes.values())}/{len(STEPS)}",
        "nodes": {name: root, **nodes},
        "artifactRepositoryRef": {"default": True, "artifactRepository": REPOSITORY},
    }
    if phase != "Running":
        root["finishedAt"] = status["finishedAt"] = timestamp(stopped)
    if phase == "Failed":
        status["message"] = f"child '{fail_at}' failed"
    labels = {
        "pipeline/runid": run,
        "workflows.argoproj.io/phase": phase,
        "workflows.argoproj.io/completed": "false" if phase == "Running" else "true",
        "pipelines.kubeflow.org/kfp_sdk_version": "2.9.0",
    }
    annotations = {
        "pipelines.kubeflow.org/run_name": f"{pipeline} {started:%Y-%m-%d %H:%M}",
        "pipelines.kubeflow.org/kfp_sdk_version": "2.9.0",
    }
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Workflow",
        "metadata": metadata(name, ML, namer.uid(), started, labels=labels,
                             annotations=annotations, generate_name=f"{pipeline}-"),
        "spec": _spec(pipeline),
        "status": status,
    }  # fmt: skip


def step_pod(
    flow: KubeObject,
    step: str,
    server: ModelServer,
    namer: Namer,
    placement: Placement,
    now: datetime,
) -> KubeObject:
    """The pod of a workflow's running step (Argo's emissary layout, no sidecar)."""
    name = flow["metadata"]["name"]
    node_id = next(n["id"] for n in flow["status"]["nodes"].values() if n["displayName"] == step)
    gpus = 1 if step == "train" else 0
    spec = Workload(ML, f"{name}-{step}", server.pipeline, container="main", image=STEP_IMAGE,
                    container_ports=(), sidecar=False, gpus=gpus,
                    gpu_product=server.gpu_product if gpus else "",
                    annotations=(("sidecar.istio.io/inject", "false"),),
                    service_account="pipeline-runner", cpu="8", memory="64Gi")  # fmt: skip
    spec = replace(spec, args=("python", "-m", f"steps.{step}"))
    template = pod_template(spec)
    template["metadata"]["annotations"].update(
        {
            "workflows.argoproj.io/node-id": node_id,
            "workflows.argoproj.io/node-name": f"{name}.{step}",
        }
    )
    node = GPU_NODE_NAMES.get(spec.gpu_product) or placement.place(spec)
    labels = {
        "workflows.argoproj.io/workflow": name,
        "workflows.argoproj.io/completed": "false",
        "pipeline/runid": flow["metadata"]["labels"]["pipeline/runid"],
    }
    started = datetime.fromisoformat(flow["status"]["nodes"][node_id]["startedAt"])
    plan = PodPlan(
        f"{name}-{step}-{node_id.rsplit('-', 1)[1]}",
        "",
        owner(flow),
        labels,
        node,
        placement.node_ips[node],
        started,
    )
    return build_pod(spec, template, plan, namer, now, injected=False)


def ml_objects(namer: Namer, placement: Placement, now: datetime) -> list[KubeObject]:
    """Workflows (succeeded, failed, running) and the running step's pod."""
    found: list[KubeObject] = []
    servers = {server.name: server for server in MODEL_SERVERS}
    ages = {"recommender": 0.9, "fraud-detector": 3.0, "llm-assistant": 6.0}
    for server in MODEL_SERVERS:
        started = namer.age(now, ages[server.name], ages[server.name] + 0.1)
        found.append(workflow(server, "served", started, namer, placement))
    failed = namer.age(now, 4.0, 4.2)
    found.append(
        workflow(servers["fraud-detector"], "failed", failed, namer, placement, fail_at="train")
    )
    nightly = replace(servers["recommender"], gpu_product=A100)
    running = workflow(
        nightly, "nightly", now - timedelta(minutes=52), namer, placement, running_at="train"
    )
    found += [running, step_pod(running, "train", nightly, namer, placement, now)]
    return found
