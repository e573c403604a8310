"""The topology page's URL state and what its controls do to it."""

from __future__ import annotations

import pytest

from dashboard.figures.topology import EdgeLabel
from dashboard.topology.controls import Control, apply_control, namespace_of_box
from dashboard.topology.projection import GraphType
from dashboard.topology.state import (
    ALL_NAMESPACES,
    MAX_HOPS,
    MAX_VALUE_LENGTH,
    QUERY_KEYS,
    TopologyState,
    parse_state,
    to_query,
)


def test_defaults_make_an_empty_query() -> None:
    state, problems = parse_state({})
    assert state == TopologyState() and problems == []
    assert to_query(state) == {}


def test_every_field_round_trips_through_the_query() -> None:
    state = TopologyState(
        graph_type=GraphType.VERSIONED_APP,
        namespaces=("bookinfo", "boutique"),
        collapse=("istio-system",),
        edge_label=EdgeLabel.P95,
        layout="force",
        find="error% > 5",
        hide="ns = istio-system",
        focus="workload:Kubernetes/bookinfo/reviews-v2",
        hops=3,
        direction="upstream",
        selected="app:Kubernetes/bookinfo/ratings",
        window="1h",
        end="2026-11-24T07:30Z",
    )
    query = to_query(state)
    assert set(query) <= set(QUERY_KEYS)
    assert parse_state(query) == (state, [])


@pytest.mark.parametrize(
    ("collapse", "text"),
    [(None, None), ((), "none"), (ALL_NAMESPACES, "all"), (("a", "b"), "a,b")],
)
def test_collapse_distinguishes_automatic_none_all_and_a_list(
    collapse: tuple[str, ...] | None, text: str | None
) -> None:
    query = to_query(TopologyState(collapse=collapse))
    assert query.get("collapse") == text
    assert parse_state(query)[0].collapse == collapse


def test_bad_values_are_ignored_one_line_each_and_the_rest_kept() -> None:
    state, problems = parse_state(
        {"graph": "<script>", "labels": "p95", "layout": "dagre", "hops": "-1", "ns": "a,,a,b"}
    )
    assert state.graph_type is GraphType.WORKLOAD  # default kept
    assert state.edge_label is EdgeLabel.P95
    assert state.layout == "layered"
    assert state.hops == 1
    assert state.namespaces == ("a", "b")  # empty and repeated names dropped
    assert len(problems) == 3
    assert all("\n" not in line for line in problems)
    assert any("graph '<script>'" in line and "workload" in line for line in problems)


def test_overlong_values_and_huge_hops_are_refused() -> None:
    state, problems = parse_state({"find": "x" * (MAX_VALUE_LENGTH + 1), "hops": "999"})
    assert state.find == ""
    assert state.hops == MAX_HOPS
    assert problems == [f"ignored find: longer than {MAX_VALUE_LENGTH} characters"]


def test_hops_and_direction_only_travel_with_a_focus() -> None:
    assert to_query(TopologyState(hops=4, direction="downstream")) == {}


def test_graph_type_change_drops_selection_and_focus() -> None:
    state = TopologyState(selected="workload:K/ns/a", focus="workload:K/ns/a")
    changed = apply_control(state, Control.GRAPH_TYPE, "service")
    assert changed.graph_type is GraphType.SERVICE
    assert (changed.selected, changed.focus) == ("", "")


def test_unexpected_control_values_leave_the_state_alone() -> None:
    state = TopologyState()
    for control, value in [
        (Control.GRAPH_TYPE, "pods"),
        (Control.LABELS, None),
        (Control.LAYOUT, "cola"),
        (Control.HOPS, "1e9"),
        (Control.DIRECTION, "sideways"),
        (Control.TAP_NODE, "not a dict"),
        (Control.TAP_NODE, {"id": 5}),
        ("some-other-id", "x"),
        (None, None),
    ]:
        assert apply_control(state, control, value) == state


def test_tap_selects_and_close_clears() -> None:
    tapped = apply_control(TopologyState(), Control.TAP_EDGE, {"id": "a->b#http"})
    assert tapped.selected == "a->b#http"
    assert apply_control(tapped, Control.CLOSE_PANEL, 1).selected == ""


def test_focus_needs_a_selected_node_not_an_edge() -> None:
    on_edge = TopologyState(selected="a->b#http")
    assert apply_control(on_edge, Control.FOCUS, 1).focus == ""
    on_node = TopologyState(selected="workload:K/ns/a")
    focused = apply_control(on_node, Control.FOCUS, 1)
    assert focused.focus == "workload:K/ns/a"
    assert apply_control(focused, Control.UNFOCUS, 1).focus == ""


def test_find_text_is_trimmed_and_none_clears() -> None:
    assert apply_control(TopologyState(), Control.FIND, "  dead  ").find == "dead"
    assert apply_control(TopologyState(hide="idle"), Control.HIDE, None).hide == ""


def test_collapse_controls() -> None:
    assert apply_control(TopologyState(), Control.COLLAPSE, ["a", "b", "a"]).collapse == ("a", "b")
    assert apply_control(TopologyState(collapse=("a",)), Control.COLLAPSE, None).collapse is None
    assert apply_control(TopologyState(), Control.COLLAPSE_ALL, 1).collapse == ALL_NAMESPACES
    assert apply_control(TopologyState(), Control.EXPAND_ALL, 1).collapse == ()


def test_toggling_a_namespace_from_the_automatic_collapse() -> None:
    collapsed_node = TopologyState(selected="nsnode:Kubernetes/bookinfo")
    expanded = apply_control(
        collapsed_node, Control.TOGGLE_NAMESPACE, 1, collapsed_now=("bookinfo", "boutique")
    )
    assert expanded.collapse == ("boutique",)
    assert expanded.selected == ""
    box = TopologyState(selected="ns:Kubernetes/bookinfo", collapse=())
    collapsed = apply_control(box, Control.TOGGLE_NAMESPACE, 1, collapsed_now=())
    assert collapsed.collapse == ("bookinfo",)
    assert collapsed.selected == "nsnode:Kubernetes/bookinfo"
    not_a_namespace = TopologyState(selected="workload:K/ns/a")
    assert apply_control(not_a_namespace, Control.TOGGLE_NAMESPACE, 1) == not_a_namespace


def test_window_picker_echoing_the_url_keeps_its_end() -> None:
    shared = TopologyState(window="30m", end="2026-11-24T07:30Z")
    assert apply_control(shared, Control.WINDOW, "30m") == shared
    assert apply_control(shared, Control.WINDOW, "1h") == TopologyState(window="1h")


def test_namespace_of_box() -> None:
    assert namespace_of_box("ns:Kubernetes/bookinfo") == "bookinfo"
    assert namespace_of_box("nsnode:Kubernetes/bookinfo") == "bookinfo"
    assert namespace_of_box("workload:Kubernetes/bookinfo/a") is None
    assert namespace_of_box("ns:") is None
