"""The idle enrichment step: which nodes without traffic get the IDLE badge."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from collectors.cluster import ClusterObjects, KubeObject
from collectors.enrich.idle import flag_idle
from collectors.ids import node_id
from collectors.inventory import inventory_graph
from collectors.kinds import EdgeKind, NodeFlag, NodeKind, Protocol, SourceState
from collectors.model import Edge, Snapshot, SnapshotMeta, SourceStatus

T0 = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


def deployment(
    name: str,
    namespace: str,
    labels: dict[str, str] | None = None,
    status: dict[str, Any] | None = None,
) -> KubeObject:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {
            "template": {"metadata": {"labels": labels or {"app": name}}},
        },
        "status": status or {"readyReplicas": 1},
    }


def service(name: str, namespace: str, app: str) -> KubeObject:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {"selector": {"app": app}},
    }


def platform() -> list[KubeObject]:
    """A meshed shop, an ingress gateway, batch work, and cluster machinery."""
    egress_pod: KubeObject = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "egress-1", "namespace": "istio-system", "labels": {"app": "egress"}},
        "spec": {"containers": [{"name": "istio-proxy"}]},
    }
    return [
        {
            "kind": "Namespace",
            "metadata": {"name": "shop", "labels": {"istio-injection": "enabled"}},
        },
        deployment("frontend", "shop"),
        deployment("cart", "shop"),
        deployment("wishlist", "shop"),
        deployment("legacy", "shop", status={"readyReplicas": 0}),
        service("cart", "shop", "cart"),
        service("wishlist", "shop", "wishlist"),
        deployment("ingress", "istio-system", {"app": "ingress", "istio": "ingressgateway"}),
        egress_pod,
        deployment("coredns", "kube-system"),
        service("kube-dns", "kube-system", "coredns"),
        {
            "apiVersion": "batch/v1",
            "kind": "CronJob",
            "metadata": {"name": "nightly", "namespace": "shop"},
            "spec": {"jobTemplate": {"spec": {"template": {"metadata": {"labels": {"app": "n"}}}}}},
        },
    ]


def snapshot(*, calls: bool, metrics_state: SourceState | None = SourceState.OK) -> Snapshot:
    sources = (
        [] if metrics_state is None else [SourceStatus("prometheus", "metrics", metrics_state)]
    )
    meta = SnapshotMeta(T0, T0, 60, 300, T0, "test", sources=sources)
    snap = Snapshot(meta=meta)
    part = inventory_graph(ClusterObjects(platform()))
    for node in part.nodes:
        snap.add_node(node)
    for edge in part.edges:
        snap.add_edge(edge)
    if calls:
        # Telemetry draws calls workload to workload; the addressed service rides on the edge.
        snap.add_edge(
            Edge(
                source=node_id(NodeKind.WORKLOAD, "frontend", "shop"),
                target=node_id(NodeKind.WORKLOAD, "cart", "shop"),
                kind=EdgeKind.CALLS,
                protocol=Protocol.HTTP,
                service=node_id(NodeKind.SERVICE, "cart", "shop"),
            )
        )
    return snap


def idle(snap: Snapshot) -> set[str]:
    return {f"{n.kind.value}/{n.name}" for n in snap.nodes() if NodeFlag.IDLE in n.flags}


def test_only_silent_meshed_workloads_and_services_are_idle() -> None:
    snap = snapshot(calls=True)
    flag_idle(snap)
    assert idle(snap) == {
        "workload/wishlist",
        "service/wishlist",
        # A meshed system workload: its proxy would have reported traffic.
        "workload/egress-1",
    }
    # Not idle: frontend (caller), cart (callee), the cart service (addressed by the call),
    # legacy (DEAD), the ingress gateway (entry point), nightly (batch), coredns and kube-dns
    # (outside the mesh in kube-system).
    assert NodeFlag.DEAD in snap.node(node_id(NodeKind.WORKLOAD, "legacy", "shop")).flags


def test_no_telemetry_means_no_idle_flags() -> None:
    for state in (None, SourceState.UNAVAILABLE):
        snap = snapshot(calls=False, metrics_state=state)
        flag_idle(snap)
        assert idle(snap) == set()


def test_a_silent_mesh_with_working_metrics_is_all_idle() -> None:
    snap = snapshot(calls=False, metrics_state=SourceState.OK)
    flag_idle(snap)
    assert idle(snap) == {
        "workload/frontend",
        "workload/cart",
        "workload/wishlist",
        "service/cart",
        "service/wishlist",
        "workload/egress-1",
    }


def test_flagging_twice_changes_nothing() -> None:
    snap = snapshot(calls=True)
    flag_idle(snap)
    first = {n.id: set(n.flags) for n in snap.nodes()}
    flag_idle(snap)
    assert {n.id: set(n.flags) for n in snap.nodes()} == first
