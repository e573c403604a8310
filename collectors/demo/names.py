"""Names the demo's parts share: namespaces, images, hosts and the Istio gateways."""

from __future__ import annotations

from collectors.demo.spec import key

BOUTIQUE = "boutique"
BOOKINFO = "bookinfo"
ISTIO = "istio-system"
ISTIO_VERSION = "1.24.2"
PROXY_IMAGE = f"docker.io/istio/proxyv2:{ISTIO_VERSION}"
OB_VERSION = "v0.10.6"
OB_REGISTRY = "us-central1-docker.pkg.dev/online-boutique-ci/microservices-demo"
BOOKINFO_REGISTRY = "registry.istio.io/release"
BOOKINFO_TAG = "1.20.3"

PAYMENTS_HOST = "api.payments.example.com"
GOOGLEAPIS_HOST = "*.googleapis.com"
INGRESS = key(ISTIO, "istio-ingressgateway")
EGRESS = key(ISTIO, "istio-egressgateway")

ML = "ml-platform"
GPU_OPERATOR = "gpu-operator"
ARTIFACT_BUCKET = "mlpipeline"
KFP_VERSION = "2.3.0"
KSERVE_VERSION = "v0.14.0"
KUBEFLOW_USER = "kubeflow-user-example-com"  # a Kubeflow profile's namespace, for notebooks

H100 = "NVIDIA-H100-80GB-HBM3"
A100 = "NVIDIA-A100-SXM4-40GB"
L4 = "NVIDIA-L4"
DATALAKE_BUCKET = "datalake"  # the platform's raw events, catalogs and corpora
PAYMENTS_BUCKET = "payments-exports"  # the payments team's exports, on Google Cloud Storage
