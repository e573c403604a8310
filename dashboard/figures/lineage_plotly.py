"""Lineage pictures as Plotly figures, for notebooks: the same positions and colours as the
page's Cytoscape graphs (:mod:`.lineage_graph`), drawn where no Dash app runs.

Hovering a node shows its whole name (URIs are cut in labels) and what it is.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import plotly.graph_objects as go

from dashboard.analysis.lineage_types import Lineage, RunDag
from dashboard.figures.lineage_graph import (
    duration_text,
    phase_colour,
    short_label,
    walk_colour,
    walk_positions,
)
from dashboard.topology.layout import compute_layout

__all__ = ["dag_figure", "lineage_figure"]

_Point = tuple[float, float]


def _arrows(
    positions: Mapping[str, _Point], edges: Sequence[tuple[str, str]]
) -> list[go.layout.Annotation]:
    return [
        go.layout.Annotation(
            x=positions[t][0], y=-positions[t][1], ax=positions[s][0], ay=-positions[s][1],
            xref="x", yref="y", axref="x", ayref="y", showarrow=True, arrowhead=2,
            arrowsize=1.2, arrowwidth=1.2, arrowcolor="#8a8d90", standoff=12, startstandoff=12,
            text="",
        )
        for s, t in edges
        if s in positions and t in positions
    ]  # fmt: skip


def _figure(
    positions: Mapping[str, _Point],
    edges: Sequence[tuple[str, str]],
    labels: Sequence[str],
    hovers: Sequence[str],
    colours: Sequence[str],
    title: str,
) -> go.Figure:
    ids = list(positions)
    figure = go.Figure(
        go.Scatter(
            x=[positions[i][0] for i in ids],
            y=[-positions[i][1] for i in ids],  # screen y grows downwards, Plotly's upwards
            mode="markers+text",
            text=list(labels),
            textposition="bottom center",
            hovertext=list(hovers),
            hoverinfo="text",
            marker={"size": 18, "color": list(colours), "line": {"width": 1, "color": "#151515"}},
        )
    )
    figure.update_layout(
        title=title,
        annotations=_arrows(positions, edges),
        xaxis={"visible": False},
        yaxis={"visible": False},
        showlegend=False,
        height=max(320, 90 * len({y for _, y in positions.values()})),
        margin={"l": 20, "r": 20, "t": 50, "b": 20},
        plot_bgcolor="rgba(0,0,0,0)",
    )
    return figure


def lineage_figure(walk: Lineage, title: str = "") -> go.Figure:
    """A walk in columns by hop, upstream left of the focus and downstream right of it."""
    positions = walk_positions(walk)
    nodes = walk.nodes
    return _figure(
        {n.id: positions[n.id] for n in nodes},
        [(e.source, e.target) for e in walk.edges],
        [short_label(n.label, 36) for n in nodes],
        [f"{n.role.value}: {n.label}<br>{n.detail}" for n in nodes],
        [walk_colour(n) for n in nodes],
        title,
    )


def dag_figure(dag: RunDag) -> go.Figure:
    """A run's steps, a step left of those waiting for it, coloured by phase."""
    positions = compute_layout([s.id for s in dag.steps], list(dag.edges))
    steps = dag.steps
    return _figure(
        {s.id: positions[s.id] for s in steps},
        list(dag.edges),
        [f"{s.task} · {duration_text(s.duration_s)}" for s in steps],
        [f"{s.task}: {s.phase}<br>{s.message}" for s in steps],
        [phase_colour(s.phase) for s in steps],
        f"Run {dag.run.title}: {dag.run.phase}",
    )
