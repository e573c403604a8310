"""Istio and GPU telemetry from any Prometheus-compatible HTTP API (Prometheus, Thanos, Mimir...).

One collection sends the fixed query sets of :mod:`collectors.istio_queries` and
:mod:`collectors.gpu_queries` (DCGM exporter and kube-state-metrics): the same number of
queries whatever the size of the mesh and the fleet (each groups by the full label set).
Namespace filters go into the Istio PromQL, escaped. Answers become a
:class:`~collectors.prom.MetricsResults`, the same shape the demo produces, so the rest of the
pipeline cannot tell them apart.

    >>> config = PrometheusConfig("http://127.0.0.1:9090", bearer_token="s3cret")
    >>> "s3cret" in repr(config)  # secrets never reach logs or tracebacks
    False
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import numpy as np
import requests
from prometheus_api_client import PrometheusConnect
from urllib3.util.retry import Retry

from collectors.cluster import ClusterObjects
from collectors.gpu_queries import ALL_GPU_QUERIES
from collectors.istio_queries import (
    INSTANT_QUERIES,
    RANGE_QUERIES,
    SERIES_RATE_WINDOW_SECONDS,
)
from collectors.kinds import SourceState
from collectors.model import Snapshot, SourceStatus
from collectors.pipeline import BuildOptions, build_snapshot
from collectors.prom import InstantSample, MetricsResults, RangeSeries
from collectors.sources.prometheus_failures import failure

__all__ = ["PrometheusConfig", "PrometheusError", "PrometheusMetrics", "prometheus_snapshot"]

log = logging.getLogger(__name__)


class PrometheusError(Exception):
    """Prometheus could not answer at all; the message is one line for people."""


@dataclass(frozen=True)
class PrometheusConfig:
    """Where Prometheus is and how to talk to it. Secrets are left out of ``repr``."""

    url: str
    bearer_token: str | None = field(default=None, repr=False)
    basic_auth: tuple[str, str] | None = field(default=None, repr=False)
    ca_file: Path | None = None
    insecure: bool = False  # skip TLS verification (self-signed lab setups)
    timeout_seconds: float = 60.0  # p95 series: 22 s at 2,000 workloads (benchmarks)
    retries: int = 2  # per query, with exponential backoff, on connection errors and 5xx
    namespaces: tuple[str, ...] = ()  # empty: the whole mesh

    @property
    def display_url(self) -> str:
        """The URL without any ``user:password@`` in it, for messages and the snapshot."""
        parts = urlsplit(self.url)
        host = parts.netloc.rpartition("@")[2]
        return urlunsplit((parts.scheme, host, parts.path, "", "")).rstrip("/")


def _connect(config: PrometheusConfig) -> PrometheusConnect:
    session = requests.Session()
    # PrometheusConnect ignores ``disable_ssl`` when handed a session: verification is set here.
    session.verify = False if config.insecure else str(config.ca_file or "") or True
    headers = {"Authorization": f"Bearer {config.bearer_token}"} if config.bearer_token else None
    retry = Retry(
        total=config.retries,
        backoff_factor=0.5,
        status_forcelist=(500, 502, 503, 504),
        allowed_methods=("GET",),
        raise_on_status=False,
    )
    return PrometheusConnect(
        url=config.url.rstrip("/"),
        headers=headers,
        disable_ssl=config.insecure,
        retry=retry,
        auth=config.basic_auth,
        session=session,
        timeout=config.timeout_seconds,
    )


def _labels(item: dict[str, Any]) -> dict[str, str]:
    return {str(k): str(v) for k, v in item.get("metric", {}).items()}


def _instant(answer: list[dict[str, Any]]) -> list[InstantSample]:
    return [InstantSample(_labels(item), float(item["value"][1])) for item in answer]


def _range(answer: list[dict[str, Any]]) -> list[RangeSeries]:
    series = []
    for item in answer:
        points = item.get("values", [])
        stamps = np.array([round(float(t)) for t, _ in points], dtype=np.int64)
        values = np.array([float(v) for _, v in points], dtype=np.float64)
        series.append(RangeSeries(_labels(item), stamps, values))
    return series


class PrometheusMetrics:
    """The metrics source over Prometheus's HTTP API; ``connect`` may be injected in tests."""

    def __init__(
        self,
        config: PrometheusConfig,
        *,
        connect: Callable[[PrometheusConfig], PrometheusConnect] = _connect,
    ) -> None:
        self.config = config
        self._client = connect(config)
        self.queries_sent = 0  # over this source's life: the count must not grow with the mesh

    def collect(
        self,
        *,
        end: datetime,
        span: timedelta,
        step_seconds: int = 15,
        rate_window_seconds: int = 600,
    ) -> MetricsResults:
        """Ask every query of the fixed sets: instant ones at ``end``, range ones over ``span``.

        A query that fails is recorded in ``failed`` with a one-line reason and the rest go on;
        when none is answered, :class:`PrometheusError` says why in one line.
        """
        end = end.astimezone(UTC)
        start = end - span
        results = MetricsResults(
            evaluated_at=end,
            rate_window_seconds=rate_window_seconds,
            start=start,
            end=end,
            step_seconds=step_seconds,
        )
        at = {"time": f"{end.timestamp():.3f}"}
        step = f"{step_seconds}s"

        def instant(promql: str) -> list[dict[str, Any]]:
            answer: list[dict[str, Any]] = self._client.custom_query(promql, params=at)
            return answer

        def ranged(promql: str) -> list[dict[str, Any]]:
            answer: list[dict[str, Any]] = self._client.custom_query_range(
                promql, start_time=start, end_time=end, step=step
            )
            return answer

        asked = [
            (
                query.key,
                query.promql(
                    SERIES_RATE_WINDOW_SECONDS if query.is_range else rate_window_seconds,
                    self.config.namespaces,
                ),
                query.is_range,
            )
            for query in (*INSTANT_QUERIES, *RANGE_QUERIES)
        ]
        # GPU queries take no namespace filter: devices belong to no namespace, and filtering by
        # their users' would drop the free devices and those other teams hold, the very things
        # a look at GPU capacity and waste is about.
        asked += [(q.key, q.promql(), q.is_range) for q in ALL_GPU_QUERIES.values()]
        for key, promql, is_range in asked:
            self._ask(results, key, promql, is_range, ranged if is_range else instant)
        if len(results.failed) == len(asked):
            raise PrometheusError(self._unanswered(next(iter(results.failed.values()))))
        return results

    def _unanswered(self, reason: str) -> str:
        return f"Prometheus at {self.config.display_url} did not answer: {reason}"

    def _ask(
        self,
        results: MetricsResults,
        key: str,
        promql: str,
        is_range: bool,
        send: Callable[[str], list[dict[str, Any]]],
    ) -> None:
        started = time.perf_counter()
        self.queries_sent += 1
        try:
            answer = send(promql)
        except Exception as error:  # requests, HTTP status, JSON: all become one line
            log.debug("query %s failed", key, exc_info=True)
            answered = bool(results.instant or results.range)
            failed = failure(error, timeout_seconds=self.config.timeout_seconds, answered=answered)
            if failed.ends_collection:
                raise PrometheusError(self._unanswered(failed.reason)) from None
            results.failed[key] = failed.reason
            log.warning("query %s failed: %s", key, failed.reason)
            return
        if is_range:
            results.range[key] = _range(answer)
        else:
            results.instant[key] = _instant(answer)
        log.info("query %s: %d series in %.2f s", key, len(answer), time.perf_counter() - started)
        log.debug("query %s: %s", key, promql)


def _seconds(seconds: int) -> str:
    return f"{seconds // 60} min" if seconds % 60 == 0 else f"{seconds} s"


def prometheus_snapshot(
    source: PrometheusMetrics,
    *,
    end: datetime,
    span: timedelta,
    step_seconds: int = 15,
    rate_window_seconds: int = 600,
    objects: ClusterObjects | None = None,
    cluster: SourceStatus | None = None,
    options: BuildOptions | None = None,
) -> Snapshot:
    """Collect once and build the snapshot; without ``objects`` the graph is telemetry alone.

    ``cluster`` is the status of the source ``objects`` came from, shown next to Prometheus's.

    Raises :class:`PrometheusError` when Prometheus answered nothing.
    """
    metrics = source.collect(
        end=end, span=span, step_seconds=step_seconds, rate_window_seconds=rate_window_seconds
    )
    now = datetime.now(UTC)
    url = source.config.display_url
    failed = sorted(metrics.failed)
    state, detail = SourceState.OK, url
    if failed:
        state, detail = SourceState.PARTIAL, f"{url}: {len(failed)} of the fixed queries failed"
    elif not any(metrics.instant.get(query.key) for query in INSTANT_QUERIES):
        state = SourceState.PARTIAL
        detail = (
            f"{url} holds no Istio telemetry for the {_seconds(rate_window_seconds)} before "
            f"{end:%Y-%m-%d %H:%M} UTC: are the sidecars (or waypoints) scraped?"
        )
    sources = [SourceStatus("prometheus", "metrics", state, detail, fetched_at=now, missing=failed)]
    if objects is not None and cluster is not None:
        sources.append(cluster)
    elif objects is None:
        sources.append(
            SourceStatus(
                "kubernetes",
                "cluster",
                SourceState.UNAVAILABLE,
                "no cluster access: the graph comes from telemetry alone",
            )
        )
    return build_snapshot(
        objects=objects,
        metrics=metrics,
        sources=sources,
        generator=f"prometheus {url}",
        options=options or BuildOptions(),
    )
