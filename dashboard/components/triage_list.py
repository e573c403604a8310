"""The Triage page's incident list: newest first, each a link that opens it via the URL."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import dash_bootstrap_components as dbc
from dash import html

from dashboard.analysis.incidents import Incident
from dashboard.analysis.triage import TriagedIncident
from dashboard.components.triage_state import TriageQuery, triage_href
from dashboard.components.triage_words import SEVERITY_COLOURS, entry_text, span_text

__all__ = ["NO_INCIDENTS", "incident_list"]

NO_INCIDENTS = "No incidents: every service is within its baseline."
"""What the list says when nothing is wrong in the window."""


def incident_list(
    shown: Sequence[TriagedIncident],
    *,
    selected: str,
    query: TriageQuery,
    snapshot_end: datetime,
) -> Any:
    """One link per incident in ``shown``; the one with id ``selected`` is highlighted."""
    if not shown:
        return dbc.Alert(NO_INCIDENTS, color="success", id="triage-no-incidents")
    return dbc.ListGroup(
        [
            dbc.ListGroupItem(
                _item(found, snapshot_end),
                href=triage_href(query, found.id),
                active=found.id == selected,
                action=True,
                id=f"triage-incident-{number}",
                className="triage-incident",
            )
            for number, found in enumerate(shown)
        ],
        id="triage-incident-list",
    )


def severity_badges(incident: Incident, *, margin: str = "me-1") -> list[dbc.Badge]:
    """The severity badge, and "ongoing" while the incident lasts to the end of the data."""
    badges = [
        dbc.Badge(
            incident.severity,
            color=SEVERITY_COLOURS.get(incident.severity, "secondary"),
            className=f"{margin} text-uppercase",
        ),
    ]
    if incident.end is None:
        badges.append(dbc.Badge("ongoing", color="danger", pill=True, className=margin))
    return badges


def _item(found: TriagedIncident, snapshot_end: datetime) -> list[Any]:
    incident = found.incident
    badges = severity_badges(incident)
    entries = entry_text(incident.entry_points)
    return [
        html.Div([*badges, html.Strong(found.title, className="triage-incident-title")]),
        html.Div(span_text(incident, snapshot_end), className="small"),
        *([html.Div(entries, className="small opacity-75")] if entries else []),
    ]
