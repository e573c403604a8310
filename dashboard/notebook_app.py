"""The topology of a snapshot as a small Dash app beside a notebook: graph and details panel.

:func:`show_topology` serves :func:`topology_app` from the kernel and shows it in the output
cell (or prints its URL). Both are also exported by :mod:`dashboard.notebook`, which holds the
figure and details functions and explains the view options they all share.

    >>> from collectors.sources.demo import demo_snapshot
    >>> from dashboard.notebook_app import show_topology
    >>> snap = demo_snapshot()
    >>> show_topology(snap, focus="workload:Kubernetes/bookinfo/reviews-v2")  # doctest: +SKIP
"""

from __future__ import annotations

import socket
from dataclasses import replace
from importlib import resources
from typing import Any, Literal, Unpack, get_args
from urllib.parse import parse_qs

from dash import Dash, Input, Output, ctx, dcc, html
from dash.exceptions import PreventUpdate

from collectors.model import Snapshot
from dashboard._notebook_scene import ViewOptions, summary, topology_scene
from dashboard.components.topology_graph import topology_graph
from dashboard.components.topology_panel import panel_contents
from dashboard.topology.scene import TopologyEngine

__all__ = [
    "GRAPH",
    "JUPYTER_MODES",
    "PANEL",
    "URL",
    "JupyterMode",
    "free_port",
    "show_topology",
    "topology_app",
]

JupyterMode = Literal["inline", "external", "jupyterlab", "tab"]
JUPYTER_MODES: tuple[JupyterMode, ...] = get_args(JupyterMode)
"""How :func:`show_topology` shows the app (Dash's ``jupyter_mode`` values)."""

GRAPH = "notebook-topology-graph"
PANEL = "notebook-topology-panel"
URL = "notebook-topology-url"
_FRAME_EXTRA_PX = 60  # the summary line and padding around the graph inside the IFrame


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
                [summary(scene), *(html.Div(notice) for notice in scene.notices)],
                className="small text-muted mb-1",
            ),
            html.Div(
                [
                    html.Div(
                        topology_graph(
                            GRAPH,
                            scene,
                            height=f"{height}px",
                            dark=dark,
                            class_name="border rounded",
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
