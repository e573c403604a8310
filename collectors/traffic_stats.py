"""Folding Istio samples into :class:`~collectors.model.TrafficStats`.

One :class:`TrafficAccumulator` collects every sample that lands on one edge (or one node's
inbound side); :meth:`TrafficAccumulator.finish` turns it into the figures people read.

Conventions, all Istio's or Kiali's:

- an HTTP ``response_code`` matching :data:`~collectors.istio_queries.ERROR_CODES` is an error:
  ``4xx`` counts in ``rate_4xx``, ``5xx`` and ``0`` (no response at all) in ``rate_5xx``; 3xx
  is not an error;
- a gRPC request is a gRPC error when ``grpc_response_status`` is neither ``0`` nor empty and
  its HTTP code is not already an error, so the three error rates never overlap;
- ``response_flags`` is ``-`` for none, else a comma list (``UF,URX``): each flag gets the rate;
  on TCP paths flags are counted per opened connection;
- TCP bytes: ``istio_tcp_received_bytes_total`` is what the server received (the request side,
  ``bytes_to_destination``), ``istio_tcp_sent_bytes_total`` what it sent back
  (``bytes_to_source``). Both reporters use that meaning, so no flip is needed per reporter;
- latency percentiles of an edge fed by several label sets are the worst (largest) of them:
  quantiles cannot be added, and the worst is what a troubleshooter needs to see;
- mTLS share counts only destination-side samples: a source proxy reports ``unknown``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from collectors.istio_queries import ERROR_CODES
from collectors.kinds import Protocol
from collectors.model import TrafficStats

PERCENTILE_KEYS = {"latency_p50": "p50_ms", "latency_p95": "p95_ms", "latency_p99": "p99_ms"}
"""Instant query key -> the TrafficStats field it fills."""

_ERROR_CODE = re.compile(ERROR_CODES)
NO_FLAGS = "-"


def split_flags(flags: str) -> list[str]:
    """Split a ``response_flags`` value into single flags; ``-`` and empty give none."""
    return [flag for flag in (part.strip() for part in flags.split(",")) if flag and flag != "-"]


def _add_dict(total: dict[str, float], key: str, value: float) -> None:
    total[key] = total.get(key, 0.0) + value


def add_stats(total: TrafficStats, other: TrafficStats) -> None:
    """Add the additive fields of ``other`` (rates, bytes, per-code dicts) into ``total``."""
    total.request_rate += other.request_rate
    total.error_rate += other.error_rate
    total.rate_4xx += other.rate_4xx
    total.rate_5xx += other.rate_5xx
    total.grpc_error_rate += other.grpc_error_rate
    total.bytes_to_destination += other.bytes_to_destination
    total.bytes_to_source += other.bytes_to_source
    total.connection_rate += other.connection_rate
    for mine, theirs in (
        (total.response_codes, other.response_codes),
        (total.grpc_statuses, other.grpc_statuses),
        (total.response_flags, other.response_flags),
    ):
        for key, value in theirs.items():
            _add_dict(mine, key, value)


def sum_stats(stats: Iterable[TrafficStats]) -> TrafficStats:
    """Sum rates, bytes and per-code dicts; percentiles and mTLS share are left ``None``."""
    total = TrafficStats()
    for one in stats:
        add_stats(total, one)
    return total


def has_traffic(stats: TrafficStats | None) -> bool:
    """True when anything was requested, connected or transferred."""
    if stats is None:
        return False
    return stats.request_rate > 0 or stats.connection_rate > 0 or stats.throughput > 0


@dataclass(slots=True)
class TrafficAccumulator:
    """Running totals of the samples that land on one edge or node."""

    totals: TrafficStats = field(default_factory=TrafficStats)
    mtls_requests: float = 0.0  # destination-side request rate over mutual TLS
    secured_requests_seen: float = 0.0  # destination-side request rate, any policy
    mtls_bytes: float = 0.0
    secured_bytes_seen: float = 0.0
    percentiles: dict[str, float] = field(default_factory=dict)  # stats field -> worst value
    reporters: set[str] = field(default_factory=set)

    def add_requests(self, labels: Mapping[str, str], rate: float, destination_side: bool) -> None:
        """Fold one ``istio_requests_total`` sample (requests per second)."""
        totals = self.totals
        totals.request_rate += rate
        code = labels.get("response_code", "")
        if code:
            _add_dict(totals.response_codes, code, rate)
        if _ERROR_CODE.fullmatch(code):
            if code.startswith("4"):
                totals.rate_4xx += rate
            else:
                totals.rate_5xx += rate
        status = labels.get("grpc_response_status", "")
        if status:
            _add_dict(totals.grpc_statuses, status, rate)
        is_grpc = labels.get("request_protocol", "") == Protocol.GRPC
        if is_grpc and status not in ("", "0") and not _ERROR_CODE.fullmatch(code):
            totals.grpc_error_rate += rate
        for flag in split_flags(labels.get("response_flags", "")):
            _add_dict(totals.response_flags, flag, rate)
        if destination_side:
            self.secured_requests_seen += rate
            if labels.get("connection_security_policy") == "mutual_tls":
                self.mtls_requests += rate

    def add_percentile(self, stats_field: str, value_ms: float) -> None:
        """Keep the worst value of one latency percentile (NaN means no requests: ignored)."""
        if math.isnan(value_ms):
            return
        current = self.percentiles.get(stats_field)
        if current is None or value_ms > current:
            self.percentiles[stats_field] = value_ms

    def add_bytes(
        self,
        labels: Mapping[str, str],
        rate: float,
        *,
        to_destination: bool,
        tcp: bool,
        destination_side: bool,
    ) -> None:
        """Fold a bytes-per-second sample; TCP bytes also count toward the mTLS share."""
        if to_destination:
            self.totals.bytes_to_destination += rate
        else:
            self.totals.bytes_to_source += rate
        if tcp and destination_side:
            self.secured_bytes_seen += rate
            if labels.get("connection_security_policy") == "mutual_tls":
                self.mtls_bytes += rate

    def add_connections(self, labels: Mapping[str, str], rate: float) -> None:
        """Fold an opened-connections-per-second sample and its response flags."""
        self.totals.connection_rate += rate
        for flag in split_flags(labels.get("response_flags", "")):
            _add_dict(self.totals.response_flags, flag, rate)

    def merge(self, other: TrafficAccumulator) -> None:
        """Add another accumulator's totals and mTLS bases (percentiles are not merged)."""
        add_stats(self.totals, other.totals)
        self.mtls_requests += other.mtls_requests
        self.secured_requests_seen += other.secured_requests_seen
        self.mtls_bytes += other.mtls_bytes
        self.secured_bytes_seen += other.secured_bytes_seen
        self.reporters |= other.reporters

    def mtls_ratio(self) -> float | None:
        """Share of mutual-TLS traffic: by requests when there are any, else by TCP bytes."""
        if self.secured_requests_seen > 0:
            return self.mtls_requests / self.secured_requests_seen
        if self.secured_bytes_seen > 0:
            return self.mtls_bytes / self.secured_bytes_seen
        return None

    def finish(self) -> TrafficStats:
        """Return the stats, with error rate, percentiles, mTLS share and sorted dicts."""
        totals = self.totals
        return TrafficStats(
            request_rate=totals.request_rate,
            error_rate=totals.rate_4xx + totals.rate_5xx + totals.grpc_error_rate,
            rate_4xx=totals.rate_4xx,
            rate_5xx=totals.rate_5xx,
            grpc_error_rate=totals.grpc_error_rate,
            p50_ms=self.percentiles.get("p50_ms"),
            p95_ms=self.percentiles.get("p95_ms"),
            p99_ms=self.percentiles.get("p99_ms"),
            bytes_to_destination=totals.bytes_to_destination,
            bytes_to_source=totals.bytes_to_source,
            connection_rate=totals.connection_rate,
            mtls_ratio=self.mtls_ratio(),
            response_codes=dict(sorted(totals.response_codes.items())),
            grpc_statuses=dict(sorted(totals.grpc_statuses.items())),
            response_flags=dict(sorted(totals.response_flags.items())),
        )
