"""Where a fault can happen on a platform: the workloads and Services each kind can target.

Only workloads that serve live traffic are candidates: something that is itself called (or an
entry workload) must call them. Gateways, traffic generators, Jobs and DaemonSets never are.
A fault that empties a Service's endpoints (a crash loop, an outage) needs the workload to be
the Service's only backend, or Envoy would route around it; a fault-injection rule needs every
caller to have a sidecar, since the caller's proxy is what applies it.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

import numpy as np

from collectors.demo.names import ISTIO
from collectors.demo.spec import Platform, Workload
from collectors.demo.traffic import Path, build_paths
from collectors.kinds import FaultKind
from collectors.kinds import Protocol as Wire

REQUESTS = frozenset({Wire.HTTP, Wire.GRPC})
SERVING_KINDS = frozenset({"Deployment", "StatefulSet"})


def _live(platform: Platform, paths: list[Path]) -> set[str]:
    """Workloads that send traffic: entry workloads and everything they reach, transitively."""
    live = {key for key, workload in platform.workloads.items() if workload.entry}
    grown = True
    while grown:
        grown = False
        for path in paths:
            target = path.destination
            if path.source.key in live and target is not None and target.key not in live:
                live.add(target.key)
                grown = True
    return live


class Pool:
    """The candidates of one platform, by fault kind."""

    def __init__(self, platform: Platform) -> None:
        self.platform = platform
        paths = build_paths(platform)
        live = _live(platform, paths)
        self._inbound: dict[str, set[Wire]] = {}
        self._callers: dict[str, set[str]] = {}
        self._service_callers: dict[str, set[str]] = {}
        self._backends: dict[str, set[str]] = {}  # workload -> services that send it traffic
        for path in paths:
            if path.source.key not in live or path.destination is None:
                continue
            assert path.service is not None
            target = path.destination.key
            self._inbound.setdefault(target, set()).add(path.protocol)
            self._callers.setdefault(target, set()).add(path.source.key)
            self._service_callers.setdefault(path.service.key, set()).add(path.source.key)
            self._backends.setdefault(target, set()).add(path.service.key)

    def _serving(self, workload: Workload) -> bool:
        return (
            workload.kind in SERVING_KINDS
            and not workload.gateway
            and not workload.entry
            and workload.namespace != ISTIO
            and workload.key in self._inbound
        )

    def _alone(self, workload_key: str) -> bool:
        """Whether no other workload shares a Service that sends this one traffic."""
        services = self._backends.get(workload_key, set())
        return all(len(self.platform.backends(service)) == 1 for service in services)

    def roots(self, kind: FaultKind) -> list[str]:
        """Workloads a fault of ``kind`` can start in, sorted."""
        found = []
        for key, workload in self.platform.workloads.items():
            if not self._serving(workload):
                continue
            requests = bool(self._inbound[key] & REQUESTS)
            deployment = workload.kind == "Deployment"
            if kind is FaultKind.LATENCY:
                ok = True
            elif kind is FaultKind.BAD_ROLLOUT:
                ok = requests and deployment and not workload.owner[1]
            elif kind is FaultKind.CRASH_LOOP:
                ok = requests and deployment and self._alone(key)
            elif kind is FaultKind.DEPENDENCY_OUTAGE:
                ok = requests and self._alone(key)
            elif kind in (FaultKind.RESOURCE_EXHAUSTION, FaultKind.GPU_MEMORY):
                ok = requests and (kind is not FaultKind.GPU_MEMORY or workload.gpus > 0)
            else:
                ok = False
            if ok:
                found.append(key)
        return sorted(found)

    def abortable_services(self) -> list[str]:
        """Services a fault-injection rule can abort requests to, sorted.

        HTTP or gRPC, one backend that can be a root, and only sidecar-injected callers.
        """
        found = []
        for key, callers in self._service_callers.items():
            service = self.platform.services[key]
            backends = self.platform.backends(key)
            if not {port.protocol for port in service.ports} & REQUESTS or len(backends) != 1:
                continue
            if self._serving(backends[0][0]) and all(self._injected(c) for c in callers):
                found.append(key)
        return sorted(found)

    def _injected(self, workload_key: str) -> bool:
        workload = self.platform.workloads[workload_key]
        injected = self.platform.namespaces.get(workload.namespace, False)
        return workload.sidecar and injected and not workload.gateway

    def callers(self, workload_key: str) -> list[str]:
        """Callers of the workload that serve requests themselves (so can fail them), sorted."""
        return sorted(
            c
            for c in self._callers.get(workload_key, ())
            if self._serving(self.platform.workloads[c])
        )

    def is_tcp(self, workload_key: str) -> bool:
        """Whether all the workload's inbound traffic is TCP (a data store)."""
        return not self._inbound.get(workload_key, set()) & REQUESTS

    def rollable(self) -> list[str]:
        """Deployments a person would roll out by hand (not gateways, not operator-owned)."""
        return sorted(
            key
            for key, w in self.platform.workloads.items()
            if w.kind == "Deployment" and not w.gateway and not w.owner[1]
        )

    def restartable(self) -> list[str]:
        """Long-running workloads whose containers can restart."""
        return sorted(
            key
            for key, w in self.platform.workloads.items()
            if w.kind in SERVING_KINDS and not w.gateway and w.namespace != ISTIO
        )

    @staticmethod
    def pick(rng: np.random.Generator, keys: Sequence[str], avoid: Collection[str] = ()) -> str:
        """One of ``keys`` not in ``avoid``, drawn from ``rng``."""
        options = sorted(set(keys) - set(avoid))
        if not options:
            raise ValueError("no candidate left to pick")
        return options[int(rng.integers(len(options)))]
