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

    >>> from dashboard.topology.projection import GraphType, TopologyView
    >>> empty = TopologyView(GraphType.WORKLOAD, (), (), (), frozenset())
    >>> topology_figure(empty, {}).layout.yaxis.autorange
    'reversed'
"""

from __future__ import annotations

import html
import math
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import plotly.graph_objects as go

from collectors.kinds import Health, NodeKind, Protocol
from collectors.model import TrafficStats
from dashboard.figures.topology import (
    HEALTH_COLOURS,
    EdgeLabel,
    edge_label_text,
    topology_stylesheet,
)
from dashboard.topology.projection import TopologyView, ViewEdge, ViewNode

__all__ = ["KIND_SYMBOLS", "topology_figure"]

Point = tuple[float, float]

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
BOX_PADDING = 32.0  # layout px: a node's half size plus Cytoscape's box padding
LABEL_ROOM = 16.0  # layout px below the lowest nodes of a box, where their labels sit
PARALLEL_GAP = 12.0  # layout px between edges joining the same two nodes
DIM_OPACITY = 0.2  # what find does to the items it did not match, as on the page
DEAD_OPACITY = 0.5

_PROTOCOL_WORDS = {Protocol.HTTP.value: "HTTP", Protocol.GRPC.value: "gRPC", "tcp": "TCP"}
_KIND_WORDS = {NodeKind.NAMESPACE.value: "collapsed namespace"}


@dataclass(frozen=True, slots=True)
class _Palette:
    text: str
    background: str
    node_fill: str
    box_fill: str
    box_line: str
    accent: str


def _palette(dark: bool) -> _Palette:
    rules = {rule["selector"]: rule["style"] for rule in topology_stylesheet(dark=dark)}
    node, box = rules["node"], rules["node.box"]
    return _Palette(
        text=node["color"],
        background=node["text-outline-color"],  # the label halo is the canvas colour
        node_fill=node["background-color"],
        box_fill=box["background-color"],
        box_line=box["border-color"],
        accent=rules["node:selected"]["border-color"],
    )


def _words(text: str) -> str:
    return html.escape(text, quote=False)  # Plotly reads a few tags in text; names are not markup


def _title(node: ViewNode) -> str:
    # A versioned app node is labelled with its version alone; hover needs the app too.
    return f"{node.app} {node.version}" if node.kind == "app" and node.version else node.label


def _traffic_words(protocol: str, stats: TrafficStats | None) -> str:
    if stats is None:
        return "no traffic"
    volume = edge_label_text(protocol, stats, EdgeLabel.REQUEST_RATE) or edge_label_text(
        protocol, stats, EdgeLabel.THROUGHPUT
    )
    parts = [volume] if volume else []
    if stats.request_rate > 0:
        parts.append(f"errors {edge_label_text(protocol, stats, EdgeLabel.ERROR_PCT) or '0%'}")
    p95 = edge_label_text(protocol, stats, EdgeLabel.P95)
    if p95:
        parts.append(f"p95 {p95}")
    return " · ".join(parts) or "no traffic"


def _mtls_words(edge: ViewEdge) -> str:
    ratio = edge.traffic.mtls_ratio
    if edge.mtls is None or ratio is None:
        return "mTLS unknown"
    return "mTLS" if edge.mtls else f"not mTLS ({100.0 * ratio:.0f}% mutual TLS)"


def _node_hover(node: ViewNode) -> str:
    kind = _KIND_WORDS.get(node.kind, node.kind)
    lines = [
        f"<b>{_words(_title(node))}</b>",
        _words(f"{kind} in {node.namespace}" if node.namespace else kind),
        f"health: {node.health.value.replace('_', ' ')}",
    ]
    if node.flags:
        lines.append(_words("flags: " + ", ".join(sorted(f.replace("_", " ") for f in node.flags))))
    lines.append(f"inbound: {_traffic_words('http', node.inbound)}")
    return "<br>".join(lines)


def _edge_hover(edge: ViewEdge, nodes: Mapping[str, ViewNode]) -> str:
    ends = [_title(nodes[end]) if end in nodes else end for end in (edge.source, edge.target)]
    protocol = _PROTOCOL_WORDS.get(edge.protocol, edge.protocol or "unknown protocol")
    return "<br>".join(
        (
            f"<b>{_words(ends[0])} → {_words(ends[1])}</b>",
            f"{protocol} · {_traffic_words(edge.protocol, edge.traffic)}",
            f"health: {edge.health.value.replace('_', ' ')} · {_mtls_words(edge)}",
        )
    )


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
    palette: _Palette,
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
        group.hover.append(_edge_hover(edge, nodes))
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
    view: TopologyView, positions: Mapping[str, Point], palette: _Palette, highlight: frozenset[str]
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
                text=[_words(node.label) for node in members],
                textposition="bottom center",
                textfont={"size": 10, "color": palette.text},
                hovertext=[_node_hover(node) for node in members],
                hoverinfo="text",
                customdata=[node.id for node in members],
                name=_KIND_WORDS.get(kind, kind),
                legendgroup=kind,
                showlegend=state != "dim",
                opacity=DIM_OPACITY if state == "dim" else 1.0,
            )
        )
    return traces


def _box_bounds(
    view: TopologyView, positions: Mapping[str, Point]
) -> dict[str, tuple[float, float, float, float]]:
    """(x0, y0, x1, y1) per box that holds a positioned node; app boxes sit in namespace boxes."""
    points: defaultdict[str, list[Point]] = defaultdict(list)
    for node in view.nodes:
        if node.parent is not None and node.id in positions:
            points[node.parent].append(positions[node.id])
    bounds: dict[str, tuple[float, float, float, float]] = {}
    for box in sorted(view.boxes, key=lambda one: one.parent is None):  # inner boxes first
        inside = points.get(box.id)
        if not inside:
            continue
        xs, ys = [x for x, _ in inside], [y for _, y in inside]
        x0, y0 = min(xs) - BOX_PADDING, min(ys) - BOX_PADDING
        x1, y1 = max(xs) + BOX_PADDING, max(ys) + BOX_PADDING + LABEL_ROOM
        bounds[box.id] = (x0, y0, x1, y1)
        if box.parent is not None:
            points[box.parent] += [(x0, y0 - LABEL_ROOM), (x1, y1)]
    return bounds


def _rounded(x0: float, y0: float, x1: float, y1: float) -> str:
    r = min(12.0, (x1 - x0) / 4, (y1 - y0) / 4)
    return (
        f"M{x0 + r},{y0} L{x1 - r},{y0} Q{x1},{y0} {x1},{y0 + r} L{x1},{y1 - r} "
        f"Q{x1},{y1} {x1 - r},{y1} L{x0 + r},{y1} Q{x0},{y1} {x0},{y1 - r} "
        f"L{x0},{y0 + r} Q{x0},{y0} {x0 + r},{y0} Z"
    )


def _boxes(
    view: TopologyView, positions: Mapping[str, Point], palette: _Palette
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Layout shapes and their name annotations, outer boxes first so inner ones draw on top."""
    bounds = _box_bounds(view, positions)
    shapes: list[dict[str, Any]] = []
    annotations: list[dict[str, Any]] = []
    for box in sorted(view.boxes, key=lambda one: one.parent is not None):
        if box.id not in bounds:
            continue
        x0, y0, x1, y1 = bounds[box.id]
        shapes.append(
            {
                "type": "path",
                "path": _rounded(x0, y0, x1, y1),
                "fillcolor": palette.box_fill,
                "opacity": 0.6,
                "line": {
                    "color": palette.box_line,
                    "width": 1,
                    "dash": "dash" if box.kind == "app" else "solid",
                },
                "layer": "below",
                "name": box.id,
            }
        )
        annotations.append(
            {
                "x": (x0 + x1) / 2,
                "y": y0,
                "yanchor": "bottom",
                "text": f"<b>{_words(box.label)}</b>",
                "showarrow": False,
                "font": {"size": 11, "color": palette.text},
            }
        )
    return shapes, annotations


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
    palette = _palette(dark)
    shapes, annotations = _boxes(view, positions, palette)
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
