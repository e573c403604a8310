"""Synthetic tenants: more namespaces of layered services, to scale the demo for benchmarks.

Each tenant is a small product: a web tier entered through the shared ingress gateway, API and
domain services below it (HTTP and gRPC), and data stores at the bottom (TCP). Calls only go
down the layers, so the call graph stays acyclic. Everything is drawn from the generator, so a
seed always gives the same tenants.
"""

from __future__ import annotations

import numpy as np

from collectors.demo.names import INGRESS
from collectors.demo.spec import Call, Platform, Port, Service, Workload, key

TENANT_SIZE = 20
SERVICE_NAMES = (
    "accounts", "auth", "billing", "catalog", "checkout", "coupons", "delivery", "documents",
    "events", "export", "feeds", "fx", "geo", "identity", "invoices", "ledger", "loyalty",
    "media", "notifications", "orders", "payments", "pricing", "profiles", "quotes", "ranking",
    "reports", "returns", "reviews", "scheduler", "search", "sessions", "shipping", "stock",
    "tax", "tickets", "uploads", "users", "vouchers", "wallet", "webhooks",
)  # fmt: skip
DATA_STORES = (
    ("postgres", "postgres:16.4", "tcp-postgres", 5432, 1.2),
    ("redis", "redis:7.4-alpine", "tcp-redis", 6379, 0.3),
    ("mongodb", "mongo:7.0.14", "tcp-mongo", 27017, 1.5),
    ("kafka", "bitnami/kafka:3.8.1", "tcp-kafka", 9092, 2.0),
    ("mysql", "mysql:8.0.39", "tcp-mysql", 3306, 0.9),
)


def _service_workload(
    namespace: str,
    name: str,
    version: str,
    port: Port,
    rng: np.random.Generator,
    *,
    error_rate: float,
) -> Workload:
    return Workload(
        namespace,
        f"{name}-{version}" if version != "v1" else name,
        name,
        version=version,
        image=f"registry.example.com/{namespace}/{name}:{version}.{int(rng.integers(0, 20))}",
        container_ports=(port.target_port,),
        replicas=int(rng.integers(1, 4)),
        latency_ms=float(rng.uniform(0.8, 25.0)),
        latency_sigma=float(rng.uniform(0.35, 0.7)),
        error_rate=error_rate,
        service_account=name,
    )


def tenant(index: int, size: int, rng: np.random.Generator) -> Platform:
    """One tenant namespace of exactly ``size`` (at least 4) workloads."""
    namespace = f"tenant-{index:03d}"
    platform = Platform(namespaces={namespace: True})
    stores = max(1, size // 6)
    rest = size - stores - 1  # besides the web tier
    canaries = int(rest >= 6 and rng.random() < 0.5)
    count = rest - canaries
    names = [
        str(n)
        for n in rng.choice(SERVICE_NAMES, size=min(count, len(SERVICE_NAMES)), replace=False)
    ]
    names += [f"svc-{i}" for i in range(len(names), count)]
    split = max(1, count // 3)
    tiers = [t for t in (["web"], names[:split], names[split:]) if t]
    canaried = set(names[split : split + canaries])
    workloads: list[Workload] = []
    for depth, tier in enumerate(tiers):
        for name in tier:
            grpc = depth > 0 and bool(rng.random() < 0.5)
            port = Port("grpc", 9090) if grpc else Port("http", 80, 8080)
            error = float(rng.uniform(0.0005, 0.005)) if rng.random() < 0.15 else 0.0
            workloads.append(_service_workload(namespace, name, "v1", port, rng, error_rate=error))
            if name in canaried:
                workloads.append(
                    _service_workload(namespace, name, "v2", port, rng, error_rate=error)
                )
                platform.weights[key(namespace, name)] = {
                    key(namespace, name): 90.0,
                    key(namespace, f"{name}-v2"): 10.0,
                }
            platform.services[key(namespace, name)] = Service(namespace, name, name, (port,))
    counts: dict[int, int] = {}
    stored: list[str] = []
    for pick in rng.choice(len(DATA_STORES), size=stores):
        kind, image, port_name, number, latency = DATA_STORES[int(pick)]
        counts[int(pick)] = counts.get(int(pick), 0) + 1
        name = kind if counts[int(pick)] == 1 else f"{kind}-{counts[int(pick)]}"
        stored.append(name)
        workloads.append(
            Workload(
                namespace,
                name,
                name,
                kind="StatefulSet",
                image=image,
                container=kind,
                container_ports=(number,),
                latency_ms=latency,
                latency_sigma=0.4,
                service_account=name,
            )
        )
        platform.services[key(namespace, name)] = Service(
            namespace, name, name, (Port(port_name, number),)
        )
    platform.add(workloads)
    _wire(platform, namespace, tiers, stored, rng)
    return platform


def _wire(
    platform: Platform,
    namespace: str,
    tiers: list[list[str]],
    stores: list[str],
    rng: np.random.Generator,
) -> None:
    """Calls: ingress to web, each service to a few below it, every lower service called."""
    service = platform.services
    platform.calls.append(
        Call(
            INGRESS,
            key(namespace, "web"),
            80,
            float(rng.uniform(1.0, 15.0)),
            request_bytes=500,
            response_bytes=float(rng.uniform(2e3, 2e4)),
        )
    )
    levels = [*tiers, stores]
    for depth in range(1, len(levels)):
        below = levels[depth]
        above = [name for level in levels[:depth] for name in level]
        for i, name in enumerate(below):
            callers = {levels[depth - 1][i % len(levels[depth - 1])]}
            extra = rng.choice(above, size=min(len(above), int(rng.integers(0, 2))), replace=False)
            callers |= set(extra)
            for caller in sorted(callers):
                target = service[key(namespace, name)]
                port = target.ports[0].port
                tcp = depth == len(levels) - 1
                per_request = float(rng.uniform(1.0, 4.0) if tcp else rng.uniform(0.3, 1.5))
                for workload in platform.backends(key(namespace, caller)):
                    platform.calls.append(Call(
                        workload[0].key, target.key, port, per_request,
                        criticality=float(rng.uniform(0.2, 1.0)),
                        request_bytes=float(rng.uniform(100, 800)),
                        response_bytes=float(rng.uniform(200, 6000)),
                    ))  # fmt: skip


def add_tenants(platform: Platform, workloads: int, rng: np.random.Generator) -> None:
    """Add tenants until the platform has at least ``workloads`` workloads."""
    index = 1
    while len(platform.workloads) < workloads:
        missing = workloads - len(platform.workloads)
        size = TENANT_SIZE if missing >= TENANT_SIZE + 4 else max(4, missing)
        platform.merge(tenant(index, size, rng))
        index += 1
