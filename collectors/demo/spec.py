"""The demo platform as data: workloads, services, external hosts and who calls whom.

Everything else in the demo (Kubernetes objects, Istio telemetry, incidents) is derived from one
:class:`Platform`, so the objects and the telemetry always describe the same system.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from collectors.kinds import Protocol

Pairs = tuple[tuple[str, str], ...]
"""An ordered, hashable mapping (labels, env) as a spec stores it."""


def key(namespace: str, name: str) -> str:
    """Return the ``namespace/name`` key the spec uses for workloads and services."""
    return f"{namespace}/{name}"


def port_protocol(port_name: str) -> Protocol:
    """Return the protocol Istio infers from a Service port name (``grpc``, ``http-api``...).

    Names Istio does not parse as HTTP or gRPC (``tcp-redis``, ``mysql``, ``https``) carry TCP
    telemetry.
    """
    prefix = port_name.lower().split("-", 1)[0]
    if prefix in ("grpc", "grpc_web"):
        return Protocol.GRPC
    if prefix in ("http", "http2"):
        return Protocol.HTTP
    return Protocol.TCP


@dataclass(frozen=True, slots=True)
class Port:
    """One Service port: its name decides the protocol, as in Istio."""

    name: str
    port: int
    target: int = 0  # container port; 0 means the same as ``port``

    @property
    def target_port(self) -> int:
        """The container port traffic lands on."""
        return self.target or self.port

    @property
    def protocol(self) -> Protocol:
        """Protocol of traffic through this port."""
        return port_protocol(self.name)


@dataclass(frozen=True, slots=True)
class Workload:
    """A Deployment, StatefulSet, Job or DaemonSet and how it behaves under load."""

    namespace: str
    name: str
    app: str
    version: str = ""
    kind: str = "Deployment"
    image: str = ""
    container: str = "server"
    container_ports: tuple[int, ...] = (8080,)
    replicas: int = 1
    sidecar: bool = True
    gateway: bool = False  # an Istio gateway: the proxy is the workload, reports as source only
    entry: bool = False  # a traffic source: its calls' ``per_request`` are requests per second
    gpus: int = 0
    gpu_product: str = ""  # the nvidia.com/gpu.product its pods are scheduled on
    latency_ms: float = 2.0  # median time spent in the workload itself per request
    latency_sigma: float = 0.5  # spread of the lognormal latency around the median
    ok_codes: tuple[tuple[str, float], ...] = ()  # normal non-200 answers and their share
    error_rate: float = 0.0  # background share of requests failing with 503 / UNAVAILABLE
    env: Pairs = ()
    labels: Pairs = ()  # extra pod labels
    annotations: Pairs = ()  # extra pod annotations
    owner: tuple[str, str, str] = ("", "", "")  # (apiVersion, kind, name) of an owning resource
    service_account: str = ""
    cpu: str = "100m"
    memory: str = "128Mi"
    args: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        """``namespace/name``."""
        return key(self.namespace, self.name)

    @property
    def canonical_revision(self) -> str:
        """Istio's canonical revision: the ``version`` label, else ``latest``."""
        return self.version or "latest"

    @property
    def account(self) -> str:
        """The service account the pods run as."""
        return self.service_account or "default"

    def pod_labels(self) -> dict[str, str]:
        """Labels every pod of this workload carries (before controller-added ones)."""
        labels = {"app": self.app}
        if self.version:
            labels["version"] = self.version
        labels.update(self.labels)
        return labels


@dataclass(frozen=True, slots=True)
class Service:
    """A Kubernetes Service selecting workloads by their ``app`` label."""

    namespace: str
    name: str
    app: str
    ports: tuple[Port, ...]
    type: str = "ClusterIP"

    @property
    def key(self) -> str:
        """``namespace/name``."""
        return key(self.namespace, self.name)

    @property
    def fqdn(self) -> str:
        """The host Istio reports as ``destination_service``."""
        return f"{self.name}.{self.namespace}.svc.cluster.local"

    def port(self, number: int) -> Port:
        """Return the port with this number (``KeyError`` if the Service has none)."""
        for port in self.ports:
            if port.port == number:
                return port
        raise KeyError(f"service {self.key} has no port {number}")


@dataclass(frozen=True, slots=True)
class External:
    """A host outside the mesh, declared by a ServiceEntry in ``namespace``."""

    host: str  # as telemetry names the destination service
    namespace: str
    protocol: Protocol
    latency_ms: float
    port: int = 443


@dataclass(frozen=True, slots=True)
class Call:
    """Traffic from a workload to a Service (``namespace/name``) or an external host."""

    source: str  # workload key
    target: str  # service key, or an external host
    port: int  # Service port (external: the host's port)
    per_request: float  # calls per request the source serves (entry workloads: per second)
    criticality: float = 1.0  # share of this call's failures that fail the caller's request
    request_bytes: float = 300.0  # per request (TCP: per query, client to server)
    response_bytes: float = 1200.0  # per request (TCP: per query, server to client)
    connections_per_query: float = 0.002  # TCP only: pooled clients open few connections


@dataclass
class Platform:
    """The whole demo platform."""

    namespaces: dict[str, bool] = field(default_factory=dict)  # name -> sidecar injection
    workloads: dict[str, Workload] = field(default_factory=dict)
    services: dict[str, Service] = field(default_factory=dict)
    externals: dict[str, External] = field(default_factory=dict)
    calls: list[Call] = field(default_factory=list)
    weights: dict[str, dict[str, float]] = field(default_factory=dict)  # VirtualService splits
    _by_app: dict[tuple[str, str], list[Workload]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def add(
        self,
        workloads: Iterable[Workload] = (),
        services: Iterable[Service] = (),
        calls: Iterable[Call] = (),
    ) -> None:
        """Add parts; a repeated key is a bug in the catalog, so it raises."""
        for workload in workloads:
            if workload.key in self.workloads:
                raise ValueError(f"duplicate workload {workload.key}")
            self.workloads[workload.key] = workload
            self._by_app.setdefault((workload.namespace, workload.app), []).append(workload)
        for service in services:
            if service.key in self.services:
                raise ValueError(f"duplicate service {service.key}")
            self.services[service.key] = service
        self.calls.extend(calls)

    def merge(self, other: Platform) -> None:
        """Add everything ``other`` holds."""
        self.namespaces.update(other.namespaces)
        self.externals.update(other.externals)
        self.weights.update(other.weights)
        self.add(other.workloads.values(), other.services.values(), other.calls)

    def backends(self, service_key: str) -> list[tuple[Workload, float]]:
        """Workloads behind a Service with the share of its traffic each receives.

        A VirtualService split (``weights``) decides where one exists; otherwise traffic
        spreads by replica count, as kube-proxy and Envoy's round robin would.
        """
        service = self.services[service_key]
        selected = self._by_app.get((service.namespace, service.app), [])
        split = self.weights.get(service_key)
        if split is not None:
            total = sum(split.values())
            shares = [(w, split.get(w.key, 0.0) / total) for w in selected]
        else:
            replicas = sum(w.replicas for w in selected)
            shares = [(w, w.replicas / replicas) for w in selected]
        return [(w, share) for w, share in shares if share > 0]
