"""Enrichment step: flag workloads and services that saw no traffic in the window.

The rule: a WORKLOAD or SERVICE node is IDLE when no CALLS edge starts or ends at it and, for
a service, no call edge addressed it (telemetry draws calls workload to workload and names the
service on the edge). These are left alone, because silence proves nothing about them:

- entry points (ingress gateways, traffic generators): their callers are outside the mesh;
- DEAD nodes: they have no pods to take traffic, which says more than IDLE would;
- batch workloads (Job, CronJob, and Argo Workflow pods): they run to completion and serve
  nobody;
- system workloads and services outside the mesh (namespaces ``kube-*`` and ``*-system``
  that are not in the mesh, with no pod carrying a sidecar): Istio cannot see their traffic.

Nothing is flagged when the snapshot holds no telemetry at all (no call edge, and no metrics
source that delivered): without it, every node would look idle.
"""

from __future__ import annotations

from collectors.ids import node_id
from collectors.kinds import EdgeKind, NodeFlag, NodeKind, SourceState
from collectors.model import Node, Snapshot

__all__ = ["BATCH_WORKLOAD_KINDS", "flag_idle", "is_system_namespace"]

BATCH_WORKLOAD_KINDS = frozenset({"Job", "CronJob", "Workflow"})
"""``workload_kind`` values of work that finishes instead of serving requests."""


def is_system_namespace(namespace: str) -> bool:
    """Whether a namespace holds cluster machinery (``kube-system``, ``istio-system`` ...)."""
    return namespace.startswith("kube-") or namespace.endswith("-system")


def flag_idle(snapshot: Snapshot) -> None:
    """Add :attr:`NodeFlag.IDLE` to workloads and services without traffic (rule above)."""
    touched: set[str] = set()
    for edge in snapshot.edges(EdgeKind.CALLS):
        touched.update((edge.source, edge.target))
        if edge.service:
            touched.add(edge.service)
    if not touched and not _telemetry_delivered(snapshot):
        return
    for kind in (NodeKind.WORKLOAD, NodeKind.SERVICE):
        for node in snapshot.nodes(kind):
            if node.id not in touched and not _exempt(snapshot, node):
                node.flags.add(NodeFlag.IDLE)


def _telemetry_delivered(snapshot: Snapshot) -> bool:
    return any(
        source.kind == "metrics" and source.state is not SourceState.UNAVAILABLE
        for source in snapshot.meta.sources
    )


def _exempt(snapshot: Snapshot, node: Node) -> bool:
    if node.flags & {NodeFlag.ENTRY_POINT, NodeFlag.DEAD}:
        return True
    if node.attrs.get("workload_kind") in BATCH_WORKLOAD_KINDS:
        return True
    return is_system_namespace(node.namespace) and not _in_mesh(snapshot, node)


def _in_mesh(snapshot: Snapshot, node: Node) -> bool:
    namespace_id = node_id(NodeKind.NAMESPACE, node.namespace, cluster=node.cluster)
    if namespace_id in snapshot.graph and snapshot.node(namespace_id).attrs.get("mesh") is True:
        return True
    if node.kind is not NodeKind.WORKLOAD:
        return False
    return any(
        snapshot.node(pod).attrs.get("sidecar") is True
        for _, pod, key in snapshot.graph.out_edges(node.id, keys=True)
        if key == EdgeKind.OWNS.value and snapshot.node(pod).kind is NodeKind.POD
    )
