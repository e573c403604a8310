"""One GPU over time, and allocation against use: the GPU page's charts.

:func:`gpu_series_figure` draws what NVIDIA's DCGM dashboard draws for one device (utilization,
memory, temperature, power), on one shared time axis, and marks each XID error the device
reported with a red line and its code, so "the GPU fell off the bus at 08:12" is seen where it
happened. :func:`allocation_figure` shows, per namespace or workload, the GPU-hours allocated
split into the part that did work and the part that sat idle.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from dashboard.analysis.gpu_types import AllocationRow, XidEvent

__all__ = ["NO_SAMPLES_TEXT", "allocation_figure", "gpu_series_figure"]

NO_SAMPLES_TEXT = "No DCGM samples for this device in the window"

_PANELS = (
    ("Utilization (%)", ("gpu_util", "gpu_tensor_active")),
    ("Memory (GiB)", ("gpu_memory_used",)),
    ("Temperature (°C)", ("gpu_temperature",)),
    ("Power (W)", ("gpu_power",)),
)
_NAMES = {
    "gpu_util": "utilization",
    "gpu_tensor_active": "tensor cores active",
    "gpu_memory_used": "used",
    "gpu_temperature": "temperature",
    "gpu_power": "power",
}
_COLOURS = {
    "gpu_util": "#0066cc",
    "gpu_tensor_active": "#5ba352",
    "gpu_memory_used": "#f0ab00",
    "gpu_temperature": "#ec7a08",
    "gpu_power": "#7d1007",
}
XID_COLOUR = "#c9190b"


def _values(frame: pd.DataFrame, metric: str) -> pd.Series:
    series = frame[metric].astype(float)
    if metric == "gpu_tensor_active":
        return series * 100.0  # a 0-1 ratio drawn on the utilization panel
    if metric == "gpu_memory_used":
        return series / 1024.0
    return series


def gpu_series_figure(
    frame: pd.DataFrame,
    *,
    title: str = "",
    memory_total_mib: float | None = None,
    xids: Sequence[XidEvent] = (),
    idle_threshold: float | None = None,
) -> go.Figure:
    """Four panels over ``frame`` (UTC time index, one column per GPU series metric).

    ``memory_total_mib`` draws the memory ceiling; ``idle_threshold`` a dotted line on the
    utilization panel at the idle rule's threshold.
    """
    fig = make_subplots(rows=len(_PANELS), cols=1, shared_xaxes=True, vertical_spacing=0.05,
                        subplot_titles=[name for name, _ in _PANELS])  # fmt: skip
    fig.update_layout(template="plotly_white", font={"size": 11}, hovermode="x unified",
                      height=620, margin={"l": 8, "r": 8, "t": 48 if title else 28, "b": 8},
                      legend={"orientation": "h", "y": -0.06},
                      title={"text": title, "font": {"size": 13}} if title else None)  # fmt: skip
    if frame.empty:
        fig.add_annotation(text=NO_SAMPLES_TEXT, showarrow=False, x=0.5, y=0.5, xref="paper",
                           yref="paper")  # fmt: skip
        return fig
    for row, (_, metrics) in enumerate(_PANELS, start=1):
        for metric in metrics:
            if metric not in frame.columns:
                continue
            fig.add_trace(
                go.Scatter(x=frame.index, y=_values(frame, metric), name=_NAMES[metric],
                           mode="lines", line={"color": _COLOURS[metric], "width": 1.6},
                           hovertemplate="%{y:.1f}"),
                row=row, col=1,
            )  # fmt: skip
    fig.update_yaxes(rangemode="tozero")
    fig.update_yaxes(range=[0, 105], row=1, col=1)
    if memory_total_mib:
        fig.add_hline(y=memory_total_mib / 1024.0, row=2, col=1,
                      line={"color": "#6a6e73", "dash": "dash", "width": 1},
                      annotation_text=f"{memory_total_mib / 1024:.0f} GiB total",
                      annotation_position="top left")  # fmt: skip
    if idle_threshold is not None:
        fig.add_hline(y=idle_threshold, row=1, col=1,
                      line={"color": XID_COLOUR, "dash": "dot", "width": 1},
                      annotation_text=f"idle under {idle_threshold:g}%",
                      annotation_position="bottom right")  # fmt: skip
    for event in xids:
        fig.add_vline(x=event.at, line={"color": XID_COLOUR, "width": 1.5})
        fig.add_annotation(x=event.at, y=1.0, xref="x", yref="paper", yanchor="bottom",
                           text=f"XID {event.code}", showarrow=False,
                           font={"color": XID_COLOUR, "size": 10},
                           hovertext=event.meaning or f"XID {event.code}")  # fmt: skip
    return fig


def allocation_figure(rows: Sequence[AllocationRow], *, limit: int = 15) -> go.Figure:
    """GPU-hours allocated per row, split into used and idle, the most idle on top."""
    shown = list(rows)[:limit]
    fig = go.Figure()
    labels = [row.label for row in shown]
    fig.add_trace(go.Bar(y=labels, x=[row.gpu_hours_used for row in shown], orientation="h",
                         name="used", marker={"color": "#0066cc"},
                         hovertemplate="%{y}: %{x:.1f} GPU-hours used<extra></extra>"))  # fmt: skip
    fig.add_trace(go.Bar(y=labels, x=[row.gpu_hours_idle for row in shown], orientation="h",
                         name="allocated, idle", marker={"color": "#f4b6b2"},
                         hovertemplate="%{y}: %{x:.1f} GPU-hours idle<extra></extra>"))  # fmt: skip
    fig.update_layout(barmode="stack", template="plotly_white", font={"size": 11},
                      height=80 + 26 * max(1, len(shown)), xaxis_title="GPU-hours in the window",
                      margin={"l": 8, "r": 8, "t": 8, "b": 8},
                      legend={"orientation": "h", "y": 1.02, "yanchor": "bottom"})  # fmt: skip
    fig.update_yaxes(autorange="reversed", automargin=True)
    return fig
