"""Enumerations shared by the model, the transforms and the views."""

from __future__ import annotations

from enum import StrEnum


class NodeKind(StrEnum):
    """What a graph node stands for."""

    NAMESPACE = "namespace"
    WORKLOAD = "workload"
    SERVICE = "service"
    POD = "pod"
    MACHINE = "node"
    GPU = "gpu"
    EXTERNAL = "external"
    UNKNOWN = "unknown"
    PIPELINE_RUN = "pipeline_run"
    PIPELINE_STEP = "pipeline_step"
    ARTIFACT = "artifact"
    INFERENCE_SERVICE = "inference_service"


class EdgeKind(StrEnum):
    """How two nodes relate. ``CALLS`` is traffic; the others are structure."""

    CALLS = "calls"
    SELECTS = "selects"
    OWNS = "owns"
    RUNS_ON = "runs_on"
    USES_GPU = "uses_gpu"
    CONSUMES = "consumes"
    PRODUCES = "produces"
    SERVES = "serves"
    PRECEDES = "precedes"  # pipeline step -> the step that waits for it (the run's DAG)
    CONTAINS = "contains"  # artifact -> an artifact stored under its URI (a folder and a file)


class Protocol(StrEnum):
    """Traffic protocol of a call edge, as Istio's ``request_protocol`` names it."""

    HTTP = "http"
    GRPC = "grpc"
    TCP = "tcp"


class Health(StrEnum):
    """Traffic health, with Kiali's vocabulary."""

    HEALTHY = "healthy"
    DEGRADED = "degraded"
    FAILURE = "failure"
    NO_TRAFFIC = "no_traffic"


class NodeFlag(StrEnum):
    """Conditions shown as badges on a node."""

    UNKNOWN = "unknown"  # telemetry names a peer it could not identify
    EXTERNAL = "external"  # outside the mesh (ServiceEntry host, passthrough)
    DEAD = "dead"  # a workload or service with no pods behind it
    IDLE = "idle"  # known to the cluster but no traffic in the window
    MISSING_SIDECAR = "missing_sidecar"
    NOT_READY = "not_ready"
    RESTARTING = "restarting"
    ENTRY_POINT = "entry_point"  # ingress gateways and traffic generators
    INBOUND_ONLY_SOURCE = "source_only"  # seen only by a source reporter
    # Istio configuration routing to or applying to the node (Kiali's badges).
    VIRTUAL_SERVICE = "virtual_service"  # a VirtualService routes to it
    TRAFFIC_SHIFT = "traffic_shift"  # weighted routes split its traffic
    FAULT_INJECTION = "fault_injection"  # a route injects delays or aborts
    RETRIES = "retries"  # a route sets retries
    TIMEOUT = "timeout"  # a route sets a request timeout
    CIRCUIT_BREAKER = "circuit_breaker"  # outlierDetection or connectionPool limits
    MIRRORING = "mirroring"  # a route mirrors traffic
    MTLS_STRICT = "mtls_strict"  # a PeerAuthentication requires mutual TLS
    # Troubleshooting checks that found something on the node (see collectors.checks).
    CHECK_ERROR = "check_error"
    CHECK_WARNING = "check_warning"


class Severity(StrEnum):
    """How bad a check's finding is. ``meshlens check`` fails on errors."""

    ERROR = "error"  # broken now: traffic fails or a workload cannot run
    WARNING = "warning"  # works, but is fragile or not what was meant
    INFO = "info"  # worth knowing while troubleshooting (an active fault injection...)


class SourceState(StrEnum):
    """How a source fared in the collection that produced a snapshot."""

    OK = "ok"
    PARTIAL = "partial"  # some kinds or queries failed; the rest is there
    UNAVAILABLE = "unavailable"
    STALE = "stale"  # last good data is being served


class FaultKind(StrEnum):
    """Kinds of injected (or diagnosed) incidents."""

    BAD_ROLLOUT = "bad_rollout"
    LATENCY = "latency"  # saturated dependency adding latency
    GPU_MEMORY = "gpu_memory"
    FAULT_INJECTION = "fault_injection"
    CRASH_LOOP = "crash_loop"
    DEPENDENCY_OUTAGE = "dependency_outage"
    RESOURCE_EXHAUSTION = "resource_exhaustion"


class ChangeKind(StrEnum):
    """What kind of change the cluster recorded: the "what changed" of a triage timeline."""

    ROLLOUT = "rollout"  # a new ReplicaSet / controller revision, scaling between revisions
    SCALE = "scale"  # replicas changed without a new revision (HPA, kubectl scale)
    RESTART = "restart"  # container restarts, back-off, OOM kills
    PROBE = "probe"  # readiness or liveness probe failures
    CONFIG = "config"  # Istio configuration created or changed
    SCHEDULING = "scheduling"  # pods that could not be scheduled, evictions, node trouble
    EVENT = "event"  # any other Warning event
