"""Placing snapshot nodes on view nodes: app merging, version split and namespace collapse.

The graph type reaches this module only as two switches, ``merge_apps`` and
``split_versions``, so it does not depend on the public view types in ``projection``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from collectors.kinds import NodeKind
from collectors.model import Edge, Node, Snapshot

__all__ = ["Draft", "Projector", "service_ends"]


@dataclass(slots=True)
class Draft:
    """A view node under construction."""

    id: str
    kind: str
    label: str
    namespace: str
    cluster: str
    app: str = ""
    version: str = ""
    members: dict[str, Node] = field(default_factory=dict)

    @property
    def boxed(self) -> bool:
        """Whether the node sits in a namespace box."""
        return bool(self.namespace) and self.kind not in (NodeKind.UNKNOWN.value, "namespace")


def _draft_of(node: Node, *, merge_apps: bool, split_versions: bool) -> Draft:
    """Where one snapshot node lands (before collapsing)."""
    if not (merge_apps and node.kind is NodeKind.WORKLOAD and node.app):
        return Draft(node.id, node.kind.value, node.name, node.namespace, node.cluster)
    base = f"{node.cluster}/{node.namespace}/{node.app}"
    if split_versions and node.version:
        return Draft(
            f"vapp:{base}/{node.version}",
            "app",
            node.version,
            node.namespace,
            node.cluster,
            node.app,
            node.version,
        )
    return Draft(f"app:{base}", "app", node.app, node.namespace, node.cluster, node.app)


class Projector:
    """Maps snapshot nodes to view nodes, once each, and gathers the view edges."""

    def __init__(
        self,
        snapshot: Snapshot,
        collapsed: frozenset[str],
        *,
        merge_apps: bool,
        split_versions: bool,
    ):
        self.snapshot = snapshot
        self.collapsed = collapsed
        self.merge_apps = merge_apps
        self.split_versions = split_versions
        self.drafts: dict[str, Draft] = {}
        self.view_of: dict[str, Draft] = {}  # snapshot node id -> its view node
        self.edges: dict[tuple[str, str, str], list[Edge]] = {}

    def place(self, node_id: str) -> Draft:
        """Return the view node of a snapshot node, creating it on first sight."""
        found = self.view_of.get(node_id)
        if found is not None:
            return found
        node = self.snapshot.node(node_id)
        draft = _draft_of(node, merge_apps=self.merge_apps, split_versions=self.split_versions)
        if node.namespace in self.collapsed:
            draft = Draft(
                f"nsnode:{node.cluster}/{node.namespace}",
                "namespace",
                node.namespace,
                node.namespace,
                node.cluster,
            )
        draft = self.drafts.setdefault(draft.id, draft)
        draft.members[node.id] = node
        self.view_of[node_id] = draft
        return draft

    def add_edge(self, source: str, target: str, edge: Edge) -> None:
        """Add a call edge between the view nodes of two snapshot nodes."""
        key = (self.place(source).id, self.place(target).id, edge.protocol or "")
        self.edges.setdefault(key, []).append(edge)


def service_ends(snapshot: Snapshot, calls: list[Edge]) -> Iterable[tuple[str, str, Edge]]:
    """Yield the service-graph ends of each call: its service and the services behind its caller."""
    graph = snapshot.graph
    addressed: dict[str, set[str]] = {}
    for edge in calls:
        if edge.service in graph and snapshot.node(edge.service).kind is NodeKind.SERVICE:
            addressed.setdefault(edge.target, set()).add(edge.service)
    for edge in calls:
        target = edge.service if edge.service in graph else edge.target
        for source in sorted(addressed.get(edge.source, ())) or [edge.source]:
            yield source, target, edge
