"""The GPU page's lists: idle-allocated devices (the waste list), pods waiting for GPUs, every
device, and allocation against use. Each device name is a link that opens it via the URL."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import dash_bootstrap_components as dbc
from dash import dcc, html

from dashboard.analysis.gpu_types import (
    AllocationRow,
    GpuDevice,
    GpuMachine,
    IdleGpu,
    IdleRule,
    PendingGpuPod,
)
from dashboard.analysis.service_series import label as node_label
from dashboard.components.gpu_state import GpuQuery, gpu_href, rule_text
from dashboard.figures.gpu_grid import number_text
from dashboard.topology.window import human_duration

__all__ = [
    "NO_IDLE",
    "NO_PENDING",
    "allocation_table",
    "device_rows",
    "devices_table",
    "idle_table",
    "pending_table",
]

NO_IDLE = "No allocated GPU is idle"
NO_PENDING = "No pod is waiting for GPUs."

_TABLE = {"bordered": False, "hover": True, "size": "sm", "responsive": True}


def _gib(mib: float | None) -> str:
    return "n/a" if mib is None else f"{mib / 1024:.1f} GiB"


def _device_link(device: GpuDevice, query: GpuQuery, link_id: str) -> dcc.Link:
    return dcc.Link(device.label, href=gpu_href(query, device.id), id=link_id)


def idle_table(found: Sequence[IdleGpu], *, query: GpuQuery, rule: IdleRule) -> Any:
    """The waste list: allocated devices under the idle threshold up to the window's end."""
    if not found:
        return dbc.Alert(f"{NO_IDLE} ({rule_text(rule)}).", color="success", id="gpu-no-idle")
    head = html.Thead(html.Tr([html.Th(t) for t in (
        "GPU", "pod", "owner", "namespace", "idle since", "for", "max util", "memory held",
    )]))  # fmt: skip
    rows = [
        html.Tr(
            [
                html.Td(_device_link(one.device, query, f"gpu-idle-link-{n}")),
                html.Td(node_label(one.user.pod)),
                html.Td(one.owner),
                html.Td(one.user.namespace),
                html.Td(f"{one.idle_since:%H:%M} UTC"),
                html.Td(human_duration(round(one.idle_minutes) * 60)),
                html.Td(number_text(one.util_max, "%")),
                html.Td(_gib(one.memory_used_mib)),
            ],
            id=f"gpu-idle-{n}",
            className="gpu-idle-row",
        )
        for n, one in enumerate(found)
    ]
    return dbc.Table([head, html.Tbody(rows)], id="gpu-idle-table", **_TABLE)


def _asks(pod: PendingGpuPod) -> str:
    parts = []
    if pod.gpus:
        parts.append(f"{pod.gpus} x {pod.product or 'any GPU'}")
    if pod.mig:
        parts.append(f"MIG {pod.mig}")
    return ", ".join(parts)


def pending_table(found: Sequence[PendingGpuPod], *, end: Any) -> Any:
    """Pods waiting for GPUs, the longest waiting first, with the reason in two voices."""
    if not found:
        return dbc.Alert(NO_PENDING, color="success", id="gpu-no-pending")
    head = html.Thead(html.Tr([html.Th(t) for t in ("pod", "asks for", "waiting", "why")]))
    rows = []
    for n, pod in enumerate(found):
        waited = (
            ""
            if pod.since is None
            else human_duration(round((end - pod.since).total_seconds() / 60) * 60)
        )
        why = [html.Div(pod.why)] if pod.why else []
        if pod.scheduler_message:
            why.append(
                html.Div(f"scheduler: {pod.scheduler_message}", className="small text-muted")
            )
        rows.append(
            html.Tr(
                [
                    html.Td(f"{pod.namespace}/{pod.name}"),
                    html.Td(_asks(pod)),
                    html.Td(waited),
                    html.Td(why),
                ],
                id=f"gpu-pending-{n}",
                className="gpu-pending-row",
            )
        )
    return dbc.Table([head, html.Tbody(rows)], id="gpu-pending-table", **_TABLE)


def device_rows(machines: Sequence[GpuMachine]) -> list[GpuDevice]:
    """Every device in grid order: each GPU, then its MIG instances."""
    return [one for m in machines for d in m.devices for one in (d, *d.slices)]


def devices_table(machines: Sequence[GpuMachine], *, query: GpuQuery) -> Any:
    """Every device with its user and numbers; a MIG-enabled GPU's instances follow it."""
    head = html.Thead(html.Tr([html.Th(t) for t in (
        "GPU", "model", "used by", "util (mean)", "util (now)", "memory", "°C", "W", "XID",
    )]))  # fmt: skip
    rows = []
    for n, device in enumerate(device_rows(machines)):
        user = device.user
        who = "free" if user is None else node_label(user.workload or user.pod)
        if device.slices:
            who = f"MIG: {len(device.slices)} instances"
        memory = _gib(device.memory_used_mib)
        if device.memory_total_mib and device.memory_used_mib is not None:
            memory += f" / {device.memory_total_mib / 1024:.0f}"
        cells: list[Any] = [
            _device_link(device, query, f"gpu-device-link-{n}"),
            device.model,
            who,
            number_text(device.util_mean, "%"),
            number_text(device.util_now, "%"),
            memory,
            number_text(device.temperature_c),
            number_text(device.power_w),
            ", ".join(str(x.code) for x in device.xids),
        ]
        classes = "gpu-device-row" + (" table-active" if device.id == query.gpu else "")
        rows.append(html.Tr([html.Td(c) for c in cells], className=classes, id=f"gpu-device-{n}"))
    return dbc.Table([head, html.Tbody(rows)], id="gpu-devices-table", **_TABLE)


def allocation_table(rows: Sequence[AllocationRow]) -> Any:
    """Allocation against use, the most idle GPU-hours first."""
    head = html.Thead(html.Tr([html.Th(t) for t in (
        "", "GPUs allocated", "devices", "mean util", "GPU-hours allocated", "used", "idle",
    )]))  # fmt: skip
    body = [
        html.Tr(
            [
                html.Td(row.label),
                html.Td(f"{row.gpus_allocated:.2f}".rstrip("0").rstrip(".")),
                html.Td(str(row.devices)),
                html.Td(number_text(row.util_mean, "%")),
                html.Td(f"{row.gpu_hours_allocated:.1f}"),
                html.Td(f"{row.gpu_hours_used:.1f}"),
                html.Td(f"{row.gpu_hours_idle:.1f}"),
            ],
            className="gpu-allocation-row",
        )
        for row in rows
    ]
    return dbc.Table([head, html.Tbody(body)], id="gpu-allocation-table", **_TABLE)
