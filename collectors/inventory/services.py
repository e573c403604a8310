"""Service nodes and the workloads each one selects."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from collectors.cluster import KubeObject
from collectors.inventory._objects import (
    PartBuilder,
    canonical_app,
    labels_of,
    mapping,
    name_of,
    namespace_of,
    selector_matches,
    selector_text,
    sequence,
    string_map,
    text,
)
from collectors.kinds import EdgeKind, NodeFlag, NodeKind
from collectors.model import Node

# Istio reads the protocol from a port name's prefix ("http-web", "grpc") when no appProtocol.
ISTIO_PORT_PROTOCOLS = frozenset(
    {"http", "http2", "https", "grpc", "grpc-web", "tcp", "tls", "mongo", "mysql", "redis", "udp"}
)


def port_text(port: Mapping[str, Any]) -> str:
    """Return one service port as ``name:port/protocol``.

    The protocol is ``appProtocol`` if set, else the Istio protocol the port name starts with,
    else the L4 protocol (``tcp`` by default).

    >>> port_text({"name": "tcp-redis", "port": 6379})
    'tcp-redis:6379/tcp'
    >>> port_text({"name": "http", "port": 9080, "appProtocol": "http2"})
    'http:9080/http2'
    """
    name = text(port.get("name"))
    protocol = text(port.get("appProtocol")).lower()
    if not protocol:
        prefix = name.lower().split("-", 1)[0]
        if name.lower().startswith("grpc-web"):
            prefix = "grpc-web"
        protocol = prefix if prefix in ISTIO_PORT_PROTOCOLS else ""
    protocol = protocol or (text(port.get("protocol")) or "TCP").lower()
    number = text(port.get("port"))
    return f"{name}:{number}/{protocol}" if name else f"{number}/{protocol}"


def add_services(
    builder: PartBuilder, objects: Iterable[KubeObject], workloads: Sequence[Node]
) -> list[Node]:
    """Add a node per Service and SELECTS edges to the workloads whose pods it selects.

    A Service with a selector that matches no workload, or only dead ones, is DEAD. One
    without a selector (ExternalName, hand-managed Endpoints) selects nothing and is not.
    """
    by_namespace: dict[str, list[Node]] = {}
    for workload in workloads:
        by_namespace.setdefault(workload.namespace, []).append(workload)
    services: list[Node] = []
    for obj in objects:
        if obj.get("kind") != "Service" or not name_of(obj):
            continue
        spec = mapping(obj.get("spec"))
        selector = string_map(spec.get("selector"))
        labels = labels_of(obj)
        app, _ = canonical_app(labels, "")
        node = builder.node(
            NodeKind.SERVICE,
            name_of(obj),
            namespace_of(obj),
            labels=labels,
            app=app,
            attrs={
                "type": text(spec.get("type")) or "ClusterIP",
                "ports": ", ".join(port_text(mapping(p)) for p in sequence(spec.get("ports"))),
                "selector": selector_text(selector),
                "cluster_ip": text(spec.get("clusterIP")),
                "external_name": text(spec.get("externalName")),
            },
        )
        selected = [
            workload
            for workload in by_namespace.get(node.namespace, [])
            if selector_matches(selector, workload.labels)
        ]
        for workload in selected:
            builder.edge(node.id, workload.id, EdgeKind.SELECTS)
        if selector and all(NodeFlag.DEAD in workload.flags for workload in selected):
            node.flags.add(NodeFlag.DEAD)
        services.append(node)
    return services
