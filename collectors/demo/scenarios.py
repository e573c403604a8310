"""An evaluation set for root-cause ranking: many platforms, each with one fault of known cause.

:func:`eval_cases` draws cases from a seed: a platform (the storefront and ML platform plus a
varying number of random tenant namespaces, so the graph's shape changes), one fault of one of
six kinds on a workload picked at random among those it can happen to, at a random time and
magnitude, and one or two distractors a naive ranking could blame (a routine rollout elsewhere,
an old container restart, a workload that always fails a little). Every draw comes from the
seed, so the same seed always gives the same cases.

>>> cases = eval_cases(6, seed=1)
>>> sorted({case.kind.value for case in cases})  # doctest: +NORMALIZE_WHITESPACE
['bad_rollout', 'crash_loop', 'dependency_outage', 'fault_injection', 'latency',
 'resource_exhaustion']
>>> snapshot = cases[0].snapshot()  # doctest: +SKIP
>>> snapshot.incidents[0].root_cause == cases[0].root  # doctest: +SKIP
True
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from collectors.demo import DEMO_END, DemoData, build_platform, generate_demo
from collectors.demo.faults_common import FaultSpec, scenario_of
from collectors.demo.faults_distractors import PastRestart, RoutineRollout, SteadyErrors
from collectors.demo.faults_specs import (
    BadRollout,
    CrashLooping,
    DependencyOutage,
    FaultInjection,
    GpuMemory,
    Latency,
    ResourceExhaustion,
)
from collectors.demo.faults_targets import Pool
from collectors.demo.incidents import workload_id
from collectors.kinds import FaultKind
from collectors.model import Snapshot
from collectors.pipeline import BuildOptions
from collectors.sources.demo import demo_snapshot

__all__ = [
    "EVAL_KINDS",
    "BadRollout",
    "CrashLooping",
    "DependencyOutage",
    "EvalCase",
    "FaultInjection",
    "FaultSpec",
    "GpuMemory",
    "Latency",
    "PastRestart",
    "ResourceExhaustion",
    "RoutineRollout",
    "SteadyErrors",
    "eval_cases",
    "scenario_of",
]

EVAL_KINDS = (
    FaultKind.BAD_ROLLOUT,
    FaultKind.LATENCY,
    FaultKind.CRASH_LOOP,
    FaultKind.RESOURCE_EXHAUSTION,
    FaultKind.DEPENDENCY_OUTAGE,
    FaultKind.FAULT_INJECTION,
)
"""The kinds :func:`eval_cases` cycles through, one after the other."""

WORKLOADS = (60, 160)  # platform sizes drawn from (inclusive)
START = (0.45, 0.8)  # fault start, as a fraction of the window
DURATION = (0.08, 0.3)  # fault length when it ends inside the window
LATEST_END = 0.97
ONGOING = 0.4  # chance a fault is still going at the end (a crash loop always is)


@dataclass(frozen=True, slots=True)
class EvalCase:
    """One generated scenario with one injected fault whose root cause is known.

    ``root`` is the graph node id of the root-cause workload (``root_key`` its
    ``namespace/name``); ``fault`` is what was injected and ``distractors`` what happened
    around it. :meth:`snapshot` builds the snapshot, whose ``incidents`` hold exactly one
    :class:`~collectors.model.Incident` with ``root_cause == root``.
    """

    name: str
    kind: FaultKind
    seed: int  # the demo's seed: platform tenants, traffic noise, object names
    workloads: int  # the platform size asked for (``build_platform(workloads=...)``)
    root: str
    root_key: str
    fault: FaultSpec
    distractors: tuple[FaultSpec, ...]
    start: float  # fraction of the window
    end: float | None  # None: still going at the end of the window
    hours: float = 3.0
    step_seconds: int = 15

    @property
    def specs(self) -> tuple[FaultSpec, ...]:
        """The fault, then the distractors: what :func:`generate_demo` injects."""
        return (self.fault, *self.distractors)

    def generate(self) -> DemoData:
        """The source-shaped demo data of this case (objects, metrics, ground truth)."""
        return generate_demo(
            seed=self.seed,
            workloads=self.workloads,
            end=DEMO_END,
            hours=self.hours,
            step_seconds=self.step_seconds,
            scenario=scenario_of(self.specs),
        )

    def snapshot(self, options: BuildOptions | None = None) -> Snapshot:
        """Build this case's snapshot through the normal pipeline, as the demo source does."""
        return demo_snapshot(
            seed=self.seed,
            workloads=self.workloads,
            hours=self.hours,
            step_seconds=self.step_seconds,
            scenario=self.specs,
            scenario_name=self.name,
            options=options,
        )


def _times(rng: np.random.Generator, kind: FaultKind) -> tuple[float, float | None]:
    start = round(float(rng.uniform(*START)), 3)
    if kind is FaultKind.CRASH_LOOP or rng.random() < ONGOING:
        return start, None
    return start, round(min(start + float(rng.uniform(*DURATION)), LATEST_END), 3)


def _fault(
    kind: FaultKind, pool: Pool, rng: np.random.Generator, start: float, end: float | None
) -> tuple[FaultSpec, str, str]:
    """The fault, its root workload key, and the caller that must not carry a distractor."""
    if kind is FaultKind.FAULT_INJECTION:
        service = pool.pick(rng, pool.abortable_services())
        percent = float(round(rng.uniform(10, 60)))
        status = int(rng.choice([500, 503, 555]))
        spec = FaultInjection(service, start, end, percent, status)
        return spec, spec.root(pool.platform), ""
    root = pool.pick(rng, pool.roots(kind))
    if kind is FaultKind.BAD_ROLLOUT:
        share = round(float(rng.uniform(0.15, 0.8)), 3)
        return BadRollout(root, start, end, share), root, ""
    if kind is FaultKind.LATENCY:
        factor = round(math.exp(rng.uniform(math.log(4), math.log(40))), 1)
        caller, timeouts = "", 0.0
        clients = pool.callers(root)
        if clients and rng.random() < 0.5:
            caller = pool.pick(rng, clients)
            timeouts = round(float(rng.uniform(0.01, 0.06)), 3)
        storm = round(float(rng.uniform(2.0, 6.0)), 2) if pool.is_tcp(root) else 1.0
        return Latency(root, start, end, factor, caller, timeouts, storm), root, caller
    if kind is FaultKind.CRASH_LOOP:
        return CrashLooping(root, start), root, ""
    if kind is FaultKind.DEPENDENCY_OUTAGE:
        return DependencyOutage(root, start, end), root, ""
    if kind is FaultKind.RESOURCE_EXHAUSTION:
        factor = round(float(rng.uniform(4.0, 10.0)), 2)
        share = round(float(rng.uniform(0.03, 0.2)), 3)
        return ResourceExhaustion(root, start, end, factor, share), root, ""
    raise ValueError(f"no evaluation faults of kind {kind}")


def _away_from(rng: np.random.Generator, low: float, high: float, avoid: float) -> float:
    """A time in [low, high] at least 0.1 of the window from ``avoid`` (``low`` if none)."""
    for _ in range(20):
        moment = float(rng.uniform(low, high))
        if abs(moment - avoid) >= 0.1:
            return round(moment, 3)
    return low


def _distractors(
    pool: Pool, rng: np.random.Generator, busy: set[str], start: float
) -> tuple[FaultSpec, ...]:
    chosen: list[FaultSpec] = []
    kinds = rng.permutation(["rollout", "restart", "errors"])[: int(rng.integers(1, 3))]
    for kind in kinds:
        if kind == "rollout":
            workload = pool.pick(rng, pool.rollable(), avoid=busy)
            chosen.append(RoutineRollout(workload, _away_from(rng, 0.05, 0.95, start)))
        elif kind == "restart":
            workload = pool.pick(rng, pool.restartable(), avoid=busy)
            reason = "OOMKilled" if rng.random() < 0.6 else "Error"
            chosen.append(PastRestart(workload, _away_from(rng, -1.0, 0.35, start), reason))
        else:
            workload = pool.pick(rng, pool.roots(FaultKind.RESOURCE_EXHAUSTION), avoid=busy)
            chosen.append(SteadyErrors(workload, round(float(rng.uniform(0.005, 0.05)), 4)))
        busy.add(workload)
    return tuple(chosen)


def eval_case(index: int, *, seed: int = 1, hours: float = 3.0, step_seconds: int = 15) -> EvalCase:
    """The ``index``-th case of the set drawn from ``seed`` (its kind cycles through
    :data:`EVAL_KINDS`)."""
    rng = np.random.default_rng([seed, index])
    kind = EVAL_KINDS[index % len(EVAL_KINDS)]
    demo_seed = int(rng.integers(1, 1_000_000))
    size = int(rng.integers(WORKLOADS[0], WORKLOADS[1] + 1))
    pool = Pool(build_platform(seed=demo_seed, workloads=size))
    start, end = _times(rng, kind)
    fault, root, caller = _fault(kind, pool, rng, start, end)
    distractors = _distractors(pool, rng, {root, caller}, start)
    namespace, name = root.split("/", 1)
    return EvalCase(
        name=f"{index:03d}-{kind.value}-{namespace}-{name}",
        kind=kind,
        seed=demo_seed,
        workloads=size,
        root=workload_id(root),
        root_key=root,
        fault=fault,
        distractors=distractors,
        start=start,
        end=end,
        hours=hours,
        step_seconds=step_seconds,
    )


def eval_cases(
    count: int = 36, *, seed: int = 1, hours: float = 3.0, step_seconds: int = 15
) -> list[EvalCase]:
    """``count`` cases drawn from ``seed``, the six kinds of :data:`EVAL_KINDS` in turn.

    Case ``i`` depends only on ``seed`` and ``i``: asking for more cases keeps the first ones.
    """
    return [
        eval_case(index, seed=seed, hours=hours, step_seconds=step_seconds)
        for index in range(count)
    ]
