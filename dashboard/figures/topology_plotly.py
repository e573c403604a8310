"""A Plotly rendering of a :class:`TopologyView`: the Cytoscape picture as one static figure.

For notebooks and static files (``fig.write_html(...)``): zoom, pan and hover come with
Plotly, and no server is needed. Nodes keep the Cytoscape shapes (square workload, circle app,
triangle service, diamond unknown, pentagon external, hexagon collapsed namespace) with their
health as the border colour; edges are line segments coloured by health with an arrowhead at
their middle that carries the hover text; namespace boxes are layout shapes. The y axis is
reversed because layout positions grow downwards, as on a screen.

Traces are per group (nodes by kind, edges by health and protocol family), never per node or
edge, with None-separated segment lists, so a 2,000-node view is still a handful of traces.
Colours are read from :func:`topology_stylesheet`, so the two renderings cannot drift apart.

This module builds the traces and the figure; the palette, the hover text and the box shapes
live in :mod:`dashboard.figures._topology_plotly_parts` (``BOX_PADDING`` and ``LABEL_ROOM``, the
box sizes, are defined there and still importable from here).

    >>> from dashboard.topology.projection import GraphType, TopologyView
    >>> empty = TopologyView(GraphType.WORKLOAD, (), (), (), frozenset())
    >>> topology_figure(empty, {}).layout.yaxis.autorange
    'reversed'
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import plotly.graph_objects as go

from collectors.kinds import Health, NodeKind
from dashboard.figures._topology_plotly_parts import BOX_PADDING as BOX_PADDING
from dashboard.figures._topology_plotly_parts import (
    KIND_WORDS,
    Palette,
    Point,
    boxes,
    edge_hover,
    node_hover,
    palette_for,
    words,
)
from dashboard.figures._topology_plotly_parts import LABEL_ROOM as LABEL_ROOM
from dashboard.figures.topology import HEALTH_COLOURS, EdgeLabel, edge_label_text
from dashboard.topology.projection import TopologyView, ViewEdge, ViewNode

__all__ = ["KIND_SYMBOLS", "topology_figure"]

KIND_SYMBOLS: Mapping[str, str] = {
    NodeKind.WORKLOAD.value: "square",
    "app": "circle",
    NodeKind.SERVICE.value: "triangle-up",
    NodeKind.UNKNOWN.value: "diamond",
    NodeKind.EXTERNAL.value: "pentagon",
    NodeKind.NAMESPACE.value: "hexagon",
}
"""Plotly marker symbol per view node kind (the Cytoscape shapes); other kinds are circles."""

NODE_SIZE = 18  # px on screen, whatever the zoom
PARALLEL_GAP = 12.0  # layout px between edges joining the same two nodes
DIM_OPACITY = 0.2  # what find does to the items it did not match, as on the page
DEAD_OPACITY = 0.5


def _state(element_id: str, highlight: frozenset[str]) -> str:
    """How find treats an element: ``plain`` without a find, else ``match`` or ``dim``."""
    if not highlight:
        return "plain"
    return "match" if element_id in highlight else "dim"


def _parallel_offsets(edges: Iterable[ViewEdge]) -> dict[str, float]:
    """Signed distances, along the normal of the (sorted) node pair, that keep edges apart."""
    pairs: defaultdict[tuple[str, str], list[ViewEdge]] = defaultdict(list)
    for edge in edges:
        pairs[min(edge.source, edge.target), max(edge.source, edge.target)].append(edge)
    offsets: dict[str, float] = {}
    for group in pairs.values():
        for rank, edge in enumerate(sorted(group, key=lambda one: one.id)):
            offsets[edge.id] = (rank - (len(group) - 1) / 2) * PARALLEL_GAP
    return offsets


def _segment(start: Point, end: Point, reverse: bool, offset: float) -> tuple[Point, Point]:
    if not offset:
        return start, end
    # The normal of the sorted pair's direction: both directions of a pair share it.
    (ax, ay), (bx, by) = (end, start) if reverse else (start, end)
    length = math.hypot(bx - ax, by - ay)
    if length == 0:
        return start, end
    nx, ny = -(by - ay) / length * offset, (bx - ax) / length * offset
    return (start[0] + nx, start[1] + ny), (end[0] + nx, end[1] + ny)


@dataclass
class _Group:
    xs: list[float | None] = field(default_factory=list)
    ys: list[float | None] = field(default_factory=list)
    mid_x: list[float] = field(default_factory=list)
    mid_y: list[float] = field(default_factory=list)
    angles: list[float] = field(default_factory=list)
    hover: list[str] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)
    ids: list[str] = field(default_factory=list)


def _edge_traces(
    view: TopologyView,
    positions: Mapping[str, Point],
    edge_label: EdgeLabel,
    palette: Palette,
    highlight: frozenset[str],
) -> list[go.Scatter]:
    nodes = {node.id: node for node in view.nodes}
    offsets = _parallel_offsets(view.edges)
    groups: dict[tuple[Health, bool, str], _Group] = {}
    for edge in view.edges:
        if edge.source not in positions or edge.target not in positions:
            continue
        (x0, y0), (x1, y1) = _segment(
            positions[edge.source],
            positions[edge.target],
            edge.source > edge.target,
            offsets.get(edge.id, 0.0),
        )
        key = (edge.health, edge.protocol == "tcp", _state(edge.id, highlight))
        group = groups.setdefault(key, _Group())
        group.xs += [x0, x1, None]
        group.ys += [y0, y1, None]
        group.mid_x.append((x0 + x1) / 2)
        group.mid_y.append((y0 + y1) / 2)
        # Marker angles turn clockwise from "up"; on the reversed y axis "up" is -y.
        group.angles.append(math.degrees(math.atan2(x1 - x0, y0 - y1)))
        group.hover.append(edge_hover(edge, nodes))
        group.labels.append(edge_label_text(edge.protocol, edge.traffic, edge_label))
        group.ids.append(edge.id)
    traces: list[go.Scatter] = []
    shown: set[Health] = set()
    for (health, tcp, state), group in sorted(groups.items(), key=lambda item: str(item[0])):
        colour = HEALTH_COLOURS[health]
        opacity = DIM_OPACITY if state == "dim" else 1.0
        name = f"calls: {health.value.replace('_', ' ')}"
        common: dict[str, Any] = {"legendgroup": name, "opacity": opacity}
        traces.append(
            go.Scatter(
                x=group.xs,
                y=group.ys,
                mode="lines",
                line={
                    "color": colour,
                    "width": 4 if state == "match" else 2,
                    "dash": "dash" if tcp else "solid",
                },
                hoverinfo="skip",
                showlegend=False,
                name=name,
                **common,
            )
        )
        traces.append(
            go.Scatter(
                x=group.mid_x,
                y=group.mid_y,
                mode="markers+text" if edge_label is not EdgeLabel.NONE else "markers",
                marker={
                    "symbol": "triangle-up",
                    "size": 10,
                    "color": colour,
                    "angle": group.angles,
                },
                text=group.labels,
                textposition="top center",
                textfont={"size": 9, "color": palette.text},
                hovertext=group.hover,
                hoverinfo="text",
                customdata=group.ids,
                name=name,
                showlegend=health not in shown,
                **common,
            )
        )
        shown.add(health)
    return traces


def _node_traces(
    view: TopologyView, positions: Mapping[str, Point], palette: Palette, highlight: frozenset[str]
) -> list[go.Scatter]:
    groups: dict[tuple[str, str], list[ViewNode]] = defaultdict(list)
    for node in view.nodes:
        if node.id in positions:
            groups[node.kind, _state(node.id, highlight)].append(node)
    traces: list[go.Scatter] = []
    matched = [node for node in view.nodes if node.id in positions and node.id in highlight]
    if matched:
        # Cytoscape's find underlay: a soft accent disc behind each match.
        traces.append(
            go.Scatter(
                x=[positions[node.id][0] for node in matched],
                y=[positions[node.id][1] for node in matched],
                mode="markers",
                marker={"size": NODE_SIZE * 2, "color": palette.accent, "opacity": 0.35},
                hoverinfo="skip",
                name="find matches",
            )
        )
    for (kind, state), members in sorted(groups.items()):
        traces.append(
            go.Scatter(
                x=[positions[node.id][0] for node in members],
                y=[positions[node.id][1] for node in members],
                mode="markers+text",
                marker={
                    "symbol": KIND_SYMBOLS.get(kind, "circle"),
                    "size": NODE_SIZE,
                    "color": palette.node_fill,
                    "line": {"width": 3, "color": [HEALTH_COLOURS[n.health] for n in members]},
                    "opacity": [DEAD_OPACITY if "dead" in n.flags else 1.0 for n in members],
                },
                text=[words(node.label) for node in members],
                textposition="bottom center",
                textfont={"size": 10, "color": palette.text},
                hovertext=[node_hover(node) for node in members],
                hoverinfo="text",
                customdata=[node.id for node in members],
                name=KIND_WORDS.get(kind, kind),
                legendgroup=kind,
                showlegend=state != "dim",
                opacity=DIM_OPACITY if state == "dim" else 1.0,
            )
        )
    return traces


def topology_figure(
    view: TopologyView,
    positions: Mapping[str, tuple[float, float]],
    *,
    edge_label: EdgeLabel = EdgeLabel.REQUEST_RATE,
    dark: bool = False,
    highlight: frozenset[str] = frozenset(),
) -> go.Figure:
    """Draw ``view`` at ``positions`` (layout pixels, y down) as a Plotly figure.

    ``edge_label`` picks the number written beside each edge's arrow (``EdgeLabel.NONE``: none);
    a non-empty ``highlight`` (the ids a find expression matched) fades everything else, as
    find does on the page. Nodes and edges without positions are left out. Each node and edge
    marker carries its view id in ``customdata``.
    """
    edge_label = EdgeLabel(edge_label)
    palette = palette_for(dark)
    shapes, annotations = boxes(view, positions, palette)
    traces = [
        *_edge_traces(view, positions, edge_label, palette, highlight),
        *_node_traces(view, positions, palette, highlight),
    ]
    if not traces:
        annotations.append(
            {"text": "nothing to draw", "showarrow": False, "xref": "paper", "yref": "paper"}
        )
    hidden_axis = {"visible": False, "showgrid": False, "zeroline": False}
    figure = go.Figure(data=traces)
    figure.update_layout(
        shapes=shapes,
        annotations=annotations,
        xaxis=hidden_axis,
        yaxis={**hidden_axis, "autorange": "reversed", "scaleanchor": "x", "scaleratio": 1},
        hovermode="closest",
        plot_bgcolor=palette.background,
        paper_bgcolor=palette.background,
        font={"color": palette.text},
        legend={"itemsizing": "constant"},
        margin={"l": 10, "r": 10, "t": 40, "b": 10},
    )
    return figure
