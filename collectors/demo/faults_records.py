"""What a scenario injects, as records both halves of the demo read.

Each record holds the facts of one fault (or one harmless change) at absolute times: the
telemetry model turns them into per-step shares and factors (:mod:`collectors.demo.faults_effects`)
and the object builders into ReplicaSet revisions, pod statuses, Events and Istio rules. A
:class:`Scenario` holds them by kind, with the ground-truth incidents they make.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from collectors.model import Incident

CRASH_RUN_SECONDS = 45.0  # how long a crash-looping container lives before the OOM killer takes it
READY_AFTER_SECONDS = 5.0  # readiness probe delay after each start
BACKOFF_CAP_SECONDS = 300.0  # the kubelet's crash-loop back-off cap
PROBE_PERIOD_SECONDS = 10.0  # readinessProbe.periodSeconds of the demo's pods
PROBE_FAILURES_TO_UNREADY = 3  # readinessProbe.failureThreshold


@dataclass(frozen=True, slots=True)
class Rollout:
    """A new ReplicaSet revision of a Deployment.

    A bad one fails ``error_share`` of its requests (``code``, gRPC ``grpc_status``) until it is
    rolled back; a routine one (``error_share`` 0) changes nothing anyone would notice.
    """

    workload: str
    new_image: str
    start: datetime
    rolled_back: datetime | None
    error_share: float
    code: str = "500"
    grpc_status: str = ""


@dataclass(frozen=True, slots=True)
class Saturation:
    """A workload slowed down by load: everything it does takes ``latency_factor`` times longer.

    ``caller`` (may be empty) is the client that starts hitting its deadline and fails
    ``caller_timeouts`` of its own requests with ``caller_code`` / ``caller_grpc_status``.
    """

    workload: str
    start: datetime
    end: datetime | None
    latency_factor: float
    connection_factor: float
    caller: str
    caller_timeouts: float
    caller_code: str = "200"
    caller_grpc_status: str = "4"  # DEADLINE_EXCEEDED
    probe_failures: int = 27  # readiness probes that timed out while it lasted


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
    """An Istio fault-injection abort on the routes of a Service (``namespace/name``).

    ``end`` is when the rule was taken out again (the VirtualService was edited).
    """

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
    process: str = ""  # what the kernel's OOM killer names; the container's name when empty

    @property
    def restarts(self) -> int:
        """Restarts the kubelet counted by the end of the window."""
        return max(0, len(self.runs) - 1)

    @property
    def running_at_end(self) -> bool:
        """Whether the container was up (between restarts) at the end of the window."""
        started, died = self.runs[-1]
        return started <= self.end_ts < died


@dataclass(frozen=True, slots=True)
class Outage:
    """Every pod of a workload stops accepting connections and fails its readiness probe.

    Nothing restarts them (the pods have no liveness probe), so the Service has no ready
    endpoint from about ``PROBE_FAILURES_TO_UNREADY`` probe periods after ``start`` until
    ``end``: callers' sidecars answer 503 with flag ``UH``.
    """

    workload: str
    start: datetime
    end: datetime | None

    @property
    def unready_from(self) -> datetime:
        """When the last ready endpoint left the Service."""
        return self.start + timedelta(seconds=PROBE_PERIOD_SECONDS * PROBE_FAILURES_TO_UNREADY)


@dataclass(frozen=True, slots=True)
class Exhaustion:
    """A memory leak: garbage collection thrashes, latency climbs, then requests fail.

    With an ``end`` the container reached its memory limit and was OOMKilled then; the
    restarted container starts with empty memory and is healthy again.
    """

    workload: str
    container: str
    start: datetime
    end: datetime | None
    max_latency_factor: float
    max_error_share: float
    code: str = "500"
    grpc_status: str = ""
    process: str = ""


@dataclass(frozen=True, slots=True)
class Restart:
    """One container restart of one pod at ``at`` (possibly before the window): harmless now."""

    workload: str
    container: str
    at: datetime
    reason: str  # "OOMKilled" or "Error"
    exit_code: int
    process: str = ""


@dataclass(frozen=True, slots=True)
class BackgroundErrors:
    """A workload that fails a small steady share of its requests all window long."""

    workload: str
    share: float
    code: str = "503"
    grpc_status: str = ""


@dataclass
class Scenario:
    """Every injected fault, the harmless changes around them, and the incidents they make."""

    incidents: list[Incident] = field(default_factory=list)
    rollouts: list[Rollout] = field(default_factory=list)
    saturations: list[Saturation] = field(default_factory=list)
    gpu_pressure: list[GpuPressure] = field(default_factory=list)
    fault_rules: list[FaultRule] = field(default_factory=list)
    crash_loops: list[CrashLoop] = field(default_factory=list)
    outages: list[Outage] = field(default_factory=list)
    exhaustions: list[Exhaustion] = field(default_factory=list)
    restarts: list[Restart] = field(default_factory=list)
    background_errors: list[BackgroundErrors] = field(default_factory=list)


def crash_runs(start: datetime, end: datetime) -> tuple[tuple[float, float], ...]:
    """Runs of a container killed ``CRASH_RUN_SECONDS`` after each start, with back-off."""
    runs: list[tuple[float, float]] = []
    began, delay = start.timestamp(), 10.0
    while began <= end.timestamp():
        runs.append((began, began + CRASH_RUN_SECONDS))
        began += CRASH_RUN_SECONDS + delay
        delay = min(delay * 2, BACKOFF_CAP_SECONDS)
    return tuple(runs)
