"""The demo's default incidents: what breaks, when, and the ground truth a diagnosis is scored on.

:func:`plan` places the built-in demo's five incidents in the window; the records it fills
(:mod:`collectors.demo.faults_records`) are what every scenario is made of, and
:func:`fault_arrays` turns them into per-step effects for the traffic model. Times are placed as
fractions of the window, so any ``hours`` gets the same story. Other scenarios are built from
fault specs (:mod:`collectors.demo.faults_specs`).
"""

from __future__ import annotations

from datetime import datetime

from collectors.demo.faults_effects import Array, Faults, fault_arrays
from collectors.demo.faults_records import (
    BACKOFF_CAP_SECONDS,
    CRASH_RUN_SECONDS,
    READY_AFTER_SECONDS,
    BackgroundErrors,
    CrashLoop,
    Exhaustion,
    FaultRule,
    GpuPressure,
    Outage,
    Restart,
    Rollout,
    Saturation,
    Scenario,
    crash_runs,
)
from collectors.demo.names import BOOKINFO, BOOKINFO_REGISTRY, BOUTIQUE, ML
from collectors.demo.spec import Platform, key
from collectors.demo.timeline import Timeline
from collectors.ids import node_id
from collectors.kinds import FaultKind, NodeKind
from collectors.model import Incident

__all__ = [
    "BACKOFF_CAP_SECONDS",
    "CRASH_RUN_SECONDS",
    "READY_AFTER_SECONDS",
    "Array",
    "BackgroundErrors",
    "CrashLoop",
    "Exhaustion",
    "FaultRule",
    "Faults",
    "GpuPressure",
    "Outage",
    "Restart",
    "Rollout",
    "Saturation",
    "Scenario",
    "fault_arrays",
    "make_incident",
    "plan",
    "upstream",
    "workload_id",
]


def workload_id(workload_key: str) -> str:
    """The graph node id of the workload ``namespace/name``."""
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


def make_incident(
    platform: Platform,
    kind: FaultKind,
    root: str,
    start: datetime,
    end: datetime | None,
    summary: str,
) -> Incident:
    """The ground truth of a fault rooted in workload ``root``: it and everything upstream."""
    name = root.split("/", 1)[1]
    return Incident(
        id=f"{kind.value.replace('_', '-')}-{name}",
        kind=kind,
        root_cause=workload_id(root),
        start=start,
        end=end,
        summary=summary,
        affected=[workload_id(w) for w in upstream(platform, root)],
    )


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
            crash_runs(crash_start, timeline.end),
            timeline.end.timestamp(),
            process="java",
        )
    )

    def incident(
        kind: FaultKind, root: str, start: datetime, end: datetime | None, summary: str
    ) -> None:
        scenario.incidents.append(make_incident(platform, kind, root, start, end, summary))

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
