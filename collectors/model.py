"""The snapshot model: the one hand-off between collectors and everything that reads them.

A :class:`Snapshot` is a typed graph (nodes and edges, held in a networkx ``MultiDiGraph``),
long-format time series (a pandas frame with :data:`SERIES_COLUMNS`), metadata about the window
and the sources, and the ground truth of injected incidents when the data comes from the demo.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime

import networkx as nx
import pandas as pd

from collectors.ids import DEFAULT_CLUSTER, edge_id
from collectors.kinds import (
    ChangeKind,
    EdgeKind,
    FaultKind,
    Health,
    NodeFlag,
    NodeKind,
    Protocol,
    Severity,
    SourceState,
)

__all__ = [
    "SCHEMA_VERSION",
    "SERIES_COLUMNS",
    "Change",
    "ChangeKind",
    "Edge",
    "EdgeKind",
    "FaultKind",
    "Finding",
    "GraphPart",
    "Health",
    "Incident",
    "Node",
    "NodeFlag",
    "NodeKind",
    "Protocol",
    "Scalar",
    "Severity",
    "Snapshot",
    "SnapshotMeta",
    "SourceState",
    "SourceStatus",
    "TrafficStats",
    "empty_series",
]

SCHEMA_VERSION = 1
"""Version of the snapshot file format; bump on any change that old readers cannot ignore."""

Scalar = str | int | float | bool
"""Kind-specific facts carried on a node or edge (``workload_kind``, ``gpu_model`` ...)."""


@dataclass(slots=True)
class TrafficStats:
    """RED metrics of a call edge (or of a node's inbound traffic) over the rate window.

    Rates are per second. HTTP and gRPC fill the request fields; TCP fills the byte and
    connection fields. Byte directions are from the caller's point of view:
    ``bytes_to_destination`` is what the source sent (Istio's ``istio_tcp_received_bytes_total``,
    bytes "received during request"), ``bytes_to_source`` is what came back
    (``istio_tcp_sent_bytes_total``, bytes "sent during response").
    """

    request_rate: float = 0.0
    error_rate: float = 0.0  # 4xx + 5xx + no-response + gRPC status != 0
    rate_4xx: float = 0.0
    rate_5xx: float = 0.0  # includes response code 0 (no response at all)
    grpc_error_rate: float = 0.0  # gRPC status != 0 on an HTTP status that is not itself an error
    p50_ms: float | None = None
    p95_ms: float | None = None
    p99_ms: float | None = None
    bytes_to_destination: float = 0.0
    bytes_to_source: float = 0.0
    connection_rate: float = 0.0  # TCP connections opened per second
    mtls_ratio: float | None = None  # share of traffic with connection_security_policy=mutual_tls
    response_codes: dict[str, float] = field(default_factory=dict)  # code -> rps
    grpc_statuses: dict[str, float] = field(default_factory=dict)  # status -> rps
    response_flags: dict[str, float] = field(default_factory=dict)  # Envoy flag -> rps

    @property
    def error_ratio(self) -> float:
        """Errored share of requests, 0 when there were none."""
        return self.error_rate / self.request_rate if self.request_rate > 0 else 0.0

    @property
    def throughput(self) -> float:
        """Bytes per second in both directions."""
        return self.bytes_to_destination + self.bytes_to_source


@dataclass(slots=True)
class Node:
    """One graph node. ``id`` comes from :func:`collectors.ids.node_id`."""

    id: str
    kind: NodeKind
    name: str
    namespace: str = ""
    cluster: str = DEFAULT_CLUSTER
    app: str = ""  # canonical service
    version: str = ""  # canonical revision
    labels: dict[str, str] = field(default_factory=dict)
    flags: set[NodeFlag] = field(default_factory=set)
    health: Health = Health.NO_TRAFFIC
    inbound: TrafficStats | None = None  # what this node received, destination-reported first
    attrs: dict[str, Scalar] = field(default_factory=dict)


@dataclass(slots=True)
class Edge:
    """One graph edge. A call edge is keyed by protocol and destination service too."""

    source: str
    target: str
    kind: EdgeKind
    protocol: Protocol | None = None
    service: str = ""  # for calls: id of the destination service the traffic addressed
    traffic: TrafficStats | None = None
    health: Health = Health.NO_TRAFFIC
    attrs: dict[str, Scalar] = field(default_factory=dict)

    @property
    def key(self) -> str:
        """Key within the multigraph: one call edge per protocol and destination service."""
        if self.kind is EdgeKind.CALLS:
            return f"calls/{self.protocol or ''}/{self.service}"
        return self.kind.value

    @property
    def id(self) -> str:
        """Stable id of this edge (the series entity of a call edge)."""
        return edge_id(self.source, self.target, self.key)


@dataclass(slots=True)
class SourceStatus:
    """What one source delivered: shown as the freshness badge and in banners."""

    name: str  # "demo", "prometheus", "kubernetes", "manifests"
    kind: str  # "cluster" or "metrics"
    state: SourceState
    detail: str = ""  # one line for people
    fetched_at: datetime | None = None
    missing: list[str] = field(default_factory=list)  # kinds or queries that failed


@dataclass(slots=True)
class Incident:
    """Ground truth of an injected incident: what really broke, where and when."""

    id: str
    kind: FaultKind
    root_cause: str  # node id of the true root cause
    start: datetime
    end: datetime | None  # None: still going on at the end of the window
    summary: str
    affected: list[str] = field(default_factory=list)  # node ids expected to show symptoms


@dataclass(frozen=True, slots=True)
class Finding:
    """What one troubleshooting check found on one cluster object.

    ``code`` is stable across releases (CI pipelines filter on it); ``node`` is the graph node
    the finding is drawn on (a pod's finding on its workload), ``""`` when none stands for it.
    """

    code: str
    severity: Severity
    kind: str  # the object's kind: "Pod", "VirtualService"...
    namespace: str  # "" for cluster-scoped objects
    name: str
    message: str  # one line: what is wrong, with the numbers that show it
    hint: str  # one line: what to look at or do
    node: str = ""

    @property
    def object(self) -> str:
        """The object as people write it: ``VirtualService bookinfo/reviews``."""
        where = f"{self.namespace}/{self.name}" if self.namespace else self.name
        return f"{self.kind} {where}"


@dataclass(frozen=True, slots=True)
class Change:
    """Something the cluster recorded happening at a known time: a rollout, a restart, a
    probe failure, an Istio config change. Triage lines these up with anomaly onsets.

    ``at`` is when it started (an Event's first timestamp, an object's creation); repeated
    Events keep their count and ``last`` time.
    """

    at: datetime  # timezone-aware UTC
    kind: ChangeKind
    object: str  # as people write it: ``Deployment bookinfo/ratings-v1``
    message: str  # one line
    node: str = ""  # the graph node it belongs to (a pod's change on its workload); "" none
    reason: str = ""  # the Kubernetes reason (ScalingReplicaSet, BackOff, OOMKilling...)
    warning: bool = False
    count: int = 1
    last: datetime | None = None


@dataclass(slots=True)
class SnapshotMeta:
    """The window a snapshot covers and where its data came from."""

    start: datetime  # timezone-aware UTC
    end: datetime
    step_seconds: int  # resolution of the series
    rate_window_seconds: int  # window of the edge/node rates, ending at ``end``
    created_at: datetime
    generator: str  # "demo seed=7 scale=1", "prometheus http://...", ...
    sources: list[SourceStatus] = field(default_factory=list)
    schema_version: int = SCHEMA_VERSION


SERIES_COLUMNS = ("entity", "metric", "timestamp", "value")
"""Long-format series: one row per (entity id, metric name, UTC timestamp).

``entity`` (a node or edge id) and ``metric`` are categoricals, ``timestamp`` is
``datetime64[ns, UTC]``, ``value`` float64. Metric names: ``request_rate`` and ``error_rate``
(per second), ``p95_ms``, ``throughput`` (bytes per second).
"""


@dataclass(slots=True)
class GraphPart:
    """Nodes and edges one transform found; the pipeline merges parts by node id."""

    nodes: list[Node] = field(default_factory=list)
    edges: list[Edge] = field(default_factory=list)


def empty_series() -> pd.DataFrame:
    """Return a series frame with the fixed schema and no rows."""
    return pd.DataFrame(
        {
            "entity": pd.Series([], dtype="category"),
            "metric": pd.Series([], dtype="category"),
            "timestamp": pd.Series([], dtype="datetime64[ns, UTC]"),
            "value": pd.Series([], dtype="float64"),
        }
    )


@dataclass
class Snapshot:
    """A consistent picture of a platform over one window.

    Build one with :func:`collectors.pipeline.build_snapshot`; save and load it with
    :mod:`collectors.snapshot_io`.
    """

    meta: SnapshotMeta
    graph: nx.MultiDiGraph = field(default_factory=nx.MultiDiGraph)
    series: pd.DataFrame = field(default_factory=empty_series)
    incidents: list[Incident] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)  # what the checks found
    changes: list[Change] = field(default_factory=list)  # what the cluster recorded, by time

    def add_node(self, node: Node) -> None:
        """Add or replace a node."""
        self.graph.add_node(node.id, node=node)

    def add_edge(self, edge: Edge) -> None:
        """Add or replace an edge; both ends must already be nodes."""
        for end in (edge.source, edge.target):
            if end not in self.graph:
                raise KeyError(f"edge {edge.kind.value} refers to missing node {end}")
        self.graph.add_edge(edge.source, edge.target, key=edge.key, edge=edge)

    def node(self, node_id: str) -> Node:
        """Return the node with this id (``KeyError`` if absent)."""
        found: Node = self.graph.nodes[node_id]["node"]
        return found

    def nodes(self, kind: NodeKind | None = None) -> Iterator[Node]:
        """Iterate nodes, optionally of one kind, in insertion order."""
        for _, data in self.graph.nodes(data="node"):
            if kind is None or data.kind is kind:
                yield data

    def edges(self, kind: EdgeKind | None = None) -> Iterator[Edge]:
        """Iterate edges, optionally of one kind, in insertion order."""
        for _, _, data in self.graph.edges(data="edge"):
            if kind is None or data.kind is kind:
                yield data
