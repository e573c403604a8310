"""Health enrichment step: Kiali's request-error thresholds applied to call edges and nodes.

Two error families are judged separately and the worse verdict wins:

- server errors: 5xx, response code 0 (no response at all) and gRPC errors, as a share of
  requests; any at all is degraded, 10% or more is failure;
- client errors: 4xx; 10% or more is degraded, 20% or more is failure.

A share of zero is always healthy, so a degraded threshold of 0% means "any error". TCP edges
carry no status codes: with traffic they are healthy. Without requests or bytes the verdict is
no traffic.
"""

from __future__ import annotations

from dataclasses import dataclass

from collectors.kinds import EdgeKind, Health
from collectors.model import Snapshot, TrafficStats
from collectors.traffic_stats import has_traffic, sum_stats

__all__ = ["DEFAULT_THRESHOLDS", "HealthThresholds", "apply_health", "edge_health"]


@dataclass(frozen=True)
class HealthThresholds:
    """Error shares, in percent of requests, at which traffic turns degraded or failing.

    A share at or above a threshold crosses it (Kiali's rule); Kiali's defaults:

    >>> HealthThresholds().server_error_failure_pct
    10.0
    >>> HealthThresholds(client_error_degraded_pct=5.0).client_error_degraded_pct
    5.0
    """

    server_error_degraded_pct: float = 0.0
    server_error_failure_pct: float = 10.0
    client_error_degraded_pct: float = 10.0
    client_error_failure_pct: float = 20.0


DEFAULT_THRESHOLDS = HealthThresholds()


def _verdict(errors: float, requests: float, degraded_pct: float, failure_pct: float) -> Health:
    if errors <= 0:
        return Health.HEALTHY
    share_pct = 100.0 * errors / requests
    if share_pct >= failure_pct:
        return Health.FAILURE
    if share_pct >= degraded_pct:
        return Health.DEGRADED
    return Health.HEALTHY


_SEVERITY = (Health.HEALTHY, Health.DEGRADED, Health.FAILURE)


def edge_health(
    stats: TrafficStats | None, thresholds: HealthThresholds = DEFAULT_THRESHOLDS
) -> Health:
    """Judge one edge's (or node's) traffic.

    >>> edge_health(TrafficStats(request_rate=10.0, rate_5xx=1.0, error_rate=1.0))
    <Health.FAILURE: 'failure'>
    """
    if stats is None or not has_traffic(stats):
        return Health.NO_TRAFFIC
    if stats.request_rate <= 0:
        return Health.HEALTHY  # TCP: bytes flow, and there are no codes to judge
    server = _verdict(
        stats.rate_5xx + stats.grpc_error_rate,
        stats.request_rate,
        thresholds.server_error_degraded_pct,
        thresholds.server_error_failure_pct,
    )
    client = _verdict(
        stats.rate_4xx,
        stats.request_rate,
        thresholds.client_error_degraded_pct,
        thresholds.client_error_failure_pct,
    )
    return max(server, client, key=_SEVERITY.index)


def apply_health(snapshot: Snapshot, thresholds: HealthThresholds = DEFAULT_THRESHOLDS) -> None:
    """Set ``health`` on every call edge and every node of ``snapshot``.

    A node is judged by its inbound traffic; a node that received none (an ingress gateway, a
    traffic generator) by the sum of its outgoing call edges, so an entry point whose calls
    fail shows it.
    """
    outgoing: dict[str, list[TrafficStats]] = {}
    for edge in snapshot.edges(EdgeKind.CALLS):
        edge.health = edge_health(edge.traffic, thresholds)
        if edge.traffic is not None:
            outgoing.setdefault(edge.source, []).append(edge.traffic)
    for node in snapshot.nodes():
        if has_traffic(node.inbound):
            node.health = edge_health(node.inbound, thresholds)
        else:
            node.health = edge_health(sum_stats(outgoing.get(node.id, ())), thresholds)
