"""An incident's subgraph as Cytoscape.js elements: who is anomalous, who is suspected, where
users come in, and the calls between them. Pure (no Dash), so notebooks can draw it too.

The subgraph is the incident's members, its suspected causes and its entry points, plus the
actors on the shortest call path from each entry point to the incident (so the picture shows
how users reach it). Calls between drawn actors come from the analysis' call graph; a call
that was itself anomalous during the incident is marked. Positions come from the server's
layered layout (callers left, callees right), so the browser runs no layout.

>>> elements = incident_elements(report.analysis, report.incidents[0])  # doctest: +SKIP
>>> [e["data"]["id"] for e in elements if "top" in e["classes"].split()]  # doctest: +SKIP
['workload:Kubernetes/boutique/adservice']
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import networkx as nx

from collectors.ids import parse_node_id
from collectors.kinds import Health, NodeKind
from dashboard.analysis.callgraph import CallGraph
from dashboard.analysis.detection import Analysis
from dashboard.analysis.incidents import Incident
from dashboard.analysis.triage import TriagedIncident, label
from dashboard.figures.topology_style import HEALTH_COLOURS
from dashboard.topology.layout import compute_layout

__all__ = [
    "MAX_NODES",
    "IncidentGraph",
    "anomalous_calls",
    "incident_elements",
    "incident_stylesheet",
    "incident_subgraph",
]

MAX_NODES = 30
"""More actors than this make the small graph unreadable: the least important are left out."""

_SHAPES = {
    NodeKind.WORKLOAD.value: "round-rectangle",
    NodeKind.SERVICE.value: "round-triangle",
    NodeKind.UNKNOWN.value: "diamond",
    NodeKind.EXTERNAL.value: "round-pentagon",
}
_RED = HEALTH_COLOURS[Health.FAILURE]
_ORANGE = HEALTH_COLOURS[Health.DEGRADED]
_GREY = HEALTH_COLOURS[Health.NO_TRAFFIC]
_BLUE = "#0066cc"


@dataclass(frozen=True, slots=True)
class IncidentGraph:
    """The actors and calls to draw, most important actors first."""

    nodes: tuple[str, ...]
    edges: tuple[tuple[str, str], ...]
    left_out: int  # actors not drawn because of the size limit


def _connecting(graph: CallGraph, entries: Iterable[str], core: set[str]) -> list[str]:
    """Actors on the shortest call path from each entry point to the nearest core actor."""
    found: list[str] = []
    calls = graph.graph
    for entry in entries:
        if entry not in calls or entry in core:
            continue
        paths = nx.single_source_shortest_path(calls, entry)
        reached = [paths[node] for node in sorted(core) if node in paths]
        if not reached:
            continue
        shortest = min(reached, key=len)
        found += [node for node in shortest[1:-1] if node not in core and node not in found]
    return found


def incident_subgraph(
    graph: CallGraph, found: TriagedIncident, *, limit: int = MAX_NODES
) -> IncidentGraph:
    """Pick the actors of ``found``'s picture (see the module docstring), at most ``limit``.

    Over the limit, actors are kept in this order: suspects by rank, members by onset, entry
    points, then the actors connecting entry points to the incident.
    """
    incident = found.incident
    ranked = [cause.node for cause in found.causes]
    core = {*ranked, *incident.actors}
    wanted = list(
        dict.fromkeys(
            [
                *ranked,
                *incident.actors,
                *incident.entry_points,
                *_connecting(graph, incident.entry_points, core),
            ]
        )
    )
    kept = wanted[: max(limit, 0)]
    chosen = set(kept)
    calls = graph.graph
    edges = sorted(
        (source, target)
        for source, target in calls.subgraph(chosen).edges()
        if source != target  # a self-call says nothing in this picture
    )
    return IncidentGraph(tuple(kept), tuple(edges), len(wanted) - len(kept))


def anomalous_calls(analysis: Analysis, incident: Incident) -> set[tuple[str, str]]:
    """The calls (caller, callee) with an anomaly episode overlapping the incident."""
    calls = analysis.signals.calls
    return {
        calls[episode.column]
        for episode in analysis.call_episodes
        if episode.first <= incident.last and episode.last >= incident.first
    }


def _kind(node: str) -> str:
    try:
        return parse_node_id(node)[0].value
    except ValueError:
        return NodeKind.UNKNOWN.value


def incident_elements(
    analysis: Analysis, found: TriagedIncident, *, limit: int = MAX_NODES
) -> list[dict[str, Any]]:
    """Cytoscape elements of ``found``'s subgraph with preset positions.

    Node classes: the node kind (``workload``, ``service``, ``unknown``, ``external``) and its
    roles: ``member`` (anomalous), ``suspect`` and ``top`` (the first suspect), ``entry``
    (an entry point whose users feel it), ``path`` (only on the way from an entry point). Edge
    class ``anomalous`` marks a call that was anomalous itself during the incident.
    """
    picture = incident_subgraph(analysis.graph, found, limit=limit)
    positions = compute_layout(list(picture.nodes), list(picture.edges))
    incident = found.incident
    rank = {cause.node: number for number, cause in enumerate(found.causes, start=1)}
    members = set(incident.actors)
    entries = set(incident.entry_points)
    elements: list[dict[str, Any]] = []
    for node in picture.nodes:
        roles = [
            *(["member"] if node in members else []),
            *(["suspect"] if node in rank else []),
            *(["top"] if rank.get(node) == 1 else []),
            *(["entry"] if node in entries else []),
        ] or ["path"]
        notes = [f"suspect #{rank[node]}"] if node in rank else []
        if node in entries:
            notes.append("entry point")
        x, y = positions[node]
        elements.append(
            {
                "data": {
                    "id": node,
                    "label": "\n".join([label(node), *notes]),
                    "rank": rank.get(node, 0),
                },
                "classes": " ".join([_kind(node), *roles]),
                "position": {"x": x, "y": y},
            }
        )
    hot = anomalous_calls(analysis, incident)
    for source, target in picture.edges:
        elements.append(
            {
                "data": {"id": f"{source}->{target}", "source": source, "target": target},
                "classes": "anomalous" if (source, target) in hot else "",
            }
        )
    return elements


def incident_stylesheet() -> list[dict[str, Any]]:
    """The Cytoscape.js stylesheet of :func:`incident_elements`' classes.

    Labels sit on a pale background, so they read on the light and the dark theme alike.
    Later rules win: roles are ordered from the least to the most important.
    """
    rules: list[dict[str, Any]] = [
        {
            "selector": "node",
            "style": {
                "label": "data(label)",
                "text-wrap": "wrap",
                "text-valign": "bottom",
                "text-margin-y": 4,
                "font-size": 10,
                "color": "#151515",
                "text-background-color": "#ffffff",
                "text-background-opacity": 0.85,
                "text-background-padding": 2,
                "width": 26,
                "height": 26,
                "background-color": "#ffffff",
                "border-width": 2,
                "border-color": _GREY,
            },
        },
        *(
            {"selector": f"node.{kind}", "style": {"shape": shape}}
            for kind, shape in _SHAPES.items()
        ),
        {"selector": "node.path", "style": {"opacity": 0.6, "border-style": "dashed"}},
        {"selector": "node.entry", "style": {"border-color": _BLUE, "border-width": 3}},
        {"selector": "node.member", "style": {"background-color": "#f9d2cf", "border-color": _RED}},
        {"selector": "node.suspect", "style": {"border-color": _ORANGE, "border-width": 4}},
        {
            "selector": "node.top",
            "style": {
                "background-color": _RED,
                "border-color": "#7d1007",
                "border-width": 5,
                "width": 34,
                "height": 34,
                "font-weight": "bold",
            },
        },
        {
            "selector": "edge",
            "style": {
                "curve-style": "bezier",
                "target-arrow-shape": "triangle",
                "width": 1.5,
                "line-color": "#b8bbbe",
                "target-arrow-color": "#b8bbbe",
            },
        },
        {
            "selector": "edge.anomalous",
            "style": {"line-color": _RED, "target-arrow-color": _RED, "width": 2.5},
        },
    ]
    return rules
