"""Triage heatmaps: one row per service (worst on top), one column per time slot.

The input is a time x id frame such as :class:`dashboard.analysis.service_series.ServiceFrames`'
``error_ratio`` or ``p95_ms``. Error ratios are drawn in percent on a scale anchored to the health
thresholds (pale green at 0, orange from 1%, the failure red at 10%); latency is coloured by the
logarithm of its milliseconds, so 5 ms and 50 ms differ as much as 50 ms and 500 ms, with the
colourbar still labelled in ms. A slot without traffic stays blank, never zero.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd
import plotly.graph_objects as go

from collectors.kinds import Health
from dashboard.analysis.service_series import top_rows
from dashboard.figures.topology_style import HEALTH_COLOURS

__all__ = ["EMPTY_TEXT", "HOVER_TEMPLATE", "NO_TRAFFIC_TEXT", "heatmap_figure"]

EMPTY_TEXT = "No traffic in this window"
"""What an empty heatmap says in its middle."""

NO_TRAFFIC_TEXT = "no traffic"
"""What hovering a blank cell says."""

HOVER_TEMPLATE = "%{y}<br>%{x|%H:%M} UTC<br>%{text}<extra></extra>"
"""Hover of a cell: the row's whole name, the slot's end time and the value in words."""

MAX_LABEL = 48
"""Row labels up to this many characters are drawn whole; longer ones end in an ellipsis."""

_ROW_PX = 20
_MARK_LABEL = 28  # characters of a mark's label drawn above the plot; hover has all of it
_MARK_ROW_PX = 14
_MARK_ROWS = 3  # label rows above the plot at most; more crowded labels may overlap
_PLOT_PX = 900.0  # a typical plot width, to guess which mark labels would collide
_CHAR_PX = 6.0  # width of one 10 px character, near enough
_LATENCY_COLOURS = ("#f2f0fb", "#b2b0ea", "#5752d1", "#2a265f")  # PatternFly purples, as p95
_MARK_COLOUR = "#6a6e73"

Metric = Literal["error_ratio", "p95_ms"]
Floats = npt.NDArray[np.float64]


def heatmap_figure(
    frame: pd.DataFrame,
    *,
    metric: Metric,
    labels: Mapping[str, str],
    limit: int = 30,
    marks: Sequence[tuple[datetime, str]] = (),
    height: int | None = None,
) -> go.Figure:
    """Draw ``frame`` (time x id) as a heatmap of its ``limit`` worst columns.

    Rows are ``top_rows(frame, limit=limit, by="max")`` from the top down, named by ``labels``
    (the id where it has none). ``metric="error_ratio"`` expects 0..1 ratios and colours them
    in percent from 0 to at least 10%; ``"p95_ms"`` expects milliseconds. ``marks`` are
    ``(when, label)`` pairs (incident onsets, rollouts) drawn as labelled vertical lines; the
    ones outside the frame's time range are left out. An empty frame gives a figure that says
    :data:`EMPTY_TEXT`.

    >>> heatmap_figure(pd.DataFrame(), metric="p95_ms", labels={}).layout.annotations[0].text
    'No traffic in this window'
    """
    if metric not in ("error_ratio", "p95_ms"):
        raise ValueError(f"metric must be 'error_ratio' or 'p95_ms', not {metric!r}")
    rows = top_rows(frame, limit=limit, by="max")
    fig = go.Figure()
    fig.update_layout(
        template="plotly_white",
        uirevision=f"heatmap-{metric}",
        font={"size": 11},
        plot_bgcolor="#ffffff",  # blank cells (no traffic) must not look like any colour
    )
    if not rows:
        fig.update_layout(height=height or 180, margin={"l": 8, "r": 8, "t": 8, "b": 8})
        fig.update_xaxes(visible=False)
        fig.update_yaxes(visible=False)
        fig.add_annotation(
            text=EMPTY_TEXT, xref="paper", yref="paper", x=0.5, y=0.5, showarrow=False
        )
        return fig

    times = _naive_utc(pd.DatetimeIndex(frame.index))
    values = frame[rows].to_numpy(np.float64).T  # one row per drawn id
    names = _unique_names(rows, labels)
    if metric == "error_ratio":
        z, value_texts, colours = _error_colours(values)
    else:
        z, value_texts, colours = _latency_colours(values)
    fig.add_trace(
        go.Heatmap(
            x=times,
            y=names,
            z=z,
            # Only the value travels per cell; name and time come from the axes.
            text=value_texts,
            hovertemplate=HOVER_TEMPLATE,
            hoverongaps=True,
            ygap=1,
            **colours,
        )
    )
    mark_rows = _draw_marks(fig, times, marks)
    fig.update_layout(
        height=height or 60 + _ROW_PX * len(rows) + _MARK_ROW_PX * mark_rows,
        margin={"l": 8, "r": 8, "t": 8 + _MARK_ROW_PX * mark_rows, "b": 36},
    )
    fig.update_yaxes(
        type="category",  # a label such as "2024" must not turn the axis numeric
        categoryorder="array",
        categoryarray=names,
        tickmode="array",
        tickvals=names,
        ticktext=[_short(name, MAX_LABEL) for name in names],
        autorange="reversed",  # the worst row on top
        automargin=True,
        showgrid=False,
        zeroline=False,
    )
    fig.update_xaxes(title_text="UTC", title_standoff=4, showgrid=False, zeroline=False)
    return fig


def _error_colours(ratios: Floats) -> tuple[Floats, list[list[str]], dict[str, Any]]:
    percent = 100.0 * ratios
    top = max(10.0, float(np.nanmax(percent)))
    stops: list[tuple[float, str]] = [
        (0.0, _tint(HEALTH_COLOURS[Health.HEALTHY], 0.3)),
        (1.0 / top, HEALTH_COLOURS[Health.DEGRADED]),
        (10.0 / top, HEALTH_COLOURS[Health.FAILURE]),
    ]
    if top > 10.0:
        stops.append((1.0, _shade(HEALTH_COLOURS[Health.FAILURE], 0.4)))
    texts = [[_percent_text(value) for value in row] for row in percent]
    colours = {
        "zmin": 0.0,
        "zmax": top,
        "colorscale": [list(stop) for stop in stops],
        "colorbar": {"title": {"text": "errors %"}, "thickness": 12},
    }
    return percent, texts, colours


def _latency_colours(ms: Floats) -> tuple[Floats, list[list[str]], dict[str, Any]]:
    # Sub-0.01 ms (or zero) latencies would send log10 towards minus infinity.
    logs = np.log10(np.clip(ms, 0.01, None))
    low, high = float(np.nanmin(logs)), float(np.nanmax(logs))
    if high - low < 0.3:  # less than a factor of 2 apart: give the colours room
        low, high = low - 0.15, high + 0.15
    ticks = _latency_ticks(low, high)
    texts = [[_ms_text(value) for value in row] for row in ms]
    steps = len(_LATENCY_COLOURS) - 1
    colours = {
        "zmin": low,
        "zmax": high,
        "colorscale": [[i / steps, colour] for i, colour in enumerate(_LATENCY_COLOURS)],
        "colorbar": {
            "title": {"text": "p95 ms"},
            "thickness": 12,
            "tickmode": "array",
            "tickvals": [math.log10(tick) for tick in ticks],
            "ticktext": [_tick_text(tick) for tick in ticks],
        },
    }
    return logs, texts, colours


def _latency_ticks(low: float, high: float) -> list[float]:
    """1-2-5 steps of milliseconds between two log10 values, or the ends themselves."""
    ticks = [
        mantissa * 10.0**exponent
        for exponent in range(math.floor(low), math.ceil(high) + 1)
        for mantissa in (1.0, 2.0, 5.0)
        if low <= math.log10(mantissa * 10.0**exponent) <= high
    ]
    if len(ticks) < 2:
        ticks = [float(f"{10.0**low:.2g}"), float(f"{10.0**high:.2g}")]
    return ticks


def _draw_marks(
    fig: go.Figure, times: pd.DatetimeIndex, marks: Sequence[tuple[datetime, str]]
) -> int:
    """Draw the marks inside the time range; return how many label rows they took."""
    step = (times[-1] - times[0]) / (len(times) - 1) if len(times) > 1 else pd.Timedelta(0)
    first, last = times[0] - step, times[-1] + step
    span = (last - first) or pd.Timedelta(minutes=1)
    placed = sorted((_naive(at), label) for at, label in marks)
    row_ends: list[float] = []  # per label row, where its last label ends (px, estimated)
    for at, label in placed:
        if not first <= at <= last:
            continue
        text = _short(label, _MARK_LABEL)
        centre = _PLOT_PX * ((at - first) / span)
        half = _CHAR_PX * len(text) / 2
        # Labels of marks close together would overlap: lift each onto the first free row.
        row = next((i for i, end in enumerate(row_ends) if end < centre - half), len(row_ends))
        row = min(row, _MARK_ROWS - 1)
        if row == len(row_ends):
            row_ends.append(centre + half)
        row_ends[row] = centre + half
        fig.add_shape(
            type="line",
            xref="x",
            yref="paper",
            x0=at,
            x1=at,
            y0=0,
            y1=1,
            line={"color": _MARK_COLOUR, "width": 1, "dash": "dot"},
            name=label,
        )
        fig.add_annotation(
            x=at,
            y=1,
            xref="x",
            yref="paper",
            yanchor="bottom",
            yshift=_MARK_ROW_PX * row,
            text=text,
            hovertext=f"{label} at {at:%H:%M} UTC",
            showarrow=False,
            font={"size": 10, "color": _MARK_COLOUR},
        )
    return len(row_ends)


def _naive_utc(index: pd.DatetimeIndex) -> pd.DatetimeIndex:
    # Plotly draws dates without zones; every snapshot time is UTC and the axis says so.
    return index.tz_convert(UTC).tz_localize(None) if index.tz is not None else index


def _naive(moment: datetime) -> pd.Timestamp:
    stamp = pd.Timestamp(moment)
    return stamp.tz_convert(UTC).tz_localize(None) if stamp.tz is not None else stamp


def _unique_names(rows: Sequence[str], labels: Mapping[str, str]) -> list[str]:
    """Row names from ``labels``; a name already taken (one namespace/name in two clusters)
    gets its id added, since rows with one name would be drawn as one."""
    names: list[str] = []
    for row in rows:
        name = labels.get(row, row)
        names.append(f"{name} ({row})" if name in names else name)
    return names


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _percent_text(percent: float) -> str:
    if math.isnan(percent):
        return NO_TRAFFIC_TEXT
    if percent == 0:
        return "0% errors"
    # A real but tiny error share must not read as "0.0%".
    return "<0.1% errors" if percent < 0.05 else f"{percent:.1f}% errors"


def _ms_text(ms: float) -> str:
    if math.isnan(ms):
        return NO_TRAFFIC_TEXT
    if ms >= 1000:
        return f"p95 {ms / 1000:.2f} s"
    return f"p95 {ms:.0f} ms" if ms >= 10 else f"p95 {ms:.1f} ms"


def _tick_text(ms: float) -> str:
    return f"{ms:,.0f}" if ms >= 1 else f"{ms:g}"


def _tint(colour: str, strength: float) -> str:
    """``colour`` mixed into white: ``strength`` 1 is the colour, 0 is white."""
    return _mix(colour, (255, 255, 255), strength)


def _shade(colour: str, darkness: float) -> str:
    """``colour`` mixed with black by ``darkness`` (0 keeps it)."""
    return _mix(colour, (0, 0, 0), 1.0 - darkness)


def _mix(colour: str, other: tuple[int, int, int], share: float) -> str:
    rgb = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    mixed = (round(share * c + (1.0 - share) * o) for c, o in zip(rgb, other, strict=True))
    return "#" + "".join(f"{channel:02x}" for channel in mixed)
