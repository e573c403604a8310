"""Request paths: from Istio labels to the graph nodes and the call edge they stand for.

Both the traffic graph (instant queries) and the traffic series (range queries) map samples to
edges here, so a series entity is always the id of an edge the graph has.

A request path is the label tuple of :data:`collectors.istio_queries.SERIES_LABELS`. The range
queries group by nothing finer, so the node ids of a path are built from those labels plus the
clusters, which only the instant queries carry (``source_cluster``/``destination_cluster``); the
series fall back to what the instant answers told about the same path, else
:data:`~collectors.ids.DEFAULT_CLUSTER`.

Where the ends of a path land:

- source: the source workload, or the single :data:`UNKNOWN_NODE_ID` node when telemetry names
  none (a caller without a sidecar, or a request that never got identified);
- target: the destination workload when known; else the destination service itself when it is a
  Kubernetes service in the mesh (requests that never reached a workload: ``UH``, ``NR``, a
  service without sidecars); else an external node for ``PassthroughCluster``,
  ``BlackHoleCluster`` and ServiceEntry hosts such as ``api.stripe.com``; else the unknown node.
- Unknown and external nodes live outside any real cluster: both use
  :data:`~collectors.ids.DEFAULT_CLUSTER`. The unknown node's namespace is ``unknown``; an
  external node keeps the namespace telemetry gives the host (a ServiceEntry's namespace), or
  ``unknown`` when there is none (passthrough and blackhole traffic).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import NamedTuple

from collectors.ids import DEFAULT_CLUSTER, node_id
from collectors.istio_queries import INSTANT_QUERIES, SERIES_LABELS
from collectors.kinds import EdgeKind, NodeFlag, NodeKind, Protocol
from collectors.model import Edge
from collectors.prom import MetricsResults

UNKNOWN = "unknown"
"""Istio's value for a label it could not fill."""

UNKNOWN_NODE_ID = node_id(NodeKind.UNKNOWN, UNKNOWN, UNKNOWN, DEFAULT_CLUSTER)
"""The one node standing for every caller or callee that telemetry could not name."""

EXTERNAL_SERVICE_NAMES = frozenset({"PassthroughCluster", "BlackHoleCluster"})
"""Envoy's built-in clusters for traffic to hosts the mesh does not know."""

NOT_A_SERVICE_NAMES = frozenset(
    {"InboundPassthroughCluster", "InboundPassthroughClusterIpv4", "InboundPassthroughClusterIpv6"}
)
"""Inbound catch-all clusters: the workload was called directly, not through a service."""

REPORTER_PREFERENCE = ("destination", "waypoint", "source")
"""Which reporter's view of a path wins: the side closest to the workload that served it."""

# Istio < 1.8 sometimes put the FQDN in destination_service_name with the namespace "unknown".
_CLUSTER_FQDN = re.compile(r"^(?P<name>[^.]+)\.(?P<namespace>[^.]+)\.svc(?:\..*)?$")


class RequestPath(NamedTuple):
    """The labels that tell one request path from another (``SERIES_LABELS``, in order)."""

    source_namespace: str
    source_workload: str
    service_namespace: str
    service_name: str
    destination_namespace: str
    destination_workload: str
    protocol: str

    @classmethod
    def of(cls, labels: Mapping[str, str]) -> RequestPath:
        """Return the path a sample's labels describe (missing labels read as empty)."""
        return cls(*(labels.get(name, "") for name in SERIES_LABELS))


class Clusters(NamedTuple):
    """The clusters at both ends of a path."""

    source: str = DEFAULT_CLUSTER
    destination: str = DEFAULT_CLUSTER

    @classmethod
    def of(cls, labels: Mapping[str, str]) -> Clusters:
        """Read the cluster labels; an unknown destination cluster is taken to be the source's."""
        source = _known(labels.get("source_cluster", "")) or DEFAULT_CLUSTER
        destination = _known(labels.get("destination_cluster", "")) or source
        return cls(source, destination)


NO_CLUSTER_LABELS = Clusters()
"""What a path without cluster labels assumes: Istio's default cluster on both ends."""


@dataclass(frozen=True, slots=True)
class NodeRef:
    """Enough about a node to build it: kind, name, namespace, cluster and badges."""

    kind: NodeKind
    name: str
    namespace: str
    cluster: str = DEFAULT_CLUSTER
    flags: frozenset[NodeFlag] = field(default_factory=frozenset)

    @property
    def id(self) -> str:
        """The node id, from :func:`collectors.ids.node_id`."""
        return node_id(self.kind, self.name, self.namespace, self.cluster)


UNKNOWN_NODE = NodeRef(
    NodeKind.UNKNOWN, UNKNOWN, UNKNOWN, DEFAULT_CLUSTER, frozenset({NodeFlag.UNKNOWN})
)


@dataclass(frozen=True, slots=True)
class Route:
    """Where a request path lands in the graph."""

    source: NodeRef
    target: NodeRef
    service: NodeRef | None  # the in-mesh service or external host addressed; None if unnamed
    protocol: Protocol

    def edge(self) -> Edge:
        """Return a bare call edge (no traffic yet) for this route."""
        return Edge(
            source=self.source.id,
            target=self.target.id,
            kind=EdgeKind.CALLS,
            protocol=self.protocol,
            service=self.service.id if self.service else "",
        )

    @property
    def edge_id(self) -> str:
        """Id of the call edge, exactly as :attr:`collectors.model.Edge.id` builds it."""
        return self.edge().id


def route(path: RequestPath, clusters: Clusters = NO_CLUSTER_LABELS) -> Route:
    """Map a request path to its source, target and addressed service nodes."""
    return Route(
        source=_source_node(path, clusters),
        target=_target_node(path, clusters),
        service=_service_node(path, clusters),
        protocol=protocol_of(path.protocol),
    )


def path_clusters(results: MetricsResults) -> dict[RequestPath, Clusters]:
    """Return the clusters the instant answers name for each path (first seen wins).

    Range queries carry no cluster labels; the series use this to land on the graph's nodes.
    """
    found: dict[RequestPath, Clusters] = {}
    for query in INSTANT_QUERIES:
        if query.key in results.failed:
            continue
        for sample in results.instant.get(query.key, ()):
            found.setdefault(RequestPath.of(sample.labels), Clusters.of(sample.labels))
    return found


def protocol_of(value: str) -> Protocol:
    """Read ``request_protocol``; anything unrecognised is HTTP (Istio only emits the three)."""
    try:
        return Protocol(value.lower())
    except ValueError:
        return Protocol.HTTP


def reporter_of(labels: Mapping[str, str]) -> str:
    """Return the ``reporter`` label (``source`` when absent: the only side always present)."""
    return labels.get("reporter", "") or "source"


def choose_reporters(seen: Iterable[tuple[RequestPath, str]]) -> dict[RequestPath, str]:
    """Pick, for each path, the one reporter whose samples count (see ``REPORTER_PREFERENCE``).

    Only one reporter is kept per path so the same requests are never counted twice.
    """
    rank = {reporter: i for i, reporter in enumerate(REPORTER_PREFERENCE)}
    worst = len(REPORTER_PREFERENCE)
    chosen: dict[RequestPath, str] = {}
    for path, reporter in seen:
        current = chosen.get(path)
        if current is None or rank.get(reporter, worst) < rank.get(current, worst):
            chosen[path] = reporter
    return chosen


def is_destination_side(reporter: str) -> bool:
    """True for reporters that see the server's side of the connection."""
    return reporter != "source"


def _known(value: str) -> str:
    return "" if value in ("", UNKNOWN) else value


def _service_identity(path: RequestPath) -> tuple[str, str]:
    """Return (name, namespace) of the addressed service, repairing FQDN-shaped names."""
    name, namespace = _known(path.service_name), _known(path.service_namespace)
    fqdn = _CLUSTER_FQDN.match(name)
    if fqdn:
        return fqdn["name"], namespace or fqdn["namespace"]
    return name, namespace


def _is_mesh_service(name: str, namespace: str) -> bool:
    # Kubernetes Service names are DNS labels: a dot means a host (ServiceEntry or passthrough).
    return bool(name and namespace) and "." not in name and name not in EXTERNAL_SERVICE_NAMES


def _source_node(path: RequestPath, clusters: Clusters) -> NodeRef:
    workload = _known(path.source_workload)
    if not workload:
        return UNKNOWN_NODE
    return NodeRef(NodeKind.WORKLOAD, workload, path.source_namespace, clusters.source)


def _external_node(name: str, namespace: str) -> NodeRef:
    return NodeRef(
        NodeKind.EXTERNAL,
        name,
        namespace or UNKNOWN,
        DEFAULT_CLUSTER,
        frozenset({NodeFlag.EXTERNAL}),
    )


def _service_node(path: RequestPath, clusters: Clusters) -> NodeRef | None:
    name, namespace = _service_identity(path)
    if not name or name in NOT_A_SERVICE_NAMES:
        return None
    if _is_mesh_service(name, namespace):
        return NodeRef(NodeKind.SERVICE, name, namespace, clusters.destination)
    return _external_node(name, namespace)


def _target_node(path: RequestPath, clusters: Clusters) -> NodeRef:
    workload = _known(path.destination_workload)
    if workload:
        return NodeRef(
            NodeKind.WORKLOAD, workload, path.destination_namespace, clusters.destination
        )
    service = _service_node(path, clusters)
    return service if service is not None else UNKNOWN_NODE
