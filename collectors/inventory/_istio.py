"""What the Istio configuration modules share: service host names, and what they found.

Istio names a service by host: a short name (``reviews``) is read in the namespace of the rule
that wrote it, not the service's; ``reviews.bookinfo``, ``reviews.bookinfo.svc`` and
``reviews.bookinfo.svc.cluster.local`` name it from anywhere; ``*.bookinfo.svc.cluster.local``
and ``*`` match every service whose fully qualified name they cover.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from collectors import istio_hosts
from collectors.cluster import KubeObject
from collectors.inventory._objects import metadata, name_of, namespace_of, text
from collectors.kinds import NodeFlag
from collectors.model import Node

NETWORKING = "networking.istio.io"
SECURITY = "security.istio.io"
ROOT_NAMESPACE = "istio-system"
"""Istio's default ``meshConfig.rootNamespace``: its policies without a selector are mesh-wide."""
EXACT_HOST = 1 << 16
"""Specificity of an exact host: above any wildcard, whose specificity is its suffix length."""


def is_istio(obj: KubeObject, kind: str, group: str) -> bool:
    """Whether ``obj`` is an Istio object of this kind (an object without apiVersion counts)."""
    if obj.get("kind") != kind or not name_of(obj):
        return False
    api = text(obj.get("apiVersion"))
    return not api or api.split("/", 1)[0] == group


def age_key(obj: KubeObject) -> tuple[str, str]:
    """Sort key putting the oldest object first, as Istio breaks ties; undated ones last."""
    return text(metadata(obj).get("creationTimestamp")) or "~", name_of(obj)


def object_ref(obj: KubeObject, namespace: str) -> str:
    """Name an object as seen from ``namespace``: ``name`` there, ``namespace/name`` elsewhere."""
    own = namespace_of(obj)
    return name_of(obj) if own == namespace else f"{own}/{name_of(obj)}"


def fqdn(service: Node) -> str:
    """Return the fully qualified host of a service node."""
    return istio_hosts.fqdn(service.name, service.namespace)


class ServiceIndex:
    """Service nodes looked up by the host names Istio objects write."""

    def __init__(self, services: Iterable[Node]) -> None:
        self._services = list(services)
        self._by_name = {(node.namespace, node.name): node for node in self._services}

    def resolve(self, host: Any, namespace: str) -> list[tuple[Node, int]]:
        """Return the services ``host`` names when written in ``namespace``, with specificity.

        >>> from collectors.kinds import NodeKind
        >>> index = ServiceIndex([Node("s", NodeKind.SERVICE, "reviews", "bookinfo")])
        >>> [(n.name, rank) for n, rank in index.resolve("reviews", "bookinfo")]
        [('reviews', 65536)]
        >>> index.resolve("reviews", "default")
        []
        >>> [rank for _, rank in index.resolve("*.svc.cluster.local", "default")]
        [18]
        """
        name = istio_hosts.fqdn(text(host), namespace)
        if "*" in name:
            specificity = len(name) - 1 if name.startswith("*.") else 0
            return [
                (node, specificity)
                for node in self._services
                if istio_hosts.host_matches(name, fqdn(node))
            ]
        service = istio_hosts.service_of(name)
        found = self._by_name.get(service) if service is not None else None
        return [(found, EXACT_HOST)] if found is not None else []

    def nodes(self, host: Any, namespace: str) -> list[Node]:
        """Return the services ``host`` names when written in ``namespace``."""
        return [node for node, _ in self.resolve(host, namespace)]


@dataclass(slots=True)
class Findings:
    """Flags and one-line notes collected per node id, to be set on the nodes at the end.

    Notes under one attribute key are kept once each, in the order found, and joined with
    ``"; "`` when applied.
    """

    flags: dict[str, set[NodeFlag]] = field(default_factory=dict)
    notes: dict[str, dict[str, list[str]]] = field(default_factory=dict)

    def add(self, node_ids: Iterable[str], flag: NodeFlag | None, key: str, note: str) -> None:
        """Record ``flag`` (if any) and the note ``key: note`` on each node."""
        for node_id in node_ids:
            if flag is not None:
                self.flags.setdefault(node_id, set()).add(flag)
            if note:
                kept = self.notes.setdefault(node_id, {}).setdefault(key, [])
                if note not in kept:
                    kept.append(note)

    def copy(self, source: str, target: str) -> None:
        """Record on ``target`` everything recorded on ``source``."""
        if source in self.flags:
            self.flags.setdefault(target, set()).update(self.flags[source])
        for key, notes in self.notes.get(source, {}).items():
            for note in notes:
                self.add([target], None, key, note)

    def apply(self, nodes: Mapping[str, Node]) -> None:
        """Set what was found on the nodes (ids not among ``nodes`` are ignored)."""
        for node_id, flags in self.flags.items():
            if node_id in nodes:
                nodes[node_id].flags |= flags
        for node_id, notes in self.notes.items():
            if node_id in nodes:
                for key, kept in notes.items():
                    # Sorted: files and the API server list objects in different orders.
                    nodes[node_id].attrs[key] = "; ".join(sorted(kept))
