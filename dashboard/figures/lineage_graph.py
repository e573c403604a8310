"""Lineage pictures as Cytoscape.js elements: a run's DAG, and the walk around one node.

Pure (no Dash), so notebooks draw them too. Positions come from the server: a run's steps
from the layered layout (a step left of the steps waiting for it), a walk in columns by hops
from the focus (data flows left to right, the focus in the middle column), so the browser
runs no layout. Steps of one run on a walk sit inside a box named after the run.

>>> lineage_stylesheet()[0]["selector"]
'node'
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from collectors.kinds import Health
from dashboard.analysis.lineage_types import Lineage, LineageNode, Role, RunDag, StepRow
from dashboard.figures.topology_style import HEALTH_COLOURS
from dashboard.topology.layout import compute_layout
from dashboard.topology.window import human_duration

__all__ = ["PHASE_COLOURS", "dag_elements", "duration_text", "lineage_elements",
           "lineage_stylesheet", "phase_colour", "short_label", "walk_colour",
           "walk_positions"]  # fmt: skip

PHASE_COLOURS = {
    "Succeeded": HEALTH_COLOURS[Health.HEALTHY],
    "Failed": HEALTH_COLOURS[Health.FAILURE],
    "Error": HEALTH_COLOURS[Health.FAILURE],
    "Running": "#0066cc",
    "Pending": HEALTH_COLOURS[Health.NO_TRAFFIC],
}
"""Argo phases in Kiali's colours; running is PatternFly's blue."""
_PALE = "#d2d2d2"  # skipped, omitted, unknown
_COLUMN_GAP = 230.0
_ROW_GAP = 70.0
_ROLE_COLOURS = {
    Role.DATASET: "#5752d1",
    Role.MODEL: "#f0ab00",
    Role.MODEL_SERVER: "#009596",
    Role.WORKLOAD: "#009596",
}
_SHAPES = {
    Role.DATASET: "barrel",
    Role.MODEL: "diamond",
    Role.ARTIFACT: "rectangle",
    Role.METADATA: "rectangle",
    Role.STEP: "round-rectangle",
    Role.MODEL_SERVER: "round-hexagon",
    Role.WORKLOAD: "round-rectangle",
    Role.CALLER: "ellipse",
}


def phase_colour(phase: str) -> str:
    """The colour of an Argo phase.

    >>> phase_colour("Failed"), phase_colour("Skipped")
    ('#c9190b', '#d2d2d2')
    """
    return PHASE_COLOURS.get(phase, _PALE)


def duration_text(seconds: float | None) -> str:
    """A step's or run's duration; whole minutes from 10 minutes on; "" when unknown.

    >>> duration_text(2890), duration_text(6720), duration_text(100), duration_text(None)
    ('48 min', '1 h 52 min', '1 min 40 s', '')
    """
    if seconds is None:
        return ""
    return human_duration(seconds if seconds < 600 else round(seconds / 60) * 60)


def _step_label(step: StepRow) -> str:
    time = duration_text(step.duration_s)
    return f"{step.task}\n{step.phase}{' · ' + time if time else ''}"


def dag_elements(dag: RunDag) -> list[dict[str, Any]]:
    """A run's steps coloured by phase with their durations, and the edges between them."""
    ids = [step.id for step in dag.steps]
    positions = compute_layout(ids, list(dag.edges))
    elements: list[dict[str, Any]] = []
    for step in dag.steps:
        x, y = positions.get(step.id, (0.0, 0.0))
        classes = ["step", step.phase.lower() or "unknown"]
        if step.role == "driver":
            classes.append("driver")
        elements.append(
            {
                "data": {"id": step.id, "label": _step_label(step),
                         "colour": phase_colour(step.phase)},
                "position": {"x": x, "y": y},
                "classes": " ".join(classes),
            }
        )  # fmt: skip
    elements += [
        {"data": {"id": f"{s}->{t}", "source": s, "target": t}, "classes": "flow"}
        for s, t in dag.edges
    ]
    return elements


def walk_positions(walk: Lineage) -> dict[str, tuple[float, float]]:
    """Where each node of a walk sits: a column per hop, steps of one run next to each other."""
    columns: dict[int, list[LineageNode]] = defaultdict(list)
    for node in walk.nodes:
        columns[node.distance].append(node)
    positions: dict[str, tuple[float, float]] = {}
    for distance, members in columns.items():
        # Steps of one run together, so their box does not swallow other nodes.
        members.sort(key=lambda n: (n.run, n.label))
        top = -(len(members) - 1) * _ROW_GAP / 2
        for row, node in enumerate(members):
            positions[node.id] = (distance * _COLUMN_GAP, top + row * _ROW_GAP)
    return positions


def walk_colour(node: LineageNode) -> str:
    """A walk node's colour: a step's phase, red when failed, else one colour per role."""
    if node.role is Role.STEP:
        return phase_colour(node.detail.split(" · ")[0])
    if node.failed:
        return HEALTH_COLOURS[Health.FAILURE]
    return _ROLE_COLOURS.get(node.role, HEALTH_COLOURS[Health.NO_TRAFFIC])


def short_label(text: str, limit: int = 48) -> str:
    """A long URI cut from the left, where buckets and run ids repeat: the end tells them apart.

    >>> short_label("s3://bucket/" + "x" * 60, 12)
    '…xxxxxxxxxxx'
    """
    return text if len(text) <= limit else "…" + text[-(limit - 1) :]


def lineage_elements(walk: Lineage, run_titles: dict[str, str]) -> list[dict[str, Any]]:
    """The walk in columns by hop, steps boxed by run (``run_titles``: run id -> its name)."""
    positions = walk_positions(walk)
    elements: list[dict[str, Any]] = [
        {"data": {"id": run, "label": run_titles.get(run, run)}, "classes": "run"}
        for run in walk.runs
    ]
    for node in walk.nodes:
        data: dict[str, Any] = {
            "id": node.id,
            "label": short_label(node.label),
            "title": node.label,
            "role": node.role.value,
            "colour": walk_colour(node),
            "shape": _SHAPES[node.role],
        }
        if node.run:
            data["parent"] = node.run
        classes = ["focus"] if node.distance == 0 else []
        classes.append(node.role.value.replace(" ", "-"))
        x, y = positions[node.id]
        elements.append({"data": data, "position": {"x": x, "y": y}, "classes": " ".join(classes)})
    elements += [
        {"data": {"id": f"{e.source}->{e.target}", "source": e.source, "target": e.target,
                  "kind": e.kind.value}, "classes": f"flow {e.kind.value}"}
        for e in walk.edges
    ]  # fmt: skip
    return elements


def lineage_stylesheet() -> list[dict[str, Any]]:
    """How lineage elements look, on the light and the dark theme alike."""
    return [
        {
            "selector": "node",
            "style": {
                "label": "data(label)",
                "text-wrap": "wrap",
                "text-max-width": 200,
                "text-valign": "bottom",
                "text-margin-y": 4,
                "font-size": 10,
                "color": "#151515",
                "text-background-color": "#ffffff",
                "text-background-opacity": 0.85,
                "text-background-padding": 2,
                "background-color": "data(colour)",
                "width": 28,
                "height": 28,
            },
        },
        {"selector": "node[shape]", "style": {"shape": "data(shape)"}},
        {"selector": ".step", "style": {"shape": "round-rectangle", "width": 44}},
        {"selector": ".driver", "style": {"opacity": 0.5}},
        {
            "selector": ".run",
            "style": {
                "background-color": "#f0f0f0",
                "background-opacity": 0.4,
                "border-color": "#8a8d90",
                "border-style": "dashed",
                "text-valign": "top",
                "font-size": 11,
            },
        },
        {"selector": ".focus", "style": {"border-width": 4, "border-color": "#151515"}},
        {
            "selector": "edge",
            "style": {
                "curve-style": "bezier",
                "target-arrow-shape": "triangle",
                "width": 1.5,
                "line-color": "#8a8d90",
                "target-arrow-color": "#8a8d90",
            },
        },
        {"selector": ".contains", "style": {"line-style": "dashed"}},
        {"selector": ".calls", "style": {"line-style": "dotted"}},
    ]
