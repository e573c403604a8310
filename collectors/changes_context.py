"""What the change readers share: times, one-line text, and the graph node an object is on.

Objects name each other by kind, namespace and name (an Event's ``involvedObject``, a pod's
owner); :class:`ChangeContext` turns such a reference into the graph node a person would look
at, with the resolvers the inventory and the checks already use, so a change lands on the same
node as that object's findings. Pure: nothing is modified.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from collectors.checks._base import CheckContext
from collectors.checks._istio import destination_host, routes, workload_selector
from collectors.cluster import KubeObject
from collectors.inventory._istio import ROOT_NAMESPACE, ServiceIndex
from collectors.inventory._objects import (
    CLUSTER_SCOPED_KINDS,
    controller_of,
    mapping,
    name_of,
    namespace_of,
    sequence,
    text,
)
from collectors.inventory.pods import ControllerIndex, resolve_owner
from collectors.inventory.workloads import CONTROLLER_KINDS, WORKLOAD_KINDS
from collectors.kinds import NodeKind
from collectors.model import Snapshot

DEDUPE_WINDOW = timedelta(minutes=2)
"""How close in time an Event and an object's own record must be to tell the same change."""

MESSAGE_LIMIT = 300
"""Longest message kept; the object itself holds the rest."""

_DIRECT_KINDS = {
    "Service": NodeKind.SERVICE,
    "InferenceService": NodeKind.INFERENCE_SERVICE,
    "Workflow": NodeKind.PIPELINE_RUN,
    "Namespace": NodeKind.NAMESPACE,
}
"""Kinds whose object is a graph node of its own name."""

# Pods name themselves after their controller: <replicaset>-<5 chars>, <statefulset>-<ordinal>.
_POD_CONTROLLERS = ("ReplicaSet", "StatefulSet", "DaemonSet", "Job")

# Credentials a message might quote (a probe's URL, a failing command line): never kept.
_SECRETS = re.compile(
    r"(?i)\b(bearer|basic)\s+[\w.~+/=-]{8,}"
    r"|\b(token|password|passwd|secret|api[_-]?key)([\"']?\s*[=:]\s*[\"']?)[^\s\"'&,;]+"
    r"|\beyJ[\w-]{6,}\.[\w-]{6,}\.[\w-]*"
)


def moment(value: Any) -> datetime | None:
    """Read an API timestamp (``2026-11-24T06:43:00Z``, MicroTime, or a parsed datetime) as UTC.

    >>> moment("2026-11-24T06:43:00.123456Z")
    datetime.datetime(2026, 11, 24, 6, 43, 0, 123456, tzinfo=datetime.timezone.utc)
    >>> moment("yesterday") is None
    True
    """
    if isinstance(value, datetime):
        found = value
    else:
        raw = text(value).strip()
        if not raw:
            return None
        try:
            found = datetime.fromisoformat(raw)
        except ValueError:
            return None
    # The API server always writes UTC; a naive time from a hand-written file is read as UTC.
    return found.replace(tzinfo=UTC) if found.tzinfo is None else found.astimezone(UTC)


def clean(value: str, limit: int = MESSAGE_LIMIT) -> str:
    """One line of printable text with credentials masked, cut to ``limit`` characters.

    Messages come from the cluster and from files anyone can write: a terminal escape or a
    newline in one must not reach a terminal or break a one-line layout.

    >>> clean("probe failed:\\n\\x1b[31mHTTP 500\\x1b[0m  token=abc123")
    'probe failed: ?[31mHTTP 500?[0m token=***'
    """
    words = " ".join(value.split())
    printable = "".join(ch if ch.isprintable() else "?" for ch in words)
    masked = _SECRETS.sub(_mask, printable)
    return masked if len(masked) <= limit else masked[: limit - 1] + "…"


def _mask(found: re.Match[str]) -> str:
    if found.group(1):
        return f"{found.group(1)} ***"
    if found.group(2):
        return f"{found.group(2)}{found.group(3)}***"
    return "***"


def object_text(kind: str, namespace: str, name: str) -> str:
    """An object as people write it: ``Deployment bookinfo/ratings-v1``, ``Node gpu-1``."""
    where = f"{namespace}/{name}" if namespace else name
    return clean(f"{kind} {where}", limit=MESSAGE_LIMIT)


class ChangeContext:
    """The objects read and the snapshot built from them, indexed to place changes on nodes."""

    def __init__(self, items: Sequence[KubeObject], snapshot: Snapshot) -> None:
        self.checks = CheckContext(items, snapshot)
        self.controllers: ControllerIndex = {
            (str(obj["kind"]), namespace_of(obj), name_of(obj)): obj
            for obj in self.checks.of_kind(*CONTROLLER_KINDS)
            if name_of(obj)
        }
        self._by_name = {
            (str(obj.get("kind", "")), namespace_of(obj), name_of(obj)): obj
            for obj in items
            if name_of(obj)
        }
        self._services = ServiceIndex(snapshot.nodes(NodeKind.SERVICE))

    def of_kind(self, *kinds: str) -> list[KubeObject]:
        """The objects of these kinds, in the order they were read."""
        return self.checks.of_kind(*kinds)

    def read(self, kind: str, namespace: str, name: str) -> KubeObject | None:
        """The object of this kind and name, when it was read."""
        return self._by_name.get((kind, namespace, name))

    def node_of(self, kind: str, namespace: str, name: str) -> str:
        """The graph node a change on this object belongs on, ``""`` when the graph has none.

        A pod's is its workload's (through its ReplicaSet or Job); a controller's is its
        workload's; a Node's is the machine; Istio objects' are the services their hosts name
        or the workloads their selector picks.
        """
        if kind == "Pod":
            return self._pod_workload(namespace, name)
        if kind in CONTROLLER_KINDS:
            return self.workload_node(kind, namespace, name)
        if kind == "Node":
            return self.checks.node(NodeKind.MACHINE, name)
        if kind == "HorizontalPodAutoscaler":
            target = mapping(self._spec(kind, namespace, name).get("scaleTargetRef"))
            target_kind, target_name = text(target.get("kind")), text(target.get("name"))
            return self.workload_node(target_kind, namespace, target_name) if target_name else ""
        if kind in _DIRECT_KINDS:
            return self.checks.node(_DIRECT_KINDS[kind], name, namespace)
        obj = self.read(kind, namespace, name)
        return self.istio_node(obj) if obj is not None else ""

    def workload_node(self, kind: str, namespace: str, name: str) -> str:
        """The workload node of a controller: a ReplicaSet's Deployment, a Job's CronJob."""
        if kind not in CONTROLLER_KINDS or not name:
            return ""
        controller = self.controllers.get((kind, namespace, name))
        if controller is None and kind == "ReplicaSet":
            # A ReplicaSet that was not read is named <deployment>-<pod-template-hash>.
            name = name.rsplit("-", 1)[0]
        elif controller is not None and kind in ("ReplicaSet", "Job"):
            owner = controller_of(controller)
            if owner is not None and owner.kind in WORKLOAD_KINDS:
                name = owner.name
        return self.checks.node(NodeKind.WORKLOAD, name, namespace)

    def _pod_workload(self, namespace: str, name: str) -> str:
        pod = self.read("Pod", namespace, name) or self._unread_pod(namespace, name)
        if pod is None:
            return ""
        owner = resolve_owner(pod, self.controllers)
        return self.checks.node(NodeKind.WORKLOAD, owner.name, namespace)

    def _unread_pod(self, namespace: str, name: str) -> KubeObject | None:
        """A pod known only by name (an Event outliving it), owned by a controller that was read.

        Only a controller actually read counts, so a bare pod whose name has a dash is not
        mistaken for some workload's.
        """
        prefix = name.rsplit("-", 1)[0]
        if prefix == name:
            return None
        for kind in _POD_CONTROLLERS:
            if (kind, namespace, prefix) in self.controllers:
                owner = {"kind": kind, "name": prefix, "controller": True}
                meta = {"name": name, "namespace": namespace, "ownerReferences": [owner]}
                return {"kind": "Pod", "metadata": meta}
        return None

    def istio_node(self, obj: KubeObject) -> str:
        """The node an Istio object is about: the first service its hosts name, else the first
        workload its selector picks, else ``""`` (mesh-wide policies, external hosts)."""
        namespace = namespace_of(obj)
        for host in _hosts(obj):
            ranked = [(rank, n) for n, rank in self._services.resolve(host, namespace) if rank]
            if ranked:
                return max(ranked, key=lambda found: found[0])[1].id
        selector = _selector(obj)
        if not selector:
            return ""
        # Gateways pick gateway pods anywhere; root-namespace policies apply mesh-wide.
        scope = None if obj.get("kind") == "Gateway" or namespace == ROOT_NAMESPACE else namespace
        picked = (found.workload for found in self.checks.selected(selector, scope))
        return next((workload for workload in picked if workload), "")

    def _spec(self, kind: str, namespace: str, name: str) -> Mapping[str, Any]:
        return mapping((self.read(kind, namespace, name) or {}).get("spec"))


def _hosts(obj: KubeObject) -> Iterable[str]:
    """The hosts an Istio object names, its own first (a VirtualService's routes after)."""
    spec = mapping(obj.get("spec"))
    kind = obj.get("kind")
    if kind == "DestinationRule":
        yield text(spec.get("host"))
    elif kind in ("VirtualService", "ServiceEntry"):
        yield from (text(host) for host in sequence(spec.get("hosts")))
    if kind == "VirtualService":
        for route in routes(obj):
            yield from (destination_host(obj, entry) for entry in route.destinations)


def _selector(obj: KubeObject) -> dict[str, str] | None:
    spec = mapping(obj.get("spec"))
    kind = obj.get("kind")
    if kind == "Gateway":
        labels = mapping(spec.get("selector"))
    elif kind == "EnvoyFilter":
        labels = mapping(mapping(spec.get("workloadSelector")).get("labels"))
    elif kind in ("Sidecar", "PeerAuthentication", "AuthorizationPolicy", "RequestAuthentication"):
        return workload_selector(obj)
    else:
        return None
    return {str(key): text(value) for key, value in labels.items()} or None


def involved_namespace(kind: str, written: str, fallback: str) -> str:
    """The namespace of an object an Event names: none for cluster-scoped kinds.

    Events about Nodes live in ``default`` but name no namespace for the Node itself.
    """
    if kind in CLUSTER_SCOPED_KINDS:
        return ""
    return written or fallback
