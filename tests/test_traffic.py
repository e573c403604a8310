"""traffic_graph: Istio instant answers -> call edges and nodes, with Kiali's semantics."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import pytest

from collectors.ids import DEFAULT_CLUSTER, node_id
from collectors.kinds import EdgeKind, NodeFlag, NodeKind, Protocol
from collectors.model import Edge, GraphPart, Node
from collectors.prom import InstantSample, MetricsResults
from collectors.response_flags import RESPONSE_FLAGS, explain_flags
from collectors.traffic import traffic_graph

NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
NS = "shop"


def wl(name: str, namespace: str = NS, cluster: str = DEFAULT_CLUSTER) -> str:
    return node_id(NodeKind.WORKLOAD, name, namespace, cluster)


def svc(name: str, namespace: str = NS, cluster: str = DEFAULT_CLUSTER) -> str:
    return node_id(NodeKind.SERVICE, name, namespace, cluster)


UNKNOWN_ID = node_id(NodeKind.UNKNOWN, "unknown", "unknown")


def path(
    source: str = "frontend",
    dest: str = "cart-v1",
    service: str = "cart",
    *,
    protocol: str = "http",
    reporter: str = "destination",
    source_ns: str = NS,
    service_ns: str = NS,
    dest_ns: str | None = None,
    cluster: str = DEFAULT_CLUSTER,
) -> dict[str, str]:
    """Labels of one request path, as every instant query groups them."""
    dest_ns = service_ns if dest_ns is None else dest_ns
    unknown_dest = dest == "unknown"
    return {
        "reporter": reporter,
        "source_cluster": cluster if source != "unknown" else "unknown",
        "source_workload_namespace": source_ns,
        "source_workload": source,
        "source_canonical_service": source.split("-v")[0],
        "source_canonical_revision": "v1" if source != "unknown" else "unknown",
        "destination_cluster": "unknown" if unknown_dest else cluster,
        "destination_service": f"{service}.{service_ns}.svc.cluster.local",
        "destination_service_namespace": service_ns,
        "destination_service_name": service,
        "destination_workload_namespace": "unknown" if unknown_dest else dest_ns,
        "destination_workload": dest,
        "destination_canonical_service": "unknown" if unknown_dest else service,
        "destination_canonical_revision": "unknown" if unknown_dest else dest.rsplit("-", 1)[-1],
        "request_protocol": protocol,
    }


def req(
    labels: dict[str, str],
    rate: float,
    code: str = "200",
    *,
    grpc: str = "",
    flags: str = "-",
    tls: str | None = None,
) -> InstantSample:
    """An ``istio_requests_total`` sample on a path."""
    if tls is None:
        tls = "unknown" if labels["reporter"] == "source" else "mutual_tls"
    return InstantSample(
        {
            **labels,
            "response_code": code,
            "grpc_response_status": grpc,
            "response_flags": flags,
            "connection_security_policy": tls,
        },
        rate,
    )


def tcp(labels: dict[str, str], rate: float, *, tls: str = "mutual_tls") -> InstantSample:
    return InstantSample({**labels, "response_flags": "-", "connection_security_policy": tls}, rate)


def results(failed: dict[str, str] | None = None, **instant: list[InstantSample]) -> MetricsResults:
    return MetricsResults(
        evaluated_at=NOW,
        rate_window_seconds=60,
        start=NOW,
        end=NOW,
        step_seconds=60,
        instant=dict(instant),
        failed=failed or {},
    )


def only_edge(part: GraphPart) -> Edge:
    assert len(part.edges) == 1, [edge.id for edge in part.edges]
    return part.edges[0]


def node_by_id(part: GraphPart, wanted: str) -> Node:
    matches = [node for node in part.nodes if node.id == wanted]
    assert matches, f"{wanted} not in {[node.id for node in part.nodes]}"
    return matches[0]


def test_edge_connects_workloads_and_names_the_service() -> None:
    part = traffic_graph(results(requests=[req(path(), 5.0)]))

    edge = only_edge(part)
    assert (edge.source, edge.target) == (wl("frontend"), wl("cart-v1"))
    assert edge.kind is EdgeKind.CALLS
    assert edge.protocol is Protocol.HTTP
    assert edge.service == svc("cart")
    assert {node.id for node in part.nodes} == {wl("frontend"), wl("cart-v1"), svc("cart")}
    cart = node_by_id(part, wl("cart-v1"))
    assert (cart.kind, cart.app, cart.version) == (NodeKind.WORKLOAD, "cart", "v1")


def test_destination_reporter_wins_over_source_on_the_same_path() -> None:
    part = traffic_graph(
        results(
            requests=[
                req(path(reporter="source"), 12.0),
                req(path(reporter="source"), 1.0, "503"),
                req(path(reporter="destination"), 10.0),
            ]
        )
    )

    edge = only_edge(part)
    assert edge.traffic is not None
    assert edge.traffic.request_rate == 10.0
    assert edge.traffic.error_rate == 0.0
    assert edge.attrs["reporter"] == "destination"


def test_the_chosen_reporter_applies_to_latency_and_bytes_too() -> None:
    source, dest = path(reporter="source"), path(reporter="destination")
    part = traffic_graph(
        results(
            requests=[req(source, 4.0), req(dest, 4.0)],
            latency_p95=[InstantSample(source, 300.0), InstantSample(dest, 120.0)],
            request_bytes=[InstantSample(source, 999.0), InstantSample(dest, 400.0)],
        )
    )

    traffic = only_edge(part).traffic
    assert traffic is not None
    assert traffic.p95_ms == 120.0
    assert traffic.bytes_to_destination == 400.0


def test_source_only_path_to_a_service_without_workload_targets_the_service() -> None:
    unreachable = path(dest="unknown", reporter="source")
    part = traffic_graph(results(requests=[req(unreachable, 3.0, "503", flags="UH")]))

    edge = only_edge(part)
    assert edge.target == svc("cart") == edge.service
    assert edge.traffic is not None
    assert edge.traffic.rate_5xx == 3.0
    assert edge.traffic.response_flags == {"UH": 3.0}
    assert edge.traffic.mtls_ratio is None  # the source side cannot tell
    assert node_by_id(part, svc("cart")).kind is NodeKind.SERVICE
    assert edge.attrs["reporter"] == "source"


def test_source_only_path_is_kept_beside_destination_reported_paths() -> None:
    part = traffic_graph(
        results(
            requests=[
                req(path(reporter="destination"), 10.0),
                req(path(reporter="source"), 10.0),
                req(path(dest="unknown", reporter="source"), 2.0, "503", flags="UH"),
            ]
        )
    )

    rates = {edge.target: edge.traffic.request_rate for edge in part.edges if edge.traffic}
    assert rates == {wl("cart-v1"): 10.0, svc("cart"): 2.0}
    # The service was asked to carry both.
    inbound = node_by_id(part, svc("cart")).inbound
    assert inbound is not None
    assert inbound.request_rate == 12.0
    assert inbound.rate_5xx == 2.0


def test_service_entry_host_becomes_an_external_node() -> None:
    stripe = {
        **path("checkout-v1", "unknown", "api.stripe.com", reporter="source"),
        "destination_service": "api.stripe.com",
    }
    part = traffic_graph(results(requests=[req(stripe, 1.5)]))

    edge = only_edge(part)
    external = node_id(NodeKind.EXTERNAL, "api.stripe.com", NS)
    assert edge.target == external == edge.service
    node = node_by_id(part, external)
    assert node.kind is NodeKind.EXTERNAL
    assert NodeFlag.EXTERNAL in node.flags
    assert edge.traffic is not None
    assert edge.traffic.request_rate == 1.5


def test_passthrough_traffic_lands_on_one_external_node_per_cluster_name() -> None:
    def passthrough(source: str, host: str) -> dict[str, str]:
        labels = path(source, "unknown", "PassthroughCluster", reporter="source")
        labels.update(destination_service=host, destination_service_namespace="unknown")
        return labels

    part = traffic_graph(
        results(
            requests=[
                req(passthrough("frontend", "www.google.com"), 1.0),
                req(passthrough("checkout-v1", "10.0.0.9:443"), 2.0),
            ]
        )
    )

    passthrough_id = node_id(NodeKind.EXTERNAL, "PassthroughCluster", "unknown")
    assert {edge.target for edge in part.edges} == {passthrough_id}
    node = node_by_id(part, passthrough_id)
    assert node.inbound is not None
    assert node.inbound.request_rate == 3.0


def test_unknown_sources_from_any_namespace_share_one_unknown_node() -> None:
    part = traffic_graph(
        results(
            requests=[
                req(path("unknown", source_ns="unknown"), 1.0),
                req(path("", source_ns=""), 2.0),
            ]
        )
    )

    edge = only_edge(part)
    assert edge.source == UNKNOWN_ID
    assert edge.traffic is not None
    assert edge.traffic.request_rate == 3.0
    unknown = node_by_id(part, UNKNOWN_ID)
    assert unknown.kind is NodeKind.UNKNOWN
    assert NodeFlag.UNKNOWN in unknown.flags


def test_redirects_are_not_errors() -> None:
    part = traffic_graph(results(requests=[req(path(), 8.0), req(path(), 2.0, "301")]))

    traffic = only_edge(part).traffic
    assert traffic is not None
    assert traffic.error_rate == 0.0
    assert traffic.response_codes == {"200": 8.0, "301": 2.0}


def test_client_errors_server_errors_and_no_response() -> None:
    labels = path()
    part = traffic_graph(
        results(
            requests=[
                req(labels, 6.0),
                req(labels, 1.0, "404"),
                req(labels, 2.0, "503"),
                req(labels, 1.0, "0", flags="DC"),
            ]
        )
    )

    traffic = only_edge(part).traffic
    assert traffic is not None
    assert traffic.rate_4xx == 1.0
    assert traffic.rate_5xx == 3.0  # 503 and the response that never came
    assert traffic.error_rate == 4.0
    assert traffic.error_ratio == pytest.approx(0.4)


def test_grpc_status_error_on_http_200_counts_once() -> None:
    labels = path("frontend", "currency-v1", "currency", protocol="grpc")
    part = traffic_graph(
        results(
            requests=[
                req(labels, 7.0, grpc="0"),
                req(labels, 2.0, grpc="14"),
                req(labels, 1.0, "503", grpc="14"),
            ]
        )
    )

    edge = only_edge(part)
    assert edge.protocol is Protocol.GRPC
    assert edge.traffic is not None
    assert edge.traffic.grpc_error_rate == 2.0
    assert edge.traffic.rate_5xx == 1.0
    assert edge.traffic.error_rate == 3.0
    assert edge.traffic.grpc_statuses == {"0": 7.0, "14": 3.0}


def test_response_flags_are_kept_and_split() -> None:
    labels = path()
    part = traffic_graph(
        results(
            requests=[
                req(labels, 5.0),
                req(labels, 2.0, "503", flags="UF,URX"),
                req(labels, 1.0, "503", flags="UH"),
            ]
        )
    )

    traffic = only_edge(part).traffic
    assert traffic is not None
    assert traffic.response_flags == {"UF": 2.0, "UH": 1.0, "URX": 2.0}


def test_tcp_bytes_land_in_the_right_direction() -> None:
    labels = path("cart-v1", "redis-cart", "redis-cart", protocol="tcp")
    part = traffic_graph(
        results(
            tcp_received_bytes=[tcp(labels, 1000.0)],
            tcp_sent_bytes=[tcp(labels, 250.0)],
            tcp_connections_opened=[tcp(labels, 0.5)],
        )
    )

    edge = only_edge(part)
    assert edge.protocol is Protocol.TCP
    assert edge.traffic is not None
    assert edge.traffic.bytes_to_destination == 1000.0  # what the caller sent
    assert edge.traffic.bytes_to_source == 250.0  # what came back
    assert edge.traffic.throughput == 1250.0
    assert edge.traffic.connection_rate == 0.5
    assert edge.traffic.request_rate == 0.0


def test_tcp_mtls_share_is_by_bytes() -> None:
    labels = path("cart-v1", "redis-cart", "redis-cart", protocol="tcp")
    part = traffic_graph(
        results(
            tcp_received_bytes=[tcp(labels, 1000.0), tcp(labels, 250.0, tls="none")],
            tcp_sent_bytes=[tcp(labels, 250.0)],
        )
    )

    traffic = only_edge(part).traffic
    assert traffic is not None
    assert traffic.mtls_ratio == pytest.approx(1250.0 / 1500.0)


def test_edge_rate_latency_bytes_and_mtls_share() -> None:
    labels = path()
    part = traffic_graph(
        results(
            requests=[
                req(labels, 6.0),
                req(labels, 1.0, "500"),
                req(labels, 1.0, "200", tls="none"),
            ],
            latency_p50=[InstantSample(labels, 12.5)],
            latency_p95=[InstantSample(labels, 80.0)],
            latency_p99=[InstantSample(labels, math.nan)],
            request_bytes=[InstantSample(labels, 300.0)],
            response_bytes=[InstantSample(labels, 4800.0)],
        )
    )

    traffic = only_edge(part).traffic
    assert traffic is not None
    assert traffic.request_rate == 8.0
    assert traffic.error_ratio == pytest.approx(0.125)
    assert (traffic.p50_ms, traffic.p95_ms, traffic.p99_ms) == (12.5, 80.0, None)
    assert traffic.bytes_to_destination == 300.0
    assert traffic.bytes_to_source == 4800.0
    assert traffic.throughput == 5100.0
    assert traffic.mtls_ratio == pytest.approx(7.0 / 8.0)


def test_worst_percentile_wins_when_label_sets_share_an_edge() -> None:
    v1 = path()
    v2 = {**path(), "source_canonical_revision": "v2"}  # same workload, another revision label
    part = traffic_graph(results(latency_p95=[InstantSample(v1, 40.0), InstantSample(v2, 95.0)]))

    traffic = only_edge(part).traffic
    assert traffic is not None
    assert traffic.p95_ms == 95.0


def test_a_failed_query_leaves_the_rest_intact() -> None:
    http, tcp_path = path(), path("cart-v1", "redis-cart", "redis-cart", protocol="tcp")
    part = traffic_graph(
        results(
            failed={"requests": "HTTP 503 from Prometheus", "latency_p99": "timeout"},
            latency_p95=[InstantSample(http, 80.0)],
            tcp_sent_bytes=[tcp(tcp_path, 64.0)],
        )
    )

    by_protocol = {edge.protocol: edge.traffic for edge in part.edges}
    assert set(by_protocol) == {Protocol.HTTP, Protocol.TCP}
    http_traffic, tcp_traffic = by_protocol[Protocol.HTTP], by_protocol[Protocol.TCP]
    assert http_traffic is not None and tcp_traffic is not None
    assert http_traffic.p95_ms == 80.0
    assert http_traffic.request_rate == 0.0
    assert tcp_traffic.bytes_to_source == 64.0


def test_no_answers_give_an_empty_part() -> None:
    part = traffic_graph(results(failed={"requests": "down"}))

    assert part.nodes == [] and part.edges == []


def test_node_inbound_sums_incoming_edges_without_percentiles() -> None:
    part = traffic_graph(
        results(
            requests=[
                req(path("frontend"), 4.0),
                req(path("frontend"), 1.0, "503", flags="UF"),
                req(path("checkout-v1"), 2.0),
                req(path("checkout-v1"), 1.0, "404"),
            ],
            latency_p95=[InstantSample(path("frontend"), 50.0)],
        )
    )

    inbound = node_by_id(part, wl("cart-v1")).inbound
    assert inbound is not None
    assert inbound.request_rate == 8.0
    assert inbound.error_rate == 2.0
    assert inbound.response_codes == {"200": 6.0, "404": 1.0, "503": 1.0}
    assert inbound.response_flags == {"UF": 1.0}
    assert inbound.p95_ms is None
    assert node_by_id(part, wl("frontend")).inbound is None


def test_clusters_from_labels_name_the_nodes() -> None:
    part = traffic_graph(results(requests=[req(path(cluster="east"), 1.0)]))

    edge = only_edge(part)
    assert (edge.source, edge.target) == (
        wl("frontend", cluster="east"),
        wl("cart-v1", cluster="east"),
    )
    assert edge.service == svc("cart", cluster="east")


def test_every_envoy_flag_has_an_explanation() -> None:
    # The list in shared/data/README.md, from Envoy's access-log documentation.
    documented = {
        *("UH", "UF", "UO", "NR", "URX", "NC", "DT", "DC", "LH", "UT", "LR", "UR", "UC"),
        *("DI", "FI", "RL", "UAEX", "RLSE", "IH", "SI", "DPE", "UPE", "UMSDR", "OM", "DF", "DO"),
    }
    assert documented <= set(RESPONSE_FLAGS)
    assert all(RESPONSE_FLAGS[flag] for flag in documented)


def test_explain_flags_splits_and_survives_unknown_flags() -> None:
    explained = explain_flags("UF,URX,ZZ")

    assert explained[0] == f"UF: {RESPONSE_FLAGS['UF']}"
    assert explained[1] == f"URX: {RESPONSE_FLAGS['URX']}"
    assert explained[2] == "ZZ: unknown response flag"
    assert explain_flags("-") == []
    assert explain_flags("") == []
