"""The one place that builds node ids.

Ids are readable and deterministic, ``<kind>:<cluster>/<namespace>/<name>``, so that the same
object found by two sources (a Deployment from the API server, a ``destination_workload`` label
from Istio telemetry) lands on the same graph node. They are never used raw as Dash component
ids: Dash forbids ``.`` there, and Kubernetes names are full of them.
"""

from __future__ import annotations

from collectors.kinds import NodeKind

DEFAULT_CLUSTER = "Kubernetes"
"""Istio's default ``source_cluster`` / ``destination_cluster`` label value."""


def node_id(kind: NodeKind, name: str, namespace: str = "", cluster: str = DEFAULT_CLUSTER) -> str:
    """Return the stable id of a node.

    >>> node_id(NodeKind.WORKLOAD, "reviews-v2", "bookinfo")
    'workload:Kubernetes/bookinfo/reviews-v2'
    >>> node_id(NodeKind.NAMESPACE, "bookinfo")
    'namespace:Kubernetes/bookinfo'
    """
    if not name:
        raise ValueError(f"a {kind.value} node needs a name")
    if kind is NodeKind.NAMESPACE:
        return f"{kind.value}:{cluster}/{name}"
    if kind is NodeKind.MACHINE:
        # Machines are cluster-scoped: no namespace segment.
        return f"{kind.value}:{cluster}/{name}"
    return f"{kind.value}:{cluster}/{namespace}/{name}"


def parse_node_id(value: str) -> tuple[NodeKind, str, str, str]:
    """Split a node id into ``(kind, cluster, namespace, name)``; the inverse of :func:`node_id`.

    Raises ``ValueError`` with a one-line message for anything that is not a node id, so a
    malformed URL parameter can be reported instead of crashing a page.
    """
    kind_text, sep, rest = value.partition(":")
    if not sep:
        raise ValueError(f"not a node id: {value!r}")
    try:
        kind = NodeKind(kind_text)
    except ValueError:
        raise ValueError(f"unknown node kind in id: {value!r}") from None
    parts = rest.split("/", 2)
    if kind in (NodeKind.NAMESPACE, NodeKind.MACHINE):
        if len(parts) != 2 or not all(parts):
            raise ValueError(f"malformed {kind.value} id: {value!r}")
        cluster, name = parts
        return kind, cluster, "", name
    if len(parts) != 3 or not parts[0] or not parts[2]:
        raise ValueError(f"malformed {kind.value} id: {value!r}")
    cluster, namespace, name = parts
    return kind, cluster, namespace, name


def edge_id(source: str, target: str, key: str) -> str:
    """Return the id of an edge, used as the series entity of a call edge.

    >>> edge_id("workload:K/a/x", "workload:K/a/y", "calls/http/service:K/a/y")
    'workload:K/a/x->workload:K/a/y#calls/http/service:K/a/y'
    """
    return f"{source}->{target}#{key}"
