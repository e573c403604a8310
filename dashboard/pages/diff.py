"""What changed: two times of the served snapshot compared, shareable by URL.

The times live in the URL query (``?from=2026-11-24T06:30Z&to=2026-11-24T07:10Z&window=5m``):
the layout reads them, the inputs rewrite them without reloading (``meshlens.writeQuery``),
and a new snapshot in live mode redraws under the same query. Parsing and rows are the pure
functions of ``dashboard.figures.diff_table``; the comparison is
``dashboard.analysis.diff.diff_times``.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import ClientsideFunction, Input, Output, State, ctx, dcc, html

from collectors.model import Snapshot
from dashboard.analysis.diff import diff_times
from dashboard.analysis.diff_report import summary_line
from dashboard.app import SNAPSHOT_VERSION, current_snapshot
from dashboard.figures.diff_table import (
    QUERY_KEYS,
    WINDOW_CHOICES,
    Cell,
    DiffQuery,
    Section,
    diff_sections,
    duration_text,
    moment_text,
    parse_query,
    query_values,
)
from dashboard.topology.window import duration_seconds, human_duration

dash.register_page(__name__, path="/diff", name="What changed", title="meshlens · What changed")

QUERY = "diff-query"  # the query values, as the URL holds them
CONTROLS = ("diff-from", "diff-to", "diff-window")
MAX_ROWS = 200  # per section: a page of thousands of pod rows helps no one


def layout(**query: Any) -> html.Div:
    """Render the comparison the URL asks for (the last hour by default)."""
    snapshot = current_snapshot()
    asked = {key: query[key] for key in QUERY_KEYS if key in query}
    diff_query, problems = parse_query(asked, snapshot.meta)
    return html.Div(
        [
            html.H2("What changed"),
            dcc.Store(id=QUERY, data=asked),
            dcc.Store(id="diff-owned-keys", data=list(QUERY_KEYS)),
            dcc.Store(id="diff-url-sink"),
            _controls(diff_query),
            html.Div(_body(snapshot, diff_query, problems), id="diff-body"),
        ]
    )


@dash.callback(
    Output("diff-body", "children"),
    Output(QUERY, "data"),
    *(Input(control, "value") for control in CONTROLS),
    Input(SNAPSHOT_VERSION, "data"),
    State(QUERY, "data"),
    prevent_initial_call=True,
)
def refresh(
    before: str | None,
    after: str | None,
    window: str | None,
    _version: int | None,
    shown: dict[str, Any] | None,
) -> tuple[list[Any], dict[str, Any]]:
    """Redraw for a changed input, or (live mode) for a new snapshot under the same query."""
    snapshot = current_snapshot()
    if ctx.triggered_id == SNAPSHOT_VERSION:
        # Also keeps a link's unreadable values, which the inputs cannot hold.
        query = shown or {}
    else:
        typed = {"from": before or "", "to": after or "", "window": window or ""}
        query = {key: value.strip() for key, value in typed.items() if value and value.strip()}
    diff_query, problems = parse_query(query, snapshot.meta)
    if ctx.triggered_id != SNAPSHOT_VERSION and not problems:
        query = query_values(diff_query, snapshot.meta)
    return _body(snapshot, diff_query, problems), query


dash.clientside_callback(
    ClientsideFunction(namespace="meshlens", function_name="writeQuery"),
    Output("diff-url-sink", "data"),
    Input(QUERY, "data"),
    State("diff-owned-keys", "data"),
    prevent_initial_call=True,
)


def _window_options(seconds: int) -> list[dict[str, str]]:
    choices = [(value, duration_seconds(value) or 0) for value in WINDOW_CHOICES]
    if all(known != seconds for _, known in choices):
        # A link may carry a window the presets lack ("2m"): show it rather than nothing.
        choices.append((duration_text(seconds), seconds))
    ordered = sorted(choices, key=lambda choice: choice[1])
    return [{"label": human_duration(known), "value": value} for value, known in ordered]


def _controls(query: DiffQuery) -> dbc.Row:
    def moment(component_id: str, label: str, value: str) -> dbc.Col:
        return dbc.Col(
            [
                dbc.Label(label, html_for=component_id, className="small mb-0"),
                dbc.Input(
                    id=component_id,
                    value=value,
                    placeholder="2026-11-24T07:00Z",
                    debounce=True,
                ),
            ],
            md=4,
        )

    window_value = duration_text(query.window_seconds)
    return dbc.Row(
        [
            moment("diff-from", "Before (UTC; Enter to apply)", moment_text(query.before)),
            moment("diff-to", "After (UTC)", moment_text(query.after)),
            dbc.Col(
                [
                    dbc.Label(
                        "Averaged over the last", html_for="diff-window", className="small mb-0"
                    ),
                    dcc.Dropdown(
                        id="diff-window",
                        options=_window_options(query.window_seconds),
                        value=window_value,
                        clearable=False,
                        searchable=False,
                    ),
                ],
                md=3,
            ),
        ],
        className="g-2 mb-3",
    )


def _body(snapshot: Snapshot, query: DiffQuery, problems: list[str]) -> list[Any]:
    diff = diff_times(
        snapshot, query.before, query.after, window=timedelta(seconds=query.window_seconds)
    )
    summary = html.Div(
        [
            html.Span(f"{diff.before} → {diff.after}: ", className="fw-bold", id="diff-sides"),
            html.Span(summary_line(diff), id="diff-summary"),
        ],
        className="mb-2",
    )
    notices = [
        dbc.Alert(line, color="warning", className="py-1 mb-2 small", id=f"diff-problem-{n}")
        for n, line in enumerate(problems)
    ]
    notes = [
        dbc.Alert(line, color="secondary", className="py-1 mb-2 small", id=f"diff-note-{n}")
        for n, line in enumerate(diff.notes)
    ]
    sections = diff_sections(diff, window_seconds=query.window_seconds, limit=MAX_ROWS)
    if not sections:
        empty = html.P(
            "No differences between these two windows.", className="text-muted", id="diff-empty"
        )
        return [summary, *notices, *notes, empty]
    return [summary, *notices, *notes, *(_section(section) for section in sections)]


def _section(section: Section) -> html.Div:
    more = section.total - len(section.rows)
    caption = [html.P(f"and {more} more", className="small text-muted")] if more > 0 else []
    return html.Div(
        [
            html.H5(
                [section.title, dbc.Badge(str(section.total), color="secondary", className="ms-2")],
                className="mt-3",
            ),
            dbc.Table(
                [
                    html.Thead(html.Tr([html.Th(header) for header in section.headers])),
                    html.Tbody([html.Tr([_cell(cell) for cell in row]) for row in section.rows]),
                ],
                striped=True,
                size="sm",
                className="small",
                id=f"diff-table-{section.key.replace('_', '-')}",
            ),
            *caption,
        ],
        id=f"diff-section-{section.key.replace('_', '-')}",
    )


def _cell(cell: Cell) -> html.Td:
    if cell.href:
        return html.Td(dcc.Link(cell.text, href=cell.href, title="Show it on the Topology page"))
    if cell.tone:
        return html.Td(dbc.Badge(cell.text, color=cell.tone))
    return html.Td(cell.text)
