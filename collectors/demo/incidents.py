"""The injected incidents: what breaks, when, and the ground truth a diagnosis is scored on.

A :class:`Scenario` holds one record per fault with the facts both halves of the demo need:
the telemetry model turns them into error shares and latency factors (:func:`fault_arrays`),
and the object builder into ReplicaSet revisions, pod statuses, Events and Istio rules.
Times are placed as fractions of the window, so any ``hours`` gets the same story.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np
import numpy.typing as npt

from collectors.demo.names import BOOKINFO, BOOKINFO_REGISTRY, BOUTIQUE, ML
from collectors.demo.spec import Platform, key
from collectors.demo.timeline import Timeline
from collectors.ids import node_id
from collectors.kinds import FaultKind, NodeKind
from collectors.model import Incident

Array = npt.NDArray[np.float64]

CRASH_RUN_SECONDS = 45.0  # how long adservice lives before the OOM killer takes it
READY_AFTER_SECONDS = 5.0  # readiness probe delay after each start
BACKOFF_CAP_SECONDS = 300.0  # the kubelet's crash-loop back-off cap


@dataclass(frozen=True, slots=True)
class Rollout:
    """A new ReplicaSet revision that fails requests until it is rolled back."""

    workload: str
    bad_image: str
    start: datetime
    rolled_back: datetime | None
    error_share: float


@dataclass(frozen=True, slots=True)
class Saturation:
    """A database slowed down by load: every query takes ``latency_factor`` times longer."""

    workload: str
    start: datetime
    end: datetime | None
    latency_factor: float
    connection_factor: float
    caller: str  # the client that starts timing out
    caller_timeouts: float  # share of the caller's requests failing with DEADLINE_EXCEEDED


@dataclass(frozen=True, slots=True)
class GpuPressure:
    """A model server whose GPU memory fills: latency climbs, then CUDA OOM errors start."""

    workload: str
    start: datetime
    end: datetime | None
    max_latency_factor: float
    max_error_share: float


@dataclass(frozen=True, slots=True)
class FaultRule:
    """An Istio fault-injection abort on a VirtualService's route."""

    service: str
    http_status: int
    percent: float
    start: datetime
    end: datetime | None


@dataclass(frozen=True, slots=True)
class CrashLoop:
    """A container that is OOMKilled shortly after every start and restarted with back-off."""

    workload: str
    container: str
    start: datetime
    runs: tuple[tuple[float, float], ...]  # (started, died) in Unix seconds; died may be > end
    end_ts: float

    @property
    def restarts(self) -> int:
        """Restarts the kubelet counted by the end of the window."""
        return max(0, len(self.runs) - 1)

    @property
    def running_at_end(self) -> bool:
        """Whether the container was up (between restarts) at the end of the window."""
        started, died = self.runs[-1]
        return started <= self.end_ts < died


@dataclass
class Scenario:
    """Every injected fault and the incidents they make."""

    incidents: list[Incident] = field(default_factory=list)
    rollouts: list[Rollout] = field(default_factory=list)
    saturations: list[Saturation] = field(default_factory=list)
    gpu_pressure: list[GpuPressure] = field(default_factory=list)
    fault_rules: list[FaultRule] = field(default_factory=list)
    crash_loops: list[CrashLoop] = field(default_factory=list)


@dataclass
class Faults:
    """Fault effects per scrape step, keyed by workload (or Service) key."""

    own_error: dict[str, tuple[Array, str, str]] = field(default_factory=dict)  # share, code, grpc
    latency_factor: dict[str, Array] = field(default_factory=dict)
    abort: dict[str, tuple[Array, str]] = field(default_factory=dict)  # service -> share, code
    unavailable: dict[str, Array] = field(default_factory=dict)  # no ready endpoint (UH)
    reset: dict[str, Array] = field(default_factory=dict)  # hit a dying instance (URX / UF)
    connection_factor: dict[str, Array] = field(default_factory=dict)


def _crash_runs(start: datetime, end: datetime) -> tuple[tuple[float, float], ...]:
    runs: list[tuple[float, float]] = []
    began, delay = start.timestamp(), 10.0
    while began <= end.timestamp():
        runs.append((began, began + CRASH_RUN_SECONDS))
        began += CRASH_RUN_SECONDS + delay
        delay = min(delay * 2, BACKOFF_CAP_SECONDS)
    return tuple(runs)


def _workload_id(workload_key: str) -> str:
    namespace, name = workload_key.split("/", 1)
    return node_id(NodeKind.WORKLOAD, name, namespace)


def upstream(platform: Platform, workload_key: str) -> list[str]:
    """The workload and every workload whose traffic passes through it, nearest first."""
    callers: dict[str, set[str]] = {}
    for call in platform.calls:
        if call.target in platform.services:
            for backend, _ in platform.backends(call.target):
                callers.setdefault(backend.key, set()).add(call.source)
    found, frontier = [workload_key], [workload_key]
    while frontier:
        nxt = sorted({c for w in frontier for c in callers.get(w, ()) if c not in found})
        found.extend(nxt)
        frontier = nxt
    return found


def plan(platform: Platform, timeline: Timeline) -> Scenario:
    """Place the demo's incidents in the window."""
    at = timeline.at
    scenario = Scenario()
    ratings, redis = key(BOOKINFO, "ratings-v1"), key(BOUTIQUE, "redis-cart")
    details, ads = key(BOOKINFO, "details-v1"), key(BOUTIQUE, "adservice")
    recommender = key(ML, "recommender-predictor")
    bad = f"{BOOKINFO_REGISTRY}/examples-bookinfo-ratings-v1:1.20.4-rc.1"
    scenario.rollouts.append(Rollout(ratings, bad, at(0.12), at(0.27), 0.55))
    scenario.saturations.append(
        Saturation(redis, at(0.33), at(0.52), 40.0, 6.0, key(BOUTIQUE, "cartservice"), 0.03)
    )
    scenario.fault_rules.append(FaultRule(key(BOOKINFO, "details"), 555, 30.0, at(0.56), None))
    scenario.gpu_pressure.append(GpuPressure(recommender, at(0.66), None, 9.0, 0.06))
    crash_start = at(0.86)
    scenario.crash_loops.append(
        CrashLoop(
            ads,
            "server",
            crash_start,
            _crash_runs(crash_start, timeline.end),
            timeline.end.timestamp(),
        )
    )

    def incident(
        kind: FaultKind, root: str, start: datetime, end: datetime | None, summary: str
    ) -> None:
        name = root.split("/", 1)[1]
        scenario.incidents.append(
            Incident(
                id=f"{kind.value.replace('_', '-')}-{name}",
                kind=kind,
                root_cause=_workload_id(root),
                start=start,
                end=end,
                summary=summary,
                affected=[_workload_id(w) for w in upstream(platform, root)],
            )
        )

    incident(
        FaultKind.BAD_ROLLOUT,
        ratings,
        at(0.12),
        at(0.27),
        "ratings-v1 rolled out image 1.20.4-rc.1, which answered HTTP 500 to over half its "
        "requests until it was rolled back; reviews-v2 and productpage failed with it.",
    )
    incident(
        FaultKind.LATENCY,
        redis,
        at(0.33),
        at(0.52),
        "redis-cart saturated: each cart read took ~40x longer, slowing cartservice and, "
        "through it, checkoutservice and frontend; some cart calls hit their deadline.",
    )
    incident(
        FaultKind.FAULT_INJECTION,
        details,
        at(0.56),
        None,
        "A fault-injection rule left on the details VirtualService aborts 30% of requests "
        "with HTTP 555 (response flag FI) before they reach details-v1.",
    )
    incident(
        FaultKind.GPU_MEMORY,
        recommender,
        at(0.66),
        None,
        "recommender's GPU memory keeps filling: inference latency climbs steadily and it "
        "has started failing requests with CUDA out-of-memory errors.",
    )
    incident(
        FaultKind.CRASH_LOOP,
        ads,
        crash_start,
        None,
        "adservice is OOMKilled within a minute of every start (CrashLoopBackOff); "
        "frontend's ad calls get 503 with UH/URX flags and some pages fail with them.",
    )
    return scenario


def _overlap(timeline: Timeline, start: float, end: float) -> Array:
    """Fraction of each scrape step (the interval ending at its timestamp) inside [start, end)."""
    ends = timeline.times().astype(np.float64)
    begins = ends - timeline.step_seconds
    inside = np.minimum(ends, end) - np.maximum(begins, start)
    result: Array = np.clip(inside, 0.0, None) / timeline.step_seconds
    return result


def _span(timeline: Timeline, start: datetime, end: datetime | None) -> Array:
    stop = end.timestamp() if end is not None else float(timeline.end_ts) + 1.0
    return _overlap(timeline, start.timestamp(), stop)


def fault_arrays(scenario: Scenario, timeline: Timeline) -> Faults:
    """Turn the scenario into per-step shares and factors for the traffic model."""
    faults = Faults()
    times = timeline.times().astype(np.float64)
    for rollout in scenario.rollouts:
        # New pods take about a minute to start serving, then fail until the rollback.
        began = rollout.start + timedelta(seconds=60)
        share = rollout.error_share * _span(timeline, began, rollout.rolled_back)
        faults.own_error[rollout.workload] = (share, "500", "")
    for sat in scenario.saturations:
        on = _span(timeline, sat.start, sat.end)
        faults.latency_factor[sat.workload] = 1.0 + (sat.latency_factor - 1.0) * on
        faults.connection_factor[sat.workload] = 1.0 + (sat.connection_factor - 1.0) * on
        faults.own_error[sat.caller] = (sat.caller_timeouts * on, "200", "4")
    for gpu in scenario.gpu_pressure:
        stop = gpu.end.timestamp() if gpu.end is not None else float(timeline.end_ts)
        progress = np.clip((times - gpu.start.timestamp()) / (stop - gpu.start.timestamp()), 0, 1)
        factor = 1.0 + (gpu.max_latency_factor - 1.0) * progress**2
        faults.latency_factor[gpu.workload] = factor
        # CUDA OOM errors once the memory is nearly full: the last third of the climb.
        errors = gpu.max_error_share * np.clip((progress - 0.66) / 0.34, 0, 1)
        faults.own_error[gpu.workload] = (errors, "500", "")
    for rule in scenario.fault_rules:
        share = rule.percent / 100.0 * _span(timeline, rule.start, rule.end)
        faults.abort[rule.service] = (share, str(rule.http_status))
    for crash in scenario.crash_loops:
        ready = np.zeros(timeline.samples)
        reset = np.zeros(timeline.samples)
        for started, died in crash.runs:
            ready += _overlap(timeline, started + READY_AFTER_SECONDS, died)
            # Requests in flight when the container dies are reset, and retries find no one.
            reset += 0.3 * _overlap(timeline, died - timeline.step_seconds, died)
        looping = _span(timeline, crash.start, None)
        faults.unavailable[crash.workload] = np.clip(looping - ready, 0.0, 1.0)
        faults.reset[crash.workload] = np.clip(reset, 0.0, 1.0)
    return faults
