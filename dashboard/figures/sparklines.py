"""Small stacked RED sparklines for the topology side panel: rate, error share and p95.

The input is the long frame of :class:`dashboard.topology.details.Details` (``timestamp``,
``metric``, ``value``), or any frame with those columns; rows sharing a metric and timestamp
are combined as the snapshot combines them (summed, ``p95_ms`` by its worst value).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from collectors.kinds import Health
from dashboard.figures.topology import HEALTH_COLOURS

__all__ = ["EMPTY_TEXT", "red_sparklines"]

EMPTY_TEXT = "no series for this element in the window"
"""What the figure says when there is nothing to draw."""

HEIGHT = 220

_COLOURS = {False: ("#0066cc", "#5752d1"), True: ("#73bcf7", "#b2b0ea")}  # (rate, p95) by dark


def _naive_utc(moment: datetime) -> datetime:
    # Plotly draws dates without zones; every snapshot time is UTC, so say it once in the axis.
    return moment if moment.tzinfo is None else moment.astimezone(UTC).replace(tzinfo=None)


def _metric(series: pd.DataFrame, name: str) -> pd.Series:
    """One metric as a float series indexed by naive-UTC timestamp."""
    rows = series[series["metric"].astype(str) == name]
    grouped = rows.groupby("timestamp")["value"]
    values = grouped.max() if name == "p95_ms" else grouped.sum()
    index = pd.DatetimeIndex(values.index)
    if index.tz is not None:
        index = index.tz_convert(UTC).tz_localize(None)
    return pd.Series(values.to_numpy(np.float64), index=index)


def error_percent(requests: pd.Series, errors: pd.Series) -> pd.Series:
    """100 * errors / requests per timestamp; NaN where nothing was requested.

    A timestamp with requests but no error sample had no errors (Prometheus returns no
    point for an error counter that never moved).
    """
    errors = errors.reindex(requests.index, fill_value=0.0)
    return 100.0 * errors / requests.where(requests > 0)


def _line(values: pd.Series, colour: str, hover: str) -> go.Scatter:
    return go.Scatter(
        x=values.index,
        y=values.to_numpy(np.float64),
        mode="lines",
        line={"color": colour, "width": 1.5},
        connectgaps=False,
        hovertemplate=f"%{{x|%H:%M}} UTC<br>{hover}<extra></extra>",
    )


def red_sparklines(
    series: pd.DataFrame,
    *,
    start: datetime,
    end: datetime,
    dark: bool = False,
    incidents: Sequence[tuple[datetime, datetime | None, str]] = (),
) -> go.Figure:
    """Three stacked rows sharing x from ``start`` to ``end``: requests/s (throughput in B/s
    when there are no requests), error % and p95 ms.

    ``incidents`` are ``(start, end or None for ongoing, label)`` spans shaded across the rows,
    clipped to the window. An empty ``series`` gives the same frame with :data:`EMPTY_TEXT`.
    """
    x0, x1 = _naive_utc(start), _naive_utc(end)
    has_columns = {"timestamp", "metric", "value"} <= set(series.columns)
    frame = series if has_columns else series.iloc[0:0]
    requests = _metric(frame, "request_rate") if has_columns else pd.Series(dtype=np.float64)
    bytes_only = not (requests > 0).any() and has_columns
    if bytes_only:
        requests = _metric(frame, "throughput")
    fig = _frame(x0, x1, rate_title="B/s" if bytes_only else "requests/s", dark=dark)
    if frame.empty:
        fig.add_annotation(
            text=EMPTY_TEXT, xref="paper", yref="paper", x=0.5, y=0.5, showarrow=False
        )
        return fig
    if bytes_only:
        errors = pd.Series(np.nan, index=requests.index)  # bytes have no status to fail on
    else:
        errors = error_percent(requests, _metric(frame, "error_rate"))
    latency = _metric(frame, "p95_ms")
    rate_hover = "%{y:,.3s} B/s" if bytes_only else "%{y:,.2f} req/s"
    rate_colour, latency_colour = _COLOURS[dark]
    fig.add_trace(_line(requests, rate_colour, rate_hover), row=1, col=1)
    fig.add_trace(_line(errors, HEALTH_COLOURS[Health.FAILURE], "%{y:.2f}% errors"), row=2, col=1)
    fig.add_trace(_line(latency, latency_colour, "p95 %{y:,.1f} ms"), row=3, col=1)
    for incident_start, incident_end, label in incidents:
        band_start = max(_naive_utc(incident_start), x0)
        band_end = min(x1 if incident_end is None else _naive_utc(incident_end), x1)
        if band_start >= band_end:
            continue  # outside the window
        fig.add_shape(
            type="rect",
            xref="x",
            yref="paper",
            x0=band_start,
            x1=band_end,
            y0=0,
            y1=1,
            fillcolor=HEALTH_COLOURS[Health.DEGRADED],
            opacity=0.15,
            line_width=0,
            layer="below",
            name=label,
            label={"text": label, "textposition": "top left", "font": {"size": 9}},
        )
    return fig


def _frame(x0: datetime, x1: datetime, *, rate_title: str, dark: bool) -> go.Figure:
    """The three empty rows, their axes and the compact layout."""
    fig = make_subplots(rows=3, cols=1, shared_xaxes=True, vertical_spacing=0.08)
    fig.update_layout(
        height=HEIGHT,
        margin={"l": 48, "r": 8, "t": 8, "b": 24},
        showlegend=False,
        template="plotly_dark" if dark else "plotly_white",
        hovermode="x",
        font={"size": 10},
    )
    fig.update_xaxes(range=[x0, x1], showgrid=False)
    fig.update_xaxes(title_text="UTC", title_font={"size": 9}, title_standoff=2, row=3, col=1)
    for row, title in enumerate((rate_title, "error %", "p95 ms"), start=1):
        fig.update_yaxes(
            title_text=title, title_font={"size": 9}, nticks=3, rangemode="tozero", row=row, col=1
        )
    return fig
