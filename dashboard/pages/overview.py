"""Overview: what the snapshot holds, per namespace, and the call edges that need a look."""

from __future__ import annotations

from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, html

from collectors.kinds import EdgeKind, NodeKind
from collectors.model import Snapshot
from dashboard.app import SNAPSHOT_VERSION, current_snapshot
from dashboard.summary import namespace_rows, worst_edges

dash.register_page(__name__, path="/overview", name="Overview", title="meshlens · Overview")


def layout(**_query: Any) -> html.Div:
    """Render the overview of the current snapshot."""
    return html.Div(_body(current_snapshot()), id="overview-body")


@dash.callback(
    Output("overview-body", "children"),
    Input(SNAPSHOT_VERSION, "data"),
    prevent_initial_call=True,
)
def refresh(_version: int | None) -> list[Any]:
    """Live mode: redraw with the snapshot just collected."""
    return _body(current_snapshot())


def _body(snapshot: Snapshot) -> list[Any]:
    workloads = sum(1 for _ in snapshot.nodes(NodeKind.WORKLOAD))
    calls = sum(1 for _ in snapshot.edges(EdgeKind.CALLS))
    namespaces = namespace_rows(snapshot)
    cards = dbc.Row(
        [
            _card("Namespaces", len(namespaces), "overview-namespaces"),
            _card("Workloads", workloads, "overview-workloads"),
            _card("Call edges", calls, "overview-calls"),
            _card("Incidents (ground truth)", len(snapshot.incidents), "overview-incidents"),
        ],
        className="mb-4",
    )
    return [
        html.H2("Overview"),
        cards,
        html.H4("Namespaces"),
        _table(
            "overview-namespace-table",
            ("Namespace", "Workloads", "Services", "Inbound call edges", "Unhealthy workloads"),
            [(r.namespace, r.workloads, r.services, r.call_edges, r.unhealthy) for r in namespaces],
        ),
        html.H4("Call edges needing a look"),
        _table(
            "overview-edge-table",
            ("Source", "Destination", "Protocol", "Requests/s", "Errors", "p95", "Health"),
            [
                (
                    r.source,
                    r.target,
                    r.protocol,
                    f"{r.request_rate:.2f}",
                    f"{r.error_ratio:.1%}",
                    "n/a" if r.p95_ms is None else f"{r.p95_ms:.0f} ms",
                    r.health.value.replace("_", " "),
                )
                for r in worst_edges(snapshot)
            ],
        ),
        html.H4("Injected incidents"),
        html.P(
            "The demo platform records the true root cause of each incident it injects; "
            "the Triage page ranks causes without looking at this list, so the two can be "
            "compared.",
            className="text-muted",
        ),
        html.Ul(
            [
                html.Li(
                    f"{i.kind.value}: {i.summary} (root cause {i.root_cause}, "
                    f"from {i.start:%H:%M} UTC)"
                )
                for i in snapshot.incidents
            ],
            id="overview-incident-list",
        ),
    ]


def _card(title: str, value: int, component_id: str) -> dbc.Col:
    return dbc.Col(
        dbc.Card(
            dbc.CardBody(
                [
                    html.Div(title, className="text-muted small"),
                    html.Div(str(value), className="fs-3 fw-bold", id=component_id),
                ]
            )
        )
    )


def _table(
    component_id: str, headers: tuple[str, ...], rows: list[tuple[object, ...]]
) -> dbc.Table:
    return dbc.Table(
        [
            html.Thead(html.Tr([html.Th(h) for h in headers])),
            html.Tbody([html.Tr([html.Td(str(cell)) for cell in row]) for row in rows]),
        ],
        striped=True,
        size="sm",
        id=component_id,
    )
