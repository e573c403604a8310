"""Graph-type projections of the call graph, checked on a hand-made bookinfo and on the demo."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from collectors.health import HealthThresholds
from collectors.ids import node_id
from collectors.kinds import EdgeKind, Health, NodeFlag, NodeKind, Protocol
from collectors.model import Edge, Node, Snapshot, SnapshotMeta, TrafficStats
from dashboard.topology.projection import (
    GraphType,
    TopologyView,
    ViewEdge,
    ViewNode,
    merge_traffic,
    project,
    structure_key,
)

K = "Kubernetes"
INGRESS = node_id(NodeKind.WORKLOAD, "istio-ingressgateway", "istio-system")
PRODUCTPAGE = node_id(NodeKind.WORKLOAD, "productpage-v1", "bookinfo")
REVIEWS_V1 = node_id(NodeKind.WORKLOAD, "reviews-v1", "bookinfo")
REVIEWS_V2 = node_id(NodeKind.WORKLOAD, "reviews-v2", "bookinfo")
REVIEWS_V3 = node_id(NodeKind.WORKLOAD, "reviews-v3", "bookinfo")
RATINGS = node_id(NodeKind.WORKLOAD, "ratings-v1", "bookinfo")
CURL = node_id(NodeKind.WORKLOAD, "curl", "tools")
PRODUCTPAGE_SVC = node_id(NodeKind.SERVICE, "productpage", "bookinfo")
REVIEWS_SVC = node_id(NodeKind.SERVICE, "reviews", "bookinfo")
RATINGS_SVC = node_id(NodeKind.SERVICE, "ratings", "bookinfo")
LEGACY_SVC = node_id(NodeKind.SERVICE, "legacy", "bookinfo")
EXTERNAL = node_id(NodeKind.EXTERNAL, "api.example.com", "bookinfo")
UNKNOWN = node_id(NodeKind.UNKNOWN, "unknown", "unknown")


def _workload(
    node: str, app: str = "", version: str = "", *, health: Health = Health.HEALTHY
) -> Node:
    name, namespace = node.rsplit("/", 1)[1], node.split("/")[1]
    return Node(node, NodeKind.WORKLOAD, name, namespace, app=app, version=version, health=health)


def _http(rate: float, *, rate_5xx: float = 0.0, **extra: object) -> TrafficStats:
    codes = {"200": rate - rate_5xx} | ({"503": rate_5xx} if rate_5xx else {})
    stats = TrafficStats(
        request_rate=rate,
        error_rate=rate_5xx,
        rate_5xx=rate_5xx,
        mtls_ratio=1.0,
        response_codes=codes,
    )
    for name, value in extra.items():
        setattr(stats, name, value)
    return stats


def bookinfo(scale: float = 1.0, *, with_reviews_to_ratings: bool = True) -> Snapshot:
    """Bookinfo by hand: three reviews versions (v3 idle), a dead service, external, unknown.

    ``scale`` multiplies every rate: the structure stays, the numbers change.
    """
    start = datetime(2026, 1, 1, tzinfo=UTC)
    meta = SnapshotMeta(start, start + timedelta(hours=1), 15, 600, start, "hand-made")
    snap = Snapshot(meta=meta)
    ingress = _workload(INGRESS, "istio-ingressgateway", health=Health.FAILURE)
    ingress.flags.add(NodeFlag.ENTRY_POINT)
    snap.add_node(ingress)
    snap.add_node(_workload(PRODUCTPAGE, "productpage", "v1"))
    snap.add_node(_workload(REVIEWS_V1, "reviews", "v1"))
    snap.add_node(_workload(REVIEWS_V2, "reviews", "v2", health=Health.DEGRADED))
    idle = _workload(REVIEWS_V3, "reviews", "v3", health=Health.NO_TRAFFIC)
    idle.flags.add(NodeFlag.IDLE)
    snap.add_node(idle)
    snap.add_node(_workload(RATINGS, "ratings", "v1"))
    snap.add_node(_workload(CURL))  # no app label: stays a workload in every graph type
    for service in (PRODUCTPAGE_SVC, REVIEWS_SVC, RATINGS_SVC):
        snap.add_node(Node(service, NodeKind.SERVICE, service.rsplit("/", 1)[1], "bookinfo"))
    snap.add_node(Node(LEGACY_SVC, NodeKind.SERVICE, "legacy", "bookinfo", flags={NodeFlag.DEAD}))
    snap.add_node(Node(EXTERNAL, NodeKind.EXTERNAL, "api.example.com", "bookinfo"))
    snap.add_node(Node(UNKNOWN, NodeKind.UNKNOWN, "unknown", "unknown"))

    def call(
        source: str, target: str, service: str, stats: TrafficStats, protocol: Protocol
    ) -> None:
        snap.add_edge(Edge(source, target, EdgeKind.CALLS, protocol, service, stats))

    s = scale
    http = Protocol.HTTP
    call(INGRESS, PRODUCTPAGE, PRODUCTPAGE_SVC, _http(10 * s, rate_5xx=1 * s, p95_ms=100.0), http)
    call(PRODUCTPAGE, REVIEWS_V1, REVIEWS_SVC, _http(4 * s, p95_ms=50.0), http)
    call(
        PRODUCTPAGE,
        REVIEWS_V2,
        REVIEWS_SVC,
        _http(6 * s, p50_ms=20.0, p95_ms=200.0, mtls_ratio=0.5),
        http,
    )
    call(REVIEWS_V2, RATINGS, RATINGS_SVC, _http(6 * s, rate_5xx=1.2 * s), http)
    if with_reviews_to_ratings:
        call(REVIEWS_V1, RATINGS, RATINGS_SVC, _http(18 * s), http)
    tcp = TrafficStats(bytes_to_destination=100 * s, bytes_to_source=400 * s, connection_rate=s)
    call(PRODUCTPAGE, EXTERNAL, EXTERNAL, tcp, Protocol.TCP)
    unknown_to_productpage = _http(1 * s)
    unknown_to_productpage.mtls_ratio = None
    call(UNKNOWN, PRODUCTPAGE, PRODUCTPAGE_SVC, unknown_to_productpage, http)
    call(UNKNOWN, RATINGS, RATINGS_SVC, _http(3 * s, mtls_ratio=0.0), http)
    # The destination workload was not identified: telemetry drew the call to the service.
    call(CURL, PRODUCTPAGE_SVC, PRODUCTPAGE_SVC, _http(2 * s), http)
    return snap


def _nodes(view: TopologyView) -> dict[str, ViewNode]:
    return {node.id: node for node in view.nodes}


def _edges(view: TopologyView) -> dict[tuple[str, str], ViewEdge]:
    return {(edge.source, edge.target): edge for edge in view.edges}


def _boxes(view: TopologyView) -> dict[str, ViewNode]:
    return {box.id: box for box in view.boxes}


APP_INGRESS = f"app:{K}/istio-system/istio-ingressgateway"
APP_PRODUCTPAGE = f"app:{K}/bookinfo/productpage"
APP_REVIEWS = f"app:{K}/bookinfo/reviews"
APP_RATINGS = f"app:{K}/bookinfo/ratings"
NS_BOOKINFO = f"ns:{K}/bookinfo"


def test_workload_graph_draws_calls_between_workloads_and_keeps_silent_ones() -> None:
    view = project(bookinfo(), GraphType.WORKLOAD)

    assert set(_nodes(view)) == {
        INGRESS,
        PRODUCTPAGE,
        REVIEWS_V1,
        REVIEWS_V2,
        REVIEWS_V3,  # idle: known to the cluster, no calls
        RATINGS,
        CURL,
        PRODUCTPAGE_SVC,  # called directly
        LEGACY_SVC,  # dead: no workload stands for it
        EXTERNAL,
        UNKNOWN,
    }
    assert len(view.edges) == 9
    entry = _edges(view)[(INGRESS, PRODUCTPAGE)]
    assert entry.id == f"{INGRESS}->{PRODUCTPAGE}#http"
    assert entry.traffic.request_rate == 10.0
    assert entry.health is Health.FAILURE  # 10% 5xx
    assert entry.mtls is True
    assert _nodes(view)[REVIEWS_V3].flags == {"idle"}
    assert _nodes(view)[LEGACY_SVC].flags == {"dead"}
    assert _nodes(view)[PRODUCTPAGE].parent == NS_BOOKINFO
    assert _nodes(view)[UNKNOWN].parent is None
    assert set(_boxes(view)) == {NS_BOOKINFO, f"ns:{K}/istio-system", f"ns:{K}/tools"}
    assert _boxes(view)[f"ns:{K}/istio-system"].health is Health.FAILURE


def test_app_graph_merges_versions_and_their_traffic() -> None:
    view = project(bookinfo(), GraphType.APP)
    nodes = _nodes(view)

    assert set(nodes) == {
        APP_INGRESS,
        APP_PRODUCTPAGE,
        APP_REVIEWS,
        APP_RATINGS,
        CURL,
        PRODUCTPAGE_SVC,
        LEGACY_SVC,
        EXTERNAL,
        UNKNOWN,
    }
    reviews = nodes[APP_REVIEWS]
    assert reviews.members == (REVIEWS_V1, REVIEWS_V2, REVIEWS_V3)
    assert (reviews.kind, reviews.label, reviews.app) == ("app", "reviews", "reviews")
    assert reviews.health is Health.DEGRADED  # worst of healthy, degraded, no traffic
    assert reviews.flags == frozenset()  # v3 is idle, the app is not

    edges = _edges(view)
    assert len(edges) == 7
    to_reviews = edges[(APP_PRODUCTPAGE, APP_REVIEWS)]
    assert to_reviews.traffic.request_rate == 10.0
    assert to_reviews.traffic.response_codes == {"200": 10.0}
    assert to_reviews.traffic.p95_ms == 200.0  # the worst part, not a sum
    assert to_reviews.traffic.p50_ms == 20.0
    assert to_reviews.traffic.mtls_ratio == pytest.approx(0.7)  # (4 * 1.0 + 6 * 0.5) / 10
    assert to_reviews.mtls is False
    assert len(to_reviews.members) == 2
    # Judged again on the sum: 1.2 errors in 24 requests is 5%, degraded; v2's 20% alone fails.
    assert edges[(APP_REVIEWS, APP_RATINGS)].traffic.error_rate == pytest.approx(1.2)
    assert edges[(APP_REVIEWS, APP_RATINGS)].health is Health.DEGRADED
    assert edges[(CURL, PRODUCTPAGE_SVC)].traffic.request_rate == 2.0
    assert edges[(APP_PRODUCTPAGE, EXTERNAL)].protocol == "tcp"
    assert edges[(APP_PRODUCTPAGE, EXTERNAL)].health is Health.HEALTHY


def test_versioned_app_graph_boxes_versions_by_app() -> None:
    view = project(bookinfo(), GraphType.VERSIONED_APP)
    nodes, boxes = _nodes(view), _boxes(view)
    reviews_box = f"appbox:{K}/bookinfo/reviews"

    v2 = nodes[f"vapp:{K}/bookinfo/reviews/v2"]
    assert (v2.label, v2.app, v2.version, v2.parent) == ("v2", "reviews", "v2", reviews_box)
    assert nodes[f"vapp:{K}/bookinfo/reviews/v3"].flags == {"idle"}
    # No version label: an app node, still in its app's box.
    assert nodes[APP_INGRESS].parent == f"appbox:{K}/istio-system/istio-ingressgateway"
    assert len(view.edges) == 9
    v2_to_ratings = _edges(view)[(v2.id, f"vapp:{K}/bookinfo/ratings/v1")]
    assert v2_to_ratings.health is Health.FAILURE  # 20% 5xx on its own

    box = boxes[reviews_box]
    assert (box.kind, box.parent, box.health) == ("app", NS_BOOKINFO, Health.DEGRADED)
    assert box.members == (REVIEWS_V1, REVIEWS_V2, REVIEWS_V3)
    assert set(boxes) >= {NS_BOOKINFO, f"appbox:{K}/bookinfo/productpage"}
    assert boxes[NS_BOOKINFO].parent is None
    assert REVIEWS_V3 in boxes[NS_BOOKINFO].members


def test_service_graph_draws_calls_from_the_services_that_led_to_the_caller() -> None:
    view = project(bookinfo(), GraphType.SERVICE)

    assert set(_nodes(view)) == {
        APP_INGRESS,  # no service led to it: stays as its app
        PRODUCTPAGE_SVC,
        REVIEWS_SVC,
        RATINGS_SVC,
        LEGACY_SVC,
        CURL,
        EXTERNAL,
        UNKNOWN,
    }
    edges = _edges(view)
    assert set(edges) == {
        (APP_INGRESS, PRODUCTPAGE_SVC),
        (PRODUCTPAGE_SVC, REVIEWS_SVC),
        (REVIEWS_SVC, RATINGS_SVC),
        (PRODUCTPAGE_SVC, EXTERNAL),
        (UNKNOWN, PRODUCTPAGE_SVC),
        (UNKNOWN, RATINGS_SVC),
        (CURL, PRODUCTPAGE_SVC),
    }
    assert edges[(PRODUCTPAGE_SVC, REVIEWS_SVC)].traffic.request_rate == 10.0
    assert edges[(REVIEWS_SVC, RATINGS_SVC)].traffic.request_rate == 24.0


def test_service_graph_gives_each_service_of_a_caller_its_calls() -> None:
    snap = bookinfo()
    alias = node_id(NodeKind.SERVICE, "reviews-alias", "bookinfo")
    snap.add_node(Node(alias, NodeKind.SERVICE, "reviews-alias", "bookinfo"))
    snap.add_edge(Edge(PRODUCTPAGE, REVIEWS_V2, EdgeKind.CALLS, Protocol.HTTP, alias, _http(1)))

    edges = _edges(project(snap, GraphType.SERVICE))

    assert edges[(PRODUCTPAGE_SVC, alias)].traffic.request_rate == 1.0
    # reviews-v2 is behind both services: each draws its call to ratings, as Kiali does.
    assert edges[(REVIEWS_SVC, RATINGS_SVC)].traffic.request_rate == 24.0
    assert edges[(alias, RATINGS_SVC)].traffic.request_rate == 6.0


def test_namespace_filter_keeps_edges_with_either_end_inside() -> None:
    snap = bookinfo()

    gateway_only = project(snap, GraphType.WORKLOAD, namespaces=frozenset({"istio-system"}))
    tools_only = project(snap, GraphType.WORKLOAD, namespaces=frozenset({"tools"}))
    bookinfo_only = project(snap, GraphType.WORKLOAD, namespaces=frozenset({"bookinfo"}))

    assert set(_nodes(gateway_only)) == {INGRESS, PRODUCTPAGE}
    assert set(_edges(gateway_only)) == {(INGRESS, PRODUCTPAGE)}
    assert set(_nodes(tools_only)) == {CURL, PRODUCTPAGE_SVC}
    assert {REVIEWS_V3, LEGACY_SVC, INGRESS} <= set(_nodes(bookinfo_only))
    assert len(bookinfo_only.edges) == 9
    assert project(snap, GraphType.APP, namespaces=frozenset()).nodes == ()


def test_collapsing_a_namespace_draws_it_as_one_node() -> None:
    view = project(bookinfo(), GraphType.WORKLOAD, collapsed=frozenset({"bookinfo"}))
    collapsed = f"nsnode:{K}/bookinfo"
    nodes, edges = _nodes(view), _edges(view)

    assert set(nodes) == {INGRESS, CURL, UNKNOWN, collapsed}
    bookinfo_node = nodes[collapsed]
    assert (bookinfo_node.kind, bookinfo_node.label, bookinfo_node.parent) == (
        "namespace",
        "bookinfo",
        None,
    )
    assert REVIEWS_V3 in bookinfo_node.members and LEGACY_SVC in bookinfo_node.members
    assert len(bookinfo_node.members) == 8
    assert bookinfo_node.health is Health.DEGRADED
    assert bookinfo_node.flags == frozenset()  # not all of it is idle or dead
    # Calls inside the namespace are gone; the two calls from unknown merge into one.
    assert set(edges) == {(INGRESS, collapsed), (UNKNOWN, collapsed), (CURL, collapsed)}
    from_unknown = edges[(UNKNOWN, collapsed)]
    assert from_unknown.traffic.request_rate == 4.0
    assert from_unknown.traffic.mtls_ratio == 0.0  # only the part that was judged counts
    assert len(from_unknown.members) == 2
    assert bookinfo_node.inbound is not None
    assert bookinfo_node.inbound.request_rate == 16.0  # 10 + 4 + 2, what came from outside
    assert NS_BOOKINFO not in _boxes(view)
    assert view.collapsed == {"bookinfo"}


def test_thresholds_decide_edge_health() -> None:
    lenient = HealthThresholds(server_error_failure_pct=50.0)

    edges = _edges(project(bookinfo(), GraphType.WORKLOAD, thresholds=lenient))

    assert edges[(INGRESS, PRODUCTPAGE)].health is Health.DEGRADED


def test_graph_type_may_be_given_as_text() -> None:
    snap = bookinfo()

    assert project(snap, "app").nodes == project(snap, GraphType.APP).nodes  # type: ignore[arg-type]


def test_structure_key_follows_structure_not_traffic() -> None:
    base = project(bookinfo(), GraphType.APP)

    busier = project(bookinfo(scale=3.0), GraphType.APP)
    fewer = project(bookinfo(with_reviews_to_ratings=False), GraphType.APP)
    fewer_versioned = project(bookinfo(with_reviews_to_ratings=False), GraphType.VERSIONED_APP)

    assert busier.edges != base.edges
    assert structure_key(busier) == structure_key(base)
    # reviews -> ratings still runs through v2 in the app graph, not in the versioned one.
    assert structure_key(fewer) == structure_key(base)
    assert structure_key(fewer_versioned) != structure_key(
        project(bookinfo(), GraphType.VERSIONED_APP)
    )
    assert structure_key(base) != structure_key(project(bookinfo(), GraphType.WORKLOAD))
    collapsed = project(bookinfo(), GraphType.APP, collapsed=frozenset({"bookinfo"}))
    assert structure_key(collapsed) != structure_key(base)


def test_merge_traffic_sums_rates_and_keeps_the_worst_percentiles() -> None:
    fast = TrafficStats(request_rate=3.0, p99_ms=float("nan"), grpc_statuses={"0": 3.0})
    slow = TrafficStats(request_rate=1.0, p99_ms=900.0, grpc_statuses={"0": 0.5, "14": 0.5})

    merged = merge_traffic([fast, slow])

    assert merged.request_rate == 4.0
    assert merged.grpc_statuses == {"0": 3.5, "14": 0.5}
    assert merged.p99_ms == 900.0
    assert merged.p50_ms is None
    assert merged.mtls_ratio is None


def test_demo_workload_graph_shows_every_workload_with_or_without_traffic(demo: Snapshot) -> None:
    workloads = {node.id for node in demo.nodes(NodeKind.WORKLOAD)}
    calling = {end for edge in demo.edges(EdgeKind.CALLS) for end in (edge.source, edge.target)}
    # Batch jobs and istiod have no mesh traffic and no idle flag, yet belong on the map.
    quiet = {"workload:Kubernetes/istio-system/istiod"}
    assert quiet <= workloads - calling

    view = project(demo, GraphType.WORKLOAD)

    assert workloads <= set(_nodes(view))


def test_demo_app_graph_merges_the_reviews_versions(demo: Snapshot) -> None:
    reviews = _nodes(project(demo, GraphType.APP))[APP_REVIEWS]

    assert reviews.members == tuple(
        node_id(NodeKind.WORKLOAD, f"reviews-{version}", "bookinfo")
        for version in ("v1", "v2", "v3")
    )


def test_demo_collapsed_bookinfo_is_reached_from_the_ingress_gateway(demo: Snapshot) -> None:
    view = project(demo, GraphType.WORKLOAD, collapsed=frozenset({"bookinfo"}))
    collapsed = f"nsnode:{K}/bookinfo"

    assert [node.id for node in view.nodes if node.namespace == "bookinfo"] == [collapsed]
    assert (INGRESS, collapsed) in _edges(view)
