"""Source-shaped cluster objects: raw Kubernetes objects as the API server returns them."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

KubeObject = dict[str, Any]
"""One object as the API (or ``kubectl get -o yaml``) gives it: apiVersion, kind, metadata..."""


@dataclass(slots=True)
class ClusterObjects:
    """Everything a cluster source read, plus what it could not read and why.

    ``missing`` maps a kind (``"AuthorizationPolicy"``) to a one-line reason (``"403
    forbidden"``, ``"CRD not installed"``), so the rest of the snapshot can say what is absent.
    """

    items: list[KubeObject] = field(default_factory=list)
    missing: dict[str, str] = field(default_factory=dict)

    def of_kind(self, *kinds: str) -> Iterator[KubeObject]:
        """Iterate the objects of the given kinds, in the order they were read."""
        wanted = set(kinds)
        return (item for item in self.items if item.get("kind") in wanted)

    def extend(self, items: Iterable[KubeObject]) -> None:
        """Append objects."""
        self.items.extend(items)


class KubernetesError(Exception):
    """The cluster cannot be read at all; the message is one line for people.

    Defined here, not next to the client, so catching it does not import the ``kubernetes``
    package (over a second of start-up that ``meshlens check --manifests`` does not need).
    """
