"""Find, hide and focus on hand-built topology views, and on the demo's workload graph."""

from __future__ import annotations

import itertools

import pytest

from collectors.kinds import Health, NodeFlag
from collectors.model import Snapshot, TrafficStats
from dashboard.topology.expressions import parse
from dashboard.topology.filtering import (
    MAX_HOPS,
    Direction,
    filter_items,
    find,
    focus,
    hide,
)
from dashboard.topology.projection import GraphType, TopologyView, ViewEdge, ViewNode, project

K = "Kubernetes"


def _node(
    name: str,
    namespace: str = "shop",
    *,
    kind: str = "workload",
    parent: str | None = "",
    health: Health = Health.HEALTHY,
    flags: frozenset[str] = frozenset(),
    inbound: TrafficStats | None = None,
) -> ViewNode:
    node_id = f"{kind}:{K}/{namespace}/{name}"
    return ViewNode(
        id=node_id,
        kind=kind,
        label=name,
        namespace=namespace,
        app="",
        version="",
        health=health,
        flags=flags,
        inbound=inbound,
        members=(node_id,),
        parent=f"ns:{K}/{namespace}" if parent == "" else parent,
    )


def _box(box_id: str, label: str, namespace: str, children: list[ViewNode]) -> ViewNode:
    """A box summing up ``children`` the way the projection does."""
    severity = [Health.NO_TRAFFIC, Health.HEALTHY, Health.DEGRADED, Health.FAILURE]
    return ViewNode(
        id=box_id,
        kind="app" if box_id.startswith("appbox:") else "namespace",
        label=label,
        namespace=namespace,
        app=label if box_id.startswith("appbox:") else "",
        version="",
        health=max((child.health for child in children), key=severity.index),
        flags=frozenset(),
        inbound=None,
        members=tuple(sorted({member for child in children for member in child.members})),
        parent=f"ns:{K}/{namespace}" if box_id.startswith("appbox:") else None,
    )


def _edge(
    source: ViewNode,
    target: ViewNode,
    protocol: str = "http",
    *,
    traffic: TrafficStats | None = None,
    health: Health = Health.HEALTHY,
    mtls: bool | None = True,
) -> ViewEdge:
    return ViewEdge(
        id=f"{source.id}->{target.id}#{protocol}",
        source=source.id,
        target=target.id,
        protocol=protocol,
        traffic=traffic or TrafficStats(request_rate=1.0),
        health=health,
        mtls=mtls,
    )


def _view(nodes: list[ViewNode], edges: list[ViewEdge], boxes: list[ViewNode]) -> TopologyView:
    return TopologyView(
        graph_type=GraphType.WORKLOAD,
        nodes=tuple(nodes),
        edges=tuple(edges),
        boxes=tuple(boxes),
        collapsed=frozenset(),
    )


# A small storefront: ingress and an unknown caller into the frontend, which calls the cart
# (gRPC, 25% errors, slow) and an external API; the cart talks TCP to redis; legacy is dead.
INGRESS = _node("istio-ingressgateway", "istio-system", flags=frozenset({"entry_point"}))
UNKNOWN = _node("unknown", "unknown", kind="unknown", parent=None, health=Health.NO_TRAFFIC)
FRONTEND = _node("frontend", inbound=TrafficStats(request_rate=11.0, p95_ms=40.0))
CART = _node(
    "cartservice",
    health=Health.DEGRADED,
    inbound=TrafficStats(request_rate=4.0, error_rate=1.0, p95_ms=250.0),
)
REDIS = _node("redis-cart", inbound=TrafficStats(bytes_to_destination=500.0))
LEGACY = _node("legacy", health=Health.NO_TRAFFIC, flags=frozenset({NodeFlag.DEAD.value}))
# No flags of its own: "external" must come from its kind.
PAYMENTS = _node("api.payments.example.com", kind="external", health=Health.NO_TRAFFIC)

INGRESS_FRONTEND = _edge(INGRESS, FRONTEND, traffic=TrafficStats(request_rate=10.0))
UNKNOWN_FRONTEND = _edge(UNKNOWN, FRONTEND, mtls=False)
FRONTEND_CART = _edge(
    FRONTEND,
    CART,
    "grpc",
    traffic=TrafficStats(request_rate=4.0, error_rate=1.0, p95_ms=250.0),
    health=Health.DEGRADED,
)
CART_REDIS = _edge(CART, REDIS, "tcp", traffic=TrafficStats(bytes_to_destination=500.0))
FRONTEND_PAYMENTS = _edge(FRONTEND, PAYMENTS, mtls=None)

NS_SHOP = f"ns:{K}/shop"
NS_ISTIO = f"ns:{K}/istio-system"
SHOP_NODES = [FRONTEND, CART, REDIS, LEGACY, PAYMENTS]


def storefront() -> TopologyView:
    return _view(
        [INGRESS, UNKNOWN, *SHOP_NODES],
        [INGRESS_FRONTEND, UNKNOWN_FRONTEND, FRONTEND_CART, CART_REDIS, FRONTEND_PAYMENTS],
        [
            _box(NS_ISTIO, "istio-system", "istio-system", [INGRESS]),
            _box(NS_SHOP, "shop", "shop", SHOP_NODES),
        ],
    )


def _ids(items: tuple[ViewNode, ...] | tuple[ViewEdge, ...]) -> set[str]:
    return {item.id for item in items}


def _hidden(expression: str) -> TopologyView:
    return hide(storefront(), parse(expression))


# filter_items


def test_node_items_carry_inbound_numbers_touching_protocols_and_inbound_mtls() -> None:
    nodes = filter_items(storefront()).nodes

    frontend = nodes[FRONTEND.id]
    assert (frontend.name, frontend.namespace, frontend.rps) == ("frontend", "shop", 11.0)
    assert frontend.protocols == {"http", "grpc"}
    assert frontend.mtls is False  # the unknown caller talks plain text
    cart = nodes[CART.id]
    assert (cart.error_pct, cart.p95_ms, cart.health) == (25.0, 250.0, "degraded")
    assert cart.protocols == {"grpc", "tcp"}
    assert cart.mtls is True
    assert nodes[PAYMENTS.id].mtls is None  # its only inbound edge is unjudged
    assert nodes[INGRESS.id].mtls is None  # nothing calls it
    assert "external" in nodes[PAYMENTS.id].flags
    assert "unknown" in nodes[UNKNOWN.id].flags
    legacy = nodes[LEGACY.id]
    assert (legacy.rps, legacy.p95_ms, legacy.protocols) == (0.0, None, frozenset())


def test_edge_items_are_named_by_their_ends_and_sit_in_the_target_namespace() -> None:
    edges = filter_items(storefront()).edges

    call = edges[FRONTEND_CART.id]
    assert call.name == "frontend → cartservice"
    assert (call.error_pct, call.rps, call.p95_ms) == (25.0, 4.0, 250.0)
    assert (call.protocols, call.flags, call.mtls) == (frozenset({"grpc"}), frozenset(), True)
    assert edges[INGRESS_FRONTEND.id].namespace == "shop"
    assert edges[UNKNOWN_FRONTEND.id].mtls is False


# hide


def test_hide_by_name_takes_the_node_and_its_edges() -> None:
    view = _hidden("name = cartservice")

    assert _ids(view.nodes) == {
        INGRESS.id,
        UNKNOWN.id,
        FRONTEND.id,
        REDIS.id,
        LEGACY.id,
        PAYMENTS.id,
    }
    assert _ids(view.edges) == {INGRESS_FRONTEND.id, UNKNOWN_FRONTEND.id, FRONTEND_PAYMENTS.id}


@pytest.mark.parametrize(
    ("expression", "gone"),
    [
        ("dead", {LEGACY.id}),
        ("external", {PAYMENTS.id}),
        ("unknown", {UNKNOWN.id}),
        ("entry_point or dead", {INGRESS.id, LEGACY.id}),
    ],
)
def test_hide_by_flag(expression: str, gone: set[str]) -> None:
    view = _hidden(expression)

    assert _ids(storefront().nodes) - _ids(view.nodes) == gone
    assert not any(edge.source in gone or edge.target in gone for edge in view.edges)


def test_hide_by_number_takes_matching_nodes_and_edges() -> None:
    view = _hidden("error% > 10")

    assert CART.id not in _ids(view.nodes)
    assert _ids(view.edges) == {INGRESS_FRONTEND.id, UNKNOWN_FRONTEND.id, FRONTEND_PAYMENTS.id}
    # Unknown latencies never match, so nodes without traffic survive a latency filter.
    assert _ids(_hidden("p95 < 100ms").nodes) == _ids(storefront().nodes) - {FRONTEND.id}


def test_hide_by_protocol_takes_every_node_touching_it() -> None:
    view = _hidden("protocol = tcp")

    # The cart speaks gRPC too, but it touches the TCP edge to redis.
    assert _ids(storefront().nodes) - _ids(view.nodes) == {CART.id, REDIS.id}
    assert FRONTEND_CART.id not in _ids(view.edges)


def test_hide_can_take_edges_alone() -> None:
    view = _hidden('name = "frontend → cartservice"')

    assert _ids(view.nodes) == _ids(storefront().nodes)
    assert _ids(storefront().edges) - _ids(view.edges) == {FRONTEND_CART.id}
    no_edges = _hidden('name contains "→"')
    assert (no_edges.edges, _ids(no_edges.nodes)) == ((), _ids(storefront().nodes))


def test_hide_drops_emptied_boxes_and_sums_up_the_others_again() -> None:
    view = _hidden("ns = istio-system or name = cartservice")

    assert INGRESS.id not in _ids(view.nodes)
    assert [box.id for box in view.boxes] == [NS_SHOP]
    shop = view.boxes[0]
    assert shop.health is Health.HEALTHY  # the degraded cart is gone
    assert CART.id not in shop.members


# A versioned_app view: reviews v1 and v2 in an app box, the only thing in bookinfo's box;
# tools holds the curl app box and debug, which has no app and sits in the namespace box.
REVIEWS_BOX = f"appbox:{K}/bookinfo/reviews"
REVIEWS_V1 = _node("reviews-v1", "bookinfo", kind="app", parent=REVIEWS_BOX)
REVIEWS_V2 = _node("reviews-v2", "bookinfo", kind="app", parent=REVIEWS_BOX)
CURL = _node("curl", "tools", kind="app", parent=f"appbox:{K}/tools/curl")
DEBUG = _node("debug", "tools")


def versioned() -> TopologyView:
    reviews_box = _box(REVIEWS_BOX, "reviews", "bookinfo", [REVIEWS_V1, REVIEWS_V2])
    curl_box = _box(f"appbox:{K}/tools/curl", "curl", "tools", [CURL])
    return _view(
        [REVIEWS_V1, REVIEWS_V2, CURL, DEBUG],
        [_edge(CURL, REVIEWS_V1), _edge(CURL, REVIEWS_V2)],
        [
            _box(f"ns:{K}/bookinfo", "bookinfo", "bookinfo", [reviews_box]),
            reviews_box,
            _box(f"ns:{K}/tools", "tools", "tools", [curl_box, DEBUG]),
            curl_box,
        ],
    )


def test_hide_drops_an_emptied_app_box_before_judging_its_namespace_box() -> None:
    view = versioned()

    hidden = hide(view, parse("name contains reviews or name = curl"))

    assert _ids(hidden.nodes) == {DEBUG.id}
    assert [box.id for box in hidden.boxes] == [f"ns:{K}/tools"]
    assert hidden.boxes[0].members == (DEBUG.id,)
    assert [box.id for box in hide(view, parse("name = reviews-v1")).boxes] == [
        box.id for box in view.boxes
    ]


def test_hide_nothing_returns_the_view_and_never_changes_its_input() -> None:
    view = storefront()

    assert hide(view, None) is view
    hidden = hide(view, parse("ns = shop"))
    assert view == storefront()
    assert _ids(hidden.nodes) == {INGRESS.id, UNKNOWN.id}
    assert hidden.edges == ()  # every edge ends in shop


# find


def test_find_returns_matching_node_and_edge_ids_never_boxes() -> None:
    view = storefront()

    assert find(view, parse("health = degraded")) == {CART.id, FRONTEND_CART.id}
    assert find(view, parse("ns = istio-system")) == {INGRESS.id}
    in_shop = find(view, parse("ns = shop"))
    assert NS_SHOP not in in_shop
    assert in_shop == {node.id for node in SHOP_NODES} | _ids(view.edges)
    assert find(view, None) == frozenset()


# focus

# a -> b -> c -> d -> e; x calls b and c; c also calls y; b also calls z (a caller's other
# callee, which a focus on c must leave out).
CHAIN = {name: _node(name, "chain") for name in "abcdexyz"}


def _chain_edge(source: str, target: str) -> ViewEdge:
    return _edge(CHAIN[source], CHAIN[target])


CHAIN_EDGES = [_chain_edge(*pair) for pair in ("ab", "bc", "cd", "de", "xb", "xc", "cy", "bz")]


def chain() -> TopologyView:
    nodes = list(CHAIN.values())
    return _view(nodes, CHAIN_EDGES, [_box(f"ns:{K}/chain", "chain", "chain", nodes)])


def _focused(
    view: TopologyView, focus_id: str, hops: int, direction: Direction = "both"
) -> tuple[str, ...]:
    """Kept node labels, then edges as "st" pairs of labels, sorted, for short expectations."""
    result, found = focus(view, focus_id, hops, direction=direction)
    assert found
    labels = {node.id: node.label for node in result.nodes}
    edges = {labels[edge.source] + labels[edge.target] for edge in result.edges}
    return "".join(sorted(labels.values())), *sorted(edges)


def test_focus_one_hop_keeps_direct_callers_and_callees_only() -> None:
    assert _focused(chain(), CHAIN["c"].id, 1) == ("bcdxy", "bc", "cd", "cy", "xc")


def test_focus_two_hops_follows_each_direction_separately() -> None:
    # z is b's callee: b is upstream of c, so z is not on any path to or from c. x -> b is a
    # two-call path into c, so it shows now.
    assert _focused(chain(), CHAIN["c"].id, 2) == (
        "abcdexy",
        *sorted(["ab", "bc", "xb", "xc", "cd", "cy", "de"]),
    )


def test_focus_can_look_one_way() -> None:
    c = CHAIN["c"].id
    assert _focused(chain(), c, 2, "upstream") == ("abcx", "ab", "bc", "xb", "xc")
    assert _focused(chain(), c, 1, "downstream") == ("cdy", "cd", "cy")
    with pytest.raises(ValueError, match="direction"):
        focus(chain(), c, 1, direction="sideways")  # type: ignore[arg-type]


def test_focus_around_a_cycle_keeps_only_edges_on_paths_of_allowed_length() -> None:
    ring = {name: _node(name, "ring") for name in "pqr"}
    view = _view(
        list(ring.values()),
        [_edge(ring["p"], ring["q"]), _edge(ring["q"], ring["r"]), _edge(ring["r"], ring["p"])],
        [_box(f"ns:{K}/ring", "ring", "ring", list(ring.values()))],
    )

    # q -> r is two calls away from p either way round.
    assert _focused(view, ring["p"].id, 1) == ("pqr", "pq", "rp")
    assert _focused(view, ring["p"].id, 2) == ("pqr", "pq", "qr", "rp")
    assert _focused(view, ring["p"].id, MAX_HOPS) == ("pqr", "pq", "qr", "rp")


def test_focus_prunes_boxes_and_can_start_from_a_box() -> None:
    view = storefront()

    only_front, _ = focus(view, FRONTEND.id, 0)
    assert (_ids(only_front.nodes), only_front.edges) == ({FRONTEND.id}, ())
    assert [box.id for box in only_front.boxes] == [NS_SHOP]
    assert only_front.boxes[0].members == (FRONTEND.id,)

    shop, found = focus(view, NS_SHOP, 0)
    assert found
    assert _ids(shop.nodes) == {node.id for node in SHOP_NODES}
    assert _ids(shop.edges) == {FRONTEND_CART.id, CART_REDIS.id, FRONTEND_PAYMENTS.id}
    assert [box.id for box in shop.boxes] == [NS_SHOP]

    around_shop, _ = focus(view, NS_SHOP, 1, direction="upstream")
    assert _ids(around_shop.nodes) == {INGRESS.id, UNKNOWN.id} | _ids(shop.nodes)
    assert _ids(around_shop.edges) == _ids(view.edges)
    assert [box.id for box in around_shop.boxes] == [NS_ISTIO, NS_SHOP]


def test_focus_on_a_namespace_box_takes_the_nodes_of_its_app_boxes_too() -> None:
    tools, _ = focus(versioned(), f"ns:{K}/tools", 0)
    assert _ids(tools.nodes) == {CURL.id, DEBUG.id}
    assert [box.id for box in tools.boxes] == [f"ns:{K}/tools", f"appbox:{K}/tools/curl"]

    reviews, _ = focus(versioned(), REVIEWS_BOX, 1)
    assert _ids(reviews.nodes) == {REVIEWS_V1.id, REVIEWS_V2.id, CURL.id}
    assert len(reviews.edges) == 2
    # tools' box survives around curl alone; debug went, so it no longer counts in the box.
    assert _ids(reviews.boxes) == {
        f"ns:{K}/bookinfo",
        REVIEWS_BOX,
        f"ns:{K}/tools",
        f"appbox:{K}/tools/curl",
    }
    assert next(box for box in reviews.boxes if box.id == f"ns:{K}/tools").members == (CURL.id,)


@pytest.mark.parametrize(
    "focus_id",
    [
        "workload:Kubernetes/shop/nope",
        "",
        "ns:",
        FRONTEND_CART.id,  # an edge is not something to focus on
        "appbox:Kubernetes/shop/frontend",
        "<script>alert(1)</script>",
    ],
)
def test_focus_on_an_unknown_id_leaves_the_view_and_says_so(focus_id: str) -> None:
    view = storefront()

    result, found = focus(view, focus_id, 2)

    assert result is view
    assert not found


def test_focus_hops_are_clamped_to_zero_and_ten() -> None:
    line = [_node(f"n{index:02d}", "line") for index in range(15)]
    view = _view(
        line,
        [_edge(source, target) for source, target in itertools.pairwise(line)],
        [_box(f"ns:{K}/line", "line", "line", line)],
    )

    far, _ = focus(view, line[0].id, 1_000_000)
    assert [node.label for node in far.nodes] == [f"n{index:02d}" for index in range(11)]
    assert len(far.edges) == 10
    near, _ = focus(view, line[0].id, -5)
    assert ([node.label for node in near.nodes], near.edges) == (["n00"], ())


# the demo


def test_demo_hiding_istio_system_removes_its_nodes_and_their_edges(demo: Snapshot) -> None:
    view = project(demo, GraphType.WORKLOAD)
    istio = {node.id for node in view.nodes if node.namespace == "istio-system"}
    assert istio  # the gateways: the test would prove nothing without them

    hidden = hide(view, parse("ns = istio-system"))

    assert _ids(hidden.nodes) == _ids(view.nodes) - istio
    assert hidden.edges == tuple(
        edge for edge in view.edges if edge.source not in istio and edge.target not in istio
    )
    assert f"ns:{K}/istio-system" not in _ids(hidden.boxes)
    assert len(hidden.boxes) == len(view.boxes) - 1


def test_demo_focus_on_reviews_v2_shows_its_caller_and_callee(demo: Snapshot) -> None:
    view = project(demo, GraphType.WORKLOAD)
    reviews_v2 = f"workload:{K}/bookinfo/reviews-v2"
    productpage = f"workload:{K}/bookinfo/productpage-v1"
    ratings = f"workload:{K}/bookinfo/ratings-v1"

    focused, found = focus(view, reviews_v2, 1)

    assert found
    # details-v1 and reviews-v1 are productpage's other callees: not on a path through v2.
    assert _ids(focused.nodes) == {productpage, reviews_v2, ratings}
    assert {(edge.source, edge.target) for edge in focused.edges} == {
        (productpage, reviews_v2),
        (reviews_v2, ratings),
    }
    assert _ids(focused.boxes) == {f"ns:{K}/bookinfo"}
