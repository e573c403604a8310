"""What every check is made of: its identity, what it reports, and the indexes it reads.

A check is a pure function from a :class:`CheckContext` (the cluster objects plus the snapshot
built from them) to :class:`Hit` values; the registry gives each hit the check's stable code,
severity and default hint. Indexes are built once per run, so no check loops over the objects
of another kind per object (the mistake that made Kiali's validations slow on big meshes).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any, TypeVar

from collectors.cluster import KubeObject
from collectors.ids import DEFAULT_CLUSTER, node_id
from collectors.inventory._objects import (
    labels_of,
    mapping,
    name_of,
    namespace_of,
    selector_matches,
)
from collectors.inventory.workloads import WORKLOAD_KINDS, pod_template
from collectors.kinds import EdgeKind, NodeKind, Severity
from collectors.model import Snapshot

__all__ = ["CHECKS", "Check", "CheckContext", "Hit", "LabelSet", "check"]


@dataclass(frozen=True, slots=True)
class Hit:
    """One object a check found wrong; ``hint`` overrides the check's own when more precise."""

    obj: KubeObject
    message: str
    node: str = ""
    hint: str = ""


@dataclass(frozen=True, slots=True)
class LabelSet:
    """The labels of a pod (or of a workload's pod template) and the workload node it is."""

    namespace: str
    labels: Mapping[str, str]
    workload: str  # node id, "" when the graph has none for it


CheckFunction = Callable[["CheckContext"], Iterable[Hit]]
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Check:
    """A troubleshooting check: stable code, severity, what it looks for, what to do."""

    code: str
    severity: Severity
    title: str  # what it looks for, as the check list and ``meshlens check --list`` show it
    hint: str  # what to do about a finding, one line
    run: CheckFunction


CHECKS: list[Check] = []
"""Every check, in the order their modules register them (sorted by code when listed)."""


def check(
    code: str, severity: Severity, title: str, *, hint: str
) -> Callable[[CheckFunction], CheckFunction]:
    """Register the decorated function as the check ``code``."""

    def register(function: CheckFunction) -> CheckFunction:
        if any(known.code == code for known in CHECKS):
            raise ValueError(f"check code {code} registered twice")
        CHECKS.append(Check(code, severity, title, hint, function))
        return function

    return register


class CheckContext:
    """The objects a source read and the snapshot built from them, indexed for the checks."""

    def __init__(self, items: Sequence[KubeObject], snapshot: Snapshot) -> None:
        self.items = items
        self.snapshot = snapshot
        self.cluster = next((node.cluster for node in snapshot.nodes()), DEFAULT_CLUSTER)
        grouped: dict[str, list[KubeObject]] = defaultdict(list)
        for item in items:
            grouped[str(item.get("kind", ""))].append(item)
        self._by_kind = dict(grouped)
        self._shared: dict[Callable[..., Any], Any] = {}

    def shared(self, build: Callable[[CheckContext], T]) -> T:
        """``build(self)``, computed once per run for every check that asks for it."""
        if build not in self._shared:
            self._shared[build] = build(self)
        found: T = self._shared[build]
        return found

    def of_kind(self, *kinds: str) -> list[KubeObject]:
        """The objects of these kinds, in the order they were read."""
        return [item for kind in kinds for item in self._by_kind.get(kind, ())]

    def node(self, kind: NodeKind, name: str, namespace: str = "") -> str:
        """The id of this graph node, ``""`` when the snapshot has no such node."""
        identifier = node_id(kind, name, namespace, self.cluster)
        return identifier if identifier in self.snapshot.graph else ""

    def node_of(self, obj: KubeObject) -> str:
        """The graph node a finding on ``obj`` is drawn on: a pod's is its workload's."""
        kind, name, namespace = str(obj.get("kind", "")), name_of(obj), namespace_of(obj)
        if kind == "Pod":
            return self._owner_of_pod.get(self.node(NodeKind.POD, name, namespace), "")
        if kind in WORKLOAD_KINDS:
            return self.node(NodeKind.WORKLOAD, name, namespace)
        if kind == "Service":
            return self.node(NodeKind.SERVICE, name, namespace)
        if kind == "Node":
            return self.node(NodeKind.MACHINE, name)
        return ""

    @cached_property
    def _owner_of_pod(self) -> dict[str, str]:
        return {
            edge.target: edge.source
            for edge in self.snapshot.edges(EdgeKind.OWNS)
            if edge.target.startswith("pod:")
        }

    @cached_property
    def mesh_namespaces(self) -> frozenset[str]:
        """Namespaces whose pods get the Istio sidecar injected."""
        return frozenset(
            node.name
            for node in self.snapshot.nodes(NodeKind.NAMESPACE)
            if node.attrs.get("mesh") is True and node.attrs.get("ambient") is not True
        )

    @cached_property
    def label_sets(self) -> list[LabelSet]:
        """What selectors can match: the pods read, else (manifests) the pod templates.

        A namespace whose pods were not read (``kubectl apply``-style manifests) is judged by
        its workloads' templates, which is what its pods will be labelled with.
        """
        with_pods = {namespace_of(pod) for pod in self.of_kind("Pod")}
        found = [
            LabelSet(namespace_of(pod), labels_of(pod), self.node_of(pod))
            for pod in self.of_kind("Pod")
        ]
        for controller in self.of_kind(*WORKLOAD_KINDS):
            namespace = namespace_of(controller)
            if namespace not in with_pods:
                template = {"metadata": mapping(pod_template(controller).get("metadata"))}
                found.append(LabelSet(namespace, labels_of(template), self.node_of(controller)))
        return found

    def selected(self, selector: Mapping[str, str], namespace: str | None) -> list[LabelSet]:
        """Pods (or templates) matched by an equality selector, in one namespace or in all."""
        return [
            found
            for found in self.label_sets
            if (namespace is None or found.namespace == namespace)
            and selector_matches(selector, found.labels)
        ]
