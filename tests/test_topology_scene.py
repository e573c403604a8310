"""The topology engine: one state in, what the page draws out."""

from __future__ import annotations

from typing import Any

from test_topology_layout import CountingLayout

from collectors.kinds import NodeKind
from collectors.model import Snapshot
from dashboard.figures.topology import EdgeLabel
from dashboard.topology.layout_cache import LayoutCache
from dashboard.topology.projection import GraphType
from dashboard.topology.scene import TopologyEngine, namespaces_of
from dashboard.topology.state import ALL_NAMESPACES, TopologyState

RATINGS = "workload:Kubernetes/bookinfo/ratings-v1"
REVIEWS_V2 = "workload:Kubernetes/bookinfo/reviews-v2"


def _by_id(elements: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {element["data"]["id"]: element for element in elements}


def test_demo_opens_whole_with_every_workload_positioned(demo: Snapshot) -> None:
    scene = TopologyEngine().scene(demo, TopologyState())
    elements = _by_id(scene.elements)
    workloads = {node.id for node in demo.nodes(NodeKind.WORKLOAD)}
    assert workloads <= set(elements)
    assert all("position" in elements[workload] for workload in workloads)
    assert not scene.auto_collapsed and scene.notices == ()
    assert scene.namespaces == namespaces_of(demo)
    assert "bookinfo" in scene.namespaces


def test_a_large_graph_opens_collapsed_by_namespace_and_says_so(demo: Snapshot) -> None:
    engine = TopologyEngine(auto_collapse_nodes=20)
    scene = engine.scene(demo, TopologyState())
    assert scene.auto_collapsed
    assert scene.collapsed == frozenset(scene.namespaces)
    assert all(
        node.id.startswith(("nsnode:", "unknown:", "external:")) for node in scene.view.nodes
    )
    assert any("each namespace is drawn as one node" in notice for notice in scene.notices)
    # Asking for the full graph explicitly gets it, without the notice.
    full = engine.scene(demo, TopologyState(collapse=()))
    assert not full.auto_collapsed and full.notices == ()
    assert RATINGS in _by_id(full.elements)
    # Collapsing everything on request is not "automatic".
    every = engine.scene(demo, TopologyState(collapse=ALL_NAMESPACES))
    assert every.collapsed == scene.collapsed and not every.auto_collapsed


def test_hide_keeps_everything_else_where_it_was(demo: Snapshot) -> None:
    engine = TopologyEngine()
    whole = engine.scene(demo, TopologyState())
    hidden = engine.scene(demo, TopologyState(hide="ns = istio-system"))
    assert not any(node.namespace == "istio-system" for node in hidden.view.nodes)
    for node in hidden.view.nodes:
        assert hidden.positions[node.id] == whole.positions[node.id]


def test_label_and_selection_changes_reuse_the_layout(demo: Snapshot) -> None:
    counting = CountingLayout()
    engine = TopologyEngine(layouts=LayoutCache(compute=counting))
    first = engine.scene(demo, TopologyState())
    again = engine.scene(demo, TopologyState(edge_label=EdgeLabel.P95, selected=RATINGS))
    assert counting.calls == 1
    assert again.positions == first.positions
    assert _by_id(again.elements)[RATINGS].get("selected") is True
    assert "selected" not in _by_id(first.elements)[RATINGS]


def test_find_marks_matches_and_dims_the_rest(demo: Snapshot) -> None:
    scene = TopologyEngine().scene(demo, TopologyState(find="name contains ratings"))
    elements = _by_id(scene.elements)
    assert "find-match" in elements[RATINGS]["classes"]
    assert "find-dim" in elements[REVIEWS_V2]["classes"]
    box = elements["ns:Kubernetes/bookinfo"]
    assert "find-" not in box["classes"]  # boxes are containers, never matched or dimmed
    assert scene.find_error is None


def test_a_bad_expression_is_reported_and_nothing_is_filtered(demo: Snapshot) -> None:
    engine = TopologyEngine()
    scene = engine.scene(demo, TopologyState(find="error% >", hide="(dead"))
    assert scene.find_error == 'find: expected a number after ">" at column 9'
    assert scene.hide_error is not None and scene.hide_error.startswith("hide: unbalanced")
    whole = engine.scene(demo, TopologyState())
    assert len(scene.elements) == len(whole.elements)
    assert not any("find-" in element["classes"] for element in scene.elements)


def test_focus_draws_the_neighbourhood_and_an_unknown_focus_says_so(demo: Snapshot) -> None:
    engine = TopologyEngine()
    focused = engine.scene(demo, TopologyState(focus=REVIEWS_V2, hops=1))
    names = {node.label for node in focused.view.nodes}
    assert names == {"productpage-v1", "reviews-v2", "ratings-v1"}
    assert focused.notices == ()
    lost = engine.scene(demo, TopologyState(focus="workload:Kubernetes/nowhere/x"))
    assert "not in this view" in lost.notices[0]
    assert len(lost.view.nodes) > 40


def test_time_window_redraws_health_and_a_bad_window_is_named(demo: Snapshot) -> None:
    engine = TopologyEngine()
    rollout = engine.scene(
        demo,
        TopologyState(graph_type=GraphType.WORKLOAD, window="30m", end="2026-11-24T07:30Z"),
    )
    assert rollout.window is not None and rollout.window.label.startswith("07:00")
    into_ratings = [edge for edge in rollout.view.edges if edge.target == RATINGS]
    assert into_ratings and all(edge.health.value == "failure" for edge in into_ratings)
    now = engine.scene(demo, TopologyState())
    assert all(edge.health.value != "failure" for edge in now.view.edges if edge.target == RATINGS)
    bad = engine.scene(demo, TopologyState(window="forever"))
    assert bad.window is None and len(bad.notices) == 1


def test_a_namespace_that_does_not_exist_draws_an_empty_graph(demo: Snapshot) -> None:
    scene = TopologyEngine().scene(demo, TopologyState(namespaces=("no-such-namespace",)))
    assert scene.elements == [] and scene.positions == {}
