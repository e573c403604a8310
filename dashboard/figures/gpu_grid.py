"""The cluster's GPUs at a glance: one row per node, one cell per GPU, MIG instances inside.

A cell's colour is its utilization over the window (pale at 0%, deep blue at 100%); the bar
along its bottom is the memory in use. A MIG-enabled GPU is split into its instances, each as
wide as its share of the GPU's compute (a ``3g`` instance is 3/7). Free devices are grey and
say so; allocated devices that sit idle get a red outline, so the waste stands out. Every cell
and instance has a hover with its user, and a click (``clickData``) carries its device id in
``customdata``.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

import plotly.graph_objects as go
from plotly.colors import sample_colorscale

from dashboard.analysis.gpu_types import GpuDevice, GpuMachine
from dashboard.analysis.gpu_usage import gpu_share
from dashboard.analysis.service_series import label as node_label

__all__ = [
    "EMPTY_TEXT",
    "UTIL_COLOURS",
    "gpu_grid_figure",
    "hover_text",
    "number_text",
    "util_colour",
]

EMPTY_TEXT = "No GPUs in this snapshot"

UTIL_COLOURS = ((0.0, "#eef3f8"), (0.1, "#cfe0f1"), (0.5, "#5b9bd0"), (1.0, "#0b3a6e"))
"""Utilization colour scale (0 to 100%)."""

FREE_COLOUR = "#f5f5f5"
NO_DATA_COLOUR = "#d2d2d2"
IDLE_OUTLINE = "#c9190b"  # PatternFly danger red

_ROW_PX = 92
_CELL_W = 0.92
_CELL_H = 0.78


def util_colour(util: float | None) -> str:
    """The fill of a device with ``util`` percent utilization (grey without data).

    >>> util_colour(None) == NO_DATA_COLOUR, util_colour(0.0)
    (True, 'rgb(238, 243, 248)')
    """
    if util is None:
        return NO_DATA_COLOUR
    scale = [[stop, colour] for stop, colour in UTIL_COLOURS]
    return str(sample_colorscale(scale, [min(max(util, 0.0), 100.0) / 100.0])[0])


def _gib(mib: float) -> str:
    return f"{mib / 1024:.1f}" if mib < 10 * 1024 else f"{mib / 1024:.0f}"


def _memory_text(device: GpuDevice) -> str:
    if device.memory_used_mib is None:
        return ""
    if device.memory_total_mib:
        return f"{_gib(device.memory_used_mib)}/{_gib(device.memory_total_mib)} GiB"
    return f"{_gib(device.memory_used_mib)} GiB"


def number_text(value: float | None, unit: str = "", digits: int = 0) -> str:
    """A reading with its unit, or "n/a" without one.

    >>> number_text(41.6, "%"), number_text(None, " W")
    ('42%', 'n/a')
    """
    return "n/a" if value is None else f"{value:.{digits}f}{unit}"


def hover_text(device: GpuDevice) -> str:
    """What hovering a device says: which it is, who holds it, and its numbers now."""
    lines = [f"<b>{device.label}</b>", device.model]
    if device.user is None:
        lines.append("free: no pod assigned")
    else:
        user = device.user
        lines.append(f"pod {node_label(user.pod)}")
        if user.workload:
            lines.append(f"workload {node_label(user.workload)}")
        if user.pipeline_step:
            lines.append(f"pipeline step {node_label(user.pipeline_step)}")
    mean, now = number_text(device.util_mean, "%"), number_text(device.util_now, "%")
    lines.append(f"utilization {mean} mean, {now} now")
    memory = _memory_text(device)
    if memory:
        lines.append(f"memory {memory}")
    lines.append(
        f"{number_text(device.temperature_c, ' °C')} · {number_text(device.power_w, ' W')}"
        + (f" · XID {', '.join(str(x.code) for x in device.xids)}" if device.xids else "")
    )
    return "<br>".join(lines)


@dataclass(frozen=True, slots=True)
class _Box:
    device: GpuDevice
    x0: float
    x1: float
    y: float


def _boxes(machines: Sequence[GpuMachine]) -> list[_Box]:
    boxes: list[_Box] = []
    for row, machine in enumerate(machines):
        for column, device in enumerate(machine.devices):
            left = column - _CELL_W / 2
            if not device.slices:
                boxes.append(_Box(device, left, left + _CELL_W, row))
                continue
            # Instances side by side, each as wide as its compute share; unused slices stay empty.
            x = left
            for instance in device.slices:
                width = _CELL_W * gpu_share(instance.mig_profile)
                boxes.append(_Box(instance, x, x + width, row))
                x += width
    return boxes


def _cell_text(device: GpuDevice, narrow: bool) -> str:
    head = "free" if device.user is None else number_text(device.util_mean, "%")
    if device.mig_profile:
        return f"{device.mig_profile.split('.')[0]}<br>{head}"
    memory = _memory_text(device)
    return head if narrow or not memory else f"{head}<br><sup>{memory}</sup>"


def _fill(device: GpuDevice) -> str:
    return FREE_COLOUR if device.user is None else util_colour(device.util_mean)


def gpu_grid_figure(
    machines: Sequence[GpuMachine],
    *,
    idle: Collection[str] = (),
    selected: str = "",
) -> go.Figure:
    """The grid of ``machines``' devices; ``idle`` device ids get a red outline, ``selected``
    a thick dark one."""
    fig = go.Figure()
    fig.update_layout(template="plotly_white", font={"size": 11}, showlegend=False)
    if not machines:
        fig.add_annotation(text=EMPTY_TEXT, showarrow=False, x=0.5, y=0.5, xref="paper",
                           yref="paper")  # fmt: skip
        fig.update_xaxes(visible=False)
        fig.update_yaxes(visible=False)
        fig.update_layout(height=120, margin={"l": 8, "r": 8, "t": 8, "b": 8})
        return fig
    boxes = _boxes(machines)
    for box in boxes:
        device = box.device
        outline, width = "#8a8d90", 1.0
        if device.id in idle:
            outline, width = IDLE_OUTLINE, 3.0
        if device.id == selected:
            outline, width = "#151515", 3.5
        top, bottom = box.y - _CELL_H / 2, box.y + _CELL_H / 2
        fig.add_shape(type="rect", x0=box.x0, x1=box.x1, y0=top, y1=bottom,
                      fillcolor=_fill(device), line={"color": outline, "width": width},
                      layer="below")  # fmt: skip
        if device.memory_used_mib is not None and device.memory_total_mib:
            share = min(1.0, device.memory_used_mib / device.memory_total_mib)
            fig.add_shape(type="rect", x0=box.x0 + 0.03, x1=box.x0 + 0.03 + (box.x1 - box.x0
                          - 0.06) * share, y0=bottom - 0.1, y1=bottom - 0.04,
                          fillcolor="#f0ab00", line={"width": 0}, layer="below")  # fmt: skip
    dark = [b.device.user is not None and (b.device.util_mean or 0.0) >= 55 for b in boxes]
    fig.add_trace(
        go.Scatter(
            x=[(b.x0 + b.x1) / 2 for b in boxes],
            y=[b.y - 0.04 for b in boxes],
            mode="markers+text",
            text=[_cell_text(b.device, b.x1 - b.x0 < 0.5) for b in boxes],
            textfont={"color": ["#ffffff" if d else "#151515" for d in dark], "size": 10},
            marker={"size": 28, "opacity": 0, "symbol": "square"},
            hovertext=[hover_text(b.device) for b in boxes],
            hoverinfo="text",
            customdata=[b.device.id for b in boxes],
            name="GPUs",
        )
    )
    # An invisible point carries the colour bar, so the scale is explained once.
    fig.add_trace(
        go.Scatter(
            x=[None], y=[None], mode="markers", hoverinfo="skip",
            marker={"colorscale": [[s, c] for s, c in UTIL_COLOURS], "cmin": 0, "cmax": 100,
                    "color": [0], "showscale": True,
                    "colorbar": {"title": {"text": "util %"}, "thickness": 12, "len": 0.9}},
        )
    )  # fmt: skip
    width = max(len(m.devices) for m in machines)
    fig.update_xaxes(range=[-0.55, width - 0.45], tickvals=list(range(width)),
                     ticktext=[f"GPU {i}" for i in range(width)], showgrid=False,
                     zeroline=False, side="top", fixedrange=True)  # fmt: skip
    fig.update_yaxes(range=[len(machines) - 0.5, -0.5], tickvals=list(range(len(machines))),
                     ticktext=[_row_label(m) for m in machines], showgrid=False,
                     zeroline=False, fixedrange=True)  # fmt: skip
    fig.update_layout(height=_ROW_PX * len(machines) + 60,
                      margin={"l": 8, "r": 8, "t": 36, "b": 8}, clickmode="event")  # fmt: skip
    return fig


def _row_label(machine: GpuMachine) -> str:
    whole = len(machine.devices)
    mig = sum(len(d.slices) for d in machine.devices)
    count = f"{whole} GPUs" + (f", {mig} MIG instances" if mig else "")
    return f"<b>{machine.name}</b><br><sup>{machine.product} · {count}</sup>"
