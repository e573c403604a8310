"""The topology of a snapshot in Jupyter: scenes, Plotly figures, details and an inline app.

    >>> from collectors.sources.demo import demo_snapshot
    >>> from dashboard.notebook import details, show_topology, topology_figure
    >>> snap = demo_snapshot()
    >>> topology_figure(snap, graph_type="app", hide="ns = istio-system")  # doctest: +SKIP
    >>> details(snap, "workload:Kubernetes/bookinfo/ratings-v1").callers[0].label
    'reviews-v2'
    >>> show_topology(snap, focus="workload:Kubernetes/bookinfo/reviews-v2")  # doctest: +SKIP

Every function takes the topology page's view options as keywords (see :class:`ViewOptions`
and :func:`topology_scene`), so a view found in the dashboard can be rebuilt here from its
URL's values. :func:`topology_figure` needs no server: the figure zooms and hovers in the
notebook and saves as a static HTML file. :func:`show_topology` serves the page's Cytoscape
graph in a small Dash app beside the notebook, where a click shows a node's or an edge's
details in a side panel.

Nothing is kept between calls unless you pass an ``engine``: a :class:`TopologyEngine` caches
windows, projections and layouts, so reuse one when you draw many views of a big snapshot.
"""

from __future__ import annotations

import socket
import sys
import warnings
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from importlib import resources
from types import FrameType
from typing import Any, Literal, TypedDict, Unpack, get_args
from urllib.parse import parse_qs

import dash_cytoscape as cyto
import plotly.graph_objects as go
from dash import Dash, Input, Output, ctx, dcc, html
from dash.exceptions import PreventUpdate

from collectors.model import Snapshot
from dashboard.components.topology_panel import panel_contents
from dashboard.figures.topology import EdgeLabel, topology_stylesheet
from dashboard.figures.topology_plotly import topology_figure as view_figure
from dashboard.topology.details import Details, element_details
from dashboard.topology.expressions import parse
from dashboard.topology.filtering import Direction
from dashboard.topology.layout import Algorithm
from dashboard.topology.projection import GraphType, TopologyView
from dashboard.topology.scene import Scene, TopologyEngine
from dashboard.topology.state import ALL_NAMESPACES, TopologyState
from dashboard.topology.window import human_duration

__all__ = [
    "JUPYTER_MODES",
    "JupyterMode",
    "TopologyNotice",
    "ViewOptions",
    "details",
    "free_port",
    "show_topology",
    "topology_app",
    "topology_figure",
    "topology_scene",
]

JupyterMode = Literal["inline", "external", "jupyterlab", "tab"]
JUPYTER_MODES: tuple[JupyterMode, ...] = get_args(JupyterMode)
"""How :func:`show_topology` shows the app (Dash's ``jupyter_mode`` values)."""

GRAPH = "notebook-topology-graph"
PANEL = "notebook-topology-panel"
URL = "notebook-topology-url"
_FRAME_EXTRA_PX = 60  # the summary line and padding around the graph inside the IFrame


class TopologyNotice(UserWarning):
    """The view differs from what was asked (window clipped, focus not found, auto-collapse)."""


class ViewOptions(TypedDict, total=False):
    """The view options every function here accepts; :func:`topology_scene` explains them."""

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
    """The ``stacklevel`` that points a warning at the first caller outside this module."""
    frame: FrameType | None = sys._getframe(1)  # the function that warns: stacklevel 1
    level = 1
    while frame is not None and frame.f_globals.get("__name__") == __name__:
        frame, level = frame.f_back, level + 1
    return level


def _collapse(value: Sequence[str] | Literal["all"] | None) -> tuple[str, ...] | None:
    if value is None:
        return None
    return ALL_NAMESPACES if value == "all" else _names(value)


def _resolve(view: TopologyView, element_id: str) -> str:
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
        state = state.with_changes(focus=_resolve(unfocused.view, focus))
    scene = engine.scene(snapshot, state)
    notices = list(scene.notices)
    if scene.auto_collapsed:
        notices.append("In a notebook, pass collapse=() to draw every node.")
    if notices:
        warnings.warn(" ".join(notices), TopologyNotice, stacklevel=_caller_level())
    return scene


def _summary(scene: Scene) -> str:
    rates = f"the snapshot's last {human_duration(scene.snapshot.meta.rate_window_seconds)}"
    window = scene.window.label if scene.window else rates
    graph = scene.view.graph_type.value.replace("_", " ")
    return (
        f"{graph} graph · {len(scene.view.nodes)} nodes · {len(scene.view.edges)} edges · "
        f"traffic over {window}"
    )


def topology_figure(
    snapshot: Snapshot,
    *,
    dark: bool = False,
    height: int = 600,
    engine: TopologyEngine | None = None,
    **options: Unpack[ViewOptions],
) -> go.Figure:
    """The view as a Plotly figure (zoom, pan, hover; no server), ``height`` pixels tall.

    Nodes a ``find`` expression matches stand out and the rest fades, as on the page. The
    figure is made by ``dashboard.figures.topology_plotly.topology_figure``; its title says
    what is drawn and over which window.
    """
    scene = topology_scene(snapshot, engine=engine, **options)
    figure = view_figure(
        scene.view,
        scene.positions,
        edge_label=scene.state.edge_label,
        dark=dark,
        highlight=scene.matched if scene.state.find else frozenset(),
    )
    figure.update_layout(title={"text": _summary(scene), "font": {"size": 13}}, height=height)
    return figure


def details(
    snapshot: Snapshot,
    element_id: str,
    *,
    engine: TopologyEngine | None = None,
    **options: Unpack[ViewOptions],
) -> Details | None:
    """What the page's side panel says about one node, edge or box of the view; None if absent.

    ``element_id`` is a view id, or a snapshot node id merged into a view node (a workload in
    the app graph). Series follow ``window``; stats, codes and flags are those of the view, so
    over a chosen window they carry rates and errors but no codes (see ``element_details``).
    """
    scene = topology_scene(snapshot, engine=engine, **options)
    window = (scene.window.start, scene.window.end) if scene.window else None
    return element_details(
        scene.snapshot, scene.view, _resolve(scene.view, element_id), window=window
    )


def _bootstrap_folder() -> str:
    # The same Bootstrap build the dashboard serves: never a CDN, machines are often offline.
    return str(resources.files("flask_bootstrap") / "static" / "bootstrap5" / "css")


def _selection(trigger: str, node: Any, edge: Any, search: str | None) -> str | None:
    """The element a panel event selects: a tapped node or edge, or a link's ``selected``.

    ``trigger`` is the Dash prop id that fired (``"<graph>.tapNodeData"``...). None: keep the
    selection (the location reports its query when the page loads, with nothing selected).
    """
    prop = trigger.rpartition(".")[2]
    if prop in ("tapNodeData", "tapEdgeData"):
        data = node if prop == "tapNodeData" else edge
        return str(data.get("id", "")) if isinstance(data, dict) else ""
    chosen = parse_qs((search or "").lstrip("?")).get("selected")
    return chosen[-1] if chosen else None


def topology_app(
    snapshot: Snapshot,
    *,
    selected: str = "",
    height: int = 600,
    dark: bool = False,
    engine: TopologyEngine | None = None,
    **options: Unpack[ViewOptions],
) -> Dash:
    """A standalone Dash app: the page's Cytoscape graph and a details panel for the clicked item.

    No Dash Pages and only ``app.callback``, so it runs beside other Dash apps in one kernel
    (but Dash hands callbacks registered with ``dash.callback`` to whichever app serves its
    first request, so build the dashboard's own app, if any, after this one has been served).
    ``selected`` opens with that element's details; the graph is ``height`` pixels tall.
    """
    engine = engine or TopologyEngine()
    scene = topology_scene(snapshot, engine=engine, **options)
    rate_window = None
    if scene.window is not None:
        # Codes and flags are not recorded per step: the panel takes them from the own rates.
        rate_window = engine.scene(snapshot, scene.state.with_changes(window="", end=""))

    def panel_body(chosen: str) -> list[Any]:
        picked = replace(scene, state=scene.state.with_changes(selected=chosen))
        return panel_contents(picked, rate_window=rate_window, dark=dark).body

    app = Dash(
        __name__,
        assets_folder=_bootstrap_folder(),
        assets_ignore=r"^(?!bootstrap\.min\.css$)",
        assets_path_ignore=["."],  # Bootswatch themes and icon fonts live in subfolders
        title="meshlens topology",
        update_title="",  # no "Updating..." flicker in the tab title
    )
    theme: dict[str, Any] = {"data-bs-theme": "dark" if dark else "light"}
    app.layout = html.Div(
        [
            dcc.Location(id=URL, refresh=False),  # the panel's neighbour links select by query
            html.Div(
                [_summary(scene), *(html.Div(notice) for notice in scene.notices)],
                className="small text-muted mb-1",
            ),
            html.Div(
                [
                    html.Div(
                        cyto.Cytoscape(
                            id=GRAPH,
                            elements=scene.elements,
                            layout={"name": "preset", "fit": True, "padding": 30},
                            stylesheet=topology_stylesheet(dark=dark),
                            minZoom=0.02,
                            maxZoom=4,
                            boxSelectionEnabled=False,
                            style={"width": "100%", "height": f"{height}px"},
                            className="border rounded",
                        ),
                        className="col-9",
                    ),
                    html.Div(
                        html.Div(panel_body(selected), id=PANEL),
                        className="col-3",
                        style={"maxHeight": f"{height}px", "overflowY": "auto"},
                    ),
                ],
                className="row g-2",
            ),
        ],
        className="container-fluid p-2 bg-body text-body",
        **theme,
    )

    @app.callback(
        Output(PANEL, "children"),
        Input(GRAPH, "tapNodeData"),
        Input(GRAPH, "tapEdgeData"),
        Input(URL, "search"),
        prevent_initial_call=True,
    )
    def _show_details(node: Any, edge: Any, search: str | None) -> list[Any]:
        trigger = ctx.triggered[0]["prop_id"] if ctx.triggered else ""
        chosen = _selection(trigger, node, edge, search)
        if chosen is None:
            raise PreventUpdate
        return panel_body(chosen)

    return app


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nothing listens on at ``host`` right now (the system picks it)."""
    with socket.socket() as probe:
        probe.bind((host, 0))
        port: int = probe.getsockname()[1]
        return port


def show_topology(
    snapshot: Snapshot,
    *,
    selected: str = "",
    height: int = 600,
    dark: bool = False,
    port: int | None = None,
    host: str = "127.0.0.1",
    mode: JupyterMode = "inline",
    engine: TopologyEngine | None = None,
    **options: Unpack[ViewOptions],
) -> Dash:
    """Serve :func:`topology_app` from the kernel and show it: ``mode`` is one of
    :data:`JUPYTER_MODES` (``inline``: in the output cell; ``external``: print its URL).

    Each call starts a server on a free port of ``host``; pass the same ``port`` again to
    replace an earlier view instead (Dash stops the server already on it). The server runs in
    a daemon thread of the kernel and ends with it. Outside Jupyter, Dash serves in the
    foreground until interrupted. On a remote Jupyter server, call
    ``dash.jupyter_dash.infer_jupyter_proxy_config()`` first so the app is reached through it.
    Returns the app.
    """
    if mode not in JUPYTER_MODES:
        raise ValueError(f"mode must be one of {', '.join(JUPYTER_MODES)}, not {mode!r}")
    app = topology_app(
        snapshot, selected=selected, height=height, dark=dark, engine=engine, **options
    )
    app.run(
        host=host,
        port=free_port(host) if port is None else port,
        debug=False,
        jupyter_mode=mode,
        jupyter_height=height + _FRAME_EXTRA_PX,
    )
    return app
