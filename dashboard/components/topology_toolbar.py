"""The topology page's controls, built from a state so a shared URL opens them as it was."""

from __future__ import annotations

from typing import Any

import dash_bootstrap_components as dbc
from dash import dcc, html

from dashboard.figures.topology import EdgeLabel
from dashboard.topology.controls import Control
from dashboard.topology.projection import GraphType
from dashboard.topology.state import ALL_NAMESPACES, MAX_HOPS, TopologyState

GRAPH_TYPE_LABELS = {
    GraphType.WORKLOAD: "Workload graph",
    GraphType.APP: "App graph",
    GraphType.VERSIONED_APP: "Versioned app graph",
    GraphType.SERVICE: "Service graph",
}
EDGE_LABELS = {
    EdgeLabel.REQUEST_RATE: "Request rate",
    EdgeLabel.ERROR_PCT: "Error %",
    EdgeLabel.P95: "p95 latency",
    EdgeLabel.THROUGHPUT: "Throughput",
    EdgeLabel.NONE: "No edge labels",
}
DIRECTIONS = {"both": "up- and downstream", "upstream": "upstream only", "downstream": "downstream"}


def _options(labels: dict[str, str]) -> list[dict[str, str]]:
    return [{"label": label, "value": value} for value, label in labels.items()]


def _button(label: str, button_id: str) -> dbc.Button:
    return dbc.Button(label, id=button_id, size="sm", outline=True, color="secondary")


def _labelled(label: str, control: object, width: int) -> dbc.Col:
    return dbc.Col([dbc.Label(label, className="small text-muted mb-0"), control], md=width)


def _expression_box(
    control_id: str, label: str, value: str, placeholder: str, error: str | None
) -> dbc.Col:
    return _labelled(
        label,
        html.Div(
            [
                dbc.Input(
                    id=control_id,
                    value=value,
                    placeholder=placeholder,
                    debounce=True,  # apply on Enter or leaving the box, not per keystroke
                    size="sm",
                    maxLength=500,
                    invalid=error is not None,
                ),
                dbc.FormFeedback(error, id=f"{control_id}-feedback", type="invalid"),
            ]
        ),
        3,
    )


def toolbar(
    state: TopologyState,
    namespaces: tuple[str, ...],
    *,
    find_error: str | None = None,
    hide_error: str | None = None,
) -> html.Div:
    """Both rows of controls: what to draw, and how to narrow it down."""
    namespace_options = [{"label": name, "value": name} for name in namespaces]
    if state.collapse == ALL_NAMESPACES:
        collapse_value: list[str] | None = list(namespaces)
    else:
        collapse_value = None if state.collapse is None else list(state.collapse)
    first = dbc.Row(
        [
            _labelled(
                "Graph type",
                dcc.Dropdown(
                    id=Control.GRAPH_TYPE,
                    options=_options({k.value: v for k, v in GRAPH_TYPE_LABELS.items()}),
                    value=state.graph_type.value,
                    clearable=False,
                ),
                2,
            ),
            _labelled(
                "Namespaces",
                dcc.Dropdown(
                    id=Control.NAMESPACES,
                    options=namespace_options,
                    value=list(state.namespaces),
                    multi=True,
                    placeholder="All namespaces",
                ),
                4,
            ),
            _labelled(
                "Edge labels",
                dcc.Dropdown(
                    id=Control.LABELS,
                    options=_options({k.value: v for k, v in EDGE_LABELS.items()}),
                    value=state.edge_label.value,
                    clearable=False,
                ),
                2,
            ),
            _labelled(
                "Layout",
                dcc.Dropdown(
                    id=Control.LAYOUT,
                    options=[
                        {"label": "Layered, left to right", "value": "layered"},
                        {"label": "Force-directed", "value": "force"},
                    ],
                    value=state.layout,
                    clearable=False,
                ),
                2,
            ),
            dbc.Col(
                [
                    dbc.Label("Export", className="small text-muted mb-0 d-block"),
                    dbc.ButtonGroup(
                        [
                            _button("PNG", "topology-export-png"),
                            _button("SVG", "topology-export-svg"),
                            _button("JSON", "topology-export-json"),
                        ]
                    ),
                ],
                md=2,
            ),
        ],
        className="g-2 mb-2",
    )
    second = dbc.Row(
        [
            _expression_box(
                Control.FIND, "Find (highlight)", state.find, "error% > 5 or rps > 10", find_error
            ),
            _expression_box(
                Control.HIDE, "Hide", state.hide, "ns = istio-system or idle", hide_error
            ),
            _labelled(
                "Collapsed namespaces",
                dcc.Dropdown(
                    id=Control.COLLAPSE,
                    options=namespace_options,
                    value=collapse_value,
                    multi=True,
                    placeholder="Automatic: collapse all when the graph is large",
                ),
                3,
            ),
            dbc.Col(
                [
                    dbc.Label("Namespaces as one node", className="small text-muted mb-0 d-block"),
                    dbc.ButtonGroup(
                        [
                            _button("Collapse all", Control.COLLAPSE_ALL),
                            _button("Expand all", Control.EXPAND_ALL),
                        ]
                    ),
                    dbc.Button(
                        "Reset positions",
                        id="topology-reset-positions",
                        size="sm",
                        color="link",
                        title="Forget the positions you dragged nodes to in this view",
                    ),
                ],
                md=3,
            ),
        ],
        className="g-2 mb-2",
    )
    return html.Div([first, second], id="topology-toolbar")


def focus_controls(state: TopologyState) -> list[Any]:
    """Hops and direction of focus mode, shown in the side panel."""
    return [
        dbc.InputGroup(
            [
                dbc.InputGroupText("Hops"),
                dbc.Select(
                    id=Control.HOPS,
                    options=[{"label": str(n), "value": str(n)} for n in range(MAX_HOPS + 1)],
                    value=str(state.hops),
                ),
                dbc.Select(
                    id=Control.DIRECTION,
                    options=_options(DIRECTIONS),
                    value=state.direction,
                ),
            ],
            size="sm",
            className="mb-2",
        ),
    ]
