"""The demo's raw counters, backfilled into a real Prometheus, answer as the demo path does.

This is the bridge between the two paths: ``collectors.demo`` answers the fixed Istio query set
from its own counters (Prometheus 2.x semantics, reimplemented), and here a real Prometheus
answers the same PromQL over the same counters written as OpenMetrics.
"""

from __future__ import annotations

import math

import pytest
from prometheus_server import BackfilledDemo, instant_query

from collectors.demo.openmetrics import escape_label_value
from collectors.istio_queries import INSTANT_QUERIES, IstioQuery


def _key(labels: dict[str, str]) -> tuple[tuple[str, str], ...]:
    return tuple(sorted(labels.items()))


def _close(real: float, expected: float) -> bool:
    if math.isnan(real) or math.isnan(expected):
        return math.isnan(real) and math.isnan(expected)
    return math.isclose(real, expected, rel_tol=0.02, abs_tol=1e-9)


@pytest.mark.parametrize("query", INSTANT_QUERIES, ids=lambda query: query.key)
def test_real_prometheus_answers_every_instant_query_like_the_demo_path(
    backfilled_demo: BackfilledDemo, query: IstioQuery
) -> None:
    metrics = backfilled_demo.demo.metrics
    at = metrics.evaluated_at.timestamp()
    answer = instant_query(backfilled_demo.url, query.promql(metrics.rate_window_seconds), at)
    real = {_key(item["metric"]): float(item["value"][1]) for item in answer}
    expected = {_key(sample.labels): sample.value for sample in metrics.instant[query.key]}
    assert expected, f"the demo answers {query.key} with nothing"
    assert real.keys() == expected.keys()
    wrong = {
        key: (real[key], value) for key, value in expected.items() if not _close(real[key], value)
    }
    assert not wrong, (
        f"{len(wrong)} of {len(expected)} groups differ, e.g. {next(iter(wrong.items()))}"
    )


def test_the_backfill_holds_whole_counters_for_every_series(
    backfilled_demo: BackfilledDemo,
) -> None:
    at = backfilled_demo.demo.metrics.evaluated_at.timestamp()
    streams = backfilled_demo.demo.streams
    counters = sum(
        int((family.birth < len(streams.times)).sum())
        for family in streams.families
        for metric in family.metrics
        if metric.endswith("_total")
    )
    counted = instant_query(backfilled_demo.url, 'count({__name__=~"istio_.+_total"})', at)
    assert backfilled_demo.samples > 100_000
    assert float(counted[0]["value"][1]) == counters  # 128 request series, 3 x 13 TCP ones
    fractions = instant_query(backfilled_demo.url, "count(istio_requests_total % 1 != 0)", at)
    assert fractions == []  # Envoy's counters are whole numbers, and so are the demo's


def test_label_values_are_escaped_for_the_text_format() -> None:
    assert escape_label_value('a"b\\c\nd') == 'a\\"b\\\\c\\nd'
