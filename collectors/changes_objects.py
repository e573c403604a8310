"""Changes the objects themselves record: new ReplicaSet revisions, container terminations,
and Istio configuration written.

The live source reads Warning Events only, so without these a live snapshot would show no
rollout at all; where an Event reports the same change, the Event's change is kept (see
:mod:`collectors.changes`).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from types import MappingProxyType
from typing import Any

from collectors.changes_context import ChangeContext, clean, moment, object_text
from collectors.cluster import KubeObject
from collectors.inventory._istio import NETWORKING, SECURITY, is_istio
from collectors.inventory._objects import (
    annotations_of,
    controller_of,
    images_of,
    integer,
    mapping,
    metadata,
    name_of,
    namespace_of,
    sequence,
    text,
)
from collectors.kinds import ChangeKind
from collectors.model import Change

__all__ = [
    "ISTIO_CONFIG_KINDS",
    "Revision",
    "istio_changes",
    "pod_restarts",
    "revision_changes",
    "rollout_revisions",
]

REVISION = "deployment.kubernetes.io/revision"
REVISION_HISTORY = "deployment.kubernetes.io/revision-history"

ISTIO_CONFIG_KINDS: Mapping[str, str] = MappingProxyType(
    {
        "VirtualService": NETWORKING,
        "DestinationRule": NETWORKING,
        "Gateway": NETWORKING,
        "ServiceEntry": NETWORKING,
        "Sidecar": NETWORKING,
        "EnvoyFilter": NETWORKING,
        "PeerAuthentication": SECURITY,
        "AuthorizationPolicy": SECURITY,
        "RequestAuthentication": SECURITY,
    }
)
"""Istio kinds whose writes are CONFIG changes, with their API group."""


@dataclass(frozen=True, slots=True)
class Revision:
    """A ReplicaSet created as a new revision of its Deployment."""

    namespace: str
    deployment: str
    replica_set: str
    number: int  # 0 when the ReplicaSet carries no revision annotation
    created: datetime
    images: str

    @property
    def deployment_object(self) -> str:
        """The Deployment, as people write it."""
        return object_text("Deployment", self.namespace, self.deployment)


def rollout_revisions(context: ChangeContext) -> list[Revision]:
    """ReplicaSets that rolled a revision out: revision above 1, or not the Deployment's first.

    A ReplicaSet brought back by ``kubectl rollout undo`` gets a new revision number but keeps
    its creation time; ``revision-history`` keeps the numbers it had, and the first of them is
    the one its creation rolled out.
    """
    by_deployment: dict[tuple[str, str], list[Revision]] = {}
    for replica_set in context.of_kind("ReplicaSet"):
        owner = controller_of(replica_set)
        created = moment(metadata(replica_set).get("creationTimestamp"))
        if owner is None or owner.kind != "Deployment" or created is None:
            continue
        annotations = annotations_of(replica_set)
        numbers = [annotations.get(REVISION, ""), *annotations.get(REVISION_HISTORY, "").split(",")]
        known = [integer(number.strip()) for number in numbers if integer(number.strip()) > 0]
        template = mapping(mapping(replica_set.get("spec")).get("template"))
        namespace = namespace_of(replica_set)
        by_deployment.setdefault((namespace, owner.name), []).append(
            Revision(
                namespace=namespace,
                deployment=owner.name,
                replica_set=name_of(replica_set),
                number=min(known, default=0),
                created=created,
                images=images_of(mapping(template.get("spec"))),
            )
        )
    found = []
    for revisions in by_deployment.values():
        first = min(revisions, key=lambda r: (r.created, r.number or 1 << 30, r.replica_set))
        found += [r for r in revisions if r.number > 1 or r is not first]
    return found


def revision_changes(context: ChangeContext, revisions: Sequence[Revision]) -> list[Change]:
    """A ROLLOUT change for each revision, at its ReplicaSet's creation."""
    found = []
    for revision in revisions:
        which = f"revision {revision.number}" if revision.number else "a new revision"
        images = revision.images.split(",") if revision.images else []
        label = "images" if len(images) > 1 else "image"
        shown = f" ({label} {', '.join(images)})" if images else ""
        found.append(
            Change(
                at=revision.created,
                kind=ChangeKind.ROLLOUT,
                object=revision.deployment_object,
                message=clean(f"{revision.deployment_object} rolled out {which}{shown}"),
                node=context.workload_node("Deployment", revision.namespace, revision.deployment),
                reason="NewReplicaSetCreated",
            )
        )
    return found


def pod_restarts(context: ChangeContext) -> list[Change]:
    """A RESTART change per pod at its most recent container termination (``lastState``)."""
    found = []
    for pod in context.of_kind("Pod"):
        ended = [
            (finished, status, terminated)
            for status, terminated in _last_terminations(pod)
            if (finished := moment(terminated.get("finishedAt"))) is not None
        ]
        if not ended:
            continue
        finished, status, terminated = max(ended, key=lambda entry: entry[0])
        reason = text(terminated.get("reason")) or "Terminated"
        code = text(terminated.get("exitCode"))
        restarts = integer(status.get("restartCount"))
        exit_text = f" (exit code {code})" if code else ""
        message = (
            f"container {text(status.get('name'))} {reason}{exit_text}; "
            f"{restarts} restart{'s' * (restarts != 1)} so far"
        )
        name, namespace = name_of(pod), namespace_of(pod)
        found.append(
            Change(
                at=finished,
                kind=ChangeKind.RESTART,
                object=object_text("Pod", namespace, name),
                message=clean(message),
                node=context.node_of("Pod", namespace, name),
                reason=clean(reason, limit=80),
                warning=reason != "Completed" or code not in ("", "0"),
            )
        )
    return found


def _last_terminations(pod: KubeObject) -> Iterator[tuple[Mapping[str, Any], Mapping[str, Any]]]:
    status = mapping(pod.get("status"))
    for key in ("initContainerStatuses", "containerStatuses"):
        for entry in sequence(status.get(key)):
            container = mapping(entry)
            terminated = mapping(mapping(container.get("lastState")).get("terminated"))
            if terminated:
                yield container, terminated


def istio_changes(context: ChangeContext) -> list[Change]:
    """CONFIG changes per Istio object: its creation, and each later write ``managedFields`` keep.

    ``managedFields`` keeps the last write of each field manager (``kubectl-edit``, ``helm``,
    ``argocd-controller``...), so an object edited by two tools shows both edits, and the newest
    is when it last changed. Writes to the ``status`` subresource (istiod's validation and
    distribution reports) are not configuration changes and do not count.
    """
    found = []
    for kind, group in ISTIO_CONFIG_KINDS.items():
        for obj in context.of_kind(kind):
            if not is_istio(obj, kind, group):
                continue
            shown = object_text(kind, namespace_of(obj), name_of(obj))
            node = context.istio_node(obj)
            created = moment(metadata(obj).get("creationTimestamp"))
            said = [(created, "created")] if created is not None else []
            for when, managers in _writes(obj).items():
                if created is None or when > created:
                    by = f" by {', '.join(managers)}" if managers else ""
                    said.append((when, f"changed{by}"))
            found += [
                Change(
                    at=at,
                    kind=ChangeKind.CONFIG,
                    object=shown,
                    message=clean(f"{shown} {what}"),
                    node=node,
                )
                for at, what in said
            ]
    return found


def _writes(obj: KubeObject) -> dict[datetime, list[str]]:
    """When ``managedFields`` says the object was written, outside ``status``, and by whom."""
    writes: dict[datetime, list[str]] = {}
    for entry in sequence(metadata(obj).get("managedFields")):
        field_set = mapping(entry)
        when = moment(field_set.get("time"))
        if when is None or text(field_set.get("subresource")) == "status":
            continue
        managers = writes.setdefault(when, [])
        manager = text(field_set.get("manager"))
        if manager and manager not in managers:
            managers.append(manager)
    return writes
