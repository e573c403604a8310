"""The fixed set of Istio telemetry queries, declared once as data.

The live source renders each :class:`IstioQuery` to PromQL; the demo platform evaluates the same
declarations over its generated counters. Either way the number of queries is fixed: results
are grouped by the full source/destination label set instead of asked per service.

Every query groups by ``reporter`` so that one query per metric carries both the source- and the
destination-reported view; the traffic transform applies Kiali's de-duplication rule.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

REPORTERS = ("source", "destination", "waypoint")

EDGE_LABELS: tuple[str, ...] = (
    "source_cluster",
    "source_workload_namespace",
    "source_workload",
    "source_canonical_service",
    "source_canonical_revision",
    "destination_cluster",
    "destination_service",
    "destination_service_namespace",
    "destination_service_name",
    "destination_workload_namespace",
    "destination_workload",
    "destination_canonical_service",
    "destination_canonical_revision",
    "request_protocol",
)
"""Labels that identify one request path (an edge) and its protocol."""

REQUEST_LABELS = (
    *EDGE_LABELS,
    "response_code",
    "grpc_response_status",
    "response_flags",
    "connection_security_policy",
)
TCP_LABELS = (*EDGE_LABELS, "response_flags", "connection_security_policy")

SERIES_LABELS: tuple[str, ...] = (
    "source_workload_namespace",
    "source_workload",
    "destination_service_namespace",
    "destination_service_name",
    "destination_workload_namespace",
    "destination_workload",
    "request_protocol",
)
"""Coarser grouping for range queries: enough to tell edges apart, nothing per response."""

NODE_SERIES_LABELS = ("destination_workload_namespace", "destination_workload")

LATENCY_BUCKETS_MS: tuple[float, ...] = (
    0.5, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000,
    300000, 600000, 1800000, 3600000,
)  # fmt: skip
"""Istio's default ``istio_request_duration_milliseconds`` bucket bounds (``+Inf`` implied)."""

ERROR_CODES = r"[45]..|0"
"""HTTP codes counted as errors: 4xx, 5xx and 0 (no response at all). 3xx is not an error."""


@dataclass(frozen=True, slots=True)
class Matcher:
    """A PromQL label matcher."""

    label: str
    op: Literal["=", "!=", "=~", "!~"]
    value: str

    def render(self) -> str:
        """Return the matcher as PromQL, with the value quoted and escaped."""
        return f"{self.label}{self.op}{promql_string(self.value)}"

    def matches(self, labels: dict[str, str]) -> bool:
        """Evaluate the matcher like Prometheus does (regexes are fully anchored)."""
        actual = labels.get(self.label, "")
        if self.op == "=":
            return actual == self.value
        if self.op == "!=":
            return actual != self.value
        hit = re.fullmatch(self.value, actual) is not None
        return hit if self.op == "=~" else not hit


@dataclass(frozen=True, slots=True)
class IstioQuery:
    """One query of the fixed set.

    ``kind`` is ``rate`` (``sum by (group_by) (rate(metric[w]))``) or ``quantile``
    (``histogram_quantile(q, sum by (le, group_by) (rate(metric_bucket[w])))``).
    """

    key: str
    metric: str
    kind: Literal["rate", "quantile"]
    group_by: tuple[str, ...]
    matchers: tuple[Matcher, ...] = ()
    quantile: float = 0.0
    is_range: bool = False

    def promql(self, window_seconds: int, namespaces: Sequence[str] = ()) -> str:
        """Render to PromQL; ``namespaces`` keeps paths with either end in those namespaces.

        With a filter, the sum is taken twice (source side, destination side) and joined with
        ``or``: both sums group by both namespace labels, so a group present on both sides has
        the same complete value on each and nothing is counted twice.
        """
        window = f"{int(window_seconds)}s"
        base = (Matcher("reporter", "=~", "|".join(REPORTERS)), *self.matchers)
        by = (
            ("le", "reporter", *self.group_by)
            if self.kind == "quantile"
            else ("reporter", *self.group_by)
        )
        grouping = ", ".join(by)

        def summed(extra: tuple[Matcher, ...]) -> str:
            sel = ", ".join(m.render() for m in (*base, *extra))
            return f"sum by ({grouping}) (rate({self.metric}{{{sel}}}[{window}]))"

        if not namespaces:
            expr = summed(())
        else:
            pattern = "|".join(regex_escape(ns) for ns in sorted(set(namespaces)))
            sides = [label for label in NAMESPACE_LABELS if label in self.group_by]
            expr = " or ".join(summed((Matcher(label, "=~", pattern),)) for label in sides)
        if self.kind == "quantile":
            return f"histogram_quantile({self.quantile}, {expr})"
        return expr


NAMESPACE_LABELS = (
    "source_workload_namespace",
    "destination_service_namespace",
    "destination_workload_namespace",
)
"""Labels a namespace filter applies to, where a query groups by them."""


def promql_string(value: str) -> str:
    """Quote a value as a PromQL string literal, escaping what would end or bend it."""
    escaped = (
        value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")
    )
    return f'"{escaped}"'


def regex_escape(value: str) -> str:
    """Escape a literal for use inside a PromQL (RE2) regex matcher."""
    return re.sub(r"([.^$*+?()\[\]{}|\\])", r"\\\1", value)


def _rate(
    key: str, metric: str, group_by: tuple[str, ...], *matchers: Matcher, is_range: bool = False
) -> IstioQuery:
    return IstioQuery(key, metric, "rate", group_by, tuple(matchers), is_range=is_range)


def _quantile(
    key: str,
    q: float,
    group_by: tuple[str, ...],
    *,
    is_range: bool = False,
    matchers: tuple[Matcher, ...] = (),
) -> IstioQuery:
    return IstioQuery(
        key,
        "istio_request_duration_milliseconds_bucket",
        "quantile",
        group_by,
        matchers,
        quantile=q,
        is_range=is_range,
    )


GRPC_ERROR_MATCHERS = (
    Matcher("request_protocol", "=", "grpc"),
    Matcher("grpc_response_status", "!~", "0|"),
    Matcher("response_code", "!~", ERROR_CODES),
)
"""gRPC failures carried on an HTTP status that is not itself an error (disjoint from 4xx/5xx)."""

INSTANT_QUERIES: tuple[IstioQuery, ...] = (
    _rate("requests", "istio_requests_total", REQUEST_LABELS),
    _quantile("latency_p50", 0.5, EDGE_LABELS),
    _quantile("latency_p95", 0.95, EDGE_LABELS),
    _quantile("latency_p99", 0.99, EDGE_LABELS),
    _rate("request_bytes", "istio_request_bytes_sum", EDGE_LABELS),
    _rate("response_bytes", "istio_response_bytes_sum", EDGE_LABELS),
    _rate("tcp_sent_bytes", "istio_tcp_sent_bytes_total", TCP_LABELS),
    _rate("tcp_received_bytes", "istio_tcp_received_bytes_total", TCP_LABELS),
    _rate("tcp_connections_opened", "istio_tcp_connections_opened_total", TCP_LABELS),
)

RANGE_QUERIES: tuple[IstioQuery, ...] = (
    _rate("series_requests", "istio_requests_total", SERIES_LABELS, is_range=True),
    _rate(
        "series_errors",
        "istio_requests_total",
        SERIES_LABELS,
        Matcher("response_code", "=~", ERROR_CODES),
        is_range=True,
    ),
    _rate(
        "series_grpc_errors",
        "istio_requests_total",
        SERIES_LABELS,
        *GRPC_ERROR_MATCHERS,
        is_range=True,
    ),
    _quantile("series_latency_p95", 0.95, SERIES_LABELS, is_range=True),
    _quantile(
        "series_node_latency_p95",
        0.95,
        NODE_SERIES_LABELS,
        is_range=True,
        matchers=(Matcher("reporter", "=", "destination"),),
    ),
    _rate("series_tcp_sent_bytes", "istio_tcp_sent_bytes_total", SERIES_LABELS, is_range=True),
    _rate(
        "series_tcp_received_bytes", "istio_tcp_received_bytes_total", SERIES_LABELS, is_range=True
    ),
)

SERIES_RATE_WINDOW_SECONDS = 60
"""``rate()`` window of range queries: four 15 s scrapes, as Grafana's Istio dashboards use."""

ALL_QUERIES = {q.key: q for q in (*INSTANT_QUERIES, *RANGE_QUERIES)}
