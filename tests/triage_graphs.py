"""Small hand-built platforms with one injected fault, as snapshots, for the triage tests.

Each workload serves ``rate`` requests per second from each caller and makes one call to each
of its dependencies per request it serves. A request fails when the workload fails it itself or
when a call it makes fails; its latency is its own plus the latency of its calls. The fault
starts at minute ``onset`` and lasts to the end. A little seeded noise keeps the baselines
honest. A TCP call (``tcp=True``) carries requests but no latency or errors, as in Istio.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd

from collectors.ids import node_id
from collectors.kinds import EdgeKind, NodeKind, Protocol
from collectors.model import Change, Edge, Node, Snapshot, SnapshotMeta

END = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
MINUTES = 120


def wid(name: str) -> str:
    """Id of a workload in namespace ``shop``."""
    return node_id(NodeKind.WORKLOAD, name, "shop")


@dataclass(frozen=True)
class Fault:
    """What goes wrong at one workload from ``onset`` minutes on."""

    error_share: float = 0.0
    latency_factor: float = 1.0
    onset: int = 80


@dataclass
class Platform:
    """Calls between workloads (by name), which of them are TCP, and the fault."""

    calls: list[tuple[str, str]]
    faults: Mapping[str, Fault] = field(default_factory=dict)
    tcp: set[tuple[str, str]] = field(default_factory=set)
    unknown: set[str] = field(default_factory=set)  # names drawn as unknown peers
    latency_ms: float = 10.0
    rate: float = 5.0
    changes: list[Change] = field(default_factory=list)

    @property
    def names(self) -> list[str]:
        return sorted({n for call in self.calls for n in call})

    def node(self, name: str) -> str:
        if name in self.unknown:
            return node_id(NodeKind.UNKNOWN, name, "unknown")
        return wid(name)


def _behaviour(platform: Platform, minute: int) -> tuple[dict[str, float], dict[str, float]]:
    """Failure share and latency of every workload at one minute (fixed point over cycles)."""
    callees: dict[str, list[str]] = {n: [] for n in platform.names}
    for source, target in platform.calls:
        callees[source].append(target)
    failing = dict.fromkeys(platform.names, 0.0)
    latency = dict.fromkeys(platform.names, platform.latency_ms)
    for _ in range(len(platform.names) + 1):  # enough rounds for any chain; cycles settle
        for name in platform.names:
            fault = platform.faults.get(name, Fault())
            active = minute >= fault.onset
            own_error = fault.error_share if active else 0.0
            survives = 1.0 - own_error
            own_ms = platform.latency_ms * (fault.latency_factor if active else 1.0)
            for callee in callees[name]:
                if (name, callee) in platform.tcp:
                    own_ms += latency[callee]
                    continue
                survives *= 1.0 - failing[callee]
                own_ms += latency[callee]
            failing[name] = 1.0 - survives
            latency[name] = min(own_ms, 60_000.0)
    return failing, latency


def snapshot_of(platform: Platform, *, seed: int = 3) -> Snapshot:
    """The platform's snapshot: workload nodes, call edges and two hours of 1-minute series."""
    rng = np.random.default_rng(seed)
    start = END - timedelta(minutes=MINUTES - 1)
    snapshot = Snapshot(SnapshotMeta(start, END, 60, 600, END, "triage test platform"))
    for name in platform.names:
        kind = NodeKind.UNKNOWN if name in platform.unknown else NodeKind.WORKLOAD
        namespace = "unknown" if name in platform.unknown else "shop"
        snapshot.add_node(Node(platform.node(name), kind, name, namespace))
    edges = []
    for source, target in platform.calls:
        protocol = Protocol.TCP if (source, target) in platform.tcp else Protocol.HTTP
        edge = Edge(platform.node(source), platform.node(target), EdgeKind.CALLS, protocol,
                    service=node_id(NodeKind.SERVICE, target, "shop"))  # fmt: skip
        snapshot.add_edge(edge)
        edges.append((source, target, edge.id))
    rows: list[tuple[str, str, pd.Timestamp, float]] = []
    for minute in range(MINUTES):
        at = pd.Timestamp(start + timedelta(minutes=minute))
        failing, latency = _behaviour(platform, minute)
        inbound: dict[str, float] = {}
        for source, target, edge in edges:
            rate = platform.rate * float(np.exp(rng.normal(0, 0.03)))
            inbound[target] = inbound.get(target, 0.0) + rate
            rows.append((edge, "request_rate", at, rate))
            if (source, target) in platform.tcp:
                continue
            rows.append((edge, "error_rate", at, rate * failing[target]))
            noisy = latency[target] * float(np.exp(rng.normal(0, 0.04)))
            rows.append((edge, "p95_ms", at, noisy))
        for target, rate in inbound.items():
            if target in platform.unknown:
                continue
            rows.append((wid(target), "request_rate", at, rate))
            rows.append((wid(target), "error_rate", at, rate * failing[target]))
            if not any(t == target and (s, t) in platform.tcp for s, t, _ in edges):
                rows.append((wid(target), "p95_ms", at, latency[target]))
    frame = pd.DataFrame(rows, columns=["entity", "metric", "timestamp", "value"])
    frame["entity"] = frame["entity"].astype("category")
    frame["metric"] = frame["metric"].astype("category")
    frame["timestamp"] = pd.to_datetime(frame["timestamp"], utc=True)
    snapshot.series = frame
    snapshot.changes = list(platform.changes)
    return snapshot


def onset_time(minute: int) -> datetime:
    """Wall time of a minute of the test window."""
    return END - timedelta(minutes=MINUTES - 1 - minute)


def names(nodes: Iterable[str]) -> list[str]:
    """Workload names of node ids, in order."""
    return [n.rsplit("/", 1)[-1] for n in nodes]
