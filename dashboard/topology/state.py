"""The topology page's view state, and its round trip through the URL query string.

Everything a person would share lives here, so an on-call link opens the same view: graph type,
namespaces, collapsed namespaces, edge labels, layout, find and hide text, focus, selection and
the time window. Query values arrive from URLs, so they are hostile: :func:`parse_state` never
raises; it keeps what it understands and says in one line per value what it ignored.

>>> state, problems = parse_state({"graph": "app", "ns": "bookinfo,boutique"})
>>> state.graph_type.value, state.namespaces, problems
('app', ('bookinfo', 'boutique'), [])
>>> to_query(state)
{'graph': 'app', 'ns': 'bookinfo,boutique'}
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any, cast

from dashboard.figures.topology import EdgeLabel
from dashboard.topology.filtering import MAX_HOPS, Direction
from dashboard.topology.layout import Algorithm
from dashboard.topology.projection import GraphType

__all__ = [
    "ALL_NAMESPACES",
    "MAX_HOPS",
    "MAX_VALUE_LENGTH",
    "QUERY_KEYS",
    "Direction",
    "TopologyState",
    "parse_state",
    "to_query",
]

MAX_VALUE_LENGTH = 2000  # longer query values are ignored whole, never cut into something else
MAX_NAMESPACES = 500

_ALGORITHMS: tuple[Algorithm, ...] = ("layered", "force")
_DIRECTIONS: tuple[Direction, ...] = ("both", "upstream", "downstream")
_COLLAPSE_NONE = "none"
_COLLAPSE_ALL = "all"


@dataclass(frozen=True, slots=True)
class TopologyState:
    """What the topology page shows.

    ``collapse`` is None for "automatic" (collapse every namespace when the graph is too large to
    read), ``("*",)`` for all namespaces, or the namespaces to collapse (empty: none).
    ``window``/``end`` are kept as the URL text; ``dashboard.topology.window`` interprets them.
    """

    graph_type: GraphType = GraphType.WORKLOAD
    namespaces: tuple[str, ...] = ()  # empty: every namespace
    collapse: tuple[str, ...] | None = None
    edge_label: EdgeLabel = EdgeLabel.REQUEST_RATE
    layout: Algorithm = "layered"
    find: str = ""
    hide: str = ""
    focus: str = ""  # a view node id; empty: no focus
    hops: int = 1
    direction: Direction = "both"
    selected: str = ""  # a view element id
    window: str = ""
    end: str = ""

    def with_changes(self, **changes: Any) -> TopologyState:
        """A copy with ``changes`` applied (``dataclasses.replace``)."""
        return replace(self, **changes)


ALL_NAMESPACES = ("*",)
"""``TopologyState.collapse`` value meaning every namespace."""

_DEFAULT = TopologyState()

QUERY_KEYS = (
    *("graph", "ns", "collapse", "labels", "layout", "find", "hide"),
    *("focus", "hops", "direction", "selected", "window", "end"),
)
"""Every query key the topology page owns (the page rewrites exactly these)."""


def _names(text: str) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for part in text.split(","):
        name = part.strip()
        if name:
            seen.setdefault(name, None)
    return tuple(seen)[:MAX_NAMESPACES]


def _choice(text: str, allowed: tuple[str, ...], what: str, problems: list[str]) -> str | None:
    value = text.strip().lower()
    if value in allowed:
        return value
    problems.append(f"ignored {what} {text[:40]!r}: expected one of {', '.join(allowed)}")
    return None


def _parse_collapse(text: str) -> tuple[str, ...] | None:
    value = text.strip()
    if value.lower() == _COLLAPSE_ALL:
        return ALL_NAMESPACES
    if value.lower() in (_COLLAPSE_NONE, ""):
        return ()
    return _names(value)


def parse_state(query: Mapping[str, Any]) -> tuple[TopologyState, list[str]]:
    """Read the state from URL query values; unknown keys are left to other parts of the page.

    Returns the state and one line per value that was ignored (bad or too long).
    """
    problems: list[str] = []
    values: dict[str, str] = {}
    for key, raw in query.items():
        text = raw if isinstance(raw, str) else str(raw)
        if len(text) > MAX_VALUE_LENGTH:
            problems.append(f"ignored {key}: longer than {MAX_VALUE_LENGTH} characters")
            continue
        values[key] = text
    changes: dict[str, Any] = {}
    if "graph" in values:
        graph = _choice(values["graph"], tuple(g.value for g in GraphType), "graph", problems)
        if graph is not None:
            changes["graph_type"] = GraphType(graph)
    if "labels" in values:
        label = _choice(values["labels"], tuple(e.value for e in EdgeLabel), "labels", problems)
        if label is not None:
            changes["edge_label"] = EdgeLabel(label)
    if "layout" in values:
        layout = _choice(values["layout"], _ALGORITHMS, "layout", problems)
        if layout is not None:
            changes["layout"] = layout
    if "direction" in values:
        direction = _choice(values["direction"], _DIRECTIONS, "direction", problems)
        if direction is not None:
            changes["direction"] = direction
    if "hops" in values:
        text = values["hops"].strip()
        if text.isdigit() and len(text) <= 3:
            changes["hops"] = min(int(text), MAX_HOPS)
        else:
            problems.append(f"ignored hops {text[:40]!r}: expected a number from 0 to {MAX_HOPS}")
    if "ns" in values:
        changes["namespaces"] = _names(values["ns"])
    if "collapse" in values:
        changes["collapse"] = _parse_collapse(values["collapse"])
    for key in ("find", "hide", "focus", "selected", "window", "end"):
        if key in values:
            changes[key] = values[key].strip()
    return replace(_DEFAULT, **changes), problems


def to_query(state: TopologyState) -> dict[str, str]:
    """The query values of ``state``, leaving out defaults so shared links stay short."""
    query: dict[str, str] = {}
    if state.graph_type is not _DEFAULT.graph_type:
        query["graph"] = state.graph_type.value
    if state.namespaces:
        query["ns"] = ",".join(state.namespaces)
    if state.collapse is not None:
        if state.collapse == ALL_NAMESPACES:
            query["collapse"] = _COLLAPSE_ALL
        else:
            query["collapse"] = ",".join(state.collapse) or _COLLAPSE_NONE
    if state.edge_label is not _DEFAULT.edge_label:
        query["labels"] = state.edge_label.value
    if state.layout != _DEFAULT.layout:
        query["layout"] = state.layout
    for key in ("find", "hide", "focus", "selected", "window", "end"):
        value = cast(str, getattr(state, key))
        if value:
            query[key] = value
    if state.focus:
        if state.hops != _DEFAULT.hops:
            query["hops"] = str(state.hops)
        if state.direction != _DEFAULT.direction:
            query["direction"] = state.direction
    return query
