"""Health: Kiali's error thresholds on edges and nodes, and the enrichment step."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from collectors.health import DEFAULT_THRESHOLDS, HealthThresholds, apply_health, edge_health
from collectors.ids import node_id
from collectors.kinds import EdgeKind, Health, NodeKind, Protocol
from collectors.model import Edge, Node, Snapshot, SnapshotMeta, TrafficStats

NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def http(
    requests: float, *, r4xx: float = 0.0, r5xx: float = 0.0, grpc: float = 0.0
) -> TrafficStats:
    return TrafficStats(
        request_rate=requests,
        rate_4xx=r4xx,
        rate_5xx=r5xx,
        grpc_error_rate=grpc,
        error_rate=r4xx + r5xx + grpc,
    )


@pytest.mark.parametrize(
    ("server_errors", "expected"),
    [
        (0.0, Health.HEALTHY),
        (0.01, Health.DEGRADED),  # 0.01% of requests: any server error degrades
        (9.99, Health.DEGRADED),
        (10.0, Health.FAILURE),  # at the boundary
        (10.01, Health.FAILURE),
    ],
)
def test_server_error_boundaries(server_errors: float, expected: Health) -> None:
    assert edge_health(http(100.0, r5xx=server_errors)) is expected


@pytest.mark.parametrize(
    ("client_errors", "expected"),
    [
        (9.99, Health.HEALTHY),
        (10.0, Health.DEGRADED),
        (19.99, Health.DEGRADED),
        (20.0, Health.FAILURE),
    ],
)
def test_client_error_boundaries(client_errors: float, expected: Health) -> None:
    assert edge_health(http(100.0, r4xx=client_errors)) is expected


def test_grpc_errors_count_as_server_errors() -> None:
    assert edge_health(http(100.0, grpc=1.0)) is Health.DEGRADED
    assert edge_health(http(100.0, grpc=6.0, r5xx=4.0)) is Health.FAILURE


def test_the_worse_family_wins() -> None:
    # 4xx at 25% is failure even though 5xx alone (1%) is only degraded.
    assert edge_health(http(100.0, r4xx=25.0, r5xx=1.0)) is Health.FAILURE


def test_override_thresholds() -> None:
    lenient = HealthThresholds(server_error_degraded_pct=5.0, server_error_failure_pct=50.0)

    assert edge_health(http(100.0, r5xx=4.0), lenient) is Health.HEALTHY
    assert edge_health(http(100.0, r5xx=5.0), lenient) is Health.DEGRADED
    assert edge_health(http(100.0, r5xx=20.0), lenient) is Health.DEGRADED
    assert edge_health(http(100.0, r5xx=20.0)) is Health.FAILURE
    assert (
        DEFAULT_THRESHOLDS.server_error_degraded_pct,
        DEFAULT_THRESHOLDS.server_error_failure_pct,
        DEFAULT_THRESHOLDS.client_error_degraded_pct,
        DEFAULT_THRESHOLDS.client_error_failure_pct,
    ) == (0.0, 10.0, 10.0, 20.0)


def test_no_traffic_and_tcp() -> None:
    assert edge_health(None) is Health.NO_TRAFFIC
    assert edge_health(TrafficStats()) is Health.NO_TRAFFIC
    assert edge_health(TrafficStats(bytes_to_destination=10.0)) is Health.HEALTHY
    assert edge_health(TrafficStats(connection_rate=0.1)) is Health.HEALTHY


def wl(name: str) -> str:
    return node_id(NodeKind.WORKLOAD, name, "shop")


def calls(source: str, target: str, traffic: TrafficStats | None) -> Edge:
    return Edge(source, target, EdgeKind.CALLS, Protocol.HTTP, "", traffic)


def snapshot_of(nodes: list[Node], edges: list[Edge]) -> Snapshot:
    meta = SnapshotMeta(NOW, NOW, 60, 60, NOW, "test")
    snapshot = Snapshot(meta=meta)
    for node in nodes:
        snapshot.add_node(node)
    for edge in edges:
        snapshot.add_edge(edge)
    return snapshot


def workload(name: str, inbound: TrafficStats | None = None) -> Node:
    return Node(wl(name), NodeKind.WORKLOAD, name, "shop", inbound=inbound)


def test_apply_health_sets_edges_and_nodes() -> None:
    # A gateway calls frontend (failing) and cart (healthy); nothing calls the gateway.
    to_frontend, to_cart = http(10.0, r5xx=2.0), http(30.0)
    snapshot = snapshot_of(
        [
            workload("gateway"),
            workload("frontend", inbound=to_frontend),
            workload("cart", inbound=to_cart),
            workload("batch-job"),
        ],
        [
            calls(wl("gateway"), wl("frontend"), to_frontend),
            calls(wl("gateway"), wl("cart"), to_cart),
            Edge(wl("cart"), wl("batch-job"), EdgeKind.OWNS),  # not traffic: left alone
        ],
    )

    apply_health(snapshot)

    health = {node.name: node.health for node in snapshot.nodes()}
    # The gateway is judged by what it sent: 2 server errors in 40 requests is 5%.
    assert health == {
        "gateway": Health.DEGRADED,
        "frontend": Health.FAILURE,
        "cart": Health.HEALTHY,
        "batch-job": Health.NO_TRAFFIC,
    }
    by_target = {edge.target: edge.health for edge in snapshot.edges(EdgeKind.CALLS)}
    assert by_target == {wl("frontend"): Health.FAILURE, wl("cart"): Health.HEALTHY}
    owns = next(snapshot.edges(EdgeKind.OWNS))
    assert owns.health is Health.NO_TRAFFIC


def test_inbound_traffic_decides_over_outgoing() -> None:
    healthy_in, failing_out = http(10.0), http(10.0, r5xx=5.0)
    snapshot = snapshot_of(
        [workload("frontend", inbound=healthy_in), workload("cart", inbound=failing_out)],
        [calls(wl("frontend"), wl("cart"), failing_out)],
    )

    apply_health(snapshot, HealthThresholds())

    assert snapshot.node(wl("frontend")).health is Health.HEALTHY
    assert snapshot.node(wl("cart")).health is Health.FAILURE
