"""One live snapshot sends the same number of queries at 100 and at 2,000 workloads.

The count is a property of the source, not of Prometheus, so a stand-in client answers here:
it replays the demo's own query answers at each scale (the integration tests check the real
Prometheus gives the same answers) and counts the requests the source makes.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from collectors.demo import generate_demo
from collectors.gpu_queries import ALL_GPU_QUERIES
from collectors.istio_queries import INSTANT_QUERIES, RANGE_QUERIES, SERIES_RATE_WINDOW_SECONDS
from collectors.kinds import EdgeKind
from collectors.prom import MetricsResults
from collectors.sources.prometheus import PrometheusConfig, PrometheusMetrics, prometheus_snapshot


class _Replay:
    """Answers each PromQL of the fixed sets with the demo's result for it, in the API's JSON."""

    def __init__(self, metrics: MetricsResults) -> None:
        self.requests = 0
        self._instant = {
            q.promql(metrics.rate_window_seconds): metrics.instant[q.key] for q in INSTANT_QUERIES
        }
        self._range = {
            q.promql(SERIES_RATE_WINDOW_SECONDS): metrics.range[q.key] for q in RANGE_QUERIES
        }
        for gpu in ALL_GPU_QUERIES.values():  # the demo may not answer them all: [] then
            if gpu.is_range:
                self._range[gpu.promql()] = metrics.range.get(gpu.key, [])
            else:
                self._instant[gpu.promql()] = metrics.instant.get(gpu.key, [])

    def custom_query(self, query: str, params: dict[str, str]) -> list[dict[str, Any]]:
        self.requests += 1
        at = float(params["time"])
        return [{"metric": s.labels, "value": [at, str(s.value)]} for s in self._instant[query]]

    def custom_query_range(self, query: str, **_span: Any) -> list[dict[str, Any]]:
        self.requests += 1
        return [
            {
                "metric": s.labels,
                "values": [[int(t), str(v)] for t, v in zip(s.timestamps, s.values, strict=True)],
            }
            for s in self._range[query]
        ]


@pytest.mark.parametrize("workloads", [100, 2000])
def test_one_snapshot_sends_the_fixed_query_set_whatever_the_mesh_size(workloads: int) -> None:
    demo = generate_demo(workloads=workloads, hours=0.25)
    replay = _Replay(demo.metrics)
    source = PrometheusMetrics(PrometheusConfig("http://replay"), connect=lambda _config: replay)
    snapshot = prometheus_snapshot(
        source, end=demo.metrics.evaluated_at, span=timedelta(minutes=15)
    )
    calls = sum(1 for _ in snapshot.edges(EdgeKind.CALLS))
    assert calls >= workloads  # the answers did grow with the mesh...
    fixed = len(INSTANT_QUERIES) + len(RANGE_QUERIES) + len(ALL_GPU_QUERIES)
    assert replay.requests == source.queries_sent == fixed == 16 + 12


class _Recorder:
    """Answers every query with no series and remembers what was asked, and how."""

    def __init__(self) -> None:
        self.asked: list[tuple[str, str, dict[str, Any]]] = []

    def custom_query(self, query: str, params: dict[str, str]) -> list[dict[str, Any]]:
        self.asked.append(("instant", query, dict(params)))
        return []

    def custom_query_range(self, query: str, **span: Any) -> list[dict[str, Any]]:
        self.asked.append(("range", query, dict(span)))
        return []


def test_gpu_queries_ride_along_unfiltered_over_the_istio_span() -> None:
    recorder = _Recorder()
    config = PrometheusConfig("http://recorder", namespaces=("bookinfo",))
    source = PrometheusMetrics(config, connect=lambda _config: recorder)
    end = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
    metrics = source.collect(end=end, span=timedelta(minutes=30), step_seconds=30)

    sent = {query: (kind, how) for kind, query, how in recorder.asked}
    istio_span = next(how for kind, _, how in recorder.asked if kind == "range")
    assert istio_span == {"start_time": end - timedelta(minutes=30), "end_time": end, "step": "30s"}
    for gpu in ALL_GPU_QUERIES.values():
        kind, how = sent[gpu.promql()]  # as declared: no namespace matcher was added
        if gpu.is_range:
            assert (kind, how) == ("range", istio_span)
            assert metrics.range[gpu.key] == []
        else:
            assert (kind, how) == ("instant", {"time": f"{end.timestamp():.3f}"})
            assert metrics.instant[gpu.key] == []
    assert len(recorder.asked) == 16 + 12
