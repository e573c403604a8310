"""Faults to inject, placed as fractions of the window: the building blocks of a scenario.

A spec names its target by key (``namespace/name``) and its times as fractions of the window
(``0.5`` is half way; ``None`` as an end means still going at the end), like the default
:func:`~collectors.demo.incidents.plan`. Each adds its records and its ground-truth
:class:`~collectors.model.Incident` to a scenario; :func:`~collectors.demo.faults_common.
scenario_of` turns specs into what :func:`collectors.demo.generate_demo` takes as ``scenario``
(a plain list of specs works too). Distractors live in :mod:`collectors.demo.faults_distractors`.

>>> from collectors.demo import generate_demo
>>> data = generate_demo(hours=1.0, scenario=[DependencyOutage("bookinfo/details-v1", 0.6)])
>>> [i.id for i in data.incidents]
['dependency-outage-details-v1']
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from collectors.demo.faults_common import (
    failure_codes,
    next_image,
    process_name,
    short_name,
    until_text,
)
from collectors.demo.faults_records import (
    CrashLoop,
    Exhaustion,
    FaultRule,
    GpuPressure,
    Outage,
    Rollout,
    Saturation,
    Scenario,
    crash_runs,
)
from collectors.demo.incidents import make_incident
from collectors.demo.spec import Platform
from collectors.demo.timeline import Timeline
from collectors.kinds import FaultKind


@dataclass(frozen=True, slots=True)
class BadRollout:
    """A new image of a Deployment fails ``error_share`` of its requests until rolled back."""

    workload: str
    start: float
    rolled_back: float | None = None
    error_share: float = 0.5
    image: str = ""  # the new image; the current tag bumped when empty
    kind: ClassVar[FaultKind] = FaultKind.BAD_ROLLOUT

    def apply(self, scenario: Scenario, platform: Platform, timeline: Timeline) -> None:
        """Add the rollout and its incident."""
        image = self.image or next_image(platform.workloads[self.workload].image)
        code, grpc = failure_codes(platform, self.workload, "500", "2")
        back = timeline.at(self.rolled_back) if self.rolled_back is not None else None
        start = timeline.at(self.start)
        scenario.rollouts.append(
            Rollout(self.workload, image, start, back, self.error_share, code, grpc)
        )
        failure = f"gRPC status {grpc}" if grpc else f"HTTP {code}"
        summary = (
            f"{short_name(self.workload)} rolled out image {image.rsplit(':', 1)[-1]}, which "
            f"answers {failure} to {self.error_share:.0%} of its requests"
            f"{until_text(timeline, self.rolled_back, 'it was rolled back')}; "
            "its callers fail with it."
        )
        scenario.incidents.append(
            make_incident(platform, self.kind, self.workload, start, back, summary)
        )


@dataclass(frozen=True, slots=True)
class Latency:
    """A workload slowed by load: each request takes ``factor`` times longer.

    ``caller`` (a workload key) starts hitting its deadline and fails ``caller_timeouts`` of
    its requests; ``connection_factor`` multiplies the TCP connections clients open.
    """

    workload: str
    start: float
    end: float | None = None
    factor: float = 10.0
    caller: str = ""
    caller_timeouts: float = 0.0
    connection_factor: float = 1.0
    kind: ClassVar[FaultKind] = FaultKind.LATENCY

    def apply(self, scenario: Scenario, platform: Platform, timeline: Timeline) -> None:
        """Add the saturation and its incident."""
        start = timeline.at(self.start)
        end = timeline.at(self.end) if self.end is not None else None
        code, grpc = failure_codes(platform, self.caller, "504", "4") if self.caller else ("", "")
        minutes = ((end or timeline.end) - start).total_seconds() / 60
        scenario.saturations.append(
            Saturation(self.workload, start, end, self.factor, self.connection_factor,
                       self.caller, self.caller_timeouts, code, grpc,
                       probe_failures=max(1, round(minutes * 0.4)))
        )  # fmt: skip
        summary = (
            f"{short_name(self.workload)} is saturated: each request takes ~{self.factor:.0f}x "
        )
        summary += f"longer{until_text(timeline, self.end, 'the load went away')}"
        if self.caller and self.caller_timeouts > 0:
            summary += f"; {short_name(self.caller)} hits its deadline on some calls"
        scenario.incidents.append(
            make_incident(platform, self.kind, self.workload, start, end, summary + ".")
        )


@dataclass(frozen=True, slots=True)
class FaultInjection:
    """An Istio abort of ``percent`` % of the requests to a Service (``namespace/name``)."""

    service: str
    start: float
    end: float | None = None
    percent: float = 30.0
    http_status: int = 503
    kind: ClassVar[FaultKind] = FaultKind.FAULT_INJECTION

    def root(self, platform: Platform) -> str:
        """The workload the aborted requests were meant for: the Service's main backend."""
        return max(platform.backends(self.service), key=lambda backend: backend[1])[0].key

    def apply(self, scenario: Scenario, platform: Platform, timeline: Timeline) -> None:
        """Add the rule and its incident."""
        start = timeline.at(self.start)
        end = timeline.at(self.end) if self.end is not None else None
        scenario.fault_rules.append(
            FaultRule(self.service, self.http_status, self.percent, start, end)
        )
        summary = (
            f"A fault-injection rule on the {short_name(self.service)} VirtualService aborts "
            f"{self.percent:.0f}% of requests with HTTP {self.http_status} (response flag FI) "
            f"before they reach {short_name(self.root(platform))}"
            f"{until_text(timeline, self.end, 'it was removed')}."
        )
        scenario.incidents.append(
            make_incident(platform, self.kind, self.root(platform), start, end, summary)
        )


@dataclass(frozen=True, slots=True)
class CrashLooping:
    """A Deployment's container OOMKilled within a minute of every start, to the window's end."""

    workload: str
    start: float
    kind: ClassVar[FaultKind] = FaultKind.CRASH_LOOP

    def apply(self, scenario: Scenario, platform: Platform, timeline: Timeline) -> None:
        """Add the crash loop and its incident."""
        start = timeline.at(self.start)
        container = platform.workloads[self.workload].container
        runs = crash_runs(start, timeline.end)
        process = process_name(platform, self.workload)
        scenario.crash_loops.append(
            CrashLoop(self.workload, container, start, runs, timeline.end.timestamp(), process)
        )
        summary = (
            f"{short_name(self.workload)} is OOMKilled within a minute of every start "
            "(CrashLoopBackOff); its callers get 503 with UH/URX flags."
        )
        scenario.incidents.append(
            make_incident(platform, self.kind, self.workload, start, None, summary)
        )


@dataclass(frozen=True, slots=True)
class DependencyOutage:
    """Every pod of a workload stops accepting connections; readiness fails, nothing restarts."""

    workload: str
    start: float
    end: float | None = None
    kind: ClassVar[FaultKind] = FaultKind.DEPENDENCY_OUTAGE

    def apply(self, scenario: Scenario, platform: Platform, timeline: Timeline) -> None:
        """Add the outage and its incident."""
        start = timeline.at(self.start)
        end = timeline.at(self.end) if self.end is not None else None
        scenario.outages.append(Outage(self.workload, start, end))
        summary = (
            f"Every pod of {short_name(self.workload)} stopped accepting connections and fails its "
            "readiness probe; with no ready endpoint its callers get 503 with flag UH"
            f"{until_text(timeline, self.end, 'the pods recovered')}."
        )
        scenario.incidents.append(
            make_incident(platform, self.kind, self.workload, start, end, summary)
        )


@dataclass(frozen=True, slots=True)
class ResourceExhaustion:
    """A memory leak: latency climbs to ``max_latency_factor``, then requests start failing.

    With an ``end`` the container hits its memory limit then and is OOMKilled and restarted.
    """

    workload: str
    start: float
    end: float | None = None
    max_latency_factor: float = 6.0
    max_error_share: float = 0.1
    kind: ClassVar[FaultKind] = FaultKind.RESOURCE_EXHAUSTION

    def apply(self, scenario: Scenario, platform: Platform, timeline: Timeline) -> None:
        """Add the leak and its incident."""
        start = timeline.at(self.start)
        end = timeline.at(self.end) if self.end is not None else None
        code, grpc = failure_codes(platform, self.workload, "503", "8")
        workload = platform.workloads[self.workload]
        scenario.exhaustions.append(
            Exhaustion(self.workload, workload.container, start, end, self.max_latency_factor,
                       self.max_error_share, code, grpc, process_name(platform, self.workload))
        )  # fmt: skip
        summary = (
            f"{short_name(self.workload)} leaks memory: garbage collection thrashes, latency "
            f"climbs to ~{self.max_latency_factor:.0f}x and up to {self.max_error_share:.0%} of "
            "requests fail"
            f"{until_text(timeline, self.end, 'the container was OOMKilled and restarted')}."
        )
        scenario.incidents.append(
            make_incident(platform, self.kind, self.workload, start, end, summary)
        )


@dataclass(frozen=True, slots=True)
class GpuMemory:
    """A model server whose GPU memory fills: latency climbs, then CUDA OOM errors start."""

    workload: str
    start: float
    end: float | None = None
    max_latency_factor: float = 9.0
    max_error_share: float = 0.06
    kind: ClassVar[FaultKind] = FaultKind.GPU_MEMORY

    def apply(self, scenario: Scenario, platform: Platform, timeline: Timeline) -> None:
        """Add the GPU pressure and its incident."""
        start = timeline.at(self.start)
        end = timeline.at(self.end) if self.end is not None else None
        scenario.gpu_pressure.append(
            GpuPressure(self.workload, start, end, self.max_latency_factor, self.max_error_share)
        )
        summary = (
            f"{short_name(self.workload)}'s GPU memory keeps filling: inference latency climbs "
            "and it fails requests with CUDA out-of-memory errors."
        )
        scenario.incidents.append(
            make_incident(platform, self.kind, self.workload, start, end, summary)
        )
