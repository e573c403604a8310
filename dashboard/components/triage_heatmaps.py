"""Error-ratio and latency heatmaps of the services an incident involves, around its time,
with a mark at its onset and at the changes on its timeline."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime, timedelta

import pandas as pd
from dash import dcc, html

from collectors.kinds import EdgeKind
from collectors.model import Snapshot
from dashboard.analysis.service_series import ServiceFrames
from dashboard.analysis.triage import TriagedIncident, label
from dashboard.figures.heatmaps import heatmap_figure

__all__ = ["AFTER", "BEFORE", "heatmap_marks", "incident_heatmaps", "involved_services"]

BEFORE = timedelta(minutes=30)  # shown before the onset: what normal looked like
AFTER = timedelta(minutes=15)  # shown after the end: that it stayed back to normal
MAX_ROWS = 30
MIN_HEIGHT = 200  # px


def involved_services(snapshot: Snapshot, nodes: Collection[str], columns: pd.Index) -> list[str]:
    """The Services that calls to ``nodes`` addressed (an actor may be a Service itself),
    among ``columns`` (the Services with traffic).

    Read from the call edges rather than from selectors, so it works on telemetry alone.
    """
    present = set(columns)
    return sorted(
        {
            edge.service
            for edge in snapshot.edges(EdgeKind.CALLS)
            if edge.service in present and (edge.target in nodes or edge.service in nodes)
        }
    )


def heatmap_marks(found: TriagedIncident) -> list[tuple[datetime, str]]:
    """The onset, the end, and each change on the timeline, as heatmap marks."""
    marks = [(found.incident.start, "onset")]
    marks += [(e.at, e.kind) for e in found.timeline if e.kind not in ("onset", "end")]
    if found.incident.end is not None:
        marks.append((found.incident.end, "end"))
    return marks


def incident_heatmaps(
    frames: ServiceFrames, snapshot: Snapshot, found: TriagedIncident
) -> html.Div:
    """Both heatmaps, from ``BEFORE`` the onset to ``AFTER`` the end."""
    services = involved_services(snapshot, found.nodes, frames.error_ratio.columns)
    snapshot_end = snapshot.meta.end
    title = html.H5("Errors and latency of the services involved")
    if not services:
        return html.Div(
            [
                title,
                html.P(
                    "No Service of this incident carried requests.", className="text-muted small"
                ),
            ],
            id="triage-heatmaps",
        )
    start = found.incident.start - BEFORE
    stop = (found.incident.end or snapshot_end) + AFTER
    labels = {service: label(service) for service in services}
    marks = heatmap_marks(found)

    def graph_of(frame: pd.DataFrame, metric: str, component_id: str) -> dcc.Graph:
        part = frame.loc[(frame.index >= start) & (frame.index <= stop), services]
        figure = heatmap_figure(
            part,
            metric="error_ratio" if metric == "error_ratio" else "p95_ms",
            labels=labels,
            marks=marks,
            limit=MAX_ROWS,
            # A few rows leave the colour bar too short to read its ticks.
            height=max(MIN_HEIGHT, 110 + 22 * min(len(services), MAX_ROWS)),
        )
        return dcc.Graph(id=component_id, figure=figure, config={"displayModeBar": False})

    return html.Div(
        [
            title,
            html.Div("Error ratio", className="small text-muted"),
            graph_of(frames.error_ratio, "error_ratio", "triage-heatmap-errors"),
            html.Div("p95 latency", className="small text-muted"),
            graph_of(frames.p95_ms, "p95_ms", "triage-heatmap-latency"),
        ],
        id="triage-heatmaps",
        className="mb-3",
    )
