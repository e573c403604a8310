"""The result of a "what changed" comparison: typed sections, each item named for people.

Every item names what it is about with an :class:`Entity`: the snapshot id (for links and
JSON; never shown as text) and a ``label`` as people read it (``bookinfo/ratings-v1``,
``frontend → cartservice (boutique)``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from collectors.kinds import ChangeKind
from dashboard.topology.window import TimeWindow

__all__ = [
    "DEFAULT_OPTIONS",
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
]


class JumpMetric(StrEnum):
    """Which number jumped."""

    ERROR_RATIO = "error_ratio"
    P95_MS = "p95_ms"
    REQUEST_RATE = "request_rate"
    THROUGHPUT = "throughput"  # bytes per second both ways: the only volume TCP has


@dataclass(frozen=True, slots=True)
class DiffOptions:
    """When a change of a number counts as a jump (docs/diff.md explains the defaults).

    A change must pass both the absolute and the relative part of its threshold, so a tiny
    service cannot jump by going from 0.1% to 0.3% errors, nor a busy one by a few milliseconds.
    Errors and latency are judged only where both sides saw at least ``min_request_rate``.
    """

    error_ratio_points: float = 0.05  # 5 percentage points ...
    error_ratio_factor: float = 2.0  # ... and at least doubled (or halved)
    p95_added_ms: float = 20.0  # 20 ms more (or less) ...
    p95_factor: float = 1.5  # ... and 1.5 times as long (or two thirds)
    rate_factor: float = 2.0  # requests (bytes for TCP) at least doubled, or down by half
    min_request_rate: float = 0.1  # per second; fewer requests are too few to judge
    min_throughput: float = 1000.0  # bytes per second; TCP volume below this is noise


DEFAULT_OPTIONS = DiffOptions()
"""The thresholds ``meshlens diff`` and the What changed page use."""


@dataclass(frozen=True, slots=True)
class Entity:
    """What an item is about: a graph node, a call edge, or a cluster object with no node.

    ``id`` is the snapshot node id or call edge id ("" for an object no node stands for);
    ``kind`` a :class:`~collectors.kinds.NodeKind` value, ``"calls"`` for a call edge, or ""
    when unknown. Call edges also carry the node ids of their ends and their protocol.
    """

    id: str
    label: str
    kind: str
    namespace: str = ""
    source: str = ""
    target: str = ""
    protocol: str = ""


@dataclass(frozen=True, slots=True)
class EdgeChange:
    """A call edge with traffic on one side only: new (after) or vanished (before).

    The rates are that side's; TCP edges have no requests, only ``throughput``.
    """

    entity: Entity
    request_rate: float
    throughput: float
    words: str  # "12.5 rps", "1.2 kB/s"


@dataclass(frozen=True, slots=True)
class Jump:
    """A number of one node or call edge that moved past its threshold.

    ``size`` ranks jumps: how many times over its absolute threshold an error or latency change
    is; rate changes are sized by the share gained or lost (1 to 2 with the default factor), so
    big error and latency jumps rank above traffic shifts.
    """

    entity: Entity
    metric: JumpMetric
    before: float
    after: float
    size: float
    words: str  # "error ratio 0.2% → 31.0%"

    @property
    def worse(self) -> bool:
        """Whether it got worse: more errors, slower, or less traffic."""
        if self.metric in (JumpMetric.ERROR_RATIO, JumpMetric.P95_MS):
            return self.after > self.before
        return self.after < self.before


@dataclass(frozen=True, slots=True)
class PodChange:
    """A pod found on one side only, with the workload that owns it (None when none does)."""

    entity: Entity
    workload: Entity | None
    words: str  # "revision 4 · on cpu-pool-02 · not ready, 3 restarts"


@dataclass(frozen=True, slots=True)
class Rollout:
    """A workload's revision or images changed, it came or went, or the cluster recorded a
    rollout (``at`` is then its time; None when read from the two graphs)."""

    entity: Entity
    words: str
    at: datetime | None = None


@dataclass(frozen=True, slots=True)
class ConfigChange:
    """An Istio setting on a node changed, a check finding appeared or was resolved, or the
    cluster recorded a configuration change. ``origin`` is ``istio``, ``finding`` or ``cluster``.
    """

    entity: Entity
    words: str
    origin: str
    at: datetime | None = None


@dataclass(frozen=True, slots=True)
class ClusterEvent:
    """Another recorded change: a restart, probe failure, scaling or scheduling trouble."""

    entity: Entity
    kind: ChangeKind
    words: str
    at: datetime
    warning: bool = False
    count: int = 1


@dataclass(frozen=True, slots=True)
class SnapshotDiff:
    """What changed between two sides: two times of one snapshot, or two snapshot files.

    ``before_window``/``after_window`` are the intervals whose traffic was compared (a file's
    rate window); ``before``/``after`` say the same in words. Sections are ranked, biggest or
    earliest first; ``notes`` say what to keep in mind when reading them (windows clamped,
    data missing).
    """

    before: str
    after: str
    before_window: TimeWindow
    after_window: TimeWindow
    edges_added: tuple[EdgeChange, ...] = ()
    edges_vanished: tuple[EdgeChange, ...] = ()
    jumps: tuple[Jump, ...] = ()
    pods_added: tuple[PodChange, ...] = ()
    pods_removed: tuple[PodChange, ...] = ()
    rollouts: tuple[Rollout, ...] = ()
    config: tuple[ConfigChange, ...] = ()
    events: tuple[ClusterEvent, ...] = ()
    notes: tuple[str, ...] = field(default=())

    def counts(self) -> dict[str, int]:
        """How many items each section holds, in report order."""
        return {
            "jumps": len(self.jumps),
            "edges_added": len(self.edges_added),
            "edges_vanished": len(self.edges_vanished),
            "rollouts": len(self.rollouts),
            "pods_added": len(self.pods_added),
            "pods_removed": len(self.pods_removed),
            "config": len(self.config),
            "events": len(self.events),
        }

    @property
    def empty(self) -> bool:
        """Whether nothing changed (notes do not count)."""
        return not any(self.counts().values())
