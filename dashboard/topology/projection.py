"""Graph-type projections: the call graph of a snapshot as the topology view draws it.

The graph types follow Kiali:

- ``workload``: one node per workload; edges are the calls between them;
- ``app``: workloads with an ``app`` (canonical service) merge into one node per app across
  versions; workloads without one stay workload nodes;
- ``versioned_app``: one node per app and version, boxed in one app box per app;
- ``service``: service nodes. A caller reached through services is drawn as those services, so
  an edge runs service to service (a caller behind two services gives each of them the edge,
  as in Kiali); a caller no service led to (an ingress gateway) stays as its app node. The
  destination is the service the call addressed (``Edge.service``).

Call edges and the nodes they touch are drawn, plus every workload (every service, in the service
graph) the cluster knows, so silence is visible: idle services, batch jobs, the control plane; a
DEAD service, which has no workload to stand for it, is drawn in every graph type. Unknown and
external nodes stay.

Traffic of several call edges merged into one view edge: rates, bytes and per-code dicts are
summed; latency percentiles are the worst (largest) of the parts, because quantiles cannot be
summed; the mTLS share is weighted by requests (by bytes for TCP). Edge health is judged again
on the merged traffic; a node's health is the worst of its members'.

View ids derive from snapshot ids and never from traffic, so a layout cached by
:func:`structure_key` stays valid while the numbers change.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from collectors.health import DEFAULT_THRESHOLDS, HealthThresholds, edge_health
from collectors.kinds import EdgeKind, Health, NodeFlag, NodeKind
from collectors.model import Edge, Node, Snapshot, TrafficStats
from dashboard.topology._projection_drafts import Draft, Projector, service_ends
from dashboard.topology._projection_merge import merge_traffic, worst_health

__all__ = [
    "GraphType",
    "TopologyView",
    "ViewEdge",
    "ViewNode",
    "box_summary",
    "merge_traffic",
    "project",
    "structure_key",
    "worst_health",
]


class GraphType(StrEnum):
    """What one node of the topology stands for (Kiali's graph types)."""

    WORKLOAD = "workload"
    APP = "app"
    VERSIONED_APP = "versioned_app"
    SERVICE = "service"


@dataclass(frozen=True, slots=True)
class ViewNode:
    """A node (or a box) of the topology view."""

    id: str
    kind: str  # a NodeKind value, "app", or "namespace" for a collapsed namespace or its box
    label: str
    namespace: str
    app: str
    version: str
    health: Health
    flags: frozenset[str]
    inbound: TrafficStats | None
    members: tuple[str, ...]  # snapshot node ids merged into this node
    parent: str | None  # id of the namespace box, or of the app box in versioned_app


@dataclass(frozen=True, slots=True)
class ViewEdge:
    """Calls between two view nodes over one protocol."""

    id: str
    source: str
    target: str
    protocol: str
    traffic: TrafficStats
    health: Health
    mtls: bool | None  # None: no traffic the destination could judge
    members: tuple[str, ...] = ()  # ids of the snapshot call edges merged into this edge


@dataclass(frozen=True, slots=True)
class TopologyView:
    """One projection of a snapshot: nodes, edges, and the boxes that group them."""

    graph_type: GraphType
    nodes: tuple[ViewNode, ...]
    edges: tuple[ViewEdge, ...]
    boxes: tuple[ViewNode, ...]
    collapsed: frozenset[str]


MTLS_THRESHOLD = 0.99
"""Share of mutual-TLS traffic at which an edge counts as secured (Kiali's lock icon)."""

_SILENT = frozenset({NodeFlag.IDLE.value, NodeFlag.DEAD.value})


def _inventory_nodes(snapshot: Snapshot, graph_type: GraphType) -> Iterable[Node]:
    """Nodes drawn even without traffic: every workload (every service in the service graph).

    A batch job, the control plane or a workload that went quiet is part of the platform a
    person is looking at; leaving it out would make the graph lie by omission.
    """
    for node in snapshot.nodes():
        if graph_type is GraphType.SERVICE:
            if node.kind is NodeKind.SERVICE:
                yield node
        elif node.kind is NodeKind.WORKLOAD or (
            node.kind is NodeKind.SERVICE and NodeFlag.DEAD in node.flags
        ):
            yield node


def _flags(members: Iterable[Node]) -> frozenset[str]:
    per_member = [frozenset(flag.value for flag in node.flags) for node in members]
    union = frozenset().union(*per_member)
    # A merged node is idle or dead only when all of it is.
    return frozenset(
        flag for flag in union if flag not in _SILENT or all(flag in one for one in per_member)
    )


def project(
    snapshot: Snapshot,
    graph_type: GraphType,
    *,
    namespaces: frozenset[str] | None = None,
    collapsed: frozenset[str] = frozenset(),
    thresholds: HealthThresholds = DEFAULT_THRESHOLDS,
) -> TopologyView:
    """Project ``snapshot``'s call graph as ``graph_type`` (rules in the module docstring).

    ``namespaces`` keeps the edges with either end in one of them, and those ends; every node of
    a namespace in ``collapsed`` becomes one ``nsnode:<cluster>/<namespace>`` node, whose
    internal calls are dropped and whose inbound traffic is what came from outside it.
    """
    graph_type = GraphType(graph_type)  # a plain string from a URL or a dropdown works too
    projector = Projector(
        snapshot,
        collapsed,
        # Callers in the service graph that no service led to are drawn as apps, as in Kiali.
        merge_apps=graph_type is not GraphType.WORKLOAD,
        split_versions=graph_type is GraphType.VERSIONED_APP,
    )
    calls = list(snapshot.edges(EdgeKind.CALLS))
    if graph_type is GraphType.SERVICE:
        ends: Iterable[tuple[str, str, Edge]] = service_ends(snapshot, calls)
    else:
        ends = ((edge.source, edge.target, edge) for edge in calls)
    for source, target, edge in ends:
        projector.add_edge(source, target, edge)

    def wanted(draft: Draft) -> bool:
        return namespaces is None or draft.namespace in namespaces

    kept: dict[str, Draft] = {}
    edges: list[ViewEdge] = []
    collapsed_inbound: dict[str, list[TrafficStats]] = {}
    for (source, target, protocol), parts in projector.edges.items():
        source_draft, target_draft = projector.drafts[source], projector.drafts[target]
        if source == target and target_draft.kind == "namespace":
            continue
        if not (wanted(source_draft) or wanted(target_draft)):
            continue
        kept[source], kept[target] = source_draft, target_draft
        traffic = merge_traffic([part.traffic or TrafficStats() for part in parts])
        if target_draft.kind == "namespace":
            collapsed_inbound.setdefault(target, []).append(traffic)
        ratio = traffic.mtls_ratio
        edges.append(
            ViewEdge(
                id=f"{source}->{target}#{protocol}",
                source=source,
                target=target,
                protocol=protocol,
                traffic=traffic,
                health=edge_health(traffic, thresholds),
                mtls=None if ratio is None else ratio >= MTLS_THRESHOLD,
                members=tuple(sorted(part.id for part in parts)),
            )
        )
    for node in _inventory_nodes(snapshot, graph_type):
        draft = projector.place(node.id)
        if wanted(draft):
            kept[draft.id] = draft

    nodes, boxes = _finish_nodes(kept.values(), graph_type, collapsed_inbound)
    return TopologyView(
        graph_type=graph_type,
        nodes=nodes,
        edges=tuple(sorted(edges, key=lambda edge: edge.id)),
        boxes=boxes,
        collapsed=collapsed,
    )


def _inbound(draft: Draft, collapsed_inbound: dict[str, list[TrafficStats]]) -> TrafficStats | None:
    if draft.kind == "namespace":
        incoming = collapsed_inbound.get(draft.id)
        return merge_traffic(incoming) if incoming else None
    received = [node.inbound for node in draft.members.values() if node.inbound is not None]
    if not received:
        return None
    return received[0] if len(received) == 1 else merge_traffic(received)


def _finish_nodes(
    drafts: Iterable[Draft],
    graph_type: GraphType,
    collapsed_inbound: dict[str, list[TrafficStats]],
) -> tuple[tuple[ViewNode, ...], tuple[ViewNode, ...]]:
    """Freeze the drafts and build the namespace and app boxes around them."""
    nodes: list[ViewNode] = []
    box_children: dict[str, list[ViewNode]] = {}
    box_drafts: dict[str, Draft] = {}
    for draft in sorted(drafts, key=lambda one: one.id):
        parent: str | None = None
        if draft.boxed:
            parent = f"ns:{draft.cluster}/{draft.namespace}"
            box_drafts.setdefault(
                parent, Draft(parent, "namespace", draft.namespace, draft.namespace, draft.cluster)
            )
            if graph_type is GraphType.VERSIONED_APP and draft.kind == "app":
                app_box = f"appbox:{draft.cluster}/{draft.namespace}/{draft.app}"
                box_drafts.setdefault(
                    app_box,
                    Draft(app_box, "app", draft.app, draft.namespace, draft.cluster, draft.app),
                )
                parent = app_box
        members = draft.members.values()
        node = ViewNode(
            id=draft.id,
            kind=draft.kind,
            label=draft.label,
            namespace=draft.namespace,
            app=draft.app,
            version=draft.version,
            health=worst_health(member.health for member in members),
            flags=_flags(members),
            inbound=_inbound(draft, collapsed_inbound),
            members=tuple(sorted(draft.members)),
            parent=parent,
        )
        nodes.append(node)
        if parent is not None:
            box_children.setdefault(parent, []).append(node)
    boxes = [_box(box_drafts[box_id], box_children) for box_id in sorted(box_drafts)]
    for box in boxes:
        if box.kind == "app":
            box_children.setdefault(box.parent or "", []).append(box)
    # Namespace boxes hold app boxes too: judge them once every child is known.
    boxes = [_box(box_drafts[box.id], box_children) for box in boxes]
    return tuple(nodes), tuple(boxes)


def box_summary(children: Iterable[ViewNode]) -> tuple[Health, tuple[str, ...]]:
    """A box's health (the worst of its children's) and members (all of theirs, sorted)."""
    inside = list(children)
    health = worst_health(child.health for child in inside)
    return health, tuple(sorted({member for child in inside for member in child.members}))


def _box(draft: Draft, box_children: dict[str, list[ViewNode]]) -> ViewNode:
    health, members = box_summary(box_children.get(draft.id, []))
    return ViewNode(
        id=draft.id,
        kind=draft.kind,
        label=draft.label,
        namespace=draft.namespace,
        app=draft.app,
        version="",
        health=health,
        flags=frozenset(),
        inbound=None,
        members=members,
        parent=f"ns:{draft.cluster}/{draft.namespace}" if draft.kind == "app" else None,
    )


def structure_key(view: TopologyView) -> str:
    """Hash of what the layout depends on: node and box ids, parents and edge ends."""
    digest = hashlib.sha256(view.graph_type.value.encode())
    for node in sorted((*view.nodes, *view.boxes), key=lambda one: one.id):
        digest.update(f"\nN{node.id}<{node.parent or ''}".encode())
    for source, target in sorted({(edge.source, edge.target) for edge in view.edges}):
        digest.update(f"\nE{source}>{target}".encode())
    return digest.hexdigest()[:16]
