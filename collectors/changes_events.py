"""Kubernetes Events as changes: what the controllers and the kubelet said happened, and when.

Both shapes are read: core ``v1`` (``involvedObject``, ``message``, ``count``,
``firstTimestamp``/``lastTimestamp``, or ``eventTime`` with ``series``) and
``events.k8s.io/v1`` (``regarding``, ``note``, ``deprecatedCount``, ``deprecated*Timestamp``).

Reasons map to kinds as :data:`REASON_KINDS` says; other Warning events are
:attr:`ChangeKind.EVENT`, other Normal ones are left out (pulls, starts, scheduling: noise).
The deployment controller's ``ScalingReplicaSet`` (and the ReplicaSet controller's
``SuccessfulCreate``/``SuccessfulDelete``) are a ROLLOUT when two revisions move together or a
new revision was created then, else a SCALE.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import MappingProxyType

from collectors.changes_context import ChangeContext, clean, involved_namespace, moment, object_text
from collectors.cluster import KubeObject
from collectors.inventory._objects import controller_of, integer, mapping, metadata, namespace_of
from collectors.inventory._objects import text as field_text
from collectors.kinds import ChangeKind
from collectors.model import Change

__all__ = ["REASON_KINDS", "ROLLOUT_WINDOW", "EventRecord", "event_changes", "read_event"]

ROLLOUT_WINDOW = timedelta(minutes=10)
"""How close two scaling steps (or a step and a new revision) must be to be one rollout.

Each step of a rolling update follows the previous one within the pods' start-up time, so a
long rollout is a chain of steps each near the next.
"""

REASON_KINDS: Mapping[str, ChangeKind] = MappingProxyType(
    {
        "BackOff": ChangeKind.RESTART,
        "CrashLoopBackOff": ChangeKind.RESTART,
        "OOMKilling": ChangeKind.RESTART,
        "OOMKilled": ChangeKind.RESTART,
        "Failed": ChangeKind.RESTART,
        "Unhealthy": ChangeKind.PROBE,
        "ProbeWarning": ChangeKind.PROBE,
        "FailedScheduling": ChangeKind.SCHEDULING,
        "Evicted": ChangeKind.SCHEDULING,
        "EvictionThresholdMet": ChangeKind.SCHEDULING,
        "TaintManagerEviction": ChangeKind.SCHEDULING,
        "Preempted": ChangeKind.SCHEDULING,
        "Preempting": ChangeKind.SCHEDULING,
        "NodeNotReady": ChangeKind.SCHEDULING,
        "NodeNotSchedulable": ChangeKind.SCHEDULING,
        "SuccessfulRescale": ChangeKind.SCALE,
    }
)
"""Event reasons and the change they stand for, whatever the Event's type (Kubernetes writes
``NodeNotReady`` and ``Preempted`` as Normal). ``Killing`` is a RESTART when the message says
OOM or a failed liveness probe."""

_SCALING = "ScalingReplicaSet"
_POD_CHURN = frozenset({"SuccessfulCreate", "SuccessfulDelete"})
# "Scaled up replica set web-5d9c7b8f4 to 3 from 1" (and "from 1 to 3", "to 3" in older releases)
_SCALED_SET = re.compile(r"replica set ([\w.-]+)")


@dataclass(frozen=True, slots=True)
class EventRecord:
    """One Event, read from either shape."""

    reason: str
    warning: bool
    message: str
    count: int
    first: datetime
    last: datetime | None
    kind: str  # of the object the Event is about
    namespace: str
    name: str

    @property
    def end(self) -> datetime:
        """When it was last seen."""
        return self.last or self.first

    @property
    def object(self) -> str:
        """The object it is about, as people write it."""
        return object_text(self.kind, self.namespace, self.name)

    def near(self, other: EventRecord | datetime, window: timedelta) -> bool:
        """Whether the two spans come within ``window`` of each other (a time is a span of none)."""
        first, end = (other, other) if isinstance(other, datetime) else (other.first, other.end)
        return first - window <= self.end and self.first - window <= end


def read_event(obj: KubeObject) -> EventRecord | None:
    """An Event of either shape; ``None`` when it names no object or carries no time."""
    involved = mapping(obj.get("involvedObject")) or mapping(obj.get("regarding"))
    kind, name = field_text(involved.get("kind")), field_text(involved.get("name"))
    series = mapping(obj.get("series"))
    first = _first_time(
        obj.get("firstTimestamp"),
        obj.get("deprecatedFirstTimestamp"),
        obj.get("eventTime"),
        metadata(obj).get("creationTimestamp"),
    )
    if not kind or not name or first is None:
        return None
    last = _first_time(
        series.get("lastObservedTime"),
        obj.get("lastTimestamp"),
        obj.get("deprecatedLastTimestamp"),
    )
    counts = (series.get("count"), obj.get("count"), obj.get("deprecatedCount"))
    return EventRecord(
        reason=clean(field_text(obj.get("reason")), limit=80),
        warning=field_text(obj.get("type")) == "Warning",
        message=clean(field_text(obj.get("message")) or field_text(obj.get("note"))),
        count=max(1, *(integer(value) for value in counts)),
        first=first,
        last=last if last is not None and last > first else None,
        kind=kind,
        namespace=involved_namespace(
            kind, field_text(involved.get("namespace")), namespace_of(obj)
        ),
        name=name,
    )


def _first_time(*values: object) -> datetime | None:
    return next((found for found in map(moment, values) if found is not None), None)


def scaled_replica_set(record: EventRecord) -> str:
    """The ReplicaSet a scaling Event moved, ``""`` when it names none."""
    if record.reason in _POD_CHURN and record.kind == "ReplicaSet":
        return record.name
    found = _SCALED_SET.search(record.message) if record.reason == _SCALING else None
    return found.group(1) if found else ""


def event_changes(
    context: ChangeContext,
    records: Sequence[EventRecord],
    revisions: Mapping[tuple[str, str], Sequence[datetime]],
) -> list[Change]:
    """The changes the Events report.

    ``revisions`` holds, per ``(namespace, deployment)``, when its ReplicaSets were created as
    new revisions: a scaling step near one is part of that rollout.
    """
    about = [(record, _deployment_of(context, record)) for record in records]
    scaling: dict[tuple[str, str], list[EventRecord]] = {}
    for record, deployment in about:
        if deployment is not None:
            scaling.setdefault(deployment, []).append(record)
    found = []
    for record, deployment in about:
        if deployment is None:
            kind = _kind_of(record)
        else:
            kind = _scaling_kind(record, scaling[deployment], revisions.get(deployment, ()))
        if kind is not None:
            found.append(_change(context, record, kind))
    return found


def _kind_of(record: EventRecord) -> ChangeKind | None:
    known = REASON_KINDS.get(record.reason)
    if known is not None:
        return known
    if record.reason == "Killing":
        said = record.message.lower()
        if "oom" in said or "will be restarted" in said:
            return ChangeKind.RESTART
    return ChangeKind.EVENT if record.warning else None


def _deployment_of(context: ChangeContext, record: EventRecord) -> tuple[str, str] | None:
    """The ``(namespace, deployment)`` a scaling Event is about, ``None`` for other Events."""
    if record.reason == _SCALING:
        # Argo Rollouts writes the same reason on its Rollout objects: the object is the owner.
        return record.namespace, record.name
    if record.reason not in _POD_CHURN or record.kind != "ReplicaSet":
        return None
    replica_set = context.controllers.get(("ReplicaSet", record.namespace, record.name))
    if replica_set is None:
        guess = record.name.rsplit("-", 1)[0]  # <deployment>-<pod-template-hash>
        known = context.read("Deployment", record.namespace, guess) is not None
        return (record.namespace, guess) if known else None
    owner = controller_of(replica_set)
    return (record.namespace, owner.name) if owner and owner.kind == "Deployment" else None


def _scaling_kind(
    record: EventRecord, steps: Sequence[EventRecord], revisions: Sequence[datetime]
) -> ChangeKind | None:
    moved = scaled_replica_set(record)
    if any(record.near(created, ROLLOUT_WINDOW) for created in revisions) or any(
        other.reason == _SCALING
        and scaled_replica_set(other) not in ("", moved)
        and record.near(other, ROLLOUT_WINDOW)
        for other in steps
    ):
        return ChangeKind.ROLLOUT
    if record.reason == _SCALING:
        return ChangeKind.SCALE
    # A pod created or deleted outside any rollout or scaling replaces one that died: the
    # Events about why it died tell more than this one.
    scaled = (o for o in steps if o.reason == _SCALING and record.near(o, ROLLOUT_WINDOW))
    return ChangeKind.SCALE if any(scaled) else None


def _change(context: ChangeContext, record: EventRecord, kind: ChangeKind) -> Change:
    return Change(
        at=record.first,
        kind=kind,
        object=record.object,
        message=record.message,
        node=context.node_of(record.kind, record.namespace, record.name),
        reason=record.reason,
        warning=record.warning,
        count=record.count,
        last=record.last,
    )
