"""Triage heatmaps: worst rows on top, percent and milliseconds, blanks, marks, empty frames."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest

from collectors.model import Snapshot
from dashboard.analysis.service_series import label_of, service_frames
from dashboard.figures.heatmaps import EMPTY_TEXT, heatmap_figure

NAN = float("nan")
TIMES = pd.date_range(datetime(2026, 3, 2, 10, 1, tzinfo=UTC), periods=3, freq="1min")
LABELS = {"svc:a": "shop/a", "svc:b": "shop/b", "svc:c": "shop/c"}

ERRORS = pd.DataFrame(
    {
        "svc:a": [0.0, 0.02, 0.01],
        "svc:b": [0.1, 0.5, NAN],  # no traffic at 10:03
        "svc:c": [0.0, 0.0, 0.1],
        "svc:silent": [NAN, NAN, NAN],
    },
    index=TIMES,
)
LATENCY = pd.DataFrame({"svc:a": [10.0, 100.0, 1200.0], "svc:b": [5.0, 5.0, NAN]}, index=TIMES)


def heatmap(fig: go.Figure) -> go.Heatmap:
    trace = fig.data[0]
    assert isinstance(trace, go.Heatmap)
    return trace


def z_of(fig: go.Figure) -> np.ndarray:
    return np.asarray(heatmap(fig).z, dtype=np.float64)


def test_rows_are_worst_first_and_limited() -> None:
    fig = heatmap_figure(ERRORS, metric="error_ratio", labels=LABELS, limit=2)

    assert list(fig.layout.yaxis.ticktext) == ["shop/b", "shop/c"]
    assert fig.layout.yaxis.autorange == "reversed"  # the first row is drawn on top
    assert z_of(fig).shape == (2, 3)


def test_error_ratios_are_drawn_in_percent_on_a_scale_of_at_least_ten() -> None:
    fig = heatmap_figure(ERRORS, metric="error_ratio", labels=LABELS)

    np.testing.assert_allclose(z_of(fig)[0], [10.0, 50.0, NAN])
    assert heatmap(fig).zmin == 0.0
    assert heatmap(fig).zmax == 50.0
    assert heatmap(fig).colorbar.title.text == "errors %"
    # A window where nothing reached 10% still spans 0..10%, so 2% never looks like a failure.
    quiet = heatmap_figure(ERRORS[["svc:a"]], metric="error_ratio", labels=LABELS)
    assert heatmap(quiet).zmax == 10.0


def test_hover_names_the_service_the_time_and_the_value() -> None:
    fig = heatmap_figure(ERRORS, metric="error_ratio", labels=LABELS)

    # Name and time come from the axes, the value in words from the cell's text.
    assert heatmap(fig).hovertemplate == "%{y}<br>%{x|%H:%M} UTC<br>%{text}<extra></extra>"
    assert list(heatmap(fig).y) == ["shop/b", "shop/c", "shop/a"]
    assert pd.Timestamp(heatmap(fig).x[1]) == pd.Timestamp(2026, 3, 2, 10, 2)
    text = heatmap(fig).text
    assert text[0][1] == "50.0% errors"
    assert text[2][0] == "0% errors"
    tiny = heatmap_figure(ERRORS * 0.001, metric="error_ratio", labels=LABELS)
    assert heatmap(tiny).text[0][0] == "<0.1% errors"  # real errors never read as 0


def test_slots_without_traffic_are_blank_and_say_so() -> None:
    fig = heatmap_figure(ERRORS, metric="error_ratio", labels=LABELS)

    assert math.isnan(z_of(fig)[0][2])  # blank, not a zero-error cell
    assert heatmap(fig).text[0][2] == "no traffic"
    assert heatmap(fig).hoverongaps is True
    # A service with no value in the window gets no row at all.
    assert "svc:silent" not in fig.layout.yaxis.ticktext


def test_latency_is_coloured_by_its_logarithm_and_labelled_in_ms() -> None:
    fig = heatmap_figure(LATENCY, metric="p95_ms", labels=LABELS)

    assert list(fig.layout.yaxis.ticktext) == ["shop/a", "shop/b"]
    np.testing.assert_allclose(z_of(fig)[0], [1.0, 2.0, math.log10(1200.0)])
    bar = heatmap(fig).colorbar
    assert bar.title.text == "p95 ms"
    ticks = dict(zip(bar.ticktext, bar.tickvals, strict=True))
    assert ticks["100"] == pytest.approx(2.0)
    assert ticks["1,000"] == pytest.approx(3.0)
    assert heatmap(fig).zmin == pytest.approx(math.log10(5.0))
    assert list(heatmap(fig).text[0]) == ["p95 10 ms", "p95 100 ms", "p95 1.20 s"]
    assert list(heatmap(fig).text[1]) == ["p95 5.0 ms", "p95 5.0 ms", "no traffic"]


def test_times_are_drawn_as_utc_whatever_zone_the_frame_is_in() -> None:
    paris = LATENCY.tz_convert("Europe/Paris")
    fig = heatmap_figure(paris, metric="p95_ms", labels=LABELS)

    assert pd.Timestamp(heatmap(fig).x[0]) == pd.Timestamp(2026, 3, 2, 10, 1)


def test_marks_are_labelled_lines_and_those_outside_the_window_are_left_out() -> None:
    marks = [
        (datetime(2026, 3, 2, 10, 2, 30, tzinfo=UTC), "rollout cart-v2"),
        (datetime(2026, 3, 2, 9, 0, tzinfo=UTC), "long before"),
    ]
    fig = heatmap_figure(ERRORS, metric="error_ratio", labels=LABELS, marks=marks)

    assert len(fig.layout.shapes) == 1
    line = fig.layout.shapes[0]
    assert line.type == "line"
    assert pd.Timestamp(line.x0) == pd.Timestamp(2026, 3, 2, 10, 2, 30) == pd.Timestamp(line.x1)
    assert (line.yref, line.y0, line.y1) == ("paper", 0, 1)
    assert [a.text for a in fig.layout.annotations] == ["rollout cart-v2"]
    assert fig.layout.annotations[0].hovertext == "rollout cart-v2 at 10:02 UTC"


def test_long_mark_labels_are_shortened_and_crowded_ones_stacked() -> None:
    long_label = "incident: ratings-v1 answered HTTP 500 to half its calls"
    marks = [
        (datetime(2026, 3, 2, 10, 2, tzinfo=UTC), long_label),
        (datetime(2026, 3, 2, 10, 2, tzinfo=UTC), "rollout ratings-v1"),
    ]
    fig = heatmap_figure(ERRORS, metric="error_ratio", labels=LABELS, marks=marks)

    texts = {a.text: a for a in fig.layout.annotations}
    short = next(text for text in texts if text.startswith("incident"))
    assert short.endswith("…") and len(short) < len(long_label)
    assert texts[short].hovertext.startswith(long_label)
    assert {a.yshift for a in fig.layout.annotations} == {0, 14}
    assert (
        fig.layout.margin.t
        > heatmap_figure(ERRORS, metric="error_ratio", labels={}).layout.margin.t
    )


def test_row_labels_are_whole_up_to_forty_eight_characters() -> None:
    forty_five = "ml-platform/" + "x" * 33
    sixty = "ml-platform/" + "y" * 48
    fig = heatmap_figure(
        ERRORS[["svc:a", "svc:b"]],
        metric="error_ratio",
        labels={"svc:a": forty_five, "svc:b": sixty},
    )

    shown = list(fig.layout.yaxis.ticktext)
    assert shown[1] == forty_five
    assert shown[0] == sixty[:47] + "…"
    assert list(heatmap(fig).y) == [sixty, forty_five]  # hover shows %{y}: the whole name
    assert fig.layout.yaxis.automargin is True


def test_one_name_in_two_clusters_stays_two_rows() -> None:
    twins = {"svc:a": "shop/cart", "svc:b": "shop/cart"}
    fig = heatmap_figure(ERRORS[["svc:a", "svc:b"]], metric="error_ratio", labels=twins)

    assert list(heatmap(fig).y) == ["shop/cart", "shop/cart (svc:a)"]


@pytest.mark.parametrize(
    "frame",
    [
        pd.DataFrame(),
        pd.DataFrame(index=pd.DatetimeIndex([], tz="UTC")),
        ERRORS[["svc:silent"]],
    ],
)
def test_an_empty_frame_says_there_was_no_traffic(frame: pd.DataFrame) -> None:
    fig = heatmap_figure(frame, metric="error_ratio", labels=LABELS)

    assert len(fig.data) == 0
    assert [a.text for a in fig.layout.annotations] == [EMPTY_TEXT]
    assert fig.layout.xaxis.visible is False


def test_zoom_survives_new_data_but_not_a_change_of_metric() -> None:
    first = heatmap_figure(ERRORS, metric="error_ratio", labels=LABELS)
    later = heatmap_figure(ERRORS.iloc[:2], metric="error_ratio", labels={})
    latency = heatmap_figure(LATENCY, metric="p95_ms", labels=LABELS)

    assert first.layout.uirevision == later.layout.uirevision
    assert first.layout.uirevision != latency.layout.uirevision


def test_height_grows_with_rows_unless_given() -> None:
    one = heatmap_figure(ERRORS, metric="error_ratio", labels=LABELS, limit=1)
    three = heatmap_figure(ERRORS, metric="error_ratio", labels=LABELS, limit=3)

    assert three.layout.height - one.layout.height == 40
    assert (
        heatmap_figure(ERRORS, metric="error_ratio", labels=LABELS, height=500).layout.height == 500
    )


def test_an_unknown_metric_is_refused() -> None:
    with pytest.raises(ValueError, match="error_ratio"):
        heatmap_figure(ERRORS, metric="p99_ms", labels=LABELS)  # type: ignore[arg-type]


def test_the_demo_bad_rollout_lights_up_ratings(demo: Snapshot) -> None:
    # ratings-v1's bad rollout ran 06:43-07:37 UTC and answered 500 to over half its calls.
    ratings = "service:Kubernetes/bookinfo/ratings"
    frames = service_frames(demo)
    ratio = frames.error_ratio[ratings]
    before = ratio[pd.Timestamp(2026, 11, 24, 6, 30, tz="UTC")]
    during = ratio[pd.Timestamp(2026, 11, 24, 7, 0, tz="UTC")]

    assert before < 0.01
    assert during > 0.3

    labels = {service: label_of(demo, service) for service in frames.error_ratio.columns}
    onset = [(incident.start, incident.id) for incident in demo.incidents]
    fig = heatmap_figure(
        frames.error_ratio, metric="error_ratio", labels=labels, limit=5, marks=onset
    )
    assert "bookinfo/ratings" in fig.layout.yaxis.ticktext
    assert "bad-rollout-ratings-v1" in [a.text for a in fig.layout.annotations]
