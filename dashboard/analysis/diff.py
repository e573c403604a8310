"""What changed: between two times of one snapshot, or between two snapshot files. Pure.

:func:`diff_times` compares the snapshot's series averaged over the ``window`` before each of
two moments (as a Prometheus rate window ends at its evaluation time), plus the changes the
cluster recorded in between. :func:`diff_snapshots` compares two snapshots object by object
and their traffic over each one's own rate window, plus the changes recorded between their
ends. Both answer with a :class:`~dashboard.analysis.diff_types.SnapshotDiff`; thresholds are
in :class:`~dashboard.analysis.diff_types.DiffOptions` and explained in docs/diff.md.

>>> from collectors.sources.demo import demo_snapshot
>>> at, window = datetime(2026, 11, 24, 7, 10, tzinfo=UTC), timedelta(minutes=5)
>>> changed = diff_times(demo_snapshot(), at - timedelta(minutes=40), at, window=window)
>>> changed.jumps[0].entity.label, changed.jumps[0].words  # doctest: +SKIP
('bookinfo/ratings-v1', 'error ratio 0% → 55.0%')
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from collectors.model import Snapshot, SnapshotMeta
from dashboard.analysis.diff_cluster import (
    finding_changes,
    graph_rollouts,
    istio_changes,
    pod_changes,
    recorded_changes,
)
from dashboard.analysis.diff_traffic import compare_traffic, graph_traffic, window_traffic
from dashboard.analysis.diff_types import (
    DEFAULT_OPTIONS,
    ClusterEvent,
    ConfigChange,
    DiffOptions,
    EdgeChange,
    Entity,
    Jump,
    JumpMetric,
    PodChange,
    Rollout,
    SnapshotDiff,
)
from dashboard.analysis.diff_words import EntityNames
from dashboard.topology.window import TimeWindow, human_duration

__all__ = [
    "DEFAULT_OPTIONS",
    "NO_CHANGES_RECORDED",
    "ClusterEvent",
    "ConfigChange",
    "DiffOptions",
    "EdgeChange",
    "Entity",
    "Jump",
    "JumpMetric",
    "PodChange",
    "Rollout",
    "SnapshotDiff",
    "diff_snapshots",
    "diff_times",
]

NO_CHANGES_RECORDED = (
    "This snapshot recorded no cluster changes (Events, rollouts), so between two of its times "
    "only traffic can be compared."
)


def _clock(moment: datetime, meta: SnapshotMeta) -> str:
    clock = "%H:%M" if moment.second == 0 else "%H:%M:%S"
    dated = moment.date() != meta.end.date()
    return moment.strftime(f"%Y-%m-%d {clock} UTC" if dated else f"{clock} UTC")


def _rate_window(meta: SnapshotMeta) -> TimeWindow:
    seconds = max(meta.rate_window_seconds, 1)
    return TimeWindow(meta.end - timedelta(seconds=seconds), meta.end)


def _file_side(meta: SnapshotMeta) -> str:
    rates = human_duration(max(meta.rate_window_seconds, 1))
    return f"{meta.generator}, rates over {rates} to {meta.end:%Y-%m-%d %H:%M} UTC"


def diff_snapshots(
    a: Snapshot, b: Snapshot, *, options: DiffOptions = DEFAULT_OPTIONS
) -> SnapshotDiff:
    """What changed from snapshot ``a`` to snapshot ``b``.

    Traffic is each snapshot's own (edge ``traffic`` and node ``inbound`` over its rate
    window); pods, workload revisions and images, Istio settings and check findings are
    compared by node id; changes either snapshot recorded between the two ends are added.
    """
    names = EntityNames([b, a])
    old, new = graph_traffic(a), graph_traffic(b)
    added, vanished, jumps = compare_traffic(old, new, names, options)
    pods_added, pods_removed = pod_changes(a, b, names)
    rollouts = graph_rollouts(a, b, names)
    config = [*istio_changes(a, b, names), *finding_changes(a, b, names)]
    events: list[ClusterEvent] = []
    notes = _file_notes(a.meta, b.meta, has_traffic=(bool(old), bool(new)))
    if a.meta.end < b.meta.end:
        recorded = recorded_changes([a, b], a.meta.end, b.meta.end, names)
        rollouts.extend(recorded[0])
        config.extend(recorded[1])
        events = recorded[2]
    return SnapshotDiff(
        before=_file_side(a.meta),
        after=_file_side(b.meta),
        before_window=_rate_window(a.meta),
        after_window=_rate_window(b.meta),
        edges_added=tuple(added),
        edges_vanished=tuple(vanished),
        jumps=tuple(jumps),
        pods_added=tuple(pods_added),
        pods_removed=tuple(pods_removed),
        rollouts=tuple(rollouts),
        config=tuple(config),
        events=tuple(events),
        notes=tuple(notes),
    )


def _file_notes(a: SnapshotMeta, b: SnapshotMeta, *, has_traffic: tuple[bool, bool]) -> list[str]:
    notes = []
    if b.end < a.end:
        notes.append(
            "The second snapshot ends before the first: read the sections as going back in time."
        )
    if a.rate_window_seconds != b.rate_window_seconds:
        notes.append(
            f"The rate windows differ ({human_duration(a.rate_window_seconds)} and "
            f"{human_duration(b.rate_window_seconds)}): a short spike weighs more in the "
            "shorter one."
        )
    for which, traffic in zip(("first", "second"), has_traffic, strict=True):
        if not traffic:
            notes.append(
                f"The {which} snapshot has no traffic (no metrics source?): call edges and "
                "jumps compare against nothing."
            )
    return notes


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _clamped_moment(moment: datetime, name: str, meta: SnapshotMeta, notes: list[str]) -> datetime:
    if moment > meta.end:
        notes.append(
            f"{name.capitalize()} {_clock(moment, meta)} is after the snapshot ends; "
            f"compared at its end, {_clock(meta.end, meta)}."
        )
        return meta.end
    if moment < meta.start:
        notes.append(
            f"{name.capitalize()} {_clock(moment, meta)} is before the snapshot starts; "
            f"compared at its start, {_clock(meta.start, meta)}."
        )
        return meta.start
    return moment


def _averaged(
    moment: datetime, window: timedelta, name: str, meta: SnapshotMeta, notes: list[str]
) -> TimeWindow:
    data_start = meta.start - timedelta(seconds=max(meta.step_seconds, 0))
    # Compared before subtracting: a window of years from a URL must not leave datetime's range.
    if window <= moment - data_start:
        return TimeWindow(moment - window, moment)
    notes.append(
        f"The window before {name} ({_clock(moment, meta)}) reaches before the snapshot's data: "
        f"averaged from {_clock(data_start, meta)} only."
    )
    # A snapshot without steps has no data before its start: any window is as empty.
    return TimeWindow(min(data_start, moment - timedelta(seconds=1)), moment)


def diff_times(
    snapshot: Snapshot,
    before: datetime,
    after: datetime,
    *,
    window: timedelta,
    options: DiffOptions = DEFAULT_OPTIONS,
) -> SnapshotDiff:
    """What changed in ``snapshot`` from ``before`` to ``after``.

    Traffic is averaged over the ``window`` ending at each moment; moments and windows outside
    the snapshot are clamped to it, and ``notes`` say so. Rollouts, configuration changes and
    events are the snapshot's recorded changes in ``(before, after]``. Naive datetimes are UTC.
    Raises ``ValueError`` when ``before`` is not earlier than ``after`` or ``window`` is not
    positive.
    """
    before, after = _utc(before), _utc(after)
    if before >= after:
        raise ValueError("the first time must be earlier than the second")
    if window <= timedelta(0):
        raise ValueError("the window must be longer than zero")
    meta = snapshot.meta
    notes: list[str] = []
    step = timedelta(seconds=meta.step_seconds)
    if window < step:
        notes.append(
            f"A window shorter than the snapshot's step holds no point: "
            f"using {human_duration(meta.step_seconds)}."
        )
        window = step
    first = _clamped_moment(before, "the first time", meta, notes)
    second = _clamped_moment(after, "the second time", meta, notes)
    before_window = _averaged(first, window, "the first time", meta, notes)
    after_window = _averaged(second, window, "the second time", meta, notes)
    names = EntityNames([snapshot])
    diff = SnapshotDiff(
        before=before_window.label,
        after=after_window.label,
        before_window=before_window,
        after_window=after_window,
    )
    if first >= second:
        notes.append("Both times fall on the same moment of the snapshot: nothing to compare.")
        return replace(diff, notes=tuple(notes))
    if after_window.start < first:
        notes.append(
            f"The two windows overlap ({human_duration(window.total_seconds())} each, "
            f"{human_duration((second - first).total_seconds())} apart): "
            "changes look smaller than they are."
        )
    if snapshot.series.empty:
        notes.append("The snapshot has no series: traffic cannot be compared between two times.")
    old = window_traffic(snapshot.series, before_window.start, before_window.end)
    new = window_traffic(snapshot.series, after_window.start, after_window.end)
    added, vanished, jumps = compare_traffic(old, new, names, options)
    rollouts, config, events = recorded_changes([snapshot], first, second, names)
    if not snapshot.changes:
        notes.append(NO_CHANGES_RECORDED)
    return SnapshotDiff(
        before=diff.before,
        after=diff.after,
        before_window=before_window,
        after_window=after_window,
        edges_added=tuple(added),
        edges_vanished=tuple(vanished),
        jumps=tuple(jumps),
        rollouts=tuple(rollouts),
        config=tuple(config),
        events=tuple(events),
        notes=tuple(notes),
    )
