"""Online Boutique (GoogleCloudPlatform/microservices-demo) in the ``boutique`` namespace.

Names, ports, port names, images and the ``*_ADDR`` call structure follow the release manifests;
a few calls reach into the ML platform (recommendations, fraud checks, the shopping assistant's
LLM) and out of the mesh (the payment provider through the egress gateway, Google APIs). Rates,
latencies and how much each call matters to its caller are the demo's own.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from collectors.demo.names import (
    BOUTIQUE,
    EGRESS,
    GOOGLEAPIS_HOST,
    OB_REGISTRY,
    OB_VERSION,
    PAYMENTS_HOST,
)
from collectors.demo.spec import Call, External, Platform, Port, Service, Workload, key
from collectors.kinds import Protocol


def _boutique_service(
    name: str,
    port_name: str,
    port: int,
    latency_ms: float,
    *,
    target: int = 0,
    replicas: int = 1,
    env: tuple[tuple[str, str], ...] = (),
    **extra: Any,
) -> tuple[Workload, Service]:
    container_port = target or port
    base = Workload(
        namespace=BOUTIQUE,
        name=name,
        app=name,
        version=OB_VERSION,
        image=f"{OB_REGISTRY}/{name}:{OB_VERSION}",
        container_ports=(container_port,),
        replicas=replicas,
        latency_ms=latency_ms,
        env=(("PORT", str(container_port)), *env),
        service_account=name,
    )
    return replace(base, **extra), Service(BOUTIQUE, name, name, (Port(port_name, port, target),))


def boutique() -> Platform:
    """The Online Boutique workloads, Services, calls and external hosts."""
    platform = Platform(namespaces={BOUTIQUE: True})
    addr = {
        "PRODUCT_CATALOG_SERVICE_ADDR": "productcatalogservice:3550",
        "CURRENCY_SERVICE_ADDR": "currencyservice:7000",
        "CART_SERVICE_ADDR": "cartservice:7070",
        "RECOMMENDATION_SERVICE_ADDR": "recommendationservice:8080",
        "SHIPPING_SERVICE_ADDR": "shippingservice:50051",
        "CHECKOUT_SERVICE_ADDR": "checkoutservice:5050",
        "AD_SERVICE_ADDR": "adservice:9555",
        "SHOPPING_ASSISTANT_SERVICE_ADDR": "shoppingassistantservice:80",
        "PAYMENT_SERVICE_ADDR": "paymentservice:50051",
        "EMAIL_SERVICE_ADDR": "emailservice:5000",
    }

    def env(*names: str) -> tuple[tuple[str, str], ...]:
        return tuple((n, addr[n]) for n in names)

    parts = [
        _boutique_service(
            "frontend",
            "http",
            80,
            6.0,
            target=8080,
            replicas=3,
            ok_codes=(("302", 0.06), ("404", 0.004)),
            env=env(
                "PRODUCT_CATALOG_SERVICE_ADDR",
                "CURRENCY_SERVICE_ADDR",
                "CART_SERVICE_ADDR",
                "RECOMMENDATION_SERVICE_ADDR",
                "SHIPPING_SERVICE_ADDR",
                "CHECKOUT_SERVICE_ADDR",
                "AD_SERVICE_ADDR",
                "SHOPPING_ASSISTANT_SERVICE_ADDR",
            ),
        ),
        _boutique_service("adservice", "grpc", 9555, 2.5, memory="300Mi"),
        _boutique_service(
            "cartservice", "grpc", 7070, 2.5, replicas=2, env=(("REDIS_ADDR", "redis-cart:6379"),)
        ),
        _boutique_service(
            "checkoutservice",
            "grpc",
            5050,
            4.0,
            replicas=2,
            env=(
                *env(
                    "PRODUCT_CATALOG_SERVICE_ADDR",
                    "SHIPPING_SERVICE_ADDR",
                    "PAYMENT_SERVICE_ADDR",
                    "EMAIL_SERVICE_ADDR",
                    "CURRENCY_SERVICE_ADDR",
                    "CART_SERVICE_ADDR",
                ),
                (
                    "FRAUD_DETECTOR_URL",
                    "http://fraud-detector-predictor.ml-platform.svc.cluster.local"
                    "/v2/models/fraud-detector/infer",
                ),
            ),
        ),
        _boutique_service("currencyservice", "grpc", 7000, 0.9),
        _boutique_service("emailservice", "grpc", 5000, 1.5, target=8080),
        _boutique_service(
            "paymentservice", "grpc", 50051, 1.8, env=(("PAYMENTS_API", f"http://{PAYMENTS_HOST}"),)
        ),
        _boutique_service("productcatalogservice", "grpc", 3550, 1.2, replicas=2),
        _boutique_service(
            "recommendationservice",
            "grpc",
            8080,
            3.0,
            replicas=2,
            env=(
                *env("PRODUCT_CATALOG_SERVICE_ADDR"),
                (
                    "RECOMMENDER_URL",
                    "http://recommender-predictor.ml-platform.svc.cluster.local"
                    "/v2/models/recommender/infer",
                ),
                ("FEATURE_SERVER_URL", "http://feature-server.ml-platform.svc.cluster.local"),
            ),
        ),
        _boutique_service("shippingservice", "grpc", 50051, 1.0),
        _boutique_service(
            "shoppingassistantservice",
            "http",
            80,
            25.0,
            target=8080,
            env=(
                *env("PRODUCT_CATALOG_SERVICE_ADDR"),
                ("LLM_URL", "http://llm-assistant-predictor.ml-platform.svc.cluster.local"),
            ),
        ),
    ]
    redis = Workload(
        BOUTIQUE,
        "redis-cart",
        "redis-cart",
        version="7.4",
        kind="StatefulSet",
        image="redis:alpine",
        container="redis",
        container_ports=(6379,),
        latency_ms=0.35,
        latency_sigma=0.4,
        memory="256Mi",
    )
    loadgen = Workload(
        BOUTIQUE,
        "loadgenerator",
        "loadgenerator",
        version=OB_VERSION,
        image=f"{OB_REGISTRY}/loadgenerator:{OB_VERSION}",
        container="main",
        container_ports=(),
        sidecar=False,
        entry=True,
        service_account="loadgenerator",
        env=(("FRONTEND_ADDR", "frontend:80"), ("USERS", "10"), ("RATE", "1")),
        annotations=(("sidecar.istio.io/inject", "false"),),
        cpu="300m",
        memory="256Mi",
    )
    platform.add(
        [w for w, _ in parts] + [redis, loadgen],
        [s for _, s in parts]
        + [Service(BOUTIQUE, "redis-cart", "redis-cart", (Port("tcp-redis", 6379),))],
    )
    platform.add(
        services=[
            Service(
                BOUTIQUE,
                "frontend-external",
                "frontend",
                (Port("http", 80, 8080),),
                type="LoadBalancer",
            )
        ]
    )

    def b(name: str) -> str:
        return key(BOUTIQUE, name)

    fe, co = b("frontend"), b("checkoutservice")
    ml = "ml-platform"
    platform.add(
        calls=[
            Call(b("loadgenerator"), fe, 80, 7.0, request_bytes=500, response_bytes=9000),
            Call(fe, b("productcatalogservice"), 3550, 2.2, request_bytes=80, response_bytes=1800),
            Call(fe, b("currencyservice"), 7000, 1.6, request_bytes=60, response_bytes=120),
            Call(fe, b("cartservice"), 7070, 0.9, request_bytes=60, response_bytes=300),
            Call(fe, b("recommendationservice"), 8080, 0.6, 0.5, 90, 250),
            Call(fe, b("shippingservice"), 50051, 0.15, request_bytes=200, response_bytes=90),
            Call(fe, co, 5050, 0.05, request_bytes=400, response_bytes=600),
            Call(fe, b("adservice"), 9555, 0.7, 0.2, 60, 400),
            Call(fe, b("shoppingassistantservice"), 80, 0.02, 0.5, 900, 2500),
            Call(co, b("productcatalogservice"), 3550, 2.0, request_bytes=80, response_bytes=1800),
            Call(co, b("shippingservice"), 50051, 2.0, request_bytes=200, response_bytes=90),
            Call(co, b("paymentservice"), 50051, 1.0, request_bytes=160, response_bytes=60),
            Call(co, b("emailservice"), 5000, 1.0, 0.0, 1400, 20),
            Call(co, b("currencyservice"), 7000, 3.0, request_bytes=60, response_bytes=120),
            Call(co, b("cartservice"), 7070, 2.0, request_bytes=60, response_bytes=300),
            Call(co, key(ml, "fraud-detector-predictor"), 80, 1.0, 0.5, 700, 120),
            Call(b("recommendationservice"), b("productcatalogservice"), 3550, 1.0, 1.0, 80, 1800),
            Call(
                b("recommendationservice"), key(ml, "recommender-predictor"), 80, 1.0, 1.0, 900, 300
            ),
            Call(b("recommendationservice"), key(ml, "feature-server"), 80, 1.0, 0.5, 150, 700),
            Call(
                b("cartservice"), b("redis-cart"), 6379, 2.0, request_bytes=120, response_bytes=600
            ),
            Call(b("paymentservice"), EGRESS, 80, 1.0, request_bytes=450, response_bytes=350),
            Call(EGRESS, PAYMENTS_HOST, 443, 1.0, request_bytes=450, response_bytes=350),
            Call(
                b("shoppingassistantservice"), b("productcatalogservice"), 3550, 1.0, 1.0, 80, 1800
            ),
            Call(
                b("shoppingassistantservice"),
                key(ml, "llm-assistant-predictor"),
                80,
                1.0,
                1.0,
                2400,
                1600,
            ),
            Call(b("shoppingassistantservice"), GOOGLEAPIS_HOST, 443, 0.5, 0.0, 2000, 8000, 0.4),
        ]
    )
    platform.externals[PAYMENTS_HOST] = External(PAYMENTS_HOST, BOUTIQUE, Protocol.HTTP, 140.0)
    platform.externals[GOOGLEAPIS_HOST] = External(GOOGLEAPIS_HOST, BOUTIQUE, Protocol.TCP, 90.0)
    return platform
