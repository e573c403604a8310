"""How the Prometheus source fails: one line, quickly, and never with a secret in it.

The servers here are not Prometheus: they stand for what sits in front of one when things go
wrong (nothing listening, a hung proxy, an auth proxy answering 401, an API that rejects
queries), so each answer is the transport-level failure a user meets.
"""

from __future__ import annotations

import http.server
import logging
import socket
import threading
import time
import urllib.parse
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from prometheus_server import free_port

from collectors.gpu_queries import ALL_GPU_QUERIES
from collectors.istio_queries import INSTANT_QUERIES, RANGE_QUERIES
from collectors.kinds import SourceState
from collectors.sources.prometheus import (
    PrometheusConfig,
    PrometheusError,
    PrometheusMetrics,
    prometheus_snapshot,
)

SPAN = timedelta(minutes=5)
SLOW_SECONDS = 1.0
ERROR_BODY = b'{"status":"error","errorType":"bad_data","error":"parse error: unexpected \\"}\\""}'


class _Recorder(http.server.BaseHTTPRequestHandler):
    """Answers every request with ``status`` and remembers the Authorization headers."""

    status = 200
    seen: list[str | None] = []
    slow_on = "\0"  # a query holding this text is answered after ``SLOW_SECONDS``

    def do_GET(self) -> None:
        type(self).seen.append(self.headers.get("Authorization"))
        if self.slow_on in urllib.parse.unquote_plus(self.path):
            time.sleep(SLOW_SECONDS)
        self.send_response(self.status)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        if self.status == 200:
            self.wfile.write(b'{"status":"success","data":{"resultType":"vector","result":[]}}')
        else:
            self.wfile.write(ERROR_BODY)

    def log_message(self, *_args: object) -> None:
        pass


@pytest.fixture
def answering() -> Iterator[tuple[str, type[_Recorder]]]:
    handler = type("Handler", (_Recorder,), {"seen": []})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", handler
    server.shutdown()
    server.server_close()


def _collect(config: PrometheusConfig) -> PrometheusMetrics:
    source = PrometheusMetrics(config)
    source.collect(end=datetime.now(UTC), span=SPAN)
    return source


def test_nothing_listening_fails_after_one_query_with_a_short_reason() -> None:
    source = PrometheusMetrics(PrometheusConfig(f"http://u:pw@127.0.0.1:{free_port()}"))
    with pytest.raises(PrometheusError) as raised:
        source.collect(end=datetime.now(UTC), span=SPAN)
    message = str(raised.value)
    assert message.endswith("did not answer: connection refused"), message
    assert "pw" not in message and "\n" not in message  # no credentials, one line
    assert source.queries_sent == 1  # the other queries would only wait for the same refusal


def test_a_hung_server_fails_at_the_timeout_not_once_per_query() -> None:
    with socket.socket() as silent:  # accepts connections, never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        url = f"http://127.0.0.1:{silent.getsockname()[1]}"
        started = time.monotonic()
        with pytest.raises(PrometheusError, match=r"no answer within 0\.3 s$"):
            _collect(PrometheusConfig(url, timeout_seconds=0.3, retries=0))
        assert time.monotonic() - started < 0.3 * len(INSTANT_QUERIES)


def test_one_slow_query_after_answered_ones_fails_alone(
    answering: tuple[str, type[_Recorder]],
) -> None:
    url, handler = answering
    handler.slow_on = "histogram_quantile"  # the heavy queries of a big mesh
    source = PrometheusMetrics(PrometheusConfig(url, timeout_seconds=0.3, retries=0))
    snapshot = prometheus_snapshot(source, end=datetime.now(UTC), span=SPAN)
    status = next(s for s in snapshot.meta.sources if s.name == "prometheus")
    latency = {"latency_p50", "latency_p95", "latency_p99"}
    latency |= {"series_latency_p95", "series_node_latency_p95"}
    assert status.state is SourceState.PARTIAL and set(status.missing) == latency
    assert source.queries_sent == len(INSTANT_QUERIES) + len(RANGE_QUERIES) + len(ALL_GPU_QUERIES)


def test_refused_access_stops_at_once(answering: tuple[str, type[_Recorder]]) -> None:
    url, handler = answering
    handler.status = 401
    with pytest.raises(PrometheusError, match=r'HTTP 401: parse error: unexpected "}"$'):
        _collect(PrometheusConfig(url))
    assert len(handler.seen) == 1


def test_rejected_queries_are_all_tried_then_reported_with_prometheus_own_reason(
    answering: tuple[str, type[_Recorder]],
) -> None:
    url, handler = answering
    handler.status = 400
    with pytest.raises(
        PrometheusError, match=r'did not answer: HTTP 400: parse error: unexpected "}"$'
    ):
        _collect(PrometheusConfig(url))
    assert len(handler.seen) == len(INSTANT_QUERIES) + len(RANGE_QUERIES) + len(ALL_GPU_QUERIES)


def test_the_bearer_token_is_sent_and_never_logged(
    answering: tuple[str, type[_Recorder]], caplog: pytest.LogCaptureFixture
) -> None:
    url, handler = answering
    caplog.set_level(logging.DEBUG)
    _collect(PrometheusConfig(url, bearer_token="tok-3f9a"))
    assert set(handler.seen) == {"Bearer tok-3f9a"}
    assert "tok-3f9a" not in caplog.text


def test_basic_auth_is_sent(answering: tuple[str, type[_Recorder]]) -> None:
    url, handler = answering
    _collect(PrometheusConfig(url, basic_auth=("meshlens", "hunter2")))
    assert set(handler.seen) == {"Basic bWVzaGxlbnM6aHVudGVyMg=="}  # base64 of meshlens:hunter2


def test_a_custom_ca_is_used_and_insecure_turns_verification_off(tmp_path: Path) -> None:
    # PrometheusConnect ignores its own ``disable_ssl`` when given a session: checked here.
    ca = tmp_path / "ca.pem"
    https = "https://prometheus.example:9090"
    verified = PrometheusMetrics(PrometheusConfig(https, ca_file=ca))
    assert verified._client._session.verify == str(ca)
    assert PrometheusMetrics(PrometheusConfig(https))._client._session.verify is True
    insecure = PrometheusMetrics(PrometheusConfig(https, insecure=True))
    assert insecure._client._session.verify is False
