"""KServe InferenceServices and the Kubeflow Pipelines runs (Argo Workflows) that trained them.

Each model server's ``storageUri`` is exactly the URI of the ``model`` output artifact of the
``train`` step of a succeeded run (``s3://<bucket>/<key>``), so lineage can follow a model from
the dataset its pipeline read, through the run that produced it, to the workload serving it.
Other runs did not make it that far: see :func:`ml_objects`; how a run is built is in
:mod:`collectors.demo.ml_runs`, its pods in :mod:`collectors.demo.ml_pods`.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from collectors.cluster import KubeObject
from collectors.demo.kube import Namer, condition, metadata
from collectors.demo.machines import Placement
from collectors.demo.ml_pods import step_pod
from collectors.demo.ml_runs import (
    GPU_OOM,
    HOST_OOM,
    RunPlan,
    StepFailure,
    artifact_key,
    run_id,
    workflow,
)
from collectors.demo.model_servers import MODEL_SERVERS, ModelServer
from collectors.demo.names import ARTIFACT_BUCKET, ML

SERVED_AGE_DAYS = {"recommender": 0.9, "fraud-detector": 3.0, "llm-assistant": 6.0}
"""How long ago (days, give or take 0.1) each model server's served run started."""
NIGHTLY_AGE = timedelta(minutes=52)  # the recommender's nightly run, training now


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


def ml_objects(namer: Namer, placement: Placement, now: datetime) -> list[KubeObject]:
    """Every pipeline run's Workflow, and the pods of theirs still in the cluster.

    Each model server's served run succeeded (its ``train`` step wrote the model it loads); the
    recommender's run before that succeeded too, and nobody serves its model now; the fraud
    detector's training was OOMKilled four days ago; the LLM's fine-tuning ran out of GPU memory
    two and a half hours ago; the recommender's nightly run is training now.
    """
    servers = {server.name: server for server in MODEL_SERVERS}
    recommender, fraud, llm = (servers[n] for n in ("recommender", "fraud-detector",
                                                    "llm-assistant"))  # fmt: skip
    flows: list[KubeObject] = []
    failed: list[tuple[KubeObject, ModelServer, StepFailure]] = []

    def run(plan: RunPlan) -> KubeObject:
        flows.append(workflow(plan, namer, placement))
        if plan.failure is not None:
            failed.append((flows[-1], plan.server, plan.failure))
        return flows[-1]

    # Drawn in the order the demo first had them, so these runs keep their names.
    for server in MODEL_SERVERS:
        age = SERVED_AGE_DAYS[server.name]
        run(RunPlan(server, "served", namer.age(now, age, age + 0.1)))
    run(RunPlan(fraud, "failed", namer.age(now, 4.0, 4.2), HOST_OOM))
    nightly = run(RunPlan(recommender, "nightly", now - NIGHTLY_AGE, running_at="train"))
    pods = [step_pod(nightly, "train", recommender, namer, placement, now)]
    run(RunPlan(recommender, "previous", namer.age(now, 1.9, 2.0)))
    run(RunPlan(llm, "failed", namer.age(now, 2.4 / 24, 2.6 / 24), GPU_OOM))
    for flow, server, failure in failed:
        pods.append(step_pod(flow, failure.step, server, namer, placement, now, failure=failure))
    return [*flows, *pods]
