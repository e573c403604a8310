"""The side panel's words for node flags, and a node's Istio configuration and findings (pure).

Findings are drawn on one snapshot node each (``Finding.node``), often a service. The workload
and app graphs draw workloads, so a service's findings also belong to the workloads it selects,
as its Istio configuration does (``collectors.inventory.istio_config`` copies that itself).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from collectors.checks import SEVERITY_ORDER
from collectors.inventory.istio_config import ISTIO_ATTRS
from collectors.kinds import EdgeKind, NodeFlag, NodeKind
from collectors.model import Finding, Snapshot

ISTIO_LABELS: Mapping[str, str] = {
    "istio_virtual_services": "VirtualServices",
    "istio_traffic_shift": "Traffic shift",
    "istio_fault": "Fault injection",
    "istio_retries": "Retries",
    "istio_timeout": "Timeout",
    "istio_mirror": "Mirroring",
    "istio_destination_rule": "DestinationRule",
    "istio_circuit_breaker": "Circuit breaker",
    "istio_client_tls": "Client TLS",
    "istio_mtls": "mTLS",
}
"""Readable names of ``ISTIO_ATTRS`` (which gives the order the panel lists them in)."""

MAX_DISTINCT_VALUES = 3  # a merged node can hold many; more than a few is noise in a side panel

CHECK_FLAG_WORDS: Mapping[str, str] = {
    NodeFlag.CHECK_ERROR.value: "a check found something broken (see Checks below)",
    NodeFlag.CHECK_WARNING.value: "a check found something fragile (see Checks below)",
}
"""Words for the check flags, which the panel lists before any other flag."""

ISTIO_FLAG_DESCRIPTIONS: Mapping[str, str] = {
    NodeFlag.FAULT_INJECTION.value: "a VirtualService injects faults (delays or aborts) on purpose",
    NodeFlag.MIRRORING.value: "a VirtualService mirrors its traffic to another destination",
    NodeFlag.TRAFFIC_SHIFT.value: "a VirtualService splits its traffic by weight",
    NodeFlag.CIRCUIT_BREAKER.value: "a DestinationRule limits connections or ejects outliers",
    NodeFlag.RETRIES.value: "a VirtualService retries failed requests",
    NodeFlag.TIMEOUT.value: "a VirtualService sets a request timeout",
    NodeFlag.VIRTUAL_SERVICE.value: "a VirtualService routes its traffic",
    NodeFlag.MTLS_STRICT.value: "accepts mutual TLS only (PeerAuthentication STRICT)",
}
"""Words for the Istio flags, deliberate breakage first, then routing and security."""

FLAG_WORDS: Mapping[str, str] = {
    **CHECK_FLAG_WORDS,
    NodeFlag.DEAD.value: "no running pods",
    NodeFlag.NOT_READY.value: "some pods are not ready",
    NodeFlag.RESTARTING.value: "containers keep restarting",
    NodeFlag.MISSING_SIDECAR.value: "pods run without the Istio sidecar: no telemetry or mTLS",
    NodeFlag.IDLE.value: "no traffic in the window",
    NodeFlag.UNKNOWN.value: "telemetry could not identify this peer",
    NodeFlag.EXTERNAL.value: "outside the mesh (a ServiceEntry host or passthrough)",
    NodeFlag.ENTRY_POINT.value: "traffic enters the mesh here (ingress gateway or load generator)",
    NodeFlag.INBOUND_ONLY_SOURCE.value: "seen only by the callers' proxies",
    **ISTIO_FLAG_DESCRIPTIONS,
}
"""Words for every node flag; their order is the panel's (worst news first)."""


def flag_words(flags: Iterable[str]) -> tuple[tuple[str, str], ...]:
    """(flag, words) for each flag, in :data:`FLAG_WORDS` order, then flags it does not know."""
    order = list(FLAG_WORDS)
    ranked = sorted(
        flags, key=lambda flag: (order.index(flag) if flag in order else len(order), flag)
    )
    return tuple((flag, FLAG_WORDS.get(flag, flag)) for flag in ranked)


def findings_by_node(
    snapshot: Snapshot, findings: Sequence[Finding] | None = None
) -> dict[str, list[Finding]]:
    """Findings per snapshot node id: those drawn on it, and on a workload those of the services
    selecting it; ``findings`` defaults to the snapshot's own.

    >>> by_node = findings_by_node(snapshot)  # doctest: +SKIP
    >>> [f.code for f in by_node["workload:Kubernetes/bookinfo/ratings-v1"]]  # doctest: +SKIP
    ['IST005']
    """
    found: dict[str, list[Finding]] = {}
    graph = snapshot.graph
    for finding in snapshot.findings if findings is None else findings:
        if not finding.node or finding.node not in graph:
            continue
        found.setdefault(finding.node, []).append(finding)
        if snapshot.node(finding.node).kind is not NodeKind.SERVICE:
            continue
        for _, workload, kind in graph.out_edges(finding.node, keys=True):
            if kind == EdgeKind.SELECTS.value:
                found.setdefault(workload, []).append(finding)
    return found


def worst_first(findings: Iterable[Finding]) -> tuple[Finding, ...]:
    """Distinct findings, errors first, then by code and object."""
    distinct = dict.fromkeys(findings)
    return tuple(sorted(distinct, key=lambda f: (SEVERITY_ORDER[f.severity], f.code, f.object)))


def member_findings(
    members: Iterable[str], by_node: Mapping[str, Sequence[Finding]]
) -> tuple[Finding, ...]:
    """The findings drawn on any of ``members``, each once, worst first."""
    return worst_first(finding for member in members for finding in by_node.get(member, ()))


def istio_rows(snapshot: Snapshot, members: Iterable[str]) -> tuple[tuple[str, str], ...]:
    """(label, value) per Istio attribute set on ``members``, distinct values joined by "; "."""
    values: dict[str, dict[str, None]] = {}
    for member in members:
        if member not in snapshot.graph:
            continue
        attrs = snapshot.node(member).attrs
        for key in ISTIO_ATTRS:
            value = attrs.get(key)
            if value is not None and str(value):
                values.setdefault(key, {})[str(value)] = None
    rows = []
    for key in ISTIO_ATTRS:
        distinct = list(values.get(key, ()))
        if not distinct:
            continue
        label = ISTIO_LABELS.get(key, key)
        shown = "; ".join(distinct[:MAX_DISTINCT_VALUES])
        more = len(distinct) - MAX_DISTINCT_VALUES
        rows.append((label, f"{shown}; and {more} more" if more > 0 else shown))
    return tuple(rows)
