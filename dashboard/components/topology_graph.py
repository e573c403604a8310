"""The Cytoscape graph of a topology scene, as the page and the notebook app both draw it."""

from __future__ import annotations

import dash_cytoscape as cyto

from dashboard.figures.topology import topology_stylesheet
from dashboard.topology.scene import Scene


def topology_graph(
    graph_id: str, scene: Scene, *, height: str, dark: bool = False, class_name: str = ""
) -> cyto.Cytoscape:
    """The graph with the server's positions ("preset": no layout ever runs in the browser)."""
    return cyto.Cytoscape(
        id=graph_id,
        elements=scene.elements,
        layout={"name": "preset", "fit": True, "padding": 30},
        stylesheet=topology_stylesheet(dark=dark, large=scene.large),
        minZoom=0.02,
        maxZoom=4,
        boxSelectionEnabled=False,
        style={"width": "100%", "height": height},
        className=class_name,
    )
