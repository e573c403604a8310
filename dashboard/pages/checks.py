"""Checks: every finding of the snapshot's troubleshooting checks, filterable, shareable by URL.

The filter lives in the URL query (``?severity=error&namespace=bookinfo&q=fault``): the layout
reads it, the controls rewrite it without reloading (``meshlens.writeQuery``), and a new
snapshot in live mode redraws the table under the same filter. Parsing and filtering are the
pure functions of ``dashboard.figures.checks_table``.
"""

from __future__ import annotations

from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import ClientsideFunction, Input, Output, State, ctx, dcc, html

from collectors.checks import all_checks
from collectors.kinds import Severity
from collectors.model import Snapshot
from dashboard.app import SNAPSHOT_VERSION, current_snapshot
from dashboard.figures.checks_table import (
    QUERY_KEYS,
    SEVERITY_COLOURS,
    CheckFilter,
    CheckRow,
    check_rows,
    cluster_notes,
    finding_nodes,
    parse_filter,
    severity_counts,
)

dash.register_page(__name__, path="/checks", name="Checks", title="meshlens · Checks")

QUERY = "checks-query"  # the filter's query values, as the URL holds them
CONTROLS = ("checks-severity", "checks-namespace", "checks-code", "checks-text")


def layout(**query: Any) -> html.Div:
    """Render the findings the URL's filter lets through."""
    snapshot = current_snapshot()
    asked = {key: query[key] for key in QUERY_KEYS if key in query}
    check_filter, problems = parse_filter(asked)
    return html.Div(
        [
            html.H2("Checks"),
            dcc.Store(id=QUERY, data=asked),
            dcc.Store(id="checks-owned-keys", data=list(QUERY_KEYS)),
            dcc.Store(id="checks-url-sink"),
            _controls(snapshot, check_filter),
            html.Div(_body(snapshot, check_filter, problems), id="checks-body"),
        ]
    )


@dash.callback(
    Output("checks-body", "children"),
    Output(QUERY, "data"),
    *(Input(control, "value") for control in CONTROLS),
    Input(SNAPSHOT_VERSION, "data"),
    State(QUERY, "data"),
    prevent_initial_call=True,
)
def refresh(
    severities: list[str] | None,
    namespaces: list[str] | None,
    codes: list[str] | None,
    text: str | None,
    _version: int | None,
    shown: dict[str, Any] | None,
) -> tuple[list[Any], dict[str, Any]]:
    """Redraw for a changed control, or (live mode) for a new snapshot under the same filter."""
    query = _query_for(ctx.triggered_id, severities, namespaces, codes, text, shown or {})
    check_filter, problems = parse_filter(query)
    return _body(current_snapshot(), check_filter, problems), query


dash.clientside_callback(
    ClientsideFunction(namespace="meshlens", function_name="writeQuery"),
    Output("checks-url-sink", "data"),
    Input(QUERY, "data"),
    State("checks-owned-keys", "data"),
    prevent_initial_call=True,
)


def _query_for(
    trigger: Any,
    severities: list[str] | None,
    namespaces: list[str] | None,
    codes: list[str] | None,
    text: str | None,
    shown: dict[str, Any],
) -> dict[str, Any]:
    """The query to draw: the one shown on a new snapshot, else the controls' values."""
    if trigger == SNAPSHOT_VERSION:
        # Also keeps a link's unreadable values, which the controls cannot hold.
        return shown
    query = {
        "severity": ",".join(severities or ()),
        "namespace": ",".join(namespaces or ()),
        "code": ",".join(codes or ()),
        "q": (text or "").strip(),
    }
    return {key: value for key, value in query.items() if value}


def _options(known: list[tuple[str, str]], asked: tuple[str, ...]) -> list[dict[str, str]]:
    # A link may ask for values this snapshot lacks: show them, so the filter is visible.
    values = {value for value, _ in known}
    extra = [(value, value) for value in asked if value not in values]
    return [{"label": label, "value": value} for value, label in [*known, *extra]]


def _controls(snapshot: Snapshot, check_filter: CheckFilter) -> dbc.Row:
    namespaces = sorted({f.namespace for f in snapshot.findings if f.namespace})
    checks = [(known.code, f"{known.code} {known.title}") for known in all_checks()]

    def dropdown(
        component_id: str, placeholder: str, options: list[dict[str, str]], value: Any
    ) -> dbc.Col:
        return dbc.Col(
            dcc.Dropdown(
                id=component_id,
                options=options,
                value=list(value),
                multi=True,
                placeholder=placeholder,
            ),
            md=3,
        )

    return dbc.Row(
        [
            dropdown(
                "checks-severity",
                "Any severity",
                _options([(s.value, s.value) for s in Severity], check_filter.severities),
                check_filter.severities,
            ),
            dropdown(
                "checks-namespace",
                "Any namespace",
                _options([(n, n) for n in namespaces], check_filter.namespaces),
                check_filter.namespaces,
            ),
            dropdown(
                "checks-code", "Any check", _options(checks, check_filter.codes), check_filter.codes
            ),
            dbc.Col(
                dbc.Input(
                    id="checks-text",
                    value=check_filter.text,
                    placeholder="Text in the object, message or hint (Enter)",
                    debounce=True,
                ),
                md=3,
            ),
        ],
        className="g-2 mb-3",
    )


def _body(snapshot: Snapshot, check_filter: CheckFilter, problems: list[str]) -> list[Any]:
    counts = severity_counts(snapshot.findings)
    rows = check_rows(snapshot.findings, check_filter, finding_nodes(snapshot))
    summary = html.Div(
        [
            *(
                dbc.Badge(
                    f"{counts[severity]} {severity.value}",
                    color=SEVERITY_COLOURS[severity],
                    className="me-2",
                    id=f"checks-count-{severity.value}",
                )
                for severity in Severity
            ),
            html.Span(
                f"showing {len(rows)} of {len(snapshot.findings)}",
                className="text-muted small",
                id="checks-shown",
            ),
        ],
        className="mb-2",
    )
    notes = [
        dbc.Alert(line, color="secondary", className="py-1 mb-2 small", id=f"checks-note-{n}")
        for n, line in enumerate(cluster_notes(snapshot.meta.sources))
    ]
    notices = [
        dbc.Alert(line, color="warning", className="py-1 mb-2 small", id=f"checks-problem-{n}")
        for n, line in enumerate(problems)
    ]
    return [summary, *notes, *notices, _table(rows)]


def _table(rows: list[CheckRow]) -> dbc.Table | html.P:
    if not rows:
        return html.P("No findings match.", className="text-muted", id="checks-empty")
    headers = ("Severity", "Code", "Object", "Message", "Hint")
    return dbc.Table(
        [
            html.Thead(html.Tr([html.Th(header) for header in headers])),
            html.Tbody([_row(row) for row in rows]),
        ],
        striped=True,
        size="sm",
        className="small",
        id="checks-table",
    )


def _row(row: CheckRow) -> html.Tr:
    target: Any = row.object
    if row.topology:
        target = dcc.Link(row.object, href=row.topology, title="Show it on the Topology page")
    return html.Tr(
        [
            html.Td(dbc.Badge(row.severity.value, color=SEVERITY_COLOURS[row.severity])),
            html.Td(html.Code(row.code)),
            html.Td(target),
            html.Td(row.message),
            html.Td(row.hint, className="text-muted"),
        ]
    )
