"""The Cytoscape.js stylesheet of the topology view: how its elements' classes look.

Kept apart from the element builders in ``dashboard.figures.topology``, which re-exports
everything here; the Plotly rendering reads the same colours, so the two cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from collectors.kinds import Health, NodeFlag, NodeKind

__all__ = ["HEALTH_COLOURS", "LARGE_GRAPH_ELEMENTS", "topology_stylesheet"]

HEALTH_COLOURS: Mapping[Health, str] = {
    Health.HEALTHY: "#3e8635",
    Health.DEGRADED: "#ec7a08",
    Health.FAILURE: "#c9190b",
    Health.NO_TRAFFIC: "#8a8d90",
}
"""Kiali's health colours (PatternFly green, orange, red and grey)."""

# Shapes follow Kiali: workloads are rounded boxes, apps circles, services triangles.
_KIND_SHAPES: Mapping[str, str] = {
    NodeKind.WORKLOAD.value: "round-rectangle",
    "app": "ellipse",
    NodeKind.SERVICE.value: "round-triangle",
    NodeKind.UNKNOWN.value: "diamond",
    NodeKind.EXTERNAL.value: "round-pentagon",
    NodeKind.NAMESPACE.value: "round-hexagon",
}


LARGE_GRAPH_ELEMENTS = 1500
"""From this many elements on, edges are drawn the cheap way (see ``topology_stylesheet``)."""


_LARGE: tuple[dict[str, Any], ...] = (
    # Flat boxes are ordinary nodes: draw them under edges and nodes, by explicit z-index.
    {"selector": "node, edge", "style": {"z-index-compare": "manual", "z-index": 2}},
    {"selector": "edge", "style": {"z-index": 1}},
    {
        "selector": "node.flat",
        "style": {"z-index": 0, "width": "data(width)", "height": "data(height)", "padding": 0},
    },
    {
        "selector": "edge",
        "style": {
            "curve-style": "haystack",
            "haystack-radius": 0,
            "target-arrow-shape": "none",
            "mid-target-arrow-shape": "triangle",
            "mid-target-arrow-color": HEALTH_COLOURS[Health.NO_TRAFFIC],
        },
    },
    *(
        {"selector": f"edge.health-{health.value}", "style": {"mid-target-arrow-color": colour}}
        for health, colour in HEALTH_COLOURS.items()
    ),
)


def topology_stylesheet(*, dark: bool = False, large: bool = False) -> list[dict[str, Any]]:
    """Cytoscape.js stylesheet matching :func:`topology_elements`'s classes.

    Nodes draw their ``caption`` (the name, and a second line of badges on ``badged`` nodes).
    Later rules win in Cytoscape, so flags come after health, then find (classes ``find-match`` and
    ``find-dim``), and selection comes last. Labels are not drawn while they would be smaller
    than 7 px on screen: unreadable anyway, and measuring thousands of them is most of what
    Cytoscape spends drawing a big graph. ``large`` (see ``LARGE_GRAPH_ELEMENTS``) draws edges as
    straight "haystack" lines with the arrow at their middle, which Cytoscape renders several
    times faster than curved ones, and styles the flat boxes of ``topology_elements``.
    """
    text, halo = ("#f0f0f0", "#1b1d21") if dark else ("#151515", "#ffffff")
    fill, box_fill, box_line = (
        ("#3c3f42", "#26292d", "#6a6e73") if dark else ("#ffffff", "#f5f5f5", "#b8bbbe")
    )
    accent = "#73bcf7" if dark else "#0066cc"
    rules: list[dict[str, Any]] = [
        {
            "selector": "node",
            "style": {
                "label": "data(caption)",
                "width": 32,
                "height": 32,
                "background-color": fill,
                "border-width": 3,
                "border-color": HEALTH_COLOURS[Health.NO_TRAFFIC],
                "color": text,
                "font-size": 11,
                "text-valign": "bottom",
                "text-margin-y": 4,
                "text-outline-color": halo,
                "text-outline-width": 2,
                "text-wrap": "ellipsis",
                "text-max-width": "140px",
                "min-zoomed-font-size": 7,
            },
        },
        *(
            {"selector": f"node.{kind}", "style": {"shape": shape}}
            for kind, shape in _KIND_SHAPES.items()
        ),
        {"selector": "node.unknown, node.external", "style": {"border-style": "dotted"}},
        *(
            {"selector": f"node.health-{health.value}", "style": {"border-color": colour}}
            for health, colour in HEALTH_COLOURS.items()
        ),
        {
            "selector": "node.box",
            "style": {
                "shape": "round-rectangle",
                "background-color": box_fill,
                "background-opacity": 0.6,
                "border-width": 1,
                "border-color": box_line,
                "text-valign": "top",
                "text-halign": "center",
                "text-margin-y": -4,
                "font-weight": "bold",
                "padding": "16px",
            },
        },
        {"selector": "node.box.app", "style": {"border-style": "dashed"}},
        # A second line of badges: wrap at the caption's newline (its name is cut to fit).
        {"selector": "node.badged", "style": {"text-wrap": "wrap"}},
        {"selector": "node.flag-idle", "style": {"border-style": "dashed"}},
        {
            "selector": "node.flag-dead",
            "style": {
                # No background image: the SVG export (cytoscape-svg) cannot draw one.
                "opacity": 0.5,
                "border-style": "double",
                "border-width": 6,
            },
        },
        {
            "selector": "node.flag-missing_sidecar",
            "style": {
                "outline-width": 3,
                "outline-color": HEALTH_COLOURS[Health.DEGRADED],
                "outline-offset": 2,
                "outline-style": "dotted",
            },
        },
        # Check findings: a halo in the finding's colour, apart from the border (health) and the
        # outline (missing sidecar); errors after warnings so they win. Find's halo replaces it.
        *(
            {
                "selector": f"node.flag-{flag}",
                "style": {"underlay-color": colour, "underlay-opacity": 0.3, "underlay-padding": 6},
            }
            for flag, colour in (
                (NodeFlag.CHECK_WARNING.value, HEALTH_COLOURS[Health.DEGRADED]),
                (NodeFlag.CHECK_ERROR.value, HEALTH_COLOURS[Health.FAILURE]),
            )
        ),
        {
            "selector": "edge",
            "style": {
                "label": "data(label)",
                "width": 2,
                "curve-style": "bezier",
                "line-color": HEALTH_COLOURS[Health.NO_TRAFFIC],
                "target-arrow-shape": "triangle",
                "target-arrow-color": HEALTH_COLOURS[Health.NO_TRAFFIC],
                "arrow-scale": 1.2,
                "color": text,
                "font-size": 9,
                "text-rotation": "autorotate",
                "text-outline-color": halo,
                "text-outline-width": 2,
                "min-zoomed-font-size": 7,
            },
        },
        {"selector": "edge.tcp", "style": {"line-style": "dashed", "target-arrow-shape": "vee"}},
        *(_LARGE if large else ()),
        *(
            {
                "selector": f"edge.health-{health.value}",
                "style": {"line-color": colour, "target-arrow-color": colour},
            }
            for health, colour in HEALTH_COLOURS.items()
        ),
        {
            "selector": "edge.mtls",
            "style": {"source-arrow-shape": "circle", "source-arrow-fill": "hollow"},
        },
        # Find: what matched stands out, the rest fades (boxes carry neither class).
        {"selector": ".find-dim", "style": {"opacity": 0.2}},
        {
            "selector": "node.find-match",
            "style": {"underlay-color": accent, "underlay-opacity": 0.35, "underlay-padding": 8},
        },
        {"selector": "edge.find-match", "style": {"width": 4}},
        {
            "selector": "node:selected",
            "style": {"border-color": accent, "border-width": 5, "overlay-opacity": 0},
        },
        {
            "selector": "edge:selected",
            "style": {"line-color": accent, "target-arrow-color": accent, "width": 4},
        },
    ]
    return rules
