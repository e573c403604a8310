"""The scene behind every notebook function: the view options, their checks and notices.

:func:`topology_scene`, :class:`ViewOptions` and :class:`TopologyNotice` are public through
:mod:`dashboard.notebook`; the figure and details there and the app in
:mod:`dashboard.notebook_app` are all built on :func:`topology_scene`.
"""

from __future__ import annotations

import sys
import warnings
from collections.abc import Sequence
from datetime import datetime
from types import FrameType
from typing import Literal, TypedDict

from collectors.model import Snapshot
from dashboard.figures.topology import EdgeLabel
from dashboard.topology.expressions import parse
from dashboard.topology.filtering import Direction
from dashboard.topology.layout import Algorithm
from dashboard.topology.projection import GraphType, TopologyView
from dashboard.topology.scene import Scene, TopologyEngine
from dashboard.topology.state import ALL_NAMESPACES, TopologyState
from dashboard.topology.window import human_duration

# The public functions that call topology_scene live in these modules too: a notice must point
# past all of them, at the notebook line that asked.
_NOTEBOOK_MODULES = frozenset({__name__, "dashboard.notebook", "dashboard.notebook_app"})


class TopologyNotice(UserWarning):
    """The view differs from what was asked (window clipped, focus not found, auto-collapse)."""


class ViewOptions(TypedDict, total=False):
    """The view options the notebook functions accept; :func:`topology_scene` explains them."""

    graph_type: GraphType | str
    namespaces: Sequence[str] | str
    collapse: Sequence[str] | Literal["all"] | None
    edge_label: EdgeLabel | str
    layout: Algorithm
    find: str
    hide: str
    focus: str
    hops: int
    direction: Direction
    window: str
    end: str | datetime


def _names(value: Sequence[str] | str) -> tuple[str, ...]:
    return (value,) if isinstance(value, str) else tuple(value)


def _caller_level() -> int:
    """The ``stacklevel`` that points a warning at the first caller outside these modules."""
    frame: FrameType | None = sys._getframe(1)  # the function that warns: stacklevel 1
    level = 1
    while frame is not None and frame.f_globals.get("__name__") in _NOTEBOOK_MODULES:
        frame, level = frame.f_back, level + 1
    return level


def _collapse(value: Sequence[str] | Literal["all"] | None) -> tuple[str, ...] | None:
    if value is None:
        return None
    return ALL_NAMESPACES if value == "all" else _names(value)


def resolve(view: TopologyView, element_id: str) -> str:
    """A view id for ``element_id``: itself, or the view node that merged that snapshot node."""
    ids = {node.id for node in (*view.nodes, *view.boxes)} | {edge.id for edge in view.edges}
    if element_id in ids:
        return element_id
    holder = next((node.id for node in view.nodes if element_id in node.members), None)
    return holder or element_id


def topology_scene(
    snapshot: Snapshot,
    *,
    graph_type: GraphType | str = GraphType.WORKLOAD,
    namespaces: Sequence[str] | str = (),
    collapse: Sequence[str] | Literal["all"] | None = None,
    edge_label: EdgeLabel | str = EdgeLabel.REQUEST_RATE,
    layout: Algorithm = "layered",
    find: str = "",
    hide: str = "",
    focus: str = "",
    hops: int = 1,
    direction: Direction = "both",
    window: str = "",
    end: str | datetime = "",
    engine: TopologyEngine | None = None,
) -> Scene:
    """What the topology page would draw for these options (see ``TopologyEngine.scene``).

    ``graph_type``: workload, app, versioned_app or service. ``namespaces``: keep calls with an
    end in these (empty: all). ``collapse``: namespaces drawn as one node each, ``"all"``, or
    None to collapse everything only when the graph is too big to read. ``find`` highlights and
    ``hide`` removes what an expression matches (``docs/find-hide.md``). ``focus``: a view node
    id, or a snapshot node id merged into one (a workload in the app graph), with everything
    within ``hops`` calls in ``direction``. ``window``: ``30m``, ``1h``, ``all``... ending at
    ``end`` (ISO-8601 text or a datetime; default the snapshot's end); empty for the
    snapshot's own rates.

    Raises ``ExpressionError`` (a ``ValueError``) for a bad find or hide expression and
    ``ValueError`` for an unknown graph type, edge label or layout; a :class:`TopologyNotice`
    warning says when the view differs from what was asked.
    """
    # Raise on a bad expression: the page shows the error beside its box, a notebook must stop.
    parse(find)
    parse(hide)
    if layout not in ("layered", "force"):
        raise ValueError(f"layout must be 'layered' or 'force', not {layout!r}")
    engine = engine or TopologyEngine()
    state = TopologyState(
        graph_type=GraphType(graph_type),
        namespaces=_names(namespaces),
        collapse=_collapse(collapse),
        edge_label=EdgeLabel(edge_label),
        layout=layout,
        find=find,
        hide=hide,
        hops=hops,
        direction=direction,
        window=window,
        end=end.isoformat() if isinstance(end, datetime) else end,
    )
    if focus:
        unfocused = engine.scene(snapshot, state)
        state = state.with_changes(focus=resolve(unfocused.view, focus))
    scene = engine.scene(snapshot, state)
    notices = list(scene.notices)
    if scene.auto_collapsed:
        notices.append("In a notebook, pass collapse=() to draw every node.")
    if notices:
        warnings.warn(" ".join(notices), TopologyNotice, stacklevel=_caller_level())
    return scene


def summary(scene: Scene) -> str:
    """One line saying which graph is drawn, how big it is, and over which window."""
    rates = f"the snapshot's last {human_duration(scene.snapshot.meta.rate_window_seconds)}"
    window = scene.window.label if scene.window else rates
    graph = scene.view.graph_type.value.replace("_", " ")
    return (
        f"{graph} graph · {len(scene.view.nodes)} nodes · {len(scene.view.edges)} edges · "
        f"traffic over {window}"
    )
