"""Parts of the Plotly topology figure: its palette, hover text, and namespace and app boxes.

:mod:`dashboard.figures.topology_plotly` builds the traces and the figure from these. The
palette is read from :func:`topology_stylesheet`, so the two renderings cannot drift apart.
Boxes are layout shapes, rounded rectangles around their positioned members with the box's
name above; hover text is the small HTML Plotly reads, with every name escaped.
"""

from __future__ import annotations

import html
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from collectors.kinds import NodeKind, Protocol
from collectors.model import TrafficStats
from dashboard.figures.topology import EdgeLabel, edge_label_text, topology_stylesheet
from dashboard.topology.projection import TopologyView, ViewEdge, ViewNode

Point = tuple[float, float]

BOX_PADDING = 32.0  # layout px: a node's half size plus Cytoscape's box padding
LABEL_ROOM = 16.0  # layout px below the lowest nodes of a box, where their labels sit

_PROTOCOL_WORDS = {Protocol.HTTP.value: "HTTP", Protocol.GRPC.value: "gRPC", "tcp": "TCP"}
KIND_WORDS = {NodeKind.NAMESPACE.value: "collapsed namespace"}
"""How a view node kind reads in hover text and the legend, where it differs from the kind."""


@dataclass(frozen=True, slots=True)
class Palette:
    """The colours of the figure, as the Cytoscape stylesheet sets them."""

    text: str
    background: str
    node_fill: str
    box_fill: str
    box_line: str
    accent: str


def palette_for(dark: bool) -> Palette:
    """The light or ``dark`` theme's colours, read from :func:`topology_stylesheet`."""
    rules = {rule["selector"]: rule["style"] for rule in topology_stylesheet(dark=dark)}
    node, box = rules["node"], rules["node.box"]
    return Palette(
        text=node["color"],
        background=node["text-outline-color"],  # the label halo is the canvas colour
        node_fill=node["background-color"],
        box_fill=box["background-color"],
        box_line=box["border-color"],
        accent=rules["node:selected"]["border-color"],
    )


def words(text: str) -> str:
    """``text`` with its markup characters escaped, to show as it is in Plotly text."""
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


def node_hover(node: ViewNode) -> str:
    """A node's hover text: its name, kind and namespace, health, flags and inbound traffic."""
    kind = KIND_WORDS.get(node.kind, node.kind)
    lines = [
        f"<b>{words(_title(node))}</b>",
        words(f"{kind} in {node.namespace}" if node.namespace else kind),
        f"health: {node.health.value.replace('_', ' ')}",
    ]
    if node.flags:
        lines.append(words("flags: " + ", ".join(sorted(f.replace("_", " ") for f in node.flags))))
    lines.append(f"inbound: {_traffic_words('http', node.inbound)}")
    return "<br>".join(lines)


def edge_hover(edge: ViewEdge, nodes: Mapping[str, ViewNode]) -> str:
    """An edge's hover text: its two ends, protocol, traffic, health and mTLS."""
    ends = [_title(nodes[end]) if end in nodes else end for end in (edge.source, edge.target)]
    protocol = _PROTOCOL_WORDS.get(edge.protocol, edge.protocol or "unknown protocol")
    return "<br>".join(
        (
            f"<b>{words(ends[0])} → {words(ends[1])}</b>",
            f"{protocol} · {_traffic_words(edge.protocol, edge.traffic)}",
            f"health: {edge.health.value.replace('_', ' ')} · {_mtls_words(edge)}",
        )
    )


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


def boxes(
    view: TopologyView, positions: Mapping[str, Point], palette: Palette
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
                "text": f"<b>{words(box.label)}</b>",
                "showarrow": False,
                "font": {"size": 11, "color": palette.text},
            }
        )
    return shapes, annotations
