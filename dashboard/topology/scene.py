"""From a snapshot and a view state to what the topology page draws: elements and notices.

``TopologyEngine.scene`` is the whole server-side work of one render (time window, projection,
collapse, hide, focus, layout, elements), so the page callback stays thin and the benchmark
times exactly what a user waits for. The engine caches windowed snapshots and projections per
snapshot object, and layouts per graph structure (``LayoutCache``), so a click that only
changes the selection or the labels costs little.

Layout is computed for the graph before ``hide`` is applied, so hiding noise leaves everything
else where it was; a focused view is small and gets a layout of its own.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from collectors.health import DEFAULT_THRESHOLDS, HealthThresholds
from collectors.kinds import NodeKind
from collectors.model import Snapshot
from dashboard.analysis.gpu_fleet import gpu_fleet
from dashboard.analysis.gpu_types import WorkloadGpus
from dashboard.analysis.gpu_usage import workload_gpus
from dashboard.figures.topology import LARGE_GRAPH_ELEMENTS, topology_elements
from dashboard.topology._details_config import findings_by_node
from dashboard.topology.expressions import Expression, ExpressionError, parse
from dashboard.topology.filtering import find, focus, hide
from dashboard.topology.layout import Positions
from dashboard.topology.layout_cache import LayoutCache
from dashboard.topology.projection import TopologyView, project, structure_key
from dashboard.topology.state import ALL_NAMESPACES, TopologyState
from dashboard.topology.window import TimeWindow, parse_window, window_bounds
from dashboard.topology.window_traffic import traffic_in_window

__all__ = ["AUTO_COLLAPSE_NODES", "Scene", "TopologyEngine", "namespaces_of"]

AUTO_COLLAPSE_NODES = 250
"""Above this many nodes a call graph is a hairball: the page opens collapsed by namespace."""

_T = TypeVar("_T")


@dataclass(frozen=True)
class Scene:
    """One rendering of the topology page."""

    state: TopologyState
    snapshot: Snapshot  # the snapshot with traffic over the chosen window
    window: TimeWindow | None  # None: the snapshot's own rates
    view: TopologyView  # what is drawn (after collapse, hide and focus)
    elements: list[dict[str, Any]]
    positions: Positions
    layout_key: str  # changes when the drawn structure changes; keys dragged positions
    namespaces: tuple[str, ...]  # every namespace of the snapshot, for pickers
    collapsed: frozenset[str]  # namespaces drawn as one node
    auto_collapsed: bool
    matched: frozenset[str]  # ids the find expression matched
    find_error: str | None
    hide_error: str | None
    large: bool  # drawn the cheap way: flat boxes, haystack edges (see topology_stylesheet)
    notices: tuple[str, ...] = field(default=())
    gpus: Mapping[str, WorkloadGpus] = field(default_factory=dict)  # workload id -> its GPUs


def namespaces_of(snapshot: Snapshot) -> tuple[str, ...]:
    """Namespaces that hold workloads or services, sorted."""
    kinds = (NodeKind.WORKLOAD, NodeKind.SERVICE)
    return tuple(sorted({n.namespace for n in snapshot.nodes() if n.namespace and n.kind in kinds}))


class _Lru:
    """A small thread-safe LRU whose entries die with the snapshot they were made from."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._lock = threading.Lock()
        self._entries: OrderedDict[Hashable, tuple[Snapshot, Any]] = OrderedDict()

    def get(self, snapshot: Snapshot, key: Hashable, make: Callable[[], _T]) -> _T:
        full_key = (id(snapshot), key)
        with self._lock:
            entry = self._entries.get(full_key)
            # id() can be reused by a new object once the old one is gone: check identity.
            if entry is not None and entry[0] is snapshot:
                self._entries.move_to_end(full_key)
                value: _T = entry[1]
                return value
        value = make()
        with self._lock:
            self._entries[full_key] = (snapshot, value)
            while len(self._entries) > self._size:
                self._entries.popitem(last=False)
        return value


def _gpus(snapshot: Snapshot, window: TimeWindow | None) -> dict[str, WorkloadGpus]:
    """The GPUs each workload holds, and their mean utilization over ``window``."""
    return workload_gpus(gpu_fleet(snapshot, **window_bounds(window)))


def _parse(text: str, box: str) -> tuple[Expression | None, str | None]:
    try:
        return parse(text), None
    except ExpressionError as error:
        return None, f"{box}: {error}"


def _groups(view: TopologyView) -> dict[str, str]:
    """Layout lanes: each boxed node in its namespace's lane."""
    return {node.id: node.namespace for node in view.nodes if node.parent is not None}


class TopologyEngine:
    """Builds scenes; one per app, shared by every session (it is thread-safe)."""

    def __init__(
        self,
        *,
        layouts: LayoutCache | None = None,
        thresholds: HealthThresholds = DEFAULT_THRESHOLDS,
        auto_collapse_nodes: int = AUTO_COLLAPSE_NODES,
    ) -> None:
        self.layouts = layouts or LayoutCache()
        self._thresholds = thresholds
        self._auto_collapse_nodes = auto_collapse_nodes
        self._windows = _Lru(8)
        self._views = _Lru(32)

    def scene(self, snapshot: Snapshot, state: TopologyState) -> Scene:
        """Everything the page draws for ``state``.

        Positions users drag stay in their browser session (see ``assets/meshlens.js``), so
        the server's positions are the same for everyone and cache well.
        """
        notices: list[str] = []
        window, window_problem = parse_window(state.window, state.end, snapshot.meta)
        if window_problem:
            notices.append(window_problem)
        windowed = snapshot
        if window is not None:
            windowed = self._windows.get(
                snapshot, window, lambda: traffic_in_window(snapshot, window, self._thresholds)
            )
        all_namespaces = self.namespaces(snapshot)
        view, collapsed, auto = self._collapsed_view(windowed, state, all_namespaces)
        if auto:
            notices.append(
                f"This graph has more than {self._auto_collapse_nodes} nodes, too many to read "
                "at once, so each namespace is drawn as one node. Expand namespaces with "
                "Collapsed namespaces, or pick fewer namespaces."
            )
        layout_view = view
        find_expression, find_error = _parse(state.find, "find")
        hide_expression, hide_error = _parse(state.hide, "hide")
        drawn = hide(view, hide_expression)
        if state.focus:
            focused, found = focus(drawn, state.focus, state.hops, direction=state.direction)
            if found:
                drawn = layout_view = focused
            else:
                notices.append("The focused node is not in this view; showing the whole graph.")
        positions = self.layouts.positions(
            [node.id for node in layout_view.nodes],
            [(edge.source, edge.target) for edge in layout_view.edges],
            algorithm=state.layout,
            groups=_groups(layout_view),
        )
        layout_key = structure_key(layout_view) + state.layout
        matched = find(drawn, find_expression)
        large = len(drawn.nodes) + len(drawn.boxes) + len(drawn.edges) >= LARGE_GRAPH_ELEMENTS
        findings = self._views.get(snapshot, "findings", lambda: findings_by_node(snapshot))
        gpus = self._views.get(snapshot, ("gpus", window), lambda: _gpus(snapshot, window))
        elements = topology_elements(
            drawn,
            positions,
            edge_label=state.edge_label,
            flat_boxes=large,
            findings=findings,
            gpus=gpus,
        )
        _mark(elements, matched=matched if find_expression else None, selected=state.selected)
        return Scene(
            state=state,
            snapshot=windowed,
            window=window,
            view=drawn,
            elements=elements,
            positions=positions,
            layout_key=layout_key,
            namespaces=all_namespaces,
            collapsed=collapsed,
            auto_collapsed=auto,
            matched=matched,
            find_error=find_error,
            hide_error=hide_error,
            large=large,
            notices=tuple(notices),
            gpus=gpus,
        )

    def namespaces(self, snapshot: Snapshot) -> tuple[str, ...]:
        """:func:`namespaces_of` the snapshot, computed once per snapshot."""
        return self._views.get(snapshot, "namespaces", lambda: namespaces_of(snapshot))

    def _collapsed_view(
        self, snapshot: Snapshot, state: TopologyState, all_namespaces: tuple[str, ...]
    ) -> tuple[TopologyView, frozenset[str], bool]:
        namespaces = frozenset(state.namespaces) if state.namespaces else None

        def view_of(collapsed: frozenset[str]) -> TopologyView:
            key = ("view", state.graph_type, namespaces, collapsed)
            return self._views.get(
                snapshot,
                key,
                lambda: project(
                    snapshot,
                    state.graph_type,
                    namespaces=namespaces,
                    collapsed=collapsed,
                    thresholds=self._thresholds,
                ),
            )

        if state.collapse == ALL_NAMESPACES:
            collapsed = frozenset(all_namespaces)
            return view_of(collapsed), collapsed, False
        if state.collapse is not None:
            collapsed = frozenset(state.collapse)
            return view_of(collapsed), collapsed, False
        view = view_of(frozenset())
        if len(view.nodes) <= self._auto_collapse_nodes:
            return view, frozenset(), False
        collapsed = frozenset(all_namespaces)
        return view_of(collapsed), collapsed, True


def _mark(elements: list[dict[str, Any]], *, matched: frozenset[str] | None, selected: str) -> None:
    """Add find classes and the selection to freshly built elements."""
    for element in elements:
        element_id = element["data"]["id"]
        if matched is not None and "box" not in element["classes"].split():
            element["classes"] += " find-match" if element_id in matched else " find-dim"
        if element_id == selected:
            element["selected"] = True
