"""The demo's traffic model: request rates, failures and latency along the call graph.

A deliberately simple, deterministic model:

- entry workloads (gateways, load generators, batch jobs) send a daily-cycle rate with smooth
  noise; every other workload calls its dependencies ``per_request`` times for each request it
  serves, split across a Service's backends by the VirtualService weights;
- a request fails at a workload with its own failure share, or because a call it depends on
  failed (``criticality`` of that call), so errors cascade upstream;
- a workload's median latency is its own time plus the latency of the calls it makes, so
  latency adds up along the graph.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from graphlib import TopologicalSorter

import numpy as np
import numpy.typing as npt

from collectors.demo.incidents import Array, Faults
from collectors.demo.spec import Call, External, Platform, Service, Workload
from collectors.demo.timeline import Timeline
from collectors.kinds import Protocol

Matrix = npt.NDArray[np.float64]

SIDECAR_MS = 0.8  # what two Envoy hops add to a call, seen from the caller


@dataclass(frozen=True, slots=True)
class Path:
    """One request path: a call from a workload to one backend of a Service, or to a host."""

    index: int
    call: Call
    source: Workload
    protocol: Protocol
    service: Service | None  # None for an external host
    destination: Workload | None  # None for an external host
    external: External | None
    weight: float  # share of the call that lands on this backend

    @property
    def target_key(self) -> str:
        """Key of the latency row of what serves this path."""
        return self.destination.key if self.destination else self.call.target


@dataclass
class Traffic:
    """Per-step rates and behaviour of every path, and latency of everything that serves."""

    paths: list[Path]
    rate: Matrix  # (paths, samples): requests (TCP: queries) per second the source sends
    latency: Matrix  # (rows, samples): median milliseconds a workload or host takes
    latency_row: dict[str, int]
    own_error: dict[str, tuple[Array, str, str]]  # workload -> share, response code, gRPC status
    cascade_error: dict[str, Array]  # workload -> share failing because a dependency failed
    abort: dict[int, tuple[Array, str]] = field(default_factory=dict)  # path -> FI share, code
    unavailable: dict[int, Array] = field(default_factory=dict)  # path -> no ready endpoint
    reset: dict[int, Array] = field(default_factory=dict)  # path -> hit a dying instance
    connection_factor: dict[str, Array] = field(default_factory=dict)

    def reach(self, index: int) -> Array | float:
        """Share of a path's requests that reach a running instance of its destination."""
        share: Array | float = 1.0
        for faults in (self.unavailable, self.reset):
            if index in faults:
                share = share * (1.0 - faults[index])
        if index in self.abort:
            share = share * (1.0 - self.abort[index][0])
        return share


def build_paths(platform: Platform) -> list[Path]:
    """Expand calls into paths, one per backend that receives traffic."""
    paths: list[Path] = []
    for call in platform.calls:
        source = platform.workloads[call.source]
        if call.target in platform.externals:
            external = platform.externals[call.target]
            paths.append(
                Path(len(paths), call, source, external.protocol, None, None, external, 1.0)
            )
            continue
        service = platform.services[call.target]
        protocol = service.port(call.port).protocol
        for backend, weight in platform.backends(call.target):
            paths.append(Path(len(paths), call, source, protocol, service, backend, None, weight))
    return paths


def daily_load(timeline: Timeline) -> Array:
    """Traffic relative to the daily mean: low at night, peaking mid-afternoon UTC."""
    hours = timeline.hours_of_day()
    load: Array = 1.0 + 0.3 * np.sin(2 * math.pi * (hours - 10.0) / 24.0)
    return load


def smooth_noise(rng: np.random.Generator, rows: int, samples: int, sigma: float) -> Matrix:
    """Slowly wandering Gaussian noise (AR(1)) with standard deviation ``sigma``."""
    phi = 0.97
    shocks = rng.standard_normal((samples, rows)) * sigma * math.sqrt(1 - phi * phi)
    out = np.empty((samples, rows))
    out[0] = rng.standard_normal(rows) * sigma
    for i in range(1, samples):
        out[i] = phi * out[i - 1] + shocks[i]
    return np.ascontiguousarray(out.T)


def _order(platform: Platform, paths: list[Path]) -> list[str]:
    graph: TopologicalSorter[str] = TopologicalSorter()
    for workload in platform.workloads:
        graph.add(workload)
    for path in paths:
        if path.destination is not None:
            graph.add(path.destination.key, path.source.key)
    return list(graph.static_order())


def simulate(
    platform: Platform, faults: Faults, timeline: Timeline, rng: np.random.Generator
) -> Traffic:
    """Run the traffic model over the timeline."""
    paths = build_paths(platform)
    samples = timeline.samples
    load = daily_load(timeline)
    rate_noise = np.exp(smooth_noise(rng, len(paths), samples, 0.06))
    rows = {k: i for i, k in enumerate([*platform.workloads, *platform.externals])}
    latency_noise = np.exp(smooth_noise(rng, len(rows), samples, 0.05))
    traffic = Traffic(
        paths=paths,
        rate=np.zeros((len(paths), samples)),
        latency=np.zeros((len(rows), samples)),
        latency_row=rows,
        own_error={},
        cascade_error={},
        connection_factor=dict(faults.connection_factor),
    )
    for path in paths:
        if path.service is not None and path.service.key in faults.abort:
            traffic.abort[path.index] = faults.abort[path.service.key]
        if path.destination is not None:
            if path.destination.key in faults.unavailable:
                traffic.unavailable[path.index] = faults.unavailable[path.destination.key]
            if path.destination.key in faults.reset:
                traffic.reset[path.index] = faults.reset[path.destination.key]
    by_source: dict[str, list[Path]] = {}
    for path in paths:
        by_source.setdefault(path.source.key, []).append(path)
    order = _order(platform, paths)

    served = {k: np.zeros(samples) for k in platform.workloads}
    for workload_key in order:
        workload = platform.workloads[workload_key]
        base = load if workload.entry else served[workload_key]
        for path in by_source.get(workload_key, ()):
            rate = base * path.call.per_request * path.weight * rate_noise[path.index]
            traffic.rate[path.index] = rate
            if path.destination is not None:
                served[path.destination.key] += rate * traffic.reach(path.index)

    for host, external in platform.externals.items():
        traffic.latency[rows[host]] = external.latency_ms * latency_noise[rows[host]]
    failing: dict[str, Array] = {}
    busy = 1.0 + 0.25 * (load - 1.0)
    for workload_key in reversed(order):
        workload = platform.workloads[workload_key]
        own_ms = workload.latency_ms * busy * latency_noise[rows[workload_key]]
        own_ms = own_ms * faults.latency_factor.get(workload_key, 1.0)
        survives = np.ones(samples)
        for path in by_source.get(workload_key, ()):
            hop, failed = _hop(path, traffic, failing)
            calls = path.call.per_request * path.weight
            if not workload.entry:
                own_ms = own_ms + calls * hop
                survives *= (1.0 - path.call.criticality * failed) ** calls
        traffic.latency[rows[workload_key]] = own_ms
        own = faults.own_error.get(workload_key)
        if own is None and workload.error_rate > 0:
            protocol_code = ("503", "") if _serves_http(platform, workload) else ("200", "14")
            own = (np.full(samples, workload.error_rate), *protocol_code)
        if own is not None:
            traffic.own_error[workload_key] = own
        cascade = 1.0 - survives
        if np.any(cascade > 0):
            traffic.cascade_error[workload_key] = cascade
        own_share = own[0] if own is not None else 0.0
        failing[workload_key] = 1.0 - (1.0 - own_share) * survives
    return traffic


def _hop(path: Path, traffic: Traffic, failing: dict[str, Array]) -> tuple[Array, Array | float]:
    """Latency a call adds to its caller, and the share of calls that fail."""
    row = traffic.latency[traffic.latency_row[path.target_key]]
    if path.destination is None or path.protocol is Protocol.TCP:
        return row, 0.0
    reach = traffic.reach(path.index)
    failed = 1.0 - reach * (1.0 - failing.get(path.destination.key, 0.0))
    return row + SIDECAR_MS, failed


def _serves_http(platform: Platform, workload: Workload) -> bool:
    for service in platform.services.values():
        if service.namespace == workload.namespace and service.app == workload.app:
            return any(p.protocol is Protocol.HTTP for p in service.ports)
    return True
