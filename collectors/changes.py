"""The triage timeline: what the cluster recorded happening, and when, as :class:`Change`.

>>> snapshot.changes = cluster_changes(latest_objects(objects.items), snapshot)  # doctest: +SKIP
>>> [(c.at.isoformat(), c.kind.value, c.object) for c in snapshot.changes][:1]  # doctest: +SKIP
[('2026-11-24T06:43:00+00:00', 'rollout', 'Deployment bookinfo/ratings-v1')]

Sources (``docs/cluster.md`` says what each can and cannot see):

- Events (:mod:`.changes_events`): rollouts and scaling, restarts, probe failures, scheduling
  trouble, and every other Warning;
- ReplicaSets created as new revisions, containers' last terminations, and Istio configuration
  written (:mod:`.changes_objects`).

An Event and an object's own record of the same change (a ``ScalingReplicaSet`` Event and the
new ReplicaSet it scaled up; a ``BackOff`` Event and the container's last termination) give one
change: the Event's, which carries its count and last time. Pure: nothing is modified.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from collectors.changes_context import DEDUPE_WINDOW, ChangeContext, object_text
from collectors.changes_events import EventRecord, event_changes, read_event, scaled_replica_set
from collectors.changes_objects import (
    Revision,
    istio_changes,
    pod_restarts,
    revision_changes,
    rollout_revisions,
)
from collectors.cluster import KubeObject
from collectors.kinds import ChangeKind
from collectors.model import Change, Snapshot

__all__ = ["cluster_changes"]


def cluster_changes(items: Sequence[KubeObject], snapshot: Snapshot) -> list[Change]:
    """Every change the objects record, sorted by time, then object.

    ``items`` are the objects the snapshot was built from (each once, as
    :func:`collectors.inventory.latest_objects` gives them); ``snapshot`` holds their graph,
    which tells the node each change is drawn on (``""`` where it has none).
    """
    context = ChangeContext(items, snapshot)
    records = [found for item in context.of_kind("Event") if (found := read_event(item))]
    revisions = rollout_revisions(context)
    created: dict[tuple[str, str], list[datetime]] = {}
    for revision in revisions:
        created.setdefault((revision.namespace, revision.deployment), []).append(revision.created)
    from_events = event_changes(context, records, created)
    said: dict[str, list[EventRecord]] = {}
    for record in records:
        said.setdefault(record.object, []).append(record)
    restarts: dict[str, list[Change]] = {}
    for change in from_events:
        if change.kind is ChangeKind.RESTART:
            restarts.setdefault(change.object, []).append(change)
    changes = [
        *from_events,
        *revision_changes(context, [r for r in revisions if not _reported(r, said)]),
        *(c for c in pod_restarts(context) if not _restart_reported(c, restarts)),
        *istio_changes(context),
    ]
    # The same Event can be read twice (core v1 and events.k8s.io shapes of one object).
    unique = dict.fromkeys(changes)
    return sorted(unique, key=_order)


def _order(change: Change) -> tuple[datetime, str, str, str, str]:
    return change.at, change.object, change.kind.value, change.reason, change.message


def _reported(revision: Revision, said: Mapping[str, Sequence[EventRecord]]) -> bool:
    """Whether an Event reports the new ReplicaSet being scaled up at about its creation."""
    by_replica_set = said.get(
        object_text("ReplicaSet", revision.namespace, revision.replica_set), ()
    )
    if any(
        record.reason == "SuccessfulCreate" and record.near(revision.created, DEDUPE_WINDOW)
        for record in by_replica_set
    ):
        return True
    return any(
        record.reason == "ScalingReplicaSet"
        and record.near(revision.created, DEDUPE_WINDOW)
        and scaled_replica_set(record) in ("", revision.replica_set)
        and "scaled down" not in record.message.lower()
        for record in said.get(revision.deployment_object, ())
    )


def _restart_reported(termination: Change, restarts: Mapping[str, Sequence[Change]]) -> bool:
    """Whether a restart Event on the same pod spans the container's termination."""
    return any(
        event.at - DEDUPE_WINDOW <= termination.at <= (event.last or event.at) + DEDUPE_WINDOW
        for event in restarts.get(termination.object, ())
    )
