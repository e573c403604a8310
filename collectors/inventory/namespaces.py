"""Namespace nodes and whether each namespace is in the Istio mesh."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from collectors.cluster import KubeObject
from collectors.inventory._objects import (
    PartBuilder,
    labels_of,
    mapping,
    name_of,
    namespace_of,
    text,
)
from collectors.kinds import NodeKind


@dataclass(frozen=True, slots=True)
class MeshMode:
    """How Istio treats the pods of one namespace."""

    sidecar: bool = False  # the injector adds istio-proxy to new pods
    ambient: bool = False  # ztunnel carries the traffic; no sidecar is expected

    @property
    def in_mesh(self) -> bool:
        """Whether the namespace's traffic is meant to be seen by Istio."""
        return self.sidecar or self.ambient


def mesh_mode(labels: dict[str, str]) -> MeshMode:
    """Return the mesh mode Istio derives from a namespace's labels.

    ``istio-injection`` wins over ``istio.io/rev`` (either value), as in Istio's injector
    webhook selectors; ``istio.io/dataplane-mode=ambient`` puts the namespace in ambient mode.
    """
    ambient = labels.get("istio.io/dataplane-mode") == "ambient"
    injection = labels.get("istio-injection")
    sidecar = injection == "enabled" if injection is not None else "istio.io/rev" in labels
    return MeshMode(sidecar=sidecar and not ambient, ambient=ambient)


def add_namespaces(builder: PartBuilder, objects: Iterable[KubeObject]) -> dict[str, MeshMode]:
    """Add a node per Namespace object and per namespace other objects live in.

    Namespaces known only from their objects get ``observed=False`` and no mesh, since
    nothing says how they are labelled. Returns the mesh mode of every namespace.
    """
    listed: dict[str, KubeObject] = {}
    used: dict[str, None] = {}
    for obj in objects:
        if obj.get("kind") == "Namespace" and name_of(obj):
            listed[name_of(obj)] = obj
        elif namespace_of(obj):
            used[namespace_of(obj)] = None
    modes: dict[str, MeshMode] = {}
    for name, obj in listed.items():
        labels = labels_of(obj)
        mode = mesh_mode(labels)
        modes[name] = mode
        builder.node(
            NodeKind.NAMESPACE,
            name,
            labels=labels,
            attrs={
                "mesh": mode.in_mesh,
                "ambient": mode.ambient,
                "revision": labels.get("istio.io/rev", ""),
                "phase": text(mapping(obj.get("status")).get("phase")),
                "observed": True,
            },
        )
    for name in used:
        if name not in listed:
            modes[name] = MeshMode()
            builder.node(
                NodeKind.NAMESPACE,
                name,
                attrs={"mesh": False, "ambient": False, "revision": "", "observed": False},
            )
    return modes
