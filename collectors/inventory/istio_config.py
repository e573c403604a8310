"""Istio configuration on the graph: Kiali-style badges and one-line facts on services.

>>> part = inventory_graph(load_manifests(Path("bookinfo/")))  # doctest: +SKIP
>>> reviews = next(node for node in part.nodes if node.name == "reviews")  # doctest: +SKIP
>>> reviews.flags, reviews.attrs["istio_traffic_shift"]  # doctest: +SKIP
({<NodeFlag.VIRTUAL_SERVICE: 'virtual_service'>, <NodeFlag.TRAFFIC_SHIFT: ...>}, 'v1 80% · v2 20%')

VirtualServices (:mod:`.istio_routes`) and DestinationRules (:mod:`.istio_security`) are
resolved to the services they apply to, by Istio's host rules (:mod:`._istio`). What a service
gets is also set on the workloads it selects, because the workload and app graphs draw
workloads. Every workload gets the mutual TLS mode its PeerAuthentications give it, and every
service the mode of its workloads.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import MappingProxyType

from collectors.cluster import KubeObject
from collectors.inventory._istio import Findings, ServiceIndex
from collectors.inventory._objects import PartBuilder
from collectors.inventory.istio_routes import add_route_findings
from collectors.inventory.istio_security import add_destination_rule_findings, add_mtls
from collectors.kinds import EdgeKind, NodeFlag, NodeKind
from collectors.model import Node

__all__ = ["ISTIO_ATTRS", "ISTIO_FLAG_WORDS", "add_istio_config"]

ISTIO_ATTRS = (
    "istio_virtual_services",
    "istio_traffic_shift",
    "istio_fault",
    "istio_retries",
    "istio_timeout",
    "istio_mirror",
    "istio_destination_rule",
    "istio_circuit_breaker",
    "istio_client_tls",
    "istio_mtls",
)
"""Node attributes this step sets, each a one-line text for the side panel.

- ``istio_virtual_services``: the VirtualServices routing to the service (``ns/name`` when
  in another namespace), ``;``-separated;
- ``istio_traffic_shift``: a weighted split, ``v1 80% · v2 20%`` (subsets, else hosts);
- ``istio_fault``: ``abort 500 for 100% of requests when end-user exact jason``;
- ``istio_retries``: ``3 attempts · 2s per try · on 5xx``; ``istio_timeout``: ``10s``;
- ``istio_mirror``: the mirror host and subset, with the share when not 100%;
- ``istio_destination_rule``: the DestinationRule that applies to the service;
- ``istio_circuit_breaker``: its connection pool limits and outlier detection;
- ``istio_client_tls``: the TLS mode clients use (``ISTIO_MUTUAL``, ``DISABLE``, ``SIMPLE``,
  ``MUTUAL``), with ``port N`` / ``subset S`` exceptions;
- ``istio_mtls``: the PeerAuthentication mode the workload accepts (``STRICT``, ``PERMISSIVE``,
  ``DISABLE``, with port exceptions); on services, that of their workloads.

Several findings under one key (two routes, two services selecting a workload) are joined
with ``"; "``. Only ``istio_mtls`` is on every workload and service; the others appear when
some object sets them.
"""

ISTIO_FLAG_WORDS: Mapping[NodeFlag, str] = MappingProxyType(
    {
        NodeFlag.VIRTUAL_SERVICE: "VS",
        NodeFlag.TRAFFIC_SHIFT: "TS",
        NodeFlag.FAULT_INJECTION: "FI",
        NodeFlag.RETRIES: "RT",
        NodeFlag.TIMEOUT: "TO",
        NodeFlag.CIRCUIT_BREAKER: "CB",
        NodeFlag.MIRRORING: "MI",
        NodeFlag.MTLS_STRICT: "mTLS",
    }
)
"""Short badge text per Istio flag, for the topology to draw on nodes."""


def add_istio_config(builder: PartBuilder, items: Sequence[KubeObject]) -> None:
    """Set Istio flags and :data:`ISTIO_ATTRS` on the service and workload nodes built so far.

    Runs after the services and their SELECTS edges are in ``builder``. Objects of other
    kinds are ignored, and malformed Istio objects contribute what can be read of them.
    """
    services = [node for node in builder.nodes.values() if node.kind is NodeKind.SERVICE]
    workloads = [node for node in builder.nodes.values() if node.kind is NodeKind.WORKLOAD]
    selected: dict[str, list[Node]] = {}
    for source, target, kind in builder.edges:
        if kind == EdgeKind.SELECTS.value:
            selected.setdefault(source, []).append(builder.nodes[target])
    index = ServiceIndex(services)
    findings = Findings()
    add_route_findings(index, items, findings)
    add_destination_rule_findings(index, items, findings)
    for service in services:
        for workload in selected.get(service.id, ()):
            findings.copy(service.id, workload.id)
    findings.apply(builder.nodes)
    add_mtls(items, workloads, services, selected)
