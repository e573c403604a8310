"""Cytoscape elements and stylesheet of the topology view, on hand-made views and the demo."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from collectors.kinds import Health, NodeFlag, SourceState
from collectors.model import Snapshot, SourceStatus, TrafficStats
from collectors.sources.manifests import load_manifests
from collectors.sources.objects import objects_snapshot
from dashboard.figures.topology import (
    HEALTH_COLOURS,
    EdgeLabel,
    edge_label_text,
    node_badges,
    topology_elements,
    topology_stylesheet,
)
from dashboard.topology.details import findings_by_node
from dashboard.topology.layout import compute_layout
from dashboard.topology.projection import GraphType, TopologyView, ViewEdge, ViewNode, project

NS_BOX = "ns:Kubernetes/bookinfo"
REVIEWS_BOX = "appbox:Kubernetes/bookinfo/reviews"
PRODUCTPAGE = "workload:Kubernetes/bookinfo/productpage-v1"
REVIEWS_V1 = "vapp:Kubernetes/bookinfo/reviews/v1"
RATINGS = "service:Kubernetes/bookinfo/ratings"
DATABASE = "external:Kubernetes/bookinfo/db.example.com"
UNKNOWN = "unknown:Kubernetes/unknown/unknown"
HOSTILE_NAME = "x\"'><script>alert(1)</script> ünï 名前"
HOSTILE = f"workload:Kubernetes/bookinfo/{HOSTILE_NAME}"

HTTP = TrafficStats(request_rate=12.34, error_rate=0.5553, rate_5xx=0.5553, p95_ms=230.4)
GRPC = TrafficStats(request_rate=3.0, p95_ms=None)
TCP = TrafficStats(bytes_to_destination=800.0, bytes_to_source=400.0)


def _node(
    node_id: str,
    kind: str,
    label: str,
    parent: str | None,
    *,
    health: Health = Health.HEALTHY,
    flags: frozenset[str] = frozenset(),
    inbound: TrafficStats | None = None,
) -> ViewNode:
    return ViewNode(
        id=node_id,
        kind=kind,
        label=label,
        namespace="bookinfo",
        app="",
        version="",
        health=health,
        flags=flags,
        inbound=inbound,
        members=(node_id,),
        parent=parent,
    )


def _edge(
    source: str,
    target: str,
    protocol: str,
    traffic: TrafficStats,
    *,
    health: Health = Health.HEALTHY,
    mtls: bool | None = None,
) -> ViewEdge:
    return ViewEdge(
        f"{source}->{target}#{protocol}", source, target, protocol, traffic, health, mtls
    )


VIEW = TopologyView(
    graph_type=GraphType.VERSIONED_APP,
    nodes=(
        _node(PRODUCTPAGE, "workload", "productpage-v1", NS_BOX, inbound=GRPC),
        _node(
            REVIEWS_V1,
            "app",
            "v1",
            REVIEWS_BOX,
            health=Health.DEGRADED,
            flags=frozenset({NodeFlag.MISSING_SIDECAR.value, NodeFlag.RESTARTING.value}),
            inbound=HTTP,
        ),
        _node(RATINGS, "service", "ratings", NS_BOX, health=Health.FAILURE),
        _node(DATABASE, "external", "db.example.com", NS_BOX, inbound=TCP),
        _node(UNKNOWN, "unknown", "unknown", None, health=Health.NO_TRAFFIC),
        _node(
            HOSTILE,
            "workload",
            HOSTILE_NAME,
            NS_BOX,
            health=Health.NO_TRAFFIC,
            flags=frozenset({NodeFlag.DEAD.value}),
        ),
    ),
    edges=(
        _edge(PRODUCTPAGE, REVIEWS_V1, "http", HTTP, health=Health.DEGRADED, mtls=True),
        _edge(REVIEWS_V1, RATINGS, "grpc", GRPC, mtls=False),
        _edge(RATINGS, DATABASE, "tcp", TCP, mtls=None),
        _edge(UNKNOWN, PRODUCTPAGE, "http", TrafficStats(), health=Health.NO_TRAFFIC),
    ),
    boxes=(
        _node(REVIEWS_BOX, "app", "reviews", NS_BOX, health=Health.DEGRADED),
        _node(NS_BOX, "namespace", "bookinfo", None, health=Health.FAILURE),
    ),
    collapsed=frozenset(),
)
POSITIONS = {PRODUCTPAGE: (0.0, 10.0), REVIEWS_V1: (160.0, -40.5), NS_BOX: (1.0, 1.0)}


def _by_id(elements: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {element["data"]["id"]: element for element in elements}


def _classes(element: dict[str, Any]) -> set[str]:
    return set(element["classes"].split())


def test_elements_hold_every_box_node_and_edge_under_their_view_ids() -> None:
    elements = topology_elements(VIEW, POSITIONS)

    groups = [element["group"] for element in elements]
    assert groups.count("nodes") == 8  # 2 boxes + 6 nodes
    assert groups.count("edges") == 4
    view_ids = {node.id for node in (*VIEW.nodes, *VIEW.boxes)} | {edge.id for edge in VIEW.edges}
    assert set(_by_id(elements)) == view_ids
    assert len(elements) == len(view_ids)


def test_boxes_nest_namespace_then_app_then_version() -> None:
    elements = _by_id(topology_elements(VIEW, POSITIONS))

    assert "parent" not in elements[NS_BOX]["data"]
    assert elements[REVIEWS_BOX]["data"]["parent"] == NS_BOX
    assert elements[REVIEWS_V1]["data"]["parent"] == REVIEWS_BOX
    assert elements[PRODUCTPAGE]["data"]["parent"] == NS_BOX
    assert "parent" not in elements[UNKNOWN]["data"]
    assert {"box", "namespace"} <= _classes(elements[NS_BOX])
    assert {"box", "app"} <= _classes(elements[REVIEWS_BOX])
    assert "box" not in _classes(elements[REVIEWS_V1])


def test_positions_go_to_laid_out_leaf_nodes_only() -> None:
    elements = _by_id(topology_elements(VIEW, POSITIONS))

    assert elements[PRODUCTPAGE]["position"] == {"x": 0.0, "y": 10.0}
    assert elements[REVIEWS_V1]["position"] == {"x": 160.0, "y": -40.5}
    assert "position" not in elements[RATINGS]  # not laid out
    assert "position" not in elements[NS_BOX]  # a box, even though positions names it
    assert all(
        "position" not in element for element in elements.values() if element["group"] == "edges"
    )


@pytest.mark.parametrize(
    ("edge_label", "http", "grpc", "tcp"),
    [
        (EdgeLabel.REQUEST_RATE, "12.3 rps", "3.00 rps", "1.2 kB/s"),
        (EdgeLabel.ERROR_PCT, "4.5%", "", ""),
        (EdgeLabel.P95, "230 ms", "", ""),
        (EdgeLabel.THROUGHPUT, "", "", "1.2 kB/s"),
        (EdgeLabel.NONE, "", "", ""),
    ],
)
def test_edge_labels_follow_the_chosen_mode(
    edge_label: EdgeLabel, http: str, grpc: str, tcp: str
) -> None:
    elements = _by_id(topology_elements(VIEW, POSITIONS, edge_label=edge_label))

    assert elements[f"{PRODUCTPAGE}->{REVIEWS_V1}#http"]["data"]["label"] == http
    assert elements[f"{REVIEWS_V1}->{RATINGS}#grpc"]["data"]["label"] == grpc
    assert elements[f"{RATINGS}->{DATABASE}#tcp"]["data"]["label"] == tcp
    assert elements[f"{UNKNOWN}->{PRODUCTPAGE}#http"]["data"]["label"] == ""


def test_edge_label_mode_may_be_given_as_text() -> None:
    elements = _by_id(topology_elements(VIEW, POSITIONS, edge_label="p95"))  # type: ignore[arg-type]

    assert elements[f"{PRODUCTPAGE}->{REVIEWS_V1}#http"]["data"]["label"] == "230 ms"


@pytest.mark.parametrize(
    ("protocol", "stats", "edge_label", "expected"),
    [
        ("http", TrafficStats(request_rate=150.4), EdgeLabel.REQUEST_RATE, "150 rps"),
        ("http", TrafficStats(request_rate=1e4, error_rate=1.0), EdgeLabel.ERROR_PCT, "<0.1%"),
        ("http", TrafficStats(request_rate=4.0, p95_ms=4.3), EdgeLabel.P95, "4.3 ms"),
        ("http", TrafficStats(request_rate=4.0, p95_ms=1500.0), EdgeLabel.P95, "1.50 s"),
        ("tcp", TrafficStats(bytes_to_source=999.0), EdgeLabel.THROUGHPUT, "999 B/s"),
        ("tcp", TrafficStats(bytes_to_destination=2.5e6), EdgeLabel.REQUEST_RATE, "2.5 MB/s"),
    ],
)
def test_edge_label_units_scale_with_the_number(
    protocol: str, stats: TrafficStats, edge_label: EdgeLabel, expected: str
) -> None:
    assert edge_label_text(protocol, stats, edge_label) == expected


def test_classes_carry_kind_health_flags_and_mtls() -> None:
    elements = _by_id(topology_elements(VIEW, POSITIONS))

    reviews = elements[REVIEWS_V1]
    assert _classes(reviews) == {
        "app",
        "health-degraded",
        "flag-missing_sidecar",
        "flag-restarting",
    }
    assert reviews["data"]["flags"] == ["missing_sidecar", "restarting"]
    assert reviews["data"]["health"] == "degraded"
    assert reviews["data"]["badges"] == "no sidecar, restarting"
    assert reviews["data"]["traffic"] == "12.3 rps · 4.5%"
    assert _classes(elements[RATINGS]) == {"service", "health-failure"}
    assert _classes(elements[HOSTILE]) == {"workload", "health-no_traffic", "flag-dead"}
    assert elements[DATABASE]["data"]["traffic"] == "1.2 kB/s"
    assert elements[RATINGS]["data"]["traffic"] == ""

    assert _classes(elements[f"{PRODUCTPAGE}->{REVIEWS_V1}#http"]) == {
        "http",
        "health-degraded",
        "mtls",
    }
    assert "mtls" not in _classes(elements[f"{REVIEWS_V1}->{RATINGS}#grpc"])
    assert "mtls" not in _classes(elements[f"{RATINGS}->{DATABASE}#tcp"])
    edge = elements[f"{RATINGS}->{DATABASE}#tcp"]["data"]
    assert (edge["source"], edge["target"], edge["protocol"]) == (RATINGS, DATABASE, "tcp")


def test_hostile_names_pass_through_as_plain_data() -> None:
    elements = _by_id(topology_elements(VIEW, POSITIONS))

    hostile = elements[HOSTILE]
    assert hostile["data"]["id"] == HOSTILE
    assert hostile["data"]["label"] == HOSTILE_NAME
    assert "script" not in hostile["classes"]


def _selectors(stylesheet: list[dict[str, Any]]) -> str:
    return "\n".join(rule["selector"] for rule in stylesheet)


@pytest.mark.parametrize("dark", [False, True])
def test_stylesheet_styles_every_class_the_demo_views_produce(demo: Snapshot, dark: bool) -> None:
    classes: set[str] = set()
    for graph_type in GraphType:
        for collapsed in (frozenset(), frozenset({"bookinfo"})):
            view = project(demo, graph_type, collapsed=collapsed)
            for element in topology_elements(view, {}):
                classes |= _classes(element)
    assert {"workload", "app", "service", "namespace", "box"} <= classes

    selectors = _selectors(topology_stylesheet(dark=dark))
    wanted = {
        name for name in classes if not name.startswith("flag-") and name not in {"http", "grpc"}
    }
    wanted |= {f"health-{health.value}" for health in Health}
    wanted |= {"unknown", "external", "flag-dead", "flag-idle", "flag-missing_sidecar", "mtls"}
    missing = {name for name in wanted if f".{name}" not in selectors}
    assert missing == set()
    for health in Health:
        assert f"node.health-{health.value}" in selectors
        assert f"edge.health-{health.value}" in selectors
    assert ":selected" in selectors


def test_stylesheet_colours_health_like_kiali_and_labels_for_the_theme() -> None:
    light, dark = topology_stylesheet(), topology_stylesheet(dark=True)

    def style(stylesheet: list[dict[str, Any]], selector: str) -> dict[str, Any]:
        return next(rule["style"] for rule in stylesheet if rule["selector"] == selector)

    colours = {
        health: style(light, f"node.health-{health.value}")["border-color"] for health in Health
    }
    assert len(set(colours.values())) == 4
    assert style(light, "edge.health-failure")["line-color"] == colours[Health.FAILURE]
    assert style(light, "node")["color"] != style(dark, "node")["color"]
    assert style(light, "node.workload")["shape"] != style(light, "node.service")["shape"]
    assert style(light, "node.flag-idle")["border-style"] == "dashed"


def test_large_graphs_draw_cheap_edges_that_still_point_at_the_callee() -> None:
    small = topology_stylesheet()
    large = topology_stylesheet(large=True)
    assert not any(rule["style"].get("curve-style") == "haystack" for rule in small)
    haystack = [rule for rule in large if rule["style"].get("curve-style") == "haystack"]
    assert haystack and haystack[0]["style"]["mid-target-arrow-shape"] == "triangle"
    # Labels too small to read are not drawn (their measuring dominates big draws).
    assert all(rule["style"]["min-zoomed-font-size"] == 7 for rule in small[:1])


def test_flat_boxes_are_plain_nodes_around_their_children(demo: Snapshot) -> None:
    view = project(demo, GraphType.VERSIONED_APP)
    positions = compute_layout(
        [node.id for node in view.nodes],
        [(edge.source, edge.target) for edge in view.edges],
        groups={node.id: node.namespace for node in view.nodes if node.parent},
    )
    compound = {e["data"]["id"]: e for e in topology_elements(view, positions)}
    flat = {e["data"]["id"]: e for e in topology_elements(view, positions, flat_boxes=True)}
    assert compound.keys() == flat.keys()
    assert any("parent" in e["data"] for e in compound.values())
    assert not any("parent" in e["data"] for e in flat.values())
    for box in view.boxes:
        element = flat[box.id]
        assert "flat" in element["classes"].split() and element["grabbable"] is False
        centre, width, height = (
            element["position"],
            element["data"]["width"],
            element["data"]["height"],
        )
        for node in view.nodes:
            chain, parent = set(), node.parent
            while parent:
                chain.add(parent)
                parent = next((b.parent for b in view.boxes if b.id == parent), None)
            if box.id in chain:  # every descendant sits inside its (flat) box
                x, y = positions[node.id]
                assert abs(x - centre["x"]) < width / 2 and abs(y - centre["y"]) < height / 2


# Istio badges and check marks, on the real Bookinfo samples (reviews 80/20, ratings delay).


@pytest.fixture(scope="module")
def bookinfo(fixtures_dir: Path) -> Snapshot:
    objects = load_manifests(fixtures_dir / "k8s" / "bookinfo.yaml")
    objects.extend(load_manifests(fixtures_dir / "k8s" / "bookinfo-networking").items)
    status = SourceStatus("manifests", "cluster", SourceState.OK, "test")
    end = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    return objects_snapshot(objects, status, end=end, span=timedelta(hours=1))


def test_bookinfo_nodes_carry_istio_badges_and_counted_check_marks(bookinfo: Snapshot) -> None:
    view = project(bookinfo, GraphType.WORKLOAD)
    elements = _by_id(topology_elements(view, {}, findings=findings_by_node(bookinfo)))

    reviews = elements["workload:Kubernetes/default/reviews-v2"]
    assert reviews["data"]["label"] == "reviews-v2"  # find and tooltips read the plain name
    assert reviews["data"]["caption"] == "reviews-v2\nVS TS"
    assert "badged" in _classes(reviews)
    # The ratings service's findings (three unmatched subsets, one delay fault) are drawn on the
    # workload it selects, which the workload graph shows.
    ratings = elements["workload:Kubernetes/default/ratings-v1"]
    assert ratings["data"]["caption"] == "ratings-v1\nVS FI ⚠ 4"
    assert {"flag-check_warning", "flag-fault_injection"} <= _classes(ratings)
    assert "flag-check_error" not in _classes(ratings)
    assert elements["workload:Kubernetes/default/productpage-v1"]["data"]["caption"] == (
        "productpage-v1\nVS"
    )


def test_without_findings_the_check_flags_give_bare_marks(bookinfo: Snapshot) -> None:
    elements = _by_id(topology_elements(project(bookinfo, GraphType.SERVICE), {}))

    assert elements["service:Kubernetes/default/ratings"]["data"]["caption"] == "ratings\nVS FI ⚠"
    assert elements["service:Kubernetes/default/reviews"]["data"]["caption"] == "reviews\nVS TS"


def test_badges_follow_a_fixed_order_and_long_names_are_cut_to_fit() -> None:
    long_name = "recommender-feature-store-writer-v12"
    flagged = _node(
        PRODUCTPAGE,
        "workload",
        long_name,
        None,
        flags=frozenset({"mtls_strict", "retries", "virtual_service", "check_error"}),
    )
    plain = _node(RATINGS, "service", long_name, None)
    view = TopologyView(GraphType.WORKLOAD, (flagged, plain), (), (), frozenset())
    elements = _by_id(topology_elements(view, {}))

    assert elements[PRODUCTPAGE]["data"]["caption"] == "recommender-feature-sto…\nVS RT mTLS ✖"
    assert elements[PRODUCTPAGE]["data"]["label"] == long_name
    # Without badges the caption is the name, left for Cytoscape to ellipsize by width.
    assert elements[RATINGS]["data"]["caption"] == long_name
    assert "badged" not in _classes(elements[RATINGS])
    assert node_badges(frozenset({"timeout", "traffic_shift"}), []) == "TS TO"


def test_stylesheet_draws_captions_and_halos_check_findings_under_find() -> None:
    rules = topology_stylesheet()
    selectors = [rule["selector"] for rule in rules]
    assert rules[0]["style"]["label"] == "data(caption)"
    assert rules[0]["style"]["text-wrap"] == "ellipsis"
    badged = rules[selectors.index("node.badged")]["style"]
    assert badged["text-wrap"] == "wrap"
    warning = selectors.index("node.flag-check_warning")
    error = selectors.index("node.flag-check_error")
    # Errors win over warnings, and find's halo over both.
    assert warning < error < selectors.index("node.find-match")
    assert rules[error]["style"]["underlay-color"] == HEALTH_COLOURS[Health.FAILURE]
    assert rules[warning]["style"]["underlay-color"] == HEALTH_COLOURS[Health.DEGRADED]
    assert "border-color" not in rules[error]["style"]  # the border stays health's
