"""The open device: who holds it, followed up to its services (and pipeline step), with links
to Topology, and what it reported. The attribution NVIDIA's dashboard cannot show."""

from __future__ import annotations

from typing import Any

import dash_bootstrap_components as dbc
from dash import dcc, html

from dashboard.analysis.gpu_types import GpuDevice, IdleGpu
from dashboard.analysis.service_series import label as node_label
from dashboard.components.triage_state import topology_href
from dashboard.figures.gpu_grid import number_text
from dashboard.topology.window import human_duration

__all__ = ["PICK_A_GPU", "device_detail"]

PICK_A_GPU = "Pick a GPU in the grid or the list to see who uses it and its history."


def _row(title: str, value: Any, row_id: str = "") -> html.Tr:
    return html.Tr([html.Th(title, className="fw-normal text-muted"), html.Td(value)], id=row_id)


def _topology_link(node: str, link_id: str) -> list[Any]:
    return [
        node_label(node),
        " ",
        dcc.Link("Open in Topology", href=topology_href(node, hops=1), id=link_id,
                 className="small ms-1"),
    ]  # fmt: skip


def _user_rows(device: GpuDevice) -> list[html.Tr]:
    user = device.user
    if user is None:
        return [_row("used by", "nobody: free", "gpu-detail-free")]
    pod = node_label(user.pod) + (f" (container {user.container})" if user.container else "")
    rows = [_row("pod", pod, "gpu-detail-pod")]
    if user.workload:
        rows.append(
            _row(
                "workload",
                _topology_link(user.workload, "gpu-workload-link"),
                "gpu-detail-workload",
            )
        )
    else:
        rows.append(_row("workload", "unknown: no cluster objects in this snapshot"))
    for n, service in enumerate(user.services):
        rows.append(_row("service", _topology_link(service, f"gpu-service-link-{n}")))
    if user.pipeline_step:
        run = f" of run {node_label(user.pipeline_run)}" if user.pipeline_run else ""
        rows.append(_row("pipeline step", node_label(user.pipeline_step) + run, "gpu-detail-step"))
    return rows


def _numbers(device: GpuDevice) -> list[html.Tr]:
    memory = "n/a"
    if device.memory_used_mib is not None:
        memory = f"{device.memory_used_mib / 1024:.1f} GiB"
        if device.memory_total_mib:
            share = 100 * device.memory_used_mib / device.memory_total_mib
            memory += f" of {device.memory_total_mib / 1024:.0f} GiB ({share:.0f}%)"
    return [
        _row(
            "utilization",
            f"{number_text(device.util_mean, ' %')} mean, {number_text(device.util_now, ' %')} now",
        ),
        _row("memory", memory),
        _row("temperature", number_text(device.temperature_c, " °C")),
        _row("power", number_text(device.power_w, " W")),
    ]


def device_detail(device: GpuDevice | None, idle: IdleGpu | None) -> Any:
    """The panel beside the grid; a prompt when no device is open."""
    if device is None:
        return dbc.Alert(PICK_A_GPU, color="light", id="gpu-detail-none")
    facts = [_row("model", device.model)]
    if device.mig_profile:
        facts.append(_row("MIG instance", f"{device.mig_profile}, GPU instance {device.mig_id}"))
    if device.uuid:
        facts.append(_row("UUID", html.Code(device.uuid)))
    notes: list[Any] = []
    if idle is not None:
        held = (
            "its memory"
            if idle.memory_used_mib is None
            else f"{idle.memory_used_mib / 1024:.1f} GiB"
        )
        since = f"{idle.idle_since:%H:%M} UTC ({human_duration(round(idle.idle_minutes) * 60)})"
        notes.append(
            dbc.Alert(
                f"Idle since {since}, at most {idle.util_max:.0f}% utilization, holding {held}.",
                color="danger",
                className="py-1 small",
                id="gpu-detail-idle",
            )
        )
    for n, event in enumerate(device.xids):
        notes.append(
            dbc.Alert(
                f"XID {event.code} at {event.at:%H:%M} UTC: {event.meaning or 'unknown code'}",
                color="warning",
                className="py-1 small",
                id=f"gpu-detail-xid-{n}",
            )
        )
    return html.Div(
        [
            html.H5(device.label, id="gpu-detail-title"),
            *notes,
            dbc.Table(
                html.Tbody([*_user_rows(device), *facts, *_numbers(device)]),
                size="sm",
                borderless=True,
                className="mb-0",
            ),
        ],
        id="gpu-detail-panel",
    )
