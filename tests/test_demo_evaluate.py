"""PromQL arithmetic of the demo (rate, histogram_quantile) and the generic query evaluator."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pytest

from collectors.demo.evaluate import Evaluator
from collectors.demo.promql import extrapolated_rate, histogram_quantile, normal_cdf
from collectors.demo.streams import (
    BUCKET_BOUNDS,
    DURATION_BUCKET,
    CounterStreams,
    LabelTable,
    RecordedFamily,
)
from collectors.istio_queries import IstioQuery, Matcher
from collectors.prom import InstantSample

INF = math.inf
BOUNDS = np.array([1.0, 2.0, 4.0, INF])


@pytest.mark.parametrize(
    ("counts", "q", "expected"),
    [
        ([1, 3, 4, 4], 0.5, 1.5),  # rank 2 in (1, 2]: 1 + (2 - 1) * (2 - 1) / (3 - 1)
        ([1, 3, 4, 4], 0.75, 2.0),  # rank 3 is exactly the top of (1, 2]
        ([4, 4, 4, 4], 0.25, 0.25),  # first bucket interpolates from 0
        ([1, 2, 2, 4], 0.9, 4.0),  # rank 3.6 only reached by +Inf: highest finite bound
        ([2, 1, 4, 4], 0.5, 1.0),  # non-monotonic counts are fixed up: [2, 2, 4, 4]
    ],
)
def test_histogram_quantile_by_hand(counts: list[float], q: float, expected: float) -> None:
    assert histogram_quantile(q, BOUNDS, np.array(counts, dtype=float)) == pytest.approx(expected)


def test_histogram_quantile_edge_cases() -> None:
    assert math.isnan(histogram_quantile(0.5, BOUNDS, np.zeros(4)))  # no observations
    assert histogram_quantile(1.5, BOUNDS, np.ones(4)) == INF
    assert histogram_quantile(-0.1, BOUNDS, np.ones(4)) == -INF
    assert math.isnan(histogram_quantile(0.5, np.array([1.0, 2.0]), np.ones(2)))  # no +Inf


def test_histogram_quantile_is_vectorised_over_leading_axes() -> None:
    buckets = np.array([[[1, 3, 4, 4], [0, 0, 0, 0]], [[4, 4, 4, 4], [1, 2, 2, 4]]], dtype=float)
    values = histogram_quantile(0.5, BOUNDS, buckets)
    assert values.shape == (2, 2)
    assert values[0, 0] == pytest.approx(1.5)
    assert math.isnan(values[0, 1])
    assert values[1, 0] == pytest.approx(0.5)
    assert values[1, 1] == pytest.approx(2.0)  # rank 2 reached at the top of (1, 2]


def _rate(counters: Sequence[float], birth: int, at: int, window: int = 60, **kw: object) -> float:
    values, valid = extrapolated_rate(
        np.array(counters, dtype=float)[None, None, :],
        np.array([birth]),
        np.array([at]),
        window_seconds=window,
        step_seconds=15,
        **kw,  # type: ignore[arg-type]
    )
    return float(values[0, 0, 0]) if valid[0, 0] else math.nan


def test_rate_of_a_steady_counter_is_its_slope() -> None:
    counters = [100, 115, 130, 145, 160, 175]  # one per second
    assert _rate(counters, 0, 5) == pytest.approx(1.0)  # [t-60, t]: 60 over 60 s
    assert _rate(counters, 0, 5, semantics="v3") == pytest.approx(1.0)  # 45 over 45 s, to 60


def test_rate_of_a_young_series_extrapolates_like_prometheus() -> None:
    counters = [0, 0, 0, 0, 2, 5]  # born at sample 4 with 2 already counted
    # v2: 3 over 15 s; start gap 45 s clamped to the zero point 15 * 2 / 3 = 10 s: 3 * 25/15 / 60
    assert _rate(counters, 4, 5) == pytest.approx(3 * 25 / 15 / 60)
    # v3: the 45 s gap is beyond 1.1 steps, so half a step (7.5 s) before the zero point applies
    assert _rate(counters, 4, 5, semantics="v3") == pytest.approx(3 * 22.5 / 15 / 60)


def test_rate_needs_two_samples_and_handles_resets() -> None:
    assert math.isnan(_rate([0, 0, 0, 7], 3, 3))
    # 10 -> 20, reset, 5 -> 15: the increase is 10 + 5 + 10 = 25 over the 45 s window.
    assert _rate([10, 20, 5, 15], 0, 3, window=45) == pytest.approx(25 / 45)


def test_full_window_shortcut_matches_the_general_formula() -> None:
    rng = np.random.default_rng(3)
    counters = np.floor(np.cumsum(rng.uniform(0, 40, (6, 3, 50)), axis=2))
    birth = np.array([0, 0, 0, 0, 20, 45])
    at = np.arange(10, 50)
    fast, fast_valid = extrapolated_rate(
        counters, birth, at, window_seconds=60, step_seconds=15, resets=False
    )
    slow, slow_valid = extrapolated_rate(
        counters, birth, at, window_seconds=60, step_seconds=15, resets=True
    )
    assert (fast_valid == slow_valid).all()
    np.testing.assert_allclose(fast[fast_valid[:, None, :].repeat(3, 1)],
                               slow[slow_valid[:, None, :].repeat(3, 1)], rtol=1e-12)  # fmt: skip


def test_normal_cdf_matches_erf() -> None:
    z = np.linspace(-6, 6, 241)
    exact = np.array([0.5 * math.erfc(-v / math.sqrt(2)) for v in z])
    np.testing.assert_allclose(normal_cdf(z), exact, atol=2e-7)


NAMES = ("reporter", "source_workload", "destination_workload", "response_code")


def _streams(rows: list[tuple[str, ...]], per_step: list[float], birth: list[int],
             buckets: np.ndarray | None = None) -> CounterStreams:  # fmt: skip
    samples = 9
    steps = np.arange(samples, dtype=float)
    requests = np.array([[1000 + r * s for s in steps] for r in per_step])[:, None, :]
    values = {"istio_requests_total": requests}
    if buckets is not None:
        values[DURATION_BUCKET] = buckets
    family = RecordedFamily(LabelTable.from_rows(NAMES, rows), np.array(birth), values)
    return CounterStreams(1_000_000 + 15 * np.arange(samples, dtype=np.int64), 15, [family])


def test_rate_queries_select_and_sum_by_group() -> None:
    streams = _streams(
        [
            ("destination", "a", "x", "200"),
            ("destination", "b", "x", "503"),
            ("destination", "c", "x", "500"),
            ("source", "a", "x", "503"),
            ("destination", "a", "y", "504"),
        ],
        per_step=[15, 30, 45, 60, 90],  # increase per 15 s step: 1, 2, 3, 4, 6 per second
        birth=[0, 0, 0, 0, 0],
    )
    query = IstioQuery("errors", "istio_requests_total", "rate", ("destination_workload",),
                       (Matcher("response_code", "=~", "5.."),))  # fmt: skip
    found = Evaluator(streams).instant(query, at=8, window_seconds=60)
    by_labels = {tuple(sorted(s.labels.items())): s.value for s in found}
    assert by_labels == {
        (("destination_workload", "x"), ("reporter", "destination")): pytest.approx(5.0),
        (("destination_workload", "x"), ("reporter", "source")): pytest.approx(4.0),
        (("destination_workload", "y"), ("reporter", "destination")): pytest.approx(6.0),
    }


def test_empty_label_values_are_dropped_from_results() -> None:
    streams = _streams([("destination", "", "x", "200")], per_step=[15], birth=[0])
    query = IstioQuery("q", "istio_requests_total", "rate", ("source_workload",))
    (sample,) = Evaluator(streams).instant(query, at=8, window_seconds=60)
    assert sample.labels == {"reporter": "destination"}
    assert sample.value == pytest.approx(1.0)


def test_range_results_leave_out_points_before_a_series_exists() -> None:
    streams = _streams([("destination", "a", "x", "500")], per_step=[30], birth=[5])
    query = IstioQuery("q", "istio_requests_total", "rate", ("destination_workload",),
                       is_range=True)  # fmt: skip
    (series,) = Evaluator(streams).range(query, indices=np.arange(4, 9), window_seconds=60)
    # Points need two samples: the first is at sample 6.
    assert series.timestamps.tolist() == [1_000_000 + 15 * i for i in (6, 7, 8)]
    assert series.values[-1] == pytest.approx(2.0)  # full window: 4 steps of 30 over 60 s


def _cumulative(per_bucket: dict[int, float]) -> np.ndarray:
    """Per-step cumulative bucket increments: observations placed in bucket index -> count."""
    step = np.zeros(len(BUCKET_BOUNDS))
    for index, count in per_bucket.items():
        step[index:] += count
    return step


def test_quantile_queries_sum_buckets_of_a_group_then_interpolate() -> None:
    samples = 9
    # Series a: per step one request <= 0.5 ms and one in (1, 5]; series b: two in (5, 10].
    a, b = _cumulative({0: 1, 2: 1}), _cumulative({3: 2})
    idle = np.zeros(len(BUCKET_BOUNDS))
    per_step = np.stack([a, b, idle])[:, :, None] * np.arange(samples)[None, None, :]
    streams = _streams(
        [("destination", "a", "x", "200"), ("destination", "b", "x", "200"),
         ("destination", "c", "z", "200")],
        per_step=[30, 30, 0], birth=[0, 0, 0], buckets=per_step,
    )  # fmt: skip
    evaluator = Evaluator(streams)

    def quantile(q: float) -> dict[str, InstantSample]:
        query = IstioQuery(f"p{q}", DURATION_BUCKET, "quantile", ("destination_workload",),
                           quantile=q)  # fmt: skip
        found = evaluator.instant(query, at=8, window_seconds=60)
        return {s.labels["destination_workload"]: s for s in found}

    # Cumulative per step: le 0.5: 1, le 1: 1, le 5: 2, le 10: 4, ..., +Inf: 4.
    median = quantile(0.5)
    assert median["x"].value == pytest.approx(5.0)  # rank 2 at the top of (1, 5]
    assert quantile(0.75)["x"].value == pytest.approx(7.5)  # rank 3 halfway into (5, 10]
    assert quantile(0.99)["x"].value == pytest.approx(9.9)
    assert math.isnan(median["z"].value)  # a series without observations: NaN
    assert set(median["x"].labels) == {"reporter", "destination_workload"}  # no ``le``
