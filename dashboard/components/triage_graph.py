"""The open incident's subgraph on the Triage page: a small Cytoscape graph, laid out by the
server (``dashboard.figures.incident_graph``)."""

from __future__ import annotations

import dash_cytoscape as cyto
from dash import html

from dashboard.analysis.detection import Analysis
from dashboard.analysis.triage import TriagedIncident
from dashboard.figures.incident_graph import (
    MAX_NODES,
    incident_elements,
    incident_stylesheet,
    incident_subgraph,
)

__all__ = ["GRAPH", "incident_graph"]

GRAPH = "triage-graph"

_LEGEND = (
    "Red: anomalous; thick red: suspect #1; orange border: suspects; blue border: entry points; "
    "dashed: on the way from an entry point. Red arrows: calls that were anomalous themselves."
)


def incident_graph(analysis: Analysis, found: TriagedIncident) -> html.Div:
    """The graph, a one-line legend, and a note when actors were left out."""
    left_out = incident_subgraph(analysis.graph, found).left_out
    note = (
        [
            html.Div(
                f"{left_out} more actors left out (at most {MAX_NODES} are drawn)",
                className="small text-muted",
            )
        ]
        if left_out
        else []
    )
    return html.Div(
        [
            html.H5("Incident graph"),
            cyto.Cytoscape(
                id=GRAPH,
                elements=incident_elements(analysis, found),
                layout={"name": "preset", "fit": True, "padding": 40},
                stylesheet=incident_stylesheet(),
                minZoom=0.2,
                maxZoom=3,
                userZoomingEnabled=True,
                boxSelectionEnabled=False,
                autoungrabify=True,
                style={"width": "100%", "height": "320px"},
                className="border rounded",
            ),
            html.Div(_LEGEND, className="small text-muted"),
            *note,
        ],
        className="mb-3",
        id="triage-graph-section",
    )
