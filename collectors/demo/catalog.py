"""The storefront half of the demo: Bookinfo, the Istio control plane, and Online Boutique.

Bookinfo follows istio/istio's sample (``reviews-v1`` does not call ratings; the reviews
VirtualService sends 80% to v1 and 20% to v2, so v3 is idle).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from collectors.demo.boutique import boutique
from collectors.demo.names import (
    BOOKINFO,
    BOOKINFO_REGISTRY,
    BOOKINFO_TAG,
    BOUTIQUE,
    INGRESS,
    ISTIO,
    ISTIO_VERSION,
    PROXY_IMAGE,
)
from collectors.demo.spec import Call, Platform, Port, Service, Workload, key


def _bookinfo() -> Platform:
    platform = Platform(namespaces={BOOKINFO: True})

    def workload(app: str, version: str, latency_ms: float, **extra: Any) -> Workload:
        base = Workload(
            BOOKINFO,
            f"{app}-{version}",
            app,
            version=version,
            container=app,
            image=f"{BOOKINFO_REGISTRY}/examples-bookinfo-{app}-{version}:{BOOKINFO_TAG}",
            container_ports=(9080,),
            latency_ms=latency_ms,
            service_account=f"bookinfo-{app}",
        )
        return replace(base, **extra)

    reviews_env = (("LOG_DIR", "/tmp/logs"),)
    platform.add(
        [
            workload(
                "productpage",
                "v1",
                9.0,
                ok_codes=(("302", 0.02), ("304", 0.05)),
                annotations=(("prometheus.io/scrape", "true"), ("prometheus.io/port", "9080")),
            ),
            workload("details", "v1", 1.6),
            workload("ratings", "v1", 1.5),
            workload("reviews", "v1", 5.0, env=reviews_env),
            workload("reviews", "v2", 5.5, env=reviews_env),
            workload("reviews", "v3", 6.0, env=reviews_env),
        ],
        [
            Service(BOOKINFO, app, app, (Port("http", 9080),))
            for app in ("details", "ratings", "reviews", "productpage")
        ],
    )
    page, reviews = key(BOOKINFO, "productpage-v1"), key(BOOKINFO, "reviews")
    platform.add(
        calls=[
            Call(page, key(BOOKINFO, "details"), 9080, 1.0, 0.3, 250, 350),
            Call(page, reviews, 9080, 1.0, 0.5, 250, 900),
            Call(key(BOOKINFO, "reviews-v2"), key(BOOKINFO, "ratings"), 9080, 1.0, 0.6, 200, 120),
            Call(key(BOOKINFO, "reviews-v3"), key(BOOKINFO, "ratings"), 9080, 1.0, 0.6, 200, 120),
        ]
    )
    # virtual-service-reviews-80-20.yaml: reviews-v3 gets nothing and shows up idle.
    platform.weights[reviews] = {
        key(BOOKINFO, "reviews-v1"): 80.0,
        key(BOOKINFO, "reviews-v2"): 20.0,
    }
    return platform


def _istio() -> Platform:
    platform = Platform(namespaces={ISTIO: False})

    def gateway(name: str, istio_label: str) -> Workload:
        return Workload(
            ISTIO,
            name,
            name,
            kind="Deployment",
            image=PROXY_IMAGE,
            container="istio-proxy",
            container_ports=(15021, 8080, 8443, 15090),
            sidecar=False,
            gateway=True,
            replicas=2 if istio_label == "ingressgateway" else 1,
            latency_ms=0.5,
            labels=(("istio", istio_label),),
            service_account=f"{name}-service-account",
            args=("proxy", "router", "--domain", "$(POD_NAMESPACE).svc.cluster.local"),
        )

    istiod = Workload(
        ISTIO,
        "istiod",
        "istiod",
        image=f"docker.io/istio/pilot:{ISTIO_VERSION}",
        container="discovery",
        container_ports=(8080, 15010, 15012, 15017),
        sidecar=False,
        labels=(("istio", "pilot"),),
        service_account="istiod",
        cpu="500m",
        memory="2048Mi",
        args=("discovery", "--monitoringAddr=:15014", "--log_output_level=default:info"),
    )
    ingress = replace(gateway("istio-ingressgateway", "ingressgateway"), entry=True)
    egress = gateway("istio-egressgateway", "egressgateway")
    gateway_ports = (Port("status-port", 15021), Port("http2", 80, 8080), Port("https", 443, 8443))
    platform.add(
        [istiod, ingress, egress],
        [
            Service(
                ISTIO,
                "istiod",
                "istiod",
                (
                    Port("grpc-xds", 15010),
                    Port("https-dns", 15012),
                    Port("https-webhook", 443, 15017),
                    Port("http-monitoring", 15014),
                ),
            ),
            Service(
                ISTIO,
                "istio-ingressgateway",
                "istio-ingressgateway",
                gateway_ports,
                type="LoadBalancer",
            ),
            Service(ISTIO, "istio-egressgateway", "istio-egressgateway", gateway_ports[1:]),
        ],
    )
    platform.add(
        calls=[
            Call(
                INGRESS, key(BOUTIQUE, "frontend"), 80, 22.0, request_bytes=600, response_bytes=9000
            ),
            Call(
                INGRESS,
                key(BOOKINFO, "productpage"),
                9080,
                9.0,
                request_bytes=450,
                response_bytes=5200,
            ),
        ]
    )
    return platform


def storefront() -> Platform:
    """Online Boutique (``boutique``), Bookinfo (``bookinfo``) and ``istio-system``."""
    platform = _istio()
    platform.merge(boutique())
    platform.merge(_bookinfo())
    return platform
