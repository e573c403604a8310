"""The topology of a snapshot in Jupyter: scenes, Plotly figures, details and an inline app.

    >>> from collectors.sources.demo import demo_snapshot
    >>> from dashboard.notebook import details, show_topology, topology_figure
    >>> snap = demo_snapshot()
    >>> topology_figure(snap, graph_type="app", hide="ns = istio-system")  # doctest: +SKIP
    >>> details(snap, "workload:Kubernetes/bookinfo/ratings-v1").callers[0].label
    'reviews-v2'
    >>> show_topology(snap, focus="workload:Kubernetes/bookinfo/reviews-v2")  # doctest: +SKIP

Every function takes the topology page's view options as keywords (see :class:`ViewOptions`
and :func:`topology_scene`), so a view found in the dashboard can be rebuilt here from its
URL's values. :func:`topology_figure` needs no server: the figure zooms and hovers in the
notebook and saves as a static HTML file. :func:`show_topology` serves the page's Cytoscape
graph in a small Dash app beside the notebook, where a click shows a node's or an edge's
details in a side panel.

Nothing is kept between calls unless you pass an ``engine``: a :class:`TopologyEngine` caches
windows, projections and layouts, so reuse one when you draw many views of a big snapshot.

This module is the one to import. It holds :func:`topology_figure` and :func:`details`;
:func:`topology_scene` and the view options come from :mod:`dashboard._notebook_scene`, and
:func:`topology_app`, :func:`show_topology` and the app's component ids from
:mod:`dashboard.notebook_app`; all of them are exported here.
"""

from __future__ import annotations

from typing import Unpack

import plotly.graph_objects as go

from collectors.model import Snapshot
from dashboard._notebook_scene import (
    TopologyNotice,
    ViewOptions,
    resolve,
    summary,
    topology_scene,
)
from dashboard.figures.topology_plotly import topology_figure as view_figure
from dashboard.notebook_app import GRAPH as GRAPH
from dashboard.notebook_app import (
    JUPYTER_MODES,
    JupyterMode,
    free_port,
    show_topology,
    topology_app,
)
from dashboard.notebook_app import PANEL as PANEL
from dashboard.notebook_app import URL as URL
from dashboard.topology.details import Details, element_details
from dashboard.topology.scene import TopologyEngine

__all__ = [
    "JUPYTER_MODES",
    "JupyterMode",
    "TopologyNotice",
    "ViewOptions",
    "details",
    "free_port",
    "show_topology",
    "topology_app",
    "topology_figure",
    "topology_scene",
]


def topology_figure(
    snapshot: Snapshot,
    *,
    dark: bool = False,
    height: int = 600,
    engine: TopologyEngine | None = None,
    **options: Unpack[ViewOptions],
) -> go.Figure:
    """The view as a Plotly figure (zoom, pan, hover; no server), ``height`` pixels tall.

    Nodes a ``find`` expression matches stand out and the rest fades, as on the page. The
    figure is made by ``dashboard.figures.topology_plotly.topology_figure``; its title says
    what is drawn and over which window.
    """
    scene = topology_scene(snapshot, engine=engine, **options)
    figure = view_figure(
        scene.view,
        scene.positions,
        edge_label=scene.state.edge_label,
        dark=dark,
        highlight=scene.matched if scene.state.find else frozenset(),
    )
    figure.update_layout(title={"text": summary(scene), "font": {"size": 13}}, height=height)
    return figure


def details(
    snapshot: Snapshot,
    element_id: str,
    *,
    engine: TopologyEngine | None = None,
    **options: Unpack[ViewOptions],
) -> Details | None:
    """What the page's side panel says about one node, edge or box of the view; None if absent.

    ``element_id`` is a view id, or a snapshot node id merged into a view node (a workload in
    the app graph). Series follow ``window``; stats, codes and flags are those of the view, so
    over a chosen window they carry rates and errors but no codes (see ``element_details``).
    """
    scene = topology_scene(snapshot, engine=engine, **options)
    window = (scene.window.start, scene.window.end) if scene.window else None
    return element_details(
        scene.snapshot, scene.view, resolve(scene.view, element_id), window=window
    )
