"""The Lineage page's lists: runs, a run's steps and failures, and a walk's hops.

Every run, artifact, step and model server named is a link that opens it on this page via the
URL; pods' GPUs link to the GPU page, serving workloads to Topology.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

import dash_bootstrap_components as dbc
from dash import dcc, html

from dashboard.analysis.lineage_types import (
    FAILED_PHASES,
    Lineage,
    LineageNode,
    Role,
    RunDag,
    RunRow,
)
from dashboard.analysis.service_series import label as node_label
from dashboard.components.gpu_state import GpuQuery, device_label, gpu_href
from dashboard.components.lineage_state import LineageQuery, lineage_href
from dashboard.figures.lineage_graph import duration_text, phase_colour

__all__ = ["failures_list", "runs_table", "steps_table", "walk_table"]

_TABLE = {"bordered": False, "hover": True, "size": "sm", "responsive": True}


def _when(moment: datetime | None) -> str:
    return f"{moment:%Y-%m-%d %H:%M} UTC" if moment else ""


def _phase(phase: str) -> html.Span:
    return html.Span(
        phase or "unknown",
        className="badge",
        style={"backgroundColor": phase_colour(phase), "color": "#ffffff"},
    )


def _open(query: LineageQuery, text: str, link_id: str, **changes: str) -> dcc.Link:
    fields = {"run": query.run, "node": query.node, **changes}
    return dcc.Link(text, href=lineage_href(LineageQuery(**fields)), id=link_id)


def runs_table(runs: Sequence[RunRow], query: LineageQuery) -> Any:
    """Every run, newest first: status, when, how long, and what failed it."""
    if not runs:
        return dbc.Alert("No pipeline runs (Argo Workflows) in this snapshot.", color="info",
                         id="lineage-no-runs")  # fmt: skip
    head = html.Thead(html.Tr([html.Th(t) for t in (
        "run", "pipeline", "status", "started", "took", "steps", "failed step", "why",
    )]))  # fmt: skip
    rows = []
    for n, run in enumerate(runs):
        steps = str(run.steps) if run.steps is not None else run.steps_note
        rows.append(
            html.Tr(
                [
                    html.Td(_open(query, run.title, f"lineage-run-link-{n}", run=run.id)),
                    html.Td(run.pipeline),
                    html.Td(_phase(run.phase)),
                    html.Td(_when(run.started)),
                    html.Td(duration_text(run.duration_s)),
                    html.Td(steps, className="" if run.steps is not None else "text-warning"),
                    html.Td(run.failed_step),
                    html.Td(run.failed_message, className="small"),
                ],
                id=f"lineage-run-{n}",
                className="lineage-run-row" + (" table-active" if run.id == query.run else ""),
            )
        )
    return dbc.Table([head, html.Tbody(rows)], id="lineage-runs-table", **_TABLE)


def failures_list(dag: RunDag) -> Any:
    """The failed steps of a run, each with its own message (the reason people open a run)."""
    failed = [s for s in dag.steps if s.phase in FAILED_PHASES]
    if not failed:
        return html.Div(id="lineage-failures")
    items = [
        html.Li(
            [html.Strong(step.task), f" ({step.phase}"
             f"{', exit code ' + step.exit_code if step.exit_code else ''}): ",
             step.message or "no message"],
            id=f"lineage-failure-{n}",
        )
        for n, step in enumerate(failed)
    ]  # fmt: skip
    return dbc.Alert([html.Div("Failed steps"), html.Ul(items, className="mb-0")],
                     color="danger", id="lineage-failures")  # fmt: skip


def _gpus(devices: Sequence[str], requested: int) -> Any:
    links: list[Any] = [dcc.Link(device_label(d), href=gpu_href(GpuQuery(), d)) for d in devices]
    asked = f"{requested} requested" if requested else ""
    if not links:
        return asked
    return html.Div([*links, html.Span(f" ({asked})" if asked else "")])


def _artifacts(ids: Sequence[str], query: LineageQuery, prefix: str) -> Any:
    return html.Div([
        html.Div(_open(query, node_label(a).rsplit("/", 1)[-1] or a, f"{prefix}-{n}", node=a),
                 title=node_label(a))
        for n, a in enumerate(ids)
    ])  # fmt: skip


def steps_table(dag: RunDag, query: LineageQuery) -> Any:
    """A run's steps: phase, when, how long, where, on which GPUs, reading and writing what."""
    head = html.Thead(html.Tr([html.Th(t) for t in (
        "step", "status", "started", "took", "machine", "pod", "GPUs", "read", "wrote",
    )]))  # fmt: skip
    rows = []
    for n, step in enumerate(dag.steps):
        pod = f"{node_label(step.pod)} ({step.pod_phase})" if step.pod else "gone"
        rows.append(
            html.Tr(
                [
                    html.Td(_open(query, step.task, f"lineage-step-link-{n}", node=step.id)),
                    html.Td(_phase(step.phase)),
                    html.Td(_when(step.started)),
                    html.Td(duration_text(step.duration_s)),
                    html.Td(step.machine),
                    html.Td(pod, className="small" if step.pod else "small text-muted"),
                    html.Td(_gpus(step.gpu_devices, step.gpus_requested)),
                    html.Td(_artifacts(step.inputs, query, f"lineage-in-{n}")),
                    html.Td(_artifacts(step.outputs, query, f"lineage-out-{n}")),
                ],
                id=f"lineage-step-{n}",
                className="lineage-step-row" + (" text-muted" if step.role == "driver" else ""),
            )
        )
    return dbc.Table([head, html.Tbody(rows)], id="lineage-steps-table", **_TABLE)


def _hop_target(node: LineageNode, query: LineageQuery, link_id: str) -> Any:
    if node.role in (Role.WORKLOAD, Role.CALLER):
        href = f"/topology?{urlencode({'focus': node.id, 'selected': node.id})}"
        return dcc.Link(node.label, href=href, id=link_id)
    return _open(query, node.label, link_id, node=node.id)


def walk_table(walk: Lineage, query: LineageQuery, run_titles: dict[str, str]) -> Any:
    """Every hop of a walk: how far, which way, what it is, and its run for steps."""
    head = html.Thead(html.Tr([html.Th(t) for t in ("hops", "what", "name", "run", "state")]))
    rows = []
    for n, node in enumerate(walk.nodes):
        way = "here" if node.distance == 0 else (
            f"{-node.distance} up" if node.distance < 0 else f"{node.distance} down")  # fmt: skip
        run = (_open(query, run_titles.get(node.run, node.run), f"lineage-hop-run-{n}",
                     run=node.run) if node.run else "")  # fmt: skip
        rows.append(
            html.Tr(
                [html.Td(way), html.Td(node.role.value), html.Td(_hop_target(node, query,
                 f"lineage-hop-link-{n}")), html.Td(run), html.Td(node.detail)],
                id=f"lineage-hop-{n}",
                className="lineage-hop-row" + (" table-danger" if node.failed else ""),
            )
        )  # fmt: skip
    return dbc.Table([head, html.Tbody(rows)], id="lineage-walk-table", **_TABLE)
