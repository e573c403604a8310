"""Topology: the call graph of the snapshot, Kiali-style, fast on big meshes.

The page state lives in one store (the URL's query values, see ``dashboard.topology.state``):
controls change it through ``apply_control``, a clientside callback writes it into the URL, and
the render and side-panel callbacks draw from it. The first render happens in ``layout`` itself,
so opening a link costs one round trip, not two.
"""

from __future__ import annotations

import json
from typing import Any

import dash
import dash_bootstrap_components as dbc
import dash_cytoscape as cyto
from dash import ClientsideFunction, Input, Output, State, ctx, dcc, html

from dashboard.app import SNAPSHOT_VERSION, current_engine, current_provider, current_snapshot
from dashboard.components.topology_graph import topology_graph
from dashboard.components.topology_panel import PanelContents, panel, panel_contents
from dashboard.components.topology_toolbar import toolbar
from dashboard.figures.topology import topology_stylesheet
from dashboard.topology.controls import Control, apply_control
from dashboard.topology.scene import Scene
from dashboard.topology.state import (
    ALL_NAMESPACES,
    QUERY_KEYS,
    TopologyState,
    parse_state,
    to_query,
)

# The bundle with extra layouts also carries cytoscape-svg, which the SVG export needs; no client
# layout is ever run (positions come from the server).
cyto.load_extra_layouts()
dash.register_page(__name__, path="/topology", name="Topology", title="meshlens · Topology")

GRAPH = "topology-graph"
STATE = "topology-state"
RENDERED = "topology-rendered"
POSITIONS = "topology-positions"


def layout(**query: Any) -> html.Div:
    """Render the page for the view the URL describes."""
    state, problems = parse_state(query)
    scene = _scene(state)
    return html.Div(
        [
            dcc.Store(id=STATE, data=to_query(state)),
            dcc.Store(id="topology-owned-keys", data=list(QUERY_KEYS)),
            dcc.Store(id=RENDERED, data=_rendered(scene)),
            dcc.Store(id=POSITIONS, storage_type="session"),
            *(dcc.Store(id=f"topology-{sink}-sink") for sink in ("url", "track")),
            dcc.Store(id="topology-graph-id", data=GRAPH),
            dcc.Download(id="topology-download"),
            toolbar(
                state,
                scene.namespaces,
                find_error=scene.find_error,
                hide_error=scene.hide_error,
            ),
            html.Div(_notices(scene, problems), id="topology-notices"),
            dbc.Row(
                [
                    dbc.Col(
                        [
                            topology_graph(
                                GRAPH,
                                scene,
                                height="72vh",
                                class_name="topology-canvas border rounded",
                            ),
                            html.Div(_summary(scene), id="topology-summary", className="small"),
                        ],
                        lg=9,
                    ),
                    dbc.Col(panel(_panel_contents(scene), state), lg=3),
                ],
                className="g-2",
            ),
        ]
    )


def _scene(state: TopologyState) -> Scene:
    return current_engine().scene(current_snapshot(), state)


def _panel_contents(scene: Scene, *, dark: bool = False) -> PanelContents:
    rate_window = None
    if scene.window is not None:
        rate_window = _scene(scene.state.with_changes(window="", end=""))
    return panel_contents(scene, rate_window=rate_window, dark=dark)


def _rendered(scene: Scene) -> dict[str, Any]:
    """What the browser needs to know about the drawing besides its elements."""
    drawn = to_query(scene.state.with_changes(selected=""))
    return {
        "drawn": drawn,
        "version": current_provider().version,
        "layout_key": scene.layout_key,
        "collapsed": sorted(scene.collapsed),
        "large": scene.large,
    }


def _notices(scene: Scene, problems: list[str]) -> list[dbc.Alert]:
    lines = [*problems, *scene.notices]
    return [
        dbc.Alert(line, color="warning", className="py-1 mb-2 small", id=f"topology-notice-{n}")
        for n, line in enumerate(lines)
    ]


def _summary(scene: Scene) -> str:
    window = (
        f"{scene.window.label} (errors in a chosen window are judged as 5xx)"
        if scene.window
        else "the snapshot's own rates"
    )
    boxes = sum(1 for box in scene.view.boxes if box.kind == "namespace")
    return (
        f"{len(scene.view.nodes)} nodes · {len(scene.view.edges)} edges · "
        f"{boxes} namespace boxes · traffic over {window}"
    )


# Everything that changes the view state; the callback reads only the one that fired.
_STATE_INPUTS = (
    *((control, "value") for control in (Control.GRAPH_TYPE, Control.NAMESPACES)),
    *((control, "value") for control in (Control.COLLAPSE, Control.LABELS, Control.LAYOUT)),
    *((control, "value") for control in (Control.FIND, Control.HIDE, Control.HOPS)),
    (Control.DIRECTION, "value"),
    *((button, "n_clicks") for button in (Control.FOCUS, Control.UNFOCUS, Control.EXPAND_ALL)),
    *((button, "n_clicks") for button in (Control.COLLAPSE_ALL, Control.TOGGLE_NAMESPACE)),
    (Control.CLOSE_PANEL, "n_clicks"),
    (GRAPH, "tapNodeData"),
    (GRAPH, "tapEdgeData"),
    (Control.WINDOW, "value"),
)
_TAPS = {f"{GRAPH}.tapNodeData": Control.TAP_NODE, f"{GRAPH}.tapEdgeData": Control.TAP_EDGE}


@dash.callback(
    Output(STATE, "data"),
    Output(Control.COLLAPSE, "value"),
    *(Input(component, prop) for component, prop in _STATE_INPUTS),
    State(STATE, "data"),
    State(RENDERED, "data"),
    prevent_initial_call=True,
)
def update_state(*values: Any) -> tuple[dict[str, str], Any]:
    """Apply the control that fired (read through ``ctx``) to the state."""
    query, rendered = values[-2:]
    state, _ = parse_state(query or {})
    fired = ctx.triggered[0]
    control = _TAPS.get(fired["prop_id"], ctx.triggered_id)
    collapsed_now = (rendered or {}).get("collapsed", [])
    new = apply_control(state, control, fired["value"], collapsed_now=collapsed_now)
    collapse_value: Any = dash.no_update
    if new.collapse != state.collapse and control != Control.COLLAPSE:
        collapse_value = _collapse_value(new)
    return to_query(new), collapse_value


def _collapse_value(state: TopologyState) -> list[str] | None:
    """What the collapse picker shows: None while collapsing is automatic."""
    if state.collapse == ALL_NAMESPACES:
        return list(current_engine().namespaces(current_snapshot()))
    return None if state.collapse is None else list(state.collapse)


@dash.callback(
    Output(GRAPH, "elements"),
    Output(RENDERED, "data"),
    Output("topology-notices", "children"),
    Output("topology-summary", "children"),
    Output(Control.FIND, "invalid"),
    Output(f"{Control.FIND}-feedback", "children"),
    Output(Control.HIDE, "invalid"),
    Output(f"{Control.HIDE}-feedback", "children"),
    Input(STATE, "data"),
    Input(SNAPSHOT_VERSION, "data"),  # live mode: a new snapshot was collected
    State(RENDERED, "data"),
    prevent_initial_call=True,
)
def render(
    query: dict[str, str], _version: int | None, rendered: dict[str, Any] | None
) -> tuple[Any, ...]:
    """Draw the graph for the state; a change of selection alone redraws nothing."""
    state, problems = parse_state(query or {})
    if (
        rendered
        and rendered.get("drawn") == to_query(state.with_changes(selected=""))
        and rendered.get("version") == current_provider().version
    ):
        raise dash.exceptions.PreventUpdate
    scene = _scene(state)
    return (
        scene.elements,
        _rendered(scene),
        _notices(scene, problems),
        _summary(scene),
        scene.find_error is not None,
        scene.find_error,
        scene.hide_error is not None,
        scene.hide_error,
    )


@dash.callback(
    Output("topology-panel-body", "children"),
    Output("topology-panel-actions", "style"),
    Output(Control.FOCUS, "disabled"),
    Output(Control.UNFOCUS, "style"),
    Output(Control.TOGGLE_NAMESPACE, "children"),
    Output(Control.TOGGLE_NAMESPACE, "style"),
    Input(STATE, "data"),
    Input("shell-theme", "value"),  # also at load: the theme a browser remembered may be dark
    Input(SNAPSHOT_VERSION, "data"),
)
def show_details(query: dict[str, str], dark: bool | None, _version: int | None) -> tuple[Any, ...]:
    """Fill the side panel for the selected node or edge."""
    if ctx.triggered_id is None and not dark:
        raise dash.exceptions.PreventUpdate  # ``layout`` already drew this panel, light
    state, _ = parse_state(query or {})
    return _panel_contents(_scene(state), dark=bool(dark)).outputs()


@dash.callback(
    Output(GRAPH, "stylesheet"),
    Input("shell-theme", "value"),
    Input(RENDERED, "data"),
    State(GRAPH, "stylesheet"),
)
def restyle(dark: bool | None, rendered: dict[str, Any] | None, current: Any) -> Any:
    """Match the graph's style to the theme and the graph's size.

    A new stylesheet makes Cytoscape restyle and redraw every element (over a second at 2,000
    nodes), so an unchanged one is not sent again.
    """
    wanted = topology_stylesheet(dark=bool(dark), large=bool((rendered or {}).get("large")))
    return dash.no_update if wanted == current else wanted


@dash.callback(
    Output(GRAPH, "generateImage"),
    Input("topology-export-png", "n_clicks"),
    Input("topology-export-svg", "n_clicks"),
    prevent_initial_call=True,
)
def export_image(_png: int | None, _svg: int | None) -> dict[str, Any]:
    """Download the graph as drawn (with the user's zoom undone: the full graph)."""
    kind = "svg" if ctx.triggered_id == "topology-export-svg" else "png"
    return {
        "type": kind,
        "action": "download",
        "filename": "meshlens-topology",
        "options": {"full": True, "bg": "white", "scale": 2} if kind == "png" else {"full": True},
    }


@dash.callback(
    Output("topology-download", "data"),
    Input("topology-export-json", "n_clicks"),
    State(STATE, "data"),
    prevent_initial_call=True,
)
def export_json(_clicks: int | None, query: dict[str, str]) -> dict[str, Any]:
    """Download the drawn view: the state that made it and its elements with positions."""
    state, _ = parse_state(query or {})
    scene = _scene(state)
    document = {
        "meshlens_view": "topology",
        "query": to_query(state),
        "window": scene.window.label if scene.window else "snapshot rates",
        "generator": scene.snapshot.meta.generator,
        "elements": scene.elements,
    }
    return {
        "content": json.dumps(document, indent=1, sort_keys=True),
        "filename": "meshlens-topology.json",
        "type": "application/json",
    }


dash.clientside_callback(
    ClientsideFunction(namespace="meshlens", function_name="writeQuery"),
    Output("topology-url-sink", "data"),
    Input(STATE, "data"),
    State("topology-owned-keys", "data"),
    prevent_initial_call=True,
)
dash.clientside_callback(
    ClientsideFunction(namespace="meshlens", function_name="trackPositions"),
    Output("topology-track-sink", "data"),
    Input(GRAPH, "elements"),
    Input(POSITIONS, "data"),
    State(RENDERED, "data"),
    State("topology-graph-id", "data"),
)
dash.clientside_callback(
    ClientsideFunction(namespace="meshlens", function_name="resetPositions"),
    Output(POSITIONS, "data"),
    Input("topology-reset-positions", "n_clicks"),
    State(RENDERED, "data"),
    State("topology-graph-id", "data"),
    prevent_initial_call=True,
)
