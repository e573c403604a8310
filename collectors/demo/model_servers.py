"""Model servers: KServe InferenceServices, their predictor workloads, and what trains them.

Each model server is an InferenceService in raw-deployment mode, so KServe serves it from a
Deployment named ``<isvc>-predictor`` behind a Service of the same name, on GPU nodes.
"""

from __future__ import annotations

from dataclasses import dataclass

from collectors.demo.names import A100, H100, KSERVE_VERSION, L4, ML
from collectors.demo.spec import Port, Service, Workload


@dataclass(frozen=True, slots=True)
class ModelServer:
    """An InferenceService and the pipeline whose ``train`` step produced its model."""

    name: str
    model_format: str
    runtime_image: str
    gpus: int
    gpu_product: str
    latency_ms: float
    pipeline: str  # the KFP pipeline (and Argo workflow generateName) that trains it
    legacy_spec: bool = False  # ``predictor.<framework>.storageUri`` instead of ``model``

    @property
    def predictor(self) -> str:
        """The Deployment and Service KServe creates for the predictor."""
        return f"{self.name}-predictor"


MODEL_SERVERS = (
    ModelServer(
        "recommender",
        "pytorch",
        "pytorch/torchserve-kfs:0.12.0-gpu",
        1,
        A100,
        18.0,
        "recommender-training",
    ),
    ModelServer(
        "fraud-detector",
        "xgboost",
        f"kserve/xgbserver:{KSERVE_VERSION}",
        1,
        L4,
        5.0,
        "fraud-detector-training",
        legacy_spec=True,
    ),
    ModelServer(
        "llm-assistant",
        "huggingface",
        f"kserve/huggingfaceserver:{KSERVE_VERSION}-gpu",
        2,
        H100,
        380.0,
        "llm-assistant-finetune",
    ),
)


def predictor(server: ModelServer) -> tuple[Workload, Service]:
    """The predictor Deployment's workload and its Service."""
    app = f"isvc.{server.predictor}"
    workload = Workload(
        ML,
        server.predictor,
        app,
        kind="Deployment",
        image=server.runtime_image,
        container="kserve-container",
        container_ports=(8080,),
        gpus=server.gpus,
        gpu_product=server.gpu_product,
        latency_ms=server.latency_ms,
        latency_sigma=0.35,
        labels=(("serving.kserve.io/inferenceservice", server.name), ("component", "predictor")),
        annotations=(("serving.kserve.io/deploymentMode", "RawDeployment"),),
        owner=("serving.kserve.io/v1beta1", "InferenceService", server.name),
        cpu="2",
        memory="16Gi",
        args=(f"--model_name={server.name}", "--http_port=8080"),
    )
    return workload, Service(ML, server.predictor, app, (Port("http", 80, 8080),))
