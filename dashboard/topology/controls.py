"""What each control of the topology page does to the view state (pure, so it is tested alone).

The page's one state callback passes the id of the control that fired and its value here;
the URL, the render and the side panel all follow from the state this returns.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from dashboard.figures.topology import EdgeLabel
from dashboard.topology.projection import GraphType
from dashboard.topology.state import ALL_NAMESPACES, MAX_HOPS, TopologyState

__all__ = ["Control", "apply_control", "namespace_of_box"]


class Control:
    """Ids of the controls that change the state (kebab-case, prefixed by the page)."""

    GRAPH_TYPE = "topology-graph-type"
    NAMESPACES = "topology-namespaces"
    COLLAPSE = "topology-collapse"
    LABELS = "topology-labels"
    LAYOUT = "topology-layout"
    FIND = "topology-find"
    HIDE = "topology-hide"
    HOPS = "topology-hops"
    DIRECTION = "topology-direction"
    FOCUS = "topology-focus"
    UNFOCUS = "topology-unfocus"
    EXPAND_ALL = "topology-expand-all"
    COLLAPSE_ALL = "topology-collapse-all"
    TOGGLE_NAMESPACE = "topology-toggle-namespace"
    CLOSE_PANEL = "topology-close-panel"
    TAP_NODE = "topology-tap-node"  # stands for the graph's tapNodeData
    TAP_EDGE = "topology-tap-edge"  # stands for the graph's tapEdgeData
    WINDOW = "shell-window"


def namespace_of_box(element_id: str) -> str | None:
    """The namespace of a namespace box (``ns:``) or collapsed namespace (``nsnode:``) id."""
    for prefix in ("ns:", "nsnode:"):
        if element_id.startswith(prefix):
            _, _, namespace = element_id[len(prefix) :].rpartition("/")
            return namespace or None
    return None


def _texts(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list | tuple):
        return ()
    return tuple(dict.fromkeys(str(item) for item in value if str(item)))


def _toggle(state: TopologyState, collapsed_now: Iterable[str]) -> TopologyState:
    namespace = namespace_of_box(state.selected)
    if namespace is None:
        return state
    current = set(collapsed_now)
    if namespace in current:
        current.discard(namespace)
        # The expanded namespace's nodes replace the one node: select nothing rather than a
        # node that no longer exists.
        return state.with_changes(collapse=tuple(sorted(current)), selected="")
    current.add(namespace)
    _, _, cluster_and_namespace = state.selected.partition(":")
    return state.with_changes(
        collapse=tuple(sorted(current)), selected=f"nsnode:{cluster_and_namespace}"
    )


def apply_control(
    state: TopologyState, control: str | None, value: Any, *, collapsed_now: Iterable[str] = ()
) -> TopologyState:
    """The state after ``control`` took ``value`` (a dropdown value, text, or tapped data).

    ``collapsed_now`` is the set of namespaces the page drew collapsed, which differs from
    ``state.collapse`` while collapsing is automatic. Values come from the browser: anything
    unexpected leaves the state as it was.
    """
    match control:
        case Control.GRAPH_TYPE if value in tuple(g.value for g in GraphType):
            # Ids differ between graph types, so a selection or focus would point at nothing.
            return state.with_changes(graph_type=GraphType(value), selected="", focus="")
        case Control.NAMESPACES:
            return state.with_changes(namespaces=_texts(value))
        case Control.COLLAPSE:
            return state.with_changes(collapse=_texts(value) if value is not None else None)
        case Control.LABELS if value in tuple(e.value for e in EdgeLabel):
            return state.with_changes(edge_label=EdgeLabel(value))
        case Control.LAYOUT if value in ("layered", "force"):
            return state.with_changes(layout=value)
        case Control.FIND | Control.HIDE:
            text = value.strip() if isinstance(value, str) else ""
            return state.with_changes(**{control.removeprefix("topology-"): text})
        case Control.HOPS if str(value).isdigit() and len(str(value)) <= 3:
            return state.with_changes(hops=min(int(value), MAX_HOPS))
        case Control.DIRECTION if value in ("both", "upstream", "downstream"):
            return state.with_changes(direction=value)
        case Control.FOCUS if state.selected and "->" not in state.selected:
            return state.with_changes(focus=state.selected)
        case Control.UNFOCUS:
            return state.with_changes(focus="")
        case Control.EXPAND_ALL:
            return state.with_changes(collapse=())
        case Control.COLLAPSE_ALL:
            return state.with_changes(collapse=ALL_NAMESPACES, selected="")
        case Control.TOGGLE_NAMESPACE:
            return _toggle(state, collapsed_now)
        case Control.CLOSE_PANEL:
            return state.with_changes(selected="")
        case Control.TAP_NODE | Control.TAP_EDGE if isinstance(value, dict):
            element_id = value.get("id")
            if isinstance(element_id, str) and element_id:
                return state.with_changes(selected=element_id)
        case Control.WINDOW:
            window = value if isinstance(value, str) else ""
            if window != state.window:  # the picker echoing the URL keeps a shared link's end
                return state.with_changes(window=window, end="")
    return state
