"""Triage: what is wrong now, where it most likely started, whom it hurts, what changed.

The state lives in the URL query (``?incident=20261124T1110-adservice&window=3h&hops=2``, see
``dashboard.components.triage_state``): the layout reads it, incident links change it (Dash
Pages draws the page again), the shell's window picker redraws it, and a new snapshot in live
mode redraws it under the same query. The analysis runs once per snapshot
(``dashboard.components.triage_cache``); a request only picks from its results.
"""

from __future__ import annotations

from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, ctx, dcc, html

from collectors.model import Snapshot
from dashboard.analysis.triage import TriagedIncident
from dashboard.app import SNAPSHOT_VERSION, current_snapshot
from dashboard.components.triage_cache import TriageCache, triage_cache
from dashboard.components.triage_detail import causes, header, reach, timeline
from dashboard.components.triage_graph import incident_graph
from dashboard.components.triage_heatmaps import incident_heatmaps
from dashboard.components.triage_hotspots import hotspots_section
from dashboard.components.triage_list import incident_list
from dashboard.components.triage_state import (
    QUERY_KEYS,
    WINDOW,
    TriageQuery,
    hotspot_slot,
    incident_window,
    overlapping,
    parse_query,
    query_after,
    select,
)
from dashboard.components.triage_words import count_text

dash.register_page(__name__, path="/triage", name="Triage", title="meshlens · Triage")

QUERY = "triage-query"  # the page's query values, as the URL holds them


def layout(**query: Any) -> html.Div:
    """Render the incidents and the open one for the URL's query."""
    asked = {key: query[key] for key in QUERY_KEYS if key in query}
    return html.Div(
        [
            html.H2("Triage"),
            dcc.Store(id=QUERY, data=asked),
            html.Div(body(current_snapshot(), asked, triage_cache()), id="triage-body"),
        ]
    )


@dash.callback(
    Output("triage-body", "children"),
    Output(QUERY, "data"),
    Input(SNAPSHOT_VERSION, "data"),
    Input(WINDOW, "value"),
    State(QUERY, "data"),
    prevent_initial_call=True,
)
def refresh(
    _version: int | None, window: str | None, shown: dict[str, Any] | None
) -> tuple[list[Any], dict[str, Any]]:
    """Redraw for a new snapshot (live mode) or a window picked in the shell."""
    query = query_after(ctx.triggered_id, window, shown or {})
    if query is None:
        raise dash.exceptions.PreventUpdate
    return body(current_snapshot(), query, triage_cache()), query


def body(snapshot: Snapshot, asked: dict[str, Any], cache: TriageCache) -> list[Any]:
    """The page under the title: counts, notes, the list, the open incident and hotspots."""
    report = cache.triage(snapshot)
    meta = snapshot.meta
    query, notes = parse_query(asked)
    window, window_notes = incident_window(query, meta)
    notes += window_notes
    shown = overlapping(report.incidents, window, meta.end)
    chosen, missing = select(shown, query.incident)
    if missing:
        notes.append(missing)
    where = window.label if window else f"{meta.start:%Y-%m-%d %H:%M} to {meta.end:%H:%M} UTC"
    at = hotspot_slot(report.analysis.times, window)
    return [
        html.P(count_text(shown, where), className="text-muted", id="triage-summary"),
        *(
            dbc.Alert(line, color="warning", className="py-1 mb-2 small", id=f"triage-note-{n}")
            for n, line in enumerate(notes)
        ),
        dbc.Row(
            [
                dbc.Col(
                    incident_list(
                        shown,
                        selected=chosen.id if chosen else "",
                        query=query,
                        snapshot_end=meta.end,
                    ),
                    lg=4,
                ),
                dbc.Col(_detail(snapshot, chosen, query, cache), lg=8, id="triage-detail"),
            ],
            className="g-3",
        ),
        hotspots_section(
            cache.hotspots(snapshot, at=at),
            hops=query.hops,
            at=None if at is None else report.analysis.time(at),
        ),
    ]


def _detail(
    snapshot: Snapshot, chosen: TriagedIncident | None, query: TriageQuery, cache: TriageCache
) -> list[Any]:
    if chosen is None:
        return []
    analysis = cache.triage(snapshot).analysis
    end = snapshot.meta.end
    return [
        header(chosen, end),
        causes(chosen, query.hops),
        reach(chosen, query.hops),
        incident_graph(analysis, chosen),
        timeline(chosen),
        incident_heatmaps(cache.service_frames(snapshot), snapshot, chosen),
    ]
