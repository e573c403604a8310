"""The live metrics source against a real Prometheus holding the demo's counters.

The demo path (``demo_snapshot``) and the live path (``prometheus_snapshot``) start from the
same counters; the live one goes through promtool, Prometheus and its HTTP API. Their graphs
must agree.
"""

from __future__ import annotations

import bisect
import math
from datetime import UTC, datetime, timedelta

import pytest
from prometheus_server import BackfilledDemo, free_port

from collectors.gpu_queries import ALL_GPU_QUERIES
from collectors.istio_queries import INSTANT_QUERIES, LATENCY_BUCKETS_MS, RANGE_QUERIES
from collectors.kinds import EdgeKind, SourceState
from collectors.model import Snapshot
from collectors.sources.prometheus import (
    PrometheusConfig,
    PrometheusError,
    PrometheusMetrics,
    prometheus_snapshot,
)


@pytest.fixture(scope="module")
def live(backfilled_demo: BackfilledDemo) -> tuple[Snapshot, PrometheusMetrics]:
    source = PrometheusMetrics(PrometheusConfig(backfilled_demo.url))
    snapshot = prometheus_snapshot(
        source, end=backfilled_demo.demo.metrics.evaluated_at, span=timedelta(minutes=10)
    )
    return snapshot, source


def _bucket(p95_ms: float) -> tuple[float, float]:
    """The histogram bucket a latency falls in: its lower and upper bound."""
    bounds = (0.0, *LATENCY_BUCKETS_MS, math.inf)
    upper = bisect.bisect_left(bounds, p95_ms)
    return bounds[max(upper - 1, 0)], bounds[upper]


def test_every_demo_edge_is_live_with_the_same_rate_errors_and_latency_bucket(
    live: tuple[Snapshot, PrometheusMetrics], demo: Snapshot
) -> None:
    snapshot, _ = live
    live_edges = {edge.id: edge for edge in snapshot.edges(EdgeKind.CALLS)}
    demo_edges = list(demo.edges(EdgeKind.CALLS))
    assert len(demo_edges) == 54
    for edge in demo_edges:
        twin = live_edges.get(edge.id)
        assert twin is not None, f"{edge.id} is missing from the live graph"
        assert edge.traffic is not None and twin.traffic is not None
        expected, got = edge.traffic, twin.traffic
        assert math.isclose(got.request_rate, expected.request_rate, rel_tol=0.02, abs_tol=1e-9)
        assert math.isclose(got.throughput, expected.throughput, rel_tol=0.02, abs_tol=1e-6)
        assert math.isclose(got.error_ratio, expected.error_ratio, rel_tol=0.02, abs_tol=1e-4)
        if expected.p95_ms is not None:
            assert got.p95_ms is not None
            low, high = _bucket(expected.p95_ms)
            assert low <= got.p95_ms <= high, (edge.id, expected.p95_ms, got.p95_ms)
    assert set(live_edges) == {edge.id for edge in demo_edges}  # and nothing invented


def test_telemetry_alone_says_so_and_one_collection_sends_the_fixed_query_set(
    live: tuple[Snapshot, PrometheusMetrics],
) -> None:
    snapshot, source = live
    states = {(status.kind, status.name): status for status in snapshot.meta.sources}
    assert states[("metrics", "prometheus")].state is SourceState.OK
    cluster = states[("cluster", "kubernetes")]
    assert cluster.state is SourceState.UNAVAILABLE and "telemetry alone" in cluster.detail
    assert source.queries_sent == len(INSTANT_QUERIES) + len(RANGE_QUERIES) + len(ALL_GPU_QUERIES)
    assert not snapshot.series.empty  # the range queries gave the sparklines their series


def test_a_namespace_filter_keeps_only_paths_touching_it(backfilled_demo: BackfilledDemo) -> None:
    source = PrometheusMetrics(PrometheusConfig(backfilled_demo.url, namespaces=("bookinfo",)))
    snapshot = prometheus_snapshot(
        source, end=backfilled_demo.demo.metrics.evaluated_at, span=timedelta(minutes=2)
    )
    edges = list(snapshot.edges(EdgeKind.CALLS))
    assert edges
    for edge in edges:
        namespaces = {snapshot.node(edge.source).namespace, snapshot.node(edge.target).namespace}
        assert "bookinfo" in namespaces


def test_an_unreachable_prometheus_is_one_line_not_a_traceback() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    source = PrometheusMetrics(PrometheusConfig(url, retries=0, timeout_seconds=2))
    with pytest.raises(PrometheusError) as raised:
        source.collect(end=datetime.now(UTC), span=timedelta(minutes=5))
    message = str(raised.value)
    assert message.startswith(f"Prometheus at {url} did not answer: ")
    assert "\n" not in message and len(message) < 500


def test_a_prometheus_without_istio_telemetry_then_says_so(
    backfilled_demo: BackfilledDemo,
) -> None:
    source = PrometheusMetrics(PrometheusConfig(backfilled_demo.url))
    after = backfilled_demo.demo.metrics.evaluated_at + timedelta(days=1)  # no data there
    snapshot = prometheus_snapshot(source, end=after, span=timedelta(minutes=10))
    status = next(s for s in snapshot.meta.sources if s.name == "prometheus")
    assert status.state is SourceState.PARTIAL
    assert "holds no Istio telemetry for the 10 min before 2026-11-25 12:00 UTC" in status.detail
    assert not list(snapshot.edges(EdgeKind.CALLS))
