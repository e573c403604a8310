"""Hand-made Kubernetes and Istio objects for the check tests, and running the checks on them.

Each builder returns the dict the API server would send, with only the fields the checks read,
so each test case shows what makes a check fire and the near miss that keeps it quiet.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from collectors.checks import run_checks
from collectors.cluster import ClusterObjects, KubeObject
from collectors.ids import node_id
from collectors.inventory import latest_objects
from collectors.kinds import EdgeKind, NodeKind, Protocol
from collectors.model import Edge, Finding, TrafficStats
from collectors.pipeline import build_snapshot

NS = "shop"
NETWORKING = "networking.istio.io/v1"
SECURITY = "security.istio.io/v1"


def _meta(name: str, namespace: str | None, labels: dict[str, str] | None = None) -> dict[str, Any]:
    found: dict[str, Any] = {"name": name}
    if namespace is not None:
        found["namespace"] = namespace
    if labels:
        found["labels"] = labels
    return found


def namespace(name: str = NS, *, mesh: bool = True) -> KubeObject:
    labels = {"istio-injection": "enabled"} if mesh else {}
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": _meta(name, None, labels)}


def deployment(
    name: str,
    namespace: str = NS,
    *,
    labels: dict[str, str] | None = None,
    replicas: int = 1,
    available: int | None = None,
    unavailable: int | None = None,
) -> KubeObject:
    """A Deployment; ``available`` None leaves the status out (a manifest as written)."""
    labels = labels or {"app": name}
    found: KubeObject = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": _meta(name, namespace),
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": labels},
            "template": {"metadata": {"labels": labels}, "spec": {"containers": [{"name": "app"}]}},
        },
    }
    if available is not None:
        status: dict[str, Any] = {"replicas": replicas, "availableReplicas": available}
        status["readyReplicas"] = available
        if unavailable is not None:
            status["unavailableReplicas"] = unavailable
        found["status"] = status
    return found


def container(
    name: str = "app",
    *,
    ready: bool = True,
    restarts: int = 0,
    waiting: str = "",
    last: str = "",
    terminated: str = "",
    image: str = "registry.example/app:1",
) -> dict[str, Any]:
    """A container status: ``waiting``/``terminated`` reasons now, ``last`` the previous run."""
    state: dict[str, Any] = {"running": {}}
    if waiting:
        state = {"waiting": {"reason": waiting, "message": f"{waiting} for {image}"}}
    if terminated:
        state = {"terminated": {"reason": terminated, "exitCode": 137}}
    found: dict[str, Any] = {
        "name": name,
        "image": image,
        "ready": ready,
        "restartCount": restarts,
        "state": state,
    }
    if last:
        found["lastState"] = {"terminated": {"reason": last, "exitCode": 137}}
    return found


def pod(
    name: str,
    namespace: str = NS,
    *,
    owner: str = "",
    labels: dict[str, str] | None = None,
    phase: str = "Running",
    ready: bool = True,
    statuses: Sequence[dict[str, Any]] = (),
    sidecar: bool = True,
    gpus: int = 0,
    memory_limit: str = "",
    scheduled: tuple[str, str] | None = None,
    reason: str = "",
    owner_kind: str = "ReplicaSet",
) -> KubeObject:
    """A pod of Deployment ``owner`` (through a ReplicaSet named like the controller's)."""
    pod_labels = dict(labels or {"app": owner or name})
    if owner and owner_kind == "ReplicaSet":
        pod_labels["pod-template-hash"] = "5d9c7b8f4"
    metadata = _meta(name, namespace, pod_labels)
    if owner:
        owned = f"{owner}-5d9c7b8f4" if owner_kind == "ReplicaSet" else owner
        metadata["ownerReferences"] = [{"kind": owner_kind, "name": owned, "controller": True}]
    resources: dict[str, Any] = {"limits": {}}
    if gpus:
        resources["limits"]["nvidia.com/gpu"] = str(gpus)
    if memory_limit:
        resources["limits"]["memory"] = memory_limit
    containers = [{"name": "app", "resources": resources}]
    if sidecar:
        containers.append({"name": "istio-proxy"})
    conditions = [{"type": "Ready", "status": "True" if ready else "False"}]
    if scheduled is not None:
        conditions.append(
            {
                "type": "PodScheduled",
                "status": "False",
                "reason": scheduled[0],
                "message": scheduled[1],
            }
        )
    status: dict[str, Any] = {
        "phase": phase,
        "conditions": conditions,
        "containerStatuses": list(statuses) or [container(ready=ready)],
    }
    if reason:
        status["reason"] = reason
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": metadata,
        "spec": {"containers": containers, "nodeName": "" if scheduled else "node-1"},
        "status": status,
    }


def service(
    name: str,
    namespace: str = NS,
    *,
    selector: dict[str, str] | None = None,
    ports: Sequence[dict[str, Any]] = ({"name": "http", "port": 80},),
) -> KubeObject:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": _meta(name, namespace),
        "spec": {
            "selector": selector if selector is not None else {"app": name},
            "ports": list(ports),
        },
    }


def machine(
    name: str = "node-1",
    *,
    conditions: dict[str, str] | None = None,
    gpus: tuple[int, int] = (0, 0),
    cordoned: bool = False,
) -> KubeObject:
    """A Node; ``gpus`` is (capacity, allocatable)."""
    found_conditions = {"Ready": "True", **(conditions or {})}
    status: dict[str, Any] = {
        "conditions": [{"type": kind, "status": value} for kind, value in found_conditions.items()],
        "capacity": {"cpu": "8"},
        "allocatable": {"cpu": "8"},
    }
    if gpus[0]:
        status["capacity"]["nvidia.com/gpu"] = str(gpus[0])
        status["allocatable"]["nvidia.com/gpu"] = str(gpus[1])
    spec: dict[str, Any] = {}
    if cordoned:
        spec = {"unschedulable": True, "taints": [{"key": "node.kubernetes.io/unschedulable"}]}
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": _meta(name, None),
        "spec": spec,
        "status": status,
    }


def autoscaler(
    name: str,
    namespace: str = NS,
    *,
    maximum: int = 5,
    current: int = 2,
    desired: int = 2,
    conditions: Sequence[dict[str, str]] = (),
) -> KubeObject:
    return {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": _meta(name, namespace),
        "spec": {"scaleTargetRef": {"kind": "Deployment", "name": name}, "maxReplicas": maximum},
        "status": {
            "currentReplicas": current,
            "desiredReplicas": desired,
            "conditions": list(conditions),
        },
    }


def virtual_service(
    name: str,
    namespace: str = NS,
    *,
    hosts: Sequence[str] = (),
    http: Sequence[dict[str, Any]] = (),
    gateways: Sequence[str] = (),
) -> KubeObject:
    spec: dict[str, Any] = {"hosts": list(hosts) or [name], "http": list(http)}
    if gateways:
        spec["gateways"] = list(gateways)
    return {
        "apiVersion": NETWORKING,
        "kind": "VirtualService",
        "metadata": _meta(name, namespace),
        "spec": spec,
    }


def route(host: str, subset: str = "", weight: int | None = None) -> dict[str, Any]:
    destination: dict[str, Any] = {"host": host}
    if subset:
        destination["subset"] = subset
    found: dict[str, Any] = {"destination": destination}
    if weight is not None:
        found["weight"] = weight
    return found


def destination_rule(
    name: str,
    namespace: str = NS,
    *,
    host: str = "",
    subsets: dict[str, dict[str, str]] | None = None,
    tls: str = "",
) -> KubeObject:
    spec: dict[str, Any] = {"host": host or name}
    if subsets:
        spec["subsets"] = [{"name": key, "labels": labels} for key, labels in subsets.items()]
    if tls:
        spec["trafficPolicy"] = {"tls": {"mode": tls}}
    return {
        "apiVersion": NETWORKING,
        "kind": "DestinationRule",
        "metadata": _meta(name, namespace),
        "spec": spec,
    }


def gateway(name: str, namespace: str = NS, *, selector: dict[str, str]) -> KubeObject:
    spec = {"selector": selector, "servers": [{"port": {"number": 80}, "hosts": ["*"]}]}
    return {
        "apiVersion": NETWORKING,
        "kind": "Gateway",
        "metadata": _meta(name, namespace),
        "spec": spec,
    }


def policy(
    kind: str, name: str, namespace: str = NS, *, selector: dict[str, str] | None, mode: str = ""
) -> KubeObject:
    """A PeerAuthentication (``mode``), AuthorizationPolicy or Sidecar selecting by labels."""
    spec: dict[str, Any] = {}
    if selector is not None:
        if kind == "Sidecar":
            spec["workloadSelector"] = {"labels": selector}
        else:
            spec["selector"] = {"matchLabels": selector}
    if mode:
        spec["mtls"] = {"mode": mode}
    api = NETWORKING if kind == "Sidecar" else SECURITY
    return {"apiVersion": api, "kind": kind, "metadata": _meta(name, namespace), "spec": spec}


def call(source: str, target: str, *, mtls: float | None = 1.0, namespace: str = NS) -> Edge:
    """A call edge between two workloads of the snapshot, carrying 10 rps."""
    return Edge(
        node_id(NodeKind.WORKLOAD, source, namespace),
        node_id(NodeKind.WORKLOAD, target, namespace),
        EdgeKind.CALLS,
        protocol=Protocol.HTTP,
        traffic=TrafficStats(request_rate=10.0, mtls_ratio=mtls),
    )


def findings(items: Iterable[KubeObject], *, calls: Sequence[Edge] = ()) -> list[Finding]:
    """Every finding on ``items`` built into a snapshot, with ``calls`` added as telemetry."""
    objects = ClusterObjects(list(items))
    now = datetime(2026, 11, 24, 12, tzinfo=UTC)
    snapshot = build_snapshot(
        objects=objects, metrics=None, sources=[], generator="test", window=(now, now, 15, 600)
    )
    if not calls:
        return snapshot.findings
    for edge in calls:
        snapshot.add_edge(edge)
    return run_checks(latest_objects(objects.items), snapshot)
