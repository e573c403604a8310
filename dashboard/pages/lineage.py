"""Lineage: where a model came from and what it feeds, and the pipeline runs behind it all.

The state lives in the URL query (``?node=inference_service:Kubernetes/ml/recommender&run=…``,
see ``dashboard.components.lineage_state``): the layout reads it, links change it (Dash Pages
draws the page again), the explorer's picker redraws the body and writes the URL
(``meshlens.writeQuery``), and a new snapshot in live mode redraws it under the same query.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import dash
import dash_bootstrap_components as dbc
import dash_cytoscape as cyto
from dash import ClientsideFunction, Input, Output, State, ctx, dcc, html

from collectors.kinds import NodeKind
from collectors.model import Snapshot
from dashboard.analysis.lineage_roles import run_title
from dashboard.analysis.lineage_runs import run_dag, runs
from dashboard.analysis.lineage_types import Lineage, Role, RunDag, RunRow
from dashboard.analysis.lineage_walk import behind_text, lineage, starting_points
from dashboard.app import SNAPSHOT_VERSION, current_snapshot
from dashboard.components.lineage_state import (
    PICK,
    QUERY_KEYS,
    LineageQuery,
    parse_lineage_query,
    query_after_pick,
)
from dashboard.components.lineage_tables import (
    failures_list,
    runs_table,
    steps_table,
    walk_table,
)
from dashboard.figures.lineage_graph import (
    dag_elements,
    duration_text,
    lineage_elements,
    lineage_stylesheet,
)

dash.register_page(__name__, path="/lineage", name="Lineage", title="meshlens · Lineage")

QUERY = "lineage-query"  # the page's query values, as the URL holds them
_PICK_ROLES = (Role.MODEL_SERVER, Role.MODEL, Role.DATASET)


def layout(**query: Any) -> html.Div:
    """Render runs and lineage for the URL's query."""
    asked = {key: query[key] for key in QUERY_KEYS if key in query}
    return html.Div(
        [
            html.H2("Lineage"),
            dcc.Store(id=QUERY, data=asked),
            dcc.Store(id="lineage-owned-keys", data=list(QUERY_KEYS)),
            dcc.Store(id="lineage-url-sink"),
            html.Div(body(current_snapshot(), asked), id="lineage-body"),
        ]
    )


@dash.callback(
    Output("lineage-body", "children"),
    Output(QUERY, "data"),
    Input(SNAPSHOT_VERSION, "data"),
    Input(PICK, "value"),
    State(QUERY, "data"),
    prevent_initial_call=True,
)
def refresh(
    _version: int | None, picked: str | None, shown: dict[str, Any] | None
) -> tuple[list[Any], dict[str, Any]]:
    """Redraw for a new snapshot, or walk from what the explorer's picker names."""
    query = query_after_pick(picked, shown or {}) if ctx.triggered_id == PICK else shown or {}
    if query is None:
        raise dash.exceptions.PreventUpdate
    return body(current_snapshot(), query), query


dash.clientside_callback(
    ClientsideFunction(namespace="meshlens", function_name="writeQuery"),
    Output("lineage-url-sink", "data"),
    Input(QUERY, "data"),
    State("lineage-owned-keys", "data"),
    prevent_initial_call=True,
)


def summary_text(rows: list[RunRow], points: dict[Role, list[tuple[str, str]]]) -> str:
    """One line: how many runs in which phases, model servers, models and datasets."""
    phases = Counter(row.phase.lower() or "unknown" for row in rows)
    said = ", ".join(f"{count} {phase}" for phase, count in sorted(phases.items()))
    runs_part = f"{len(rows)} pipeline run{'s' if len(rows) != 1 else ''}"
    return (
        f"{runs_part}{': ' + said if said else ''} · {len(points[Role.MODEL_SERVER])} model "
        f"servers · {len(points[Role.MODEL])} models · {len(points[Role.DATASET])} datasets."
    )


def body(snapshot: Snapshot, asked: dict[str, Any]) -> list[Any]:
    """The page under the title: summary, notes, the explorer, the runs and the open run."""
    query, notes = parse_lineage_query(asked)
    rows = runs(snapshot)
    points = starting_points(snapshot)
    titles = {n.id: run_title(n) for n in snapshot.nodes(NodeKind.PIPELINE_RUN)}
    dag = run_dag(snapshot, query.run) if query.run else None
    if query.run and dag is None:
        notes.append(f"Run {query.run} is not in this snapshot: pick one in the list.")
    walk = lineage(snapshot, query.node) if query.node else None
    if query.node and walk is None:
        notes.append(
            f"{query.node} is not in this snapshot's lineage: pick a dataset, model or model "
            "server."
        )
    alerts = [
        dbc.Alert(line, color="warning", className="py-1 mb-2 small", id=f"lineage-note-{n}")
        for n, line in enumerate(notes)
    ]
    return [
        html.P(summary_text(rows, points), className="text-muted", id="lineage-summary"),
        *alerts,
        _section("Artifact explorer", _explorer(snapshot, query, points, walk, titles),
                 "lineage-explorer"),
        _section("Pipeline runs", runs_table(rows, query), "lineage-runs"),
        _run_section(dag, query),
    ]  # fmt: skip


def _explorer(
    snapshot: Snapshot,
    query: LineageQuery,
    points: dict[Role, list[tuple[str, str]]],
    walk: Lineage | None,
    titles: dict[str, str],
) -> html.Div:
    options = [
        {"label": f"{role.value}: {text}", "value": node_id}
        for role in _PICK_ROLES
        for node_id, text in points[role]
    ]
    known = {option["value"] for option in options}
    if walk is not None and walk.focus not in known:
        # A step, an intermediate artifact or a serving workload opened by a link.
        focus = next(n for n in walk.nodes if n.distance == 0)
        options.insert(0, {"label": f"{focus.role.value}: {focus.label}", "value": walk.focus})
    picker = dcc.Dropdown(
        id=PICK,
        options=options,
        value=query.node or None,
        placeholder="Pick a model server, model or dataset…",
        clearable=True,
        className="mb-2",
    )
    if walk is None:
        hint = "Pick one to see its pipeline runs and data upstream, and who uses it downstream."
        return html.Div([picker, html.P(hint, className="small text-muted", id="lineage-hint")])
    return html.Div(
        [
            picker,
            html.P(behind_text(snapshot, walk), id="lineage-behind", className="lead"),
            _graph("lineage-graph", lineage_elements(walk, titles), height=420),
            walk_table(walk, query, titles),
        ]
    )


def _run_section(dag: RunDag | None, query: LineageQuery) -> Any:
    if dag is None:
        return html.Section(id="lineage-run")
    run = dag.run
    parts = (
        run.phase,
        f"started {run.started:%Y-%m-%d %H:%M} UTC" if run.started else "",
        f"took {duration_text(run.duration_s)}" if run.duration_s is not None else "",
        f"pipeline {run.pipeline}" if run.pipeline else "",
        f"KFP run id {run.kfp_run_id}" if run.kfp_run_id else "",
        f"Workflow {run.namespace}/{run.name}",
    )
    facts = " · ".join(part for part in parts if part)
    if run.steps is None:
        content: list[Any] = [dbc.Alert(f"Steps not shown: {run.steps_note}.", color="warning",
                                        id="lineage-steps-unavailable")]  # fmt: skip
    else:
        content = [
            failures_list(dag),
            _graph("lineage-dag", dag_elements(dag), height=260),
            steps_table(dag, query),
        ]
    return html.Section(
        [html.H4(f"Run {run.title}", className="mt-4 h5"),
         html.P(facts, className="small text-muted", id="lineage-run-facts"), *content],
        id="lineage-run",
    )  # fmt: skip


def _graph(graph_id: str, elements: list[dict[str, Any]], *, height: int) -> cyto.Cytoscape:
    """A small lineage graph, positioned by the server (no layout runs in the browser)."""
    return cyto.Cytoscape(
        id=graph_id,
        elements=elements,
        layout={"name": "preset", "fit": True, "padding": 30},
        stylesheet=lineage_stylesheet(),
        minZoom=0.2,
        maxZoom=3,
        boxSelectionEnabled=False,
        autoungrabify=True,
        style={"width": "100%", "height": f"{height}px"},
        className="border rounded mb-2",
    )


def _section(title: str, content: Any, section_id: str) -> html.Section:
    return html.Section([html.H4(title, className="mt-4 h5"), content], id=section_id)


__all__ = ["body", "layout", "refresh", "summary_text"]
