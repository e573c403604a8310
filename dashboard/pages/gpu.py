"""GPU: every GPU in the cluster, who holds it, what it does, what is wasted and who waits.

The state lives in the URL query (``?gpu=gpu:Kubernetes/gpu-a100-01/2&by=workload&idle=5``, see
``dashboard.components.gpu_state``): the layout reads it, device links change it (Dash Pages
draws the page again), a click on the grid or the allocation switch redraws the body and writes
the URL (``meshlens.writeQuery``), the shell's window picker redraws it, and a new snapshot in
live mode redraws it under the same query. The analysis runs once per snapshot and window
(``dashboard.components.gpu_cache``).
"""

from __future__ import annotations

from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import ClientsideFunction, Input, Output, State, ctx, dcc, html
from dash.development.base_component import Component

from collectors.model import Snapshot
from dashboard.analysis.gpu_fleet import all_devices
from dashboard.analysis.gpu_types import AllocationRow, GpuDevice, GpuMachine, IdleGpu
from dashboard.analysis.gpu_usage import device_frame
from dashboard.app import SNAPSHOT_VERSION, current_snapshot
from dashboard.components.gpu_cache import GpuCache, gpu_cache
from dashboard.components.gpu_detail import device_detail
from dashboard.components.gpu_state import (
    BY,
    GRID,
    QUERY_KEYS,
    GpuQuery,
    parse_gpu_query,
    query_after_event,
    rule_text,
)
from dashboard.components.gpu_tables import (
    allocation_table,
    devices_table,
    idle_table,
    pending_table,
)
from dashboard.components.page_query import WINDOW
from dashboard.figures.gpu_charts import allocation_figure, gpu_series_figure
from dashboard.figures.gpu_grid import gpu_grid_figure
from dashboard.topology.window import TimeWindow, page_window, window_bounds

dash.register_page(__name__, path="/gpu", name="GPU", title="meshlens · GPU")

QUERY = "gpu-query"  # the page's query values, as the URL holds them
NO_GPUS = (
    "No GPUs in this snapshot: no node advertises nvidia.com/gpu and Prometheus holds no "
    "DCGM exporter series (is dcgm-exporter installed and scraped?)."
)


def layout(**query: Any) -> html.Div:
    """Render the fleet for the URL's query."""
    asked = {key: query[key] for key in QUERY_KEYS if key in query}
    return html.Div(
        [
            html.H2("GPU"),
            dcc.Store(id=QUERY, data=asked),
            dcc.Store(id="gpu-owned-keys", data=list(QUERY_KEYS)),
            dcc.Store(id="gpu-url-sink"),
            html.Div(body(current_snapshot(), asked, gpu_cache()), id="gpu-body"),
        ]
    )


@dash.callback(
    Output("gpu-body", "children"),
    Output(QUERY, "data"),
    Input(SNAPSHOT_VERSION, "data"),
    Input(WINDOW, "value"),
    Input(GRID, "clickData"),
    Input(BY, "value"),
    State(QUERY, "data"),
    prevent_initial_call=True,
)
def refresh(
    _version: int | None,
    window: str | None,
    click: dict[str, Any] | None,
    by: str | None,
    shown: dict[str, Any] | None,
) -> tuple[list[Any], dict[str, Any]]:
    """Redraw for a new snapshot, a picked window, a clicked device or another grouping."""
    query = query_after_event(ctx.triggered_id, window, click, by, shown or {})
    if query is None:
        raise dash.exceptions.PreventUpdate
    return body(current_snapshot(), query, gpu_cache()), query


dash.clientside_callback(
    ClientsideFunction(namespace="meshlens", function_name="writeQuery"),
    Output("gpu-url-sink", "data"),
    Input(QUERY, "data"),
    State("gpu-owned-keys", "data"),
    prevent_initial_call=True,
)


def _summary(
    machines: tuple[GpuMachine, ...],
    rows: list[AllocationRow],
    idle: list[IdleGpu],
    waiting: int,
    where: str,
) -> str:
    whole = [d for m in machines for d in m.devices]
    instances = [s for d in whole for s in d.slices]
    held = [d for d in (*whole, *instances) if d.user is not None]
    mig = f" ({len(instances)} MIG instances)" if instances else ""
    allocated = sum(row.gpu_hours_allocated for row in rows)
    used = sum(row.gpu_hours_used for row in rows)
    work = f", {100 * used / allocated:.0f}% of their GPU-hours did work" if allocated else ""
    pods = "1 pod" if waiting == 1 else f"{waiting} pods"
    return (
        f"{len(whole)} GPUs on {len(machines)} nodes{mig}, {where}: {len(held)} devices in use"
        f"{work}; {len(idle)} allocated but idle; {pods} waiting for GPUs."
    )


def body(snapshot: Snapshot, asked: dict[str, Any], cache: GpuCache) -> list[Any]:
    """The page under the title: summary, notes, grid and open device, lists and charts."""
    query, notes = parse_gpu_query(asked)
    window, window_notes = page_window(query.window, query.end, snapshot.meta)
    notes += window_notes
    machines = cache.fleet(snapshot, window)
    pending = cache.pending(snapshot)
    meta = snapshot.meta
    where = window.label if window else f"{meta.start:%H:%M} to {meta.end:%H:%M} UTC"
    alerts = [
        dbc.Alert(line, color="warning", className="py-1 mb-2 small", id=f"gpu-note-{n}")
        for n, line in enumerate(notes)
    ]
    if not machines:
        waiting = pending_table(pending, end=meta.end)
        none = dbc.Alert(NO_GPUS, color="info", id="gpu-none")
        return [*alerts, none, _section("Waiting for GPUs", waiting, "gpu-pending")]
    idle = cache.idle(snapshot, window, query.rule)
    devices = all_devices(machines)
    chosen = devices.get(query.gpu)
    if query.gpu and chosen is None:
        alerts.append(dbc.Alert(f"GPU {query.gpu} is not in this snapshot: pick one in the grid.",
                                color="warning", className="py-1 mb-2 small",
                                id="gpu-note-missing"))  # fmt: skip
    idle_by_device = {one.device.id: one for one in idle}
    grid = gpu_grid_figure(machines, idle=idle_by_device, selected=chosen.id if chosen else "")
    rows = cache.allocation(snapshot, window, query.by)
    per_namespace = cache.allocation(snapshot, window, "namespace")
    summary = _summary(machines, per_namespace, idle, len(pending), where)
    return [
        html.P(summary, className="text-muted", id="gpu-summary"),
        *alerts,
        dbc.Row(
            [
                dbc.Col(dcc.Graph(id=GRID, figure=grid, config={"displayModeBar": False}), lg=8),
                dbc.Col(
                    device_detail(chosen, idle_by_device.get(query.gpu)), lg=4, id="gpu-detail"
                ),
            ],
            className="g-3",
        ),
        _series(snapshot, chosen, window, query),
        _section(
            f"Allocated but idle ({rule_text(query.rule)})",
            idle_table(idle, query=query, rule=query.rule),
            "gpu-idle",
        ),
        _section("Waiting for GPUs", pending_table(pending, end=meta.end), "gpu-pending"),
        _section(
            "Allocation and use",
            html.Div(
                [
                    dbc.RadioItems(
                        id=BY,
                        value=query.by,
                        inline=True,
                        className="mb-2",
                        options=[
                            {"label": "per namespace", "value": "namespace"},
                            {"label": "per workload", "value": "workload"},
                        ],
                    ),
                    dcc.Graph(
                        id="gpu-allocation",
                        figure=allocation_figure(rows),
                        config={"displayModeBar": False},
                    ),
                    allocation_table(rows),
                ]
            ),
            "gpu-allocation-section",
        ),
        _section("Every GPU", devices_table(machines, query=query), "gpu-devices"),
    ]


def _series(
    snapshot: Snapshot, device: GpuDevice | None, window: TimeWindow | None, query: GpuQuery
) -> Any:
    if device is None:
        return html.Div(id="gpu-series-none")
    frame = device_frame(snapshot, device.id, **window_bounds(window))
    figure = gpu_series_figure(
        frame,
        title=f"{device.label} over time",
        memory_total_mib=device.memory_total_mib,
        xids=device.xids,
        idle_threshold=query.rule.threshold_pct if device.user is not None else None,
    )
    return dcc.Graph(id="gpu-series", figure=figure, config={"displayModeBar": False})


def _section(title: str, content: Component, section_id: str) -> html.Section:
    return html.Section([html.H4(title, className="mt-4 h5"), content], id=section_id)


__all__ = ["body", "layout", "refresh"]
