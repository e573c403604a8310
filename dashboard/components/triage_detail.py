"""The open incident on the Triage page: what it is, its suspected causes with their evidence,
whom it hurts, and what happened when."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import dash_bootstrap_components as dbc
from dash import dcc, html

from dashboard.analysis.rootcause import Candidate
from dashboard.analysis.triage import TimelineEntry, TriagedIncident, label
from dashboard.components.triage_list import severity_badges
from dashboard.components.triage_state import topology_href
from dashboard.components.triage_words import (
    hops_text,
    peaks_text,
    span_text,
)

__all__ = ["MAX_CAUSES", "TOP_CAUSE_LINK", "causes", "header", "reach", "timeline"]

MAX_CAUSES = 5  # further suspects score too low to be worth a look at 3 a.m.
TOP_CAUSE_LINK = "triage-top-cause-topology"
"""Id of the first suspect's "Open in Topology" link."""


def header(found: TriagedIncident, snapshot_end: datetime) -> html.Div:
    """Severity, title, when and how bad."""
    incident = found.incident
    badges = severity_badges(incident, margin="me-2")
    return html.Div(
        [
            html.H4([*badges, found.title], id="triage-incident-title", className="mb-1"),
            html.Div(
                [
                    span_text(incident, snapshot_end),
                    "; ",
                    peaks_text(incident),
                    html.Span(f" · {found.id}", className="text-muted"),
                ],
                className="small",
                id="triage-incident-span",
            ),
        ],
        className="mb-3",
    )


def _cause(rank: int, cause: Candidate, hops: int) -> dbc.ListGroupItem:
    link_id = TOP_CAUSE_LINK if rank == 1 else f"triage-cause-{rank}-topology"
    score = max(0.0, min(cause.score, 1.0))
    return dbc.ListGroupItem(
        [
            dbc.Row(
                [
                    dbc.Col(
                        html.Strong(f"{rank}. {label(cause.node)}", className="triage-cause-name"),
                        width="auto",
                    ),
                    dbc.Col(
                        html.Div(
                            dbc.Progress(
                                value=round(100 * score),
                                label=f"{cause.score:.2f}",
                                color="danger" if rank == 1 else "warning",
                                className="triage-score",
                                style={"height": "1.1rem"},
                            ),
                            title="Score: the weighted sum of the evidence below, from 0 to 1",
                        )
                    ),
                    dbc.Col(
                        dcc.Link(
                            "Open in Topology",
                            href=topology_href(cause.node, hops=hops),
                            id=link_id,
                            className="small",
                        ),
                        width="auto",
                    ),
                ],
                className="g-2 align-items-center",
            ),
            html.Ul(
                [
                    html.Li(e.text, title=f"{e.kind}, {e.weight:.2f} of the score")
                    for e in cause.evidence
                ],
                className="small mb-0 mt-1 triage-evidence",
            ),
        ],
        id=f"triage-cause-{rank}",
    )


def causes(found: TriagedIncident, hops: int) -> html.Div:
    """The suspected root causes, best first, each with its evidence and a Topology link."""
    shown = found.causes[:MAX_CAUSES]
    body: Any
    if shown:
        body = dbc.ListGroup(
            [_cause(rank, cause, hops) for rank, cause in enumerate(shown, start=1)]
        )
    else:
        body = html.P("No suspect stands out.", className="text-muted")
    more = len(found.causes) - len(shown)
    return html.Div(
        [
            html.H5("Suspected causes"),
            body,
            *(
                [html.P(f"{more} more with lower scores", className="small text-muted")]
                * (more > 0)
            ),
        ],
        id="triage-causes",
        className="mb-3",
    )


def _node_links(nodes: dict[str, int] | list[str], hops: int, prefix: str) -> Any:
    if not nodes:
        return html.P("none", className="text-muted small")
    items = []
    for number, node in enumerate(nodes):
        words: list[Any] = [
            dcc.Link(label(node), href=topology_href(node, hops=hops), id=f"{prefix}-{number}")
        ]
        if isinstance(nodes, dict):
            words.append(html.Span(f" ({hops_text(nodes[node])})", className="text-muted"))
        items.append(html.Li(words))
    return html.Ul(items, className="small mb-0")


def reach(found: TriagedIncident, hops: int) -> dbc.Row:
    """The anomalous callers of the first suspect with their distance, and the entry points."""
    return dbc.Row(
        [
            dbc.Col(
                [
                    html.H6("Impacted upstream"),
                    html.Div(
                        _node_links(found.impacted, hops, "triage-impacted"), id="triage-impacted"
                    ),
                ],
                md=6,
            ),
            dbc.Col(
                [
                    html.H6("Entry points affected"),
                    html.Div(
                        _node_links(list(found.incident.entry_points), hops, "triage-entry"),
                        id="triage-entry-points",
                    ),
                ],
                md=6,
            ),
        ],
        className="mb-3",
    )


def _timeline_row(entry: TimelineEntry) -> html.Tr:
    return html.Tr(
        [
            html.Td(f"{entry.at:%H:%M}", title=f"{entry.at:%Y-%m-%d %H:%M:%S} UTC"),
            html.Td(entry.kind),
            html.Td(entry.text),
        ],
        className="table-warning" if entry.warning else "",
    )


def timeline(found: TriagedIncident) -> html.Div:
    """Onsets, the end, and the changes recorded on the actors involved, in time order."""
    return html.Div(
        [
            html.H5("Timeline"),
            dbc.Table(
                [
                    html.Thead(html.Tr([html.Th("Time (UTC)"), html.Th("Kind"), html.Th("What")])),
                    html.Tbody([_timeline_row(entry) for entry in found.timeline]),
                ],
                size="sm",
                className="small",
                id="triage-timeline",
            ),
        ],
        className="mb-3",
    )
