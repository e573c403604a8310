"""Reading raw Kubernetes objects safely, and collecting the nodes and edges found in them.

Objects come from YAML files people wrote or from the API server; any field may be absent or
of the wrong type, so every accessor here returns an empty value instead of raising.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from collectors.cluster import KubeObject
from collectors.ids import node_id
from collectors.kinds import EdgeKind, NodeKind
from collectors.model import Edge, GraphPart, Node, Scalar

CLUSTER_SCOPED_KINDS = frozenset(
    {
        "APIService",
        "ClusterRole",
        "ClusterRoleBinding",
        "CSIDriver",
        "CustomResourceDefinition",
        "GatewayClass",
        "IngressClass",
        "MutatingWebhookConfiguration",
        "Namespace",
        "Node",
        "PersistentVolume",
        "PriorityClass",
        "RuntimeClass",
        "StorageClass",
        "ValidatingWebhookConfiguration",
        "VolumeAttachment",
    }
)
"""Kinds that live outside namespaces (the built-in ones a cluster dump commonly holds)."""

Fields = Mapping[str, Any]


def mapping(value: Any) -> Fields:
    """Return ``value`` if it is a mapping, else an empty one."""
    return value if isinstance(value, Mapping) else {}


def sequence(value: Any) -> list[Any]:
    """Return ``value`` if it is a list, else an empty one."""
    return value if isinstance(value, list) else []


def text(value: Any) -> str:
    """Return a scalar as the API would print it; ``""`` for absent or structured values."""
    if value is None or isinstance(value, (Mapping, list)):
        return ""
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            return value.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="seconds") + "Z"
        return value.isoformat()
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def integer(value: Any, default: int = 0) -> int:
    """Return an integer field, ``default`` when absent or not a number."""
    if isinstance(value, bool):
        return default
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        try:
            return int(value)
        except ValueError:
            return default
    return default


def metadata(obj: KubeObject) -> Fields:
    """Return the object's metadata."""
    return mapping(obj.get("metadata"))


def name_of(obj: KubeObject) -> str:
    """Return metadata.name, ``""`` when missing (``generateName``-only objects)."""
    return text(metadata(obj).get("name"))


def namespace_of(obj: KubeObject) -> str:
    """Return the namespace the object lives in, ``default`` for namespaced kinds without one.

    ``kubectl apply`` puts objects without a namespace into the current context's namespace,
    which for a manifest read offline is ``default``.
    """
    if obj.get("kind") in CLUSTER_SCOPED_KINDS:
        return ""
    return text(metadata(obj).get("namespace")) or "default"


def string_map(value: Any) -> dict[str, str]:
    """Return a label or annotation map with every value as text."""
    return {str(key): text(item) for key, item in mapping(value).items()}


def labels_of(obj: Fields) -> dict[str, str]:
    """Return the labels of an object or of a pod template."""
    return string_map(mapping(obj.get("metadata")).get("labels"))


def annotations_of(obj: Fields) -> dict[str, str]:
    """Return the annotations of an object or of a pod template."""
    return string_map(mapping(obj.get("metadata")).get("annotations"))


@dataclass(frozen=True, slots=True)
class OwnerRef:
    """The controlling owner named in ``metadata.ownerReferences``."""

    kind: str
    name: str


def controller_of(obj: KubeObject) -> OwnerRef | None:
    """Return the owner marked ``controller: true``, else the first owner, else ``None``."""
    owners = [mapping(ref) for ref in sequence(metadata(obj).get("ownerReferences"))]
    owners = [ref for ref in owners if text(ref.get("kind")) and text(ref.get("name"))]
    if not owners:
        return None
    chosen = next((ref for ref in owners if ref.get("controller") is True), owners[0])
    return OwnerRef(text(chosen.get("kind")), text(chosen.get("name")))


def condition_status(obj: Fields, condition: str) -> bool | None:
    """Return whether ``status.conditions[type=condition]`` is True; ``None`` when unreported."""
    for item in sequence(mapping(obj.get("status")).get("conditions")):
        entry = mapping(item)
        if entry.get("type") == condition:
            return text(entry.get("status")) == "True"
    return None


def selector_text(selector: Mapping[str, str]) -> str:
    """An equality selector as ``kubectl -l`` takes it: ``app=web,version=v1``."""
    return ",".join(f"{key}={value}" for key, value in sorted(selector.items()))


def selector_matches(selector: Mapping[str, str], labels: Mapping[str, str]) -> bool:
    """Return whether every key/value of a (non-empty) equality selector is in ``labels``."""
    return bool(selector) and all(labels.get(key) == value for key, value in selector.items())


_CANONICAL_NAME_LABELS = ("service.istio.io/canonical-name", "app.kubernetes.io/name", "app")
_CANONICAL_REVISION_LABELS = (
    "service.istio.io/canonical-revision",
    "app.kubernetes.io/version",
    "version",
)


def canonical_app(labels: Mapping[str, str], workload_name: str) -> tuple[str, str]:
    """Return Istio's canonical service and revision for pods with these labels.

    Each is the first label present in Istio's order; the service defaults to the workload
    name and the revision to ``latest``, as the sidecar injector does.
    """
    app = next((labels[key] for key in _CANONICAL_NAME_LABELS if labels.get(key)), workload_name)
    version = next((labels[key] for key in _CANONICAL_REVISION_LABELS if labels.get(key)), "latest")
    return app, version


GPU_RESOURCE = "nvidia.com/gpu"
GPU_PRODUCT_LABEL = "nvidia.com/gpu.product"
"""The GPU model, as GPU feature discovery labels a node (``NVIDIA-H100-80GB-HBM3``) and as pods
name it in their node selector."""


def container_gpus(container: Fields) -> int:
    """Return the GPUs one container asks for (extended resources: limits, else requests)."""
    resources = mapping(container.get("resources"))
    for section in ("limits", "requests"):
        amount = quantity(mapping(resources.get(section)).get(GPU_RESOURCE))
        if amount is not None:
            return int(amount)
    return 0


def pod_spec_gpus(spec: Fields) -> int:
    """Return the GPUs a pod spec needs: all app containers at once, or the largest init."""
    running = sum(container_gpus(mapping(c)) for c in sequence(spec.get("containers")))
    init = [container_gpus(mapping(c)) for c in sequence(spec.get("initContainers"))]
    return max([running, *init])


MIG_RESOURCE_PREFIX = "nvidia.com/mig-"
"""MIG instances as the device plugin offers them (mixed strategy): ``nvidia.com/mig-1g.5gb``."""


def mig_resources(resources: Fields) -> dict[str, int]:
    """Return the MIG instances in one resource map (requests, limits, capacity), by profile.

    >>> mig_resources({"nvidia.com/mig-1g.5gb": "2", "nvidia.com/gpu": 1, "cpu": "1"})
    {'1g.5gb': 2}
    """
    found: dict[str, int] = {}
    for name, value in resources.items():
        profile = str(name).removeprefix(MIG_RESOURCE_PREFIX)
        amount = quantity(value)
        if str(name).startswith(MIG_RESOURCE_PREFIX) and profile and amount is not None:
            found[profile] = found.get(profile, 0) + int(amount)
    return found


def container_mig(container: Fields) -> dict[str, int]:
    """Return the MIG instances one container asks for, by profile (limits, else requests)."""
    resources = mapping(container.get("resources"))
    for section in ("limits", "requests"):
        found = mig_resources(mapping(resources.get(section)))
        if found:
            return found
    return {}


def pod_spec_mig(spec: Fields) -> dict[str, int]:
    """Return the MIG instances a pod spec needs, by profile: as :func:`pod_spec_gpus` does."""
    running: dict[str, int] = {}
    for container in sequence(spec.get("containers")):
        for profile, count in container_mig(mapping(container)).items():
            running[profile] = running.get(profile, 0) + count
    for container in sequence(spec.get("initContainers")):
        for profile, count in container_mig(mapping(container)).items():
            running[profile] = max(running.get(profile, 0), count)
    return running


def images_of(spec: Fields) -> str:
    """Return the app containers' images, comma-separated, in spec order."""
    images = (text(mapping(c).get("image")) for c in sequence(spec.get("containers")))
    return ",".join(dict.fromkeys(image for image in images if image))


_QUANTITY = re.compile(
    r"^([+-]?(?:\d+\.?\d*|\.\d+))(?:([eE][+-]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]))?$"
)
_SUFFIX_FACTORS = {
    "n": 1e-9, "u": 1e-6, "m": 1e-3, "k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12, "P": 1e15,
    "E": 1e18, "Ki": 2.0**10, "Mi": 2.0**20, "Gi": 2.0**30, "Ti": 2.0**40, "Pi": 2.0**50,
    "Ei": 2.0**60,
}  # fmt: skip


def quantity(value: Any) -> float | None:
    """Parse a Kubernetes resource quantity (``"500m"``, ``"32Gi"``, ``4``); ``None`` if invalid.

    >>> quantity("500m"), quantity("1Ki"), quantity(2)
    (0.5, 1024.0, 2.0)
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    found = _QUANTITY.match(text(value).strip())
    if found is None:
        return None
    number, exponent, suffix = found.groups()
    if exponent:
        return float(number + exponent)
    return float(number) * _SUFFIX_FACTORS.get(suffix or "", 1.0)


@dataclass(slots=True)
class PartBuilder:
    """Nodes and edges collected by the inventory, deduplicated by id.

    The first node added under an id wins, so an artifact named by two workflows and an
    InferenceService stays one node; edges are unique per (source, target, kind).
    """

    cluster: str
    nodes: dict[str, Node] = field(default_factory=dict)
    edges: dict[tuple[str, str, str], Edge] = field(default_factory=dict)

    def node(
        self,
        kind: NodeKind,
        name: str,
        namespace: str = "",
        *,
        labels: Mapping[str, str] | None = None,
        attrs: Mapping[str, Scalar] | None = None,
        app: str = "",
        version: str = "",
    ) -> Node:
        """Add a node (unless one with its id exists) and return the node kept under that id."""
        identifier = node_id(kind, name, namespace, self.cluster)
        existing = self.nodes.get(identifier)
        if existing is not None:
            return existing
        created = Node(
            id=identifier,
            kind=kind,
            name=name,
            namespace=namespace,
            cluster=self.cluster,
            app=app,
            version=version,
            labels=dict(labels or {}),
            attrs=dict(attrs or {}),
        )
        self.nodes[identifier] = created
        return created

    def add(self, node: Node) -> Node:
        """Add a node built elsewhere (unless its id exists); return the node kept."""
        return self.nodes.setdefault(node.id, node)

    def edge(
        self, source: str, target: str, kind: EdgeKind, attrs: Mapping[str, Scalar] | None = None
    ) -> None:
        """Add a structural edge between two nodes already added."""
        for end in (source, target):
            if end not in self.nodes:
                raise KeyError(f"{kind.value} edge refers to a node not added: {end}")
        self.edges.setdefault(
            (source, target, kind.value), Edge(source, target, kind, attrs=dict(attrs or {}))
        )

    def part(self) -> GraphPart:
        """Return what was collected."""
        return GraphPart(nodes=list(self.nodes.values()), edges=list(self.edges.values()))
