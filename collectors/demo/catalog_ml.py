"""The ML half of the demo: feature store, model servers on GPUs, pipelines and training.

Model servers are KServe InferenceServices in raw-deployment mode, so each one is served by a
Deployment named ``<isvc>-predictor`` behind a Service of the same name (KServe's naming). The
models they serve are the output artifacts of Kubeflow Pipelines runs (Argo Workflows) stored in
the pipelines' MinIO bucket.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from collectors.demo.model_servers import MODEL_SERVERS, predictor
from collectors.demo.names import (
    ARTIFACT_BUCKET,
    GPU_OPERATOR,
    H100,
    INGRESS,
    KFP_VERSION,
    ML,
)
from collectors.demo.spec import Call, Platform, Port, Service, Workload, key


def _workload(name: str, image: str, port: int, latency_ms: float, **extra: Any) -> Workload:
    base = Workload(
        ML,
        name,
        name,
        image=image,
        container=name,
        container_ports=(port,) if port else (),
        latency_ms=latency_ms,
        service_account=name,
    )
    return replace(base, **extra)


def ml_platform() -> Platform:
    """The ``ml-platform`` namespace and the GPU operator's exporter."""
    platform = Platform(namespaces={ML: True, GPU_OPERATOR: False})
    kfp = "ghcr.io/kubeflow"
    feast = "quay.io/feastdev/feature-server:0.42.0"
    predictors = [predictor(server) for server in MODEL_SERVERS]
    workloads = [
        _workload("feature-server", feast, 6566, 2.5, replicas=2, version="0.42.0"),
        _workload("feast-registry", feast, 6570, 1.2, version="0.42.0"),
        _workload(
            "feast-redis", "redis:7.4-alpine", 6379, 0.3, kind="StatefulSet", latency_sigma=0.4
        ),
        _workload(
            "minio",
            "minio/minio:RELEASE.2024-11-07T00-52-20Z",
            9000,
            8.0,
            kind="StatefulSet",
            ok_codes=(("404", 0.02),),
        ),
        _workload(
            "ml-pipeline",
            f"{kfp}/kfp-api-server:{KFP_VERSION}",
            8888,
            8.0,
            version=KFP_VERSION,
            container="ml-pipeline-api-server",
            container_ports=(8888, 8887),
        ),
        _workload(
            "ml-pipeline-ui",
            f"{kfp}/kfp-frontend:{KFP_VERSION}",
            3000,
            12.0,
            version=KFP_VERSION,
            ok_codes=(("304", 0.15),),
        ),
        _workload(
            "ml-pipeline-persistenceagent",
            f"{kfp}/kfp-persistence-agent:{KFP_VERSION}",
            0,
            1.0,
            version=KFP_VERSION,
            entry=True,
        ),
        _workload(
            "ml-pipeline-scheduledworkflow",
            f"{kfp}/kfp-scheduled-workflow-controller:{KFP_VERSION}",
            0,
            1.0,
            version=KFP_VERSION,
            entry=True,
        ),
        _workload(
            "metadata-grpc-deployment",
            "gcr.io/tfx-oss-public/ml_metadata_store_server:1.14.0",
            8080,
            2.0,
            app="metadata-grpc",
            version="1.14.0",
            container="container",
        ),
        _workload("mysql", "mysql:8.0.39", 3306, 0.9, kind="StatefulSet", latency_sigma=0.4),
        _workload(
            "model-registry",
            "kubeflow/model-registry:v0.2.10",
            8080,
            3.0,
            version="v0.2.10",
            container="rest-container",
            container_ports=(8080, 9090),
        ),
        _workload(
            "ml-postgres",
            "postgres:16.4",
            5432,
            0.8,
            kind="StatefulSet",
            container="postgres",
            latency_sigma=0.4,
        ),
        _workload(
            "workflow-controller",
            "quay.io/argoproj/workflow-controller:v3.5.11",
            9090,
            1.0,
            version="v3.5.11",
            service_account="argo",
        ),
        _workload(
            "drift-monitor",
            "ghcr.io/example/drift-monitor:1.4.2",
            8080,
            4.0,
            version="1.4.2",
            entry=True,
        ),
        _workload(
            "recommender-finetune",
            "ghcr.io/example/recommender-trainer:2.1.0",
            0,
            1.0,
            kind="Job",
            container="trainer",
            sidecar=False,
            entry=True,
            gpus=4,
            gpu_product=H100,
            cpu="16",
            memory="128Gi",
            annotations=(("sidecar.istio.io/inject", "false"),),
            args=("--epochs=3", f"--data=s3://{ARTIFACT_BUCKET}/datasets/interactions"),
        ),
        Workload(
            GPU_OPERATOR,
            "nvidia-dcgm-exporter",
            "nvidia-dcgm-exporter",
            kind="DaemonSet",
            image="nvcr.io/nvidia/k8s/dcgm-exporter:3.3.8-3.6.0-ubuntu22.04",
            container="nvidia-dcgm-exporter",
            container_ports=(9400,),
            sidecar=False,
            service_account="nvidia-dcgm-exporter",
            gpu_product="*",
        ),
    ]
    platform.add(
        [w for w, _ in predictors] + workloads,
        [s for _, s in predictors]
        + [
            Service(ML, "feature-server", "feature-server", (Port("http", 80, 6566),)),
            Service(ML, "feast-registry", "feast-registry", (Port("grpc", 6570),)),
            Service(ML, "feast-redis", "feast-redis", (Port("tcp-redis", 6379),)),
            Service(ML, "minio-service", "minio", (Port("http", 9000),)),
            Service(ML, "ml-pipeline", "ml-pipeline", (Port("http", 8888), Port("grpc", 8887))),
            Service(ML, "ml-pipeline-ui", "ml-pipeline-ui", (Port("http", 80, 3000),)),
            Service(ML, "mysql", "mysql", (Port("tcp-mysql", 3306),)),
            Service(ML, "metadata-grpc-service", "metadata-grpc", (Port("grpc-api", 8080),)),
            Service(
                ML,
                "model-registry",
                "model-registry",
                (Port("http-api", 8080), Port("grpc-api", 9090)),
            ),
            Service(ML, "ml-postgres", "ml-postgres", (Port("tcp-postgres", 5432),)),
            Service(
                GPU_OPERATOR,
                "nvidia-dcgm-exporter",
                "nvidia-dcgm-exporter",
                (Port("gpu-metrics", 9400),),
            ),
        ],
    )

    def m(name: str) -> str:
        return key(ML, name)

    ui, api, fs = m("ml-pipeline-ui"), m("ml-pipeline"), m("feature-server")
    store = m("minio-service")
    platform.add(
        calls=[
            Call(INGRESS, ui, 80, 0.4, request_bytes=500, response_bytes=24000),
            Call(ui, api, 8888, 3.0, 1.0, 300, 4000),
            Call(ui, store, 9000, 0.5, 0.3, 300, 60000),
            Call(ui, m("model-registry"), 8080, 0.3, 0.3, 200, 1500),
            Call(m("ml-pipeline-persistenceagent"), api, 8887, 0.5, 1.0, 2000, 200),
            Call(m("ml-pipeline-scheduledworkflow"), api, 8887, 0.1, 1.0, 800, 200),
            Call(ui, m("metadata-grpc-service"), 8080, 0.5, 0.3, 200, 3000),
            Call(api, m("metadata-grpc-service"), 8080, 0.5, 0.5, 400, 300),
            Call(m("metadata-grpc-deployment"), m("mysql"), 3306, 2.0, 1.0, 250, 1500),
            Call(api, m("mysql"), 3306, 4.0, request_bytes=300, response_bytes=2000),
            Call(api, store, 9000, 0.2, 0.5, 200, 3000),
            Call(api, m("model-registry"), 8080, 0.1, 0.3, 600, 300),
            Call(
                m("model-registry"),
                m("ml-postgres"),
                5432,
                2.0,
                request_bytes=250,
                response_bytes=900,
            ),
            Call(fs, m("feast-redis"), 6379, 3.0, request_bytes=100, response_bytes=800),
            Call(fs, m("feast-registry"), 6570, 0.02, 0.1, 100, 20000),
            Call(
                m("feast-registry"),
                m("ml-postgres"),
                5432,
                1.0,
                request_bytes=200,
                response_bytes=5000,
            ),
            Call(m("fraud-detector-predictor"), fs, 80, 1.0, 0.5, 150, 700),
            Call(m("drift-monitor"), fs, 80, 0.3, 1.0, 150, 700),
            Call(m("drift-monitor"), store, 9000, 0.2, 1.0, 200, 250000),
            Call(m("drift-monitor"), m("model-registry"), 8080, 0.05, 1.0, 200, 1500),
            Call(m("recommender-finetune"), store, 9000, 3.0, 0.0, 300, 4_000_000),
        ]
    )
    return platform
