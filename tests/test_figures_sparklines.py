"""RED sparklines of the topology side panel, asserted on the figure's data and layout."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import pandas as pd
import plotly.io as pio
import pytest

from collectors.model import Snapshot
from dashboard.figures.sparklines import EMPTY_TEXT, red_sparklines
from dashboard.topology.details import element_details
from dashboard.topology.projection import GraphType, project

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
START, END = T0 - timedelta(minutes=1), T0 + timedelta(minutes=2)


def _frame(rows: list[tuple[int, str, float]]) -> pd.DataFrame:
    """Rows of (seconds after T0, metric, value) as the details' long frame."""
    return pd.DataFrame(
        {
            "timestamp": pd.to_datetime([T0 + timedelta(seconds=s) for s, _, _ in rows], utc=True),
            "metric": [metric for _, metric, _ in rows],
            "value": [value for _, _, value in rows],
        }
    )


RED = _frame(
    [
        (0, "request_rate", 10.0),
        (15, "request_rate", 0.0),
        (30, "request_rate", 4.0),
        (45, "request_rate", 8.0),
        (0, "error_rate", 1.0),
        (15, "error_rate", 0.0),
        (30, "error_rate", 1.0),
        # no error point at 45 s: the error counter did not move
        (0, "p95_ms", 120.0),
        (30, "p95_ms", 80.0),
        (30, "p95_ms", 95.0),  # two parts at one time: the worst wins
    ]
)


def _y(values: object) -> list[float]:
    return [float(v) for v in values]  # type: ignore[attr-defined]


def test_three_rows_of_rate_error_share_and_p95() -> None:
    fig = red_sparklines(RED, start=START, end=END)

    assert len(fig.data) == 3
    requests, errors, latency = fig.data
    assert _y(requests.y) == [10, 0, 4, 8]
    error_pct = _y(errors.y)
    assert error_pct[0] == pytest.approx(10.0)
    assert math.isnan(error_pct[1])  # no requests: no share, not a division by zero
    assert error_pct[2:] == pytest.approx([25.0, 0.0])
    assert _y(latency.y) == [120, 95]
    assert [fig.layout[f"yaxis{n}"].title.text for n in ("", "2", "3")] == [
        "requests/s",
        "error %",
        "p95 ms",
    ]
    assert "req/s" in requests.hovertemplate
    assert "%" in errors.hovertemplate
    assert "ms" in latency.hovertemplate


def test_rows_share_the_window_and_stay_compact() -> None:
    fig = red_sparklines(RED, start=START, end=END)

    naive = [START.replace(tzinfo=None), END.replace(tzinfo=None)]
    for axis in ("xaxis", "xaxis2", "xaxis3"):
        assert list(fig.layout[axis].range) == naive
    assert fig.layout.xaxis.matches == fig.layout.xaxis2.matches == "x3"
    assert fig.layout.height <= 250
    assert fig.layout.showlegend is False
    assert pd.Timestamp(fig.data[0].x[0]) == pd.Timestamp(T0.replace(tzinfo=None))


def test_rates_at_one_time_add_up() -> None:
    frame = _frame([(0, "request_rate", 2.0), (0, "request_rate", 3.0)])

    assert _y(red_sparklines(frame, start=START, end=END).data[0].y) == [5.0]


def test_tcp_only_shows_throughput_in_bytes() -> None:
    frame = _frame([(0, "throughput", 1500.0), (15, "throughput", 2500.0)])
    fig = red_sparklines(frame, start=START, end=END)

    assert fig.layout.yaxis.title.text == "B/s"
    assert _y(fig.data[0].y) == [1500, 2500]
    assert "B/s" in fig.data[0].hovertemplate
    assert all(math.isnan(v) for v in _y(fig.data[1].y))  # bytes have no errors to share


@pytest.mark.parametrize(
    "frame",
    [_frame([]), pd.DataFrame()],
    ids=["no rows", "no columns"],
)
def test_empty_series_says_so(frame: pd.DataFrame) -> None:
    fig = red_sparklines(frame, start=START, end=END)

    assert len(fig.data) == 0
    assert [note.text for note in fig.layout.annotations] == [EMPTY_TEXT]
    assert list(fig.layout.xaxis.range) == [START.replace(tzinfo=None), END.replace(tzinfo=None)]


def test_incidents_are_bands_clipped_to_the_window() -> None:
    incidents = [
        (T0, T0 + timedelta(seconds=30), "bad rollout"),
        (T0 - timedelta(hours=1), T0 - timedelta(seconds=30), "started before the window"),
        (T0 + timedelta(minutes=1), None, "still going on"),
        (T0 - timedelta(hours=2), T0 - timedelta(hours=1), "over before the window"),
    ]
    fig = red_sparklines(RED, start=START, end=END, incidents=incidents)

    bands = [(s.x0, s.x1, s.name, s.yref) for s in fig.layout.shapes]
    naive = T0.replace(tzinfo=None)
    assert bands == [
        (naive, naive + timedelta(seconds=30), "bad rollout", "paper"),
        (
            START.replace(tzinfo=None),
            naive - timedelta(seconds=30),
            "started before the window",
            "paper",
        ),
        (naive + timedelta(minutes=1), END.replace(tzinfo=None), "still going on", "paper"),
    ]
    assert fig.layout.shapes[0].label.text == "bad rollout"


def test_dark_mode_uses_the_dark_template() -> None:
    dark = red_sparklines(RED, start=START, end=END, dark=True)
    light = red_sparklines(RED, start=START, end=END)

    assert dark.layout.template == pio.templates["plotly_dark"]
    assert light.layout.template == pio.templates["plotly_white"]
    assert dark.data[0].line.color != light.data[0].line.color


def test_demo_node_sparklines_show_its_bad_rollout(demo: Snapshot) -> None:
    view = project(demo, GraphType.WORKLOAD)
    ratings = element_details(demo, view, "workload:Kubernetes/bookinfo/ratings-v1")
    assert ratings is not None
    rollout = next(one for one in demo.incidents if one.root_cause.endswith("/ratings-v1"))
    fig = red_sparklines(
        ratings.series,
        start=demo.meta.start,
        end=demo.meta.end,
        incidents=[(rollout.start, rollout.end, rollout.summary)],
    )

    assert rollout.end is not None
    errors = pd.Series(_y(fig.data[1].y), index=pd.DatetimeIndex(fig.data[1].x))
    began, ended = (moment.replace(tzinfo=None) for moment in (rollout.start, rollout.end))
    during = errors[(errors.index >= began) & (errors.index <= ended)]
    after = errors[errors.index >= ended + timedelta(minutes=5)]
    # The summary says over half its requests failed while the bad image ran.
    assert during.max() > 50
    assert after.max() < 5
    assert len(fig.layout.shapes) == 1
