"""The call graph triage reasons on: who calls whom, between workloads.

Telemetry lands some calls on a Service node instead of a workload: requests that never reached
a pod (a fault-injection abort, "no healthy upstream") have no destination workload. Those
belong to the workloads behind the Service, so each Service is folded into the workloads it
selects; a Service that selects nothing stays an actor of its own, as do external hosts and
unknown peers. Every call edge id is kept on the folded edge, so the series of the real edges
can be summed.

>>> graph = CallGraph()
>>> graph.add_call("a", "b", "a->b")
>>> graph.downstream("a", hops=2), graph.upstream("b", hops=1)
({'b': 1}, {'a': 1})
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import networkx as nx

from collectors.kinds import EdgeKind, NodeFlag
from collectors.model import Snapshot

__all__ = ["CallGraph", "Focus", "call_graph", "focus"]


@dataclass
class CallGraph:
    """Actors (workloads, external hosts, unknown peers, selector-less Services) and calls."""

    graph: nx.DiGraph = field(default_factory=nx.DiGraph)
    entry_points: set[str] = field(default_factory=set)
    services: dict[str, list[str]] = field(default_factory=dict)  # workload -> its Services

    def aliases(self, actor: str) -> list[str]:
        """The actor and the Services that select it: where its config and changes land."""
        return [actor, *self.services.get(actor, [])]

    def add_call(self, source: str, target: str, edge_id: str) -> None:
        """Record that ``edge_id`` carries calls from ``source`` to ``target``."""
        if self.graph.has_edge(source, target):
            self.graph.edges[source, target]["edges"].append(edge_id)
        else:
            self.graph.add_edge(source, target, edges=[edge_id])

    def edge_ids(self, source: str, target: str) -> list[str]:
        """The snapshot's call edge ids folded into this actor edge."""
        if not self.graph.has_edge(source, target):
            return []
        found: list[str] = self.graph.edges[source, target]["edges"]
        return found

    def inbound_edge_ids(self, actor: str) -> list[str]:
        """Every call edge id that lands on ``actor``."""
        if actor not in self.graph:
            return []
        return [
            e for caller in self.graph.predecessors(actor) for e in self.edge_ids(caller, actor)
        ]

    def callers(self, actor: str) -> list[str]:
        """Actors that call ``actor``, sorted."""
        return sorted(self.graph.predecessors(actor)) if actor in self.graph else []

    def callees(self, actor: str) -> list[str]:
        """Actors ``actor`` calls, sorted."""
        return sorted(self.graph.successors(actor)) if actor in self.graph else []

    def upstream(self, actor: str, *, hops: int) -> dict[str, int]:
        """Callers of ``actor`` up to ``hops`` away (transitively), with their distance."""
        return _reach(self.graph.reverse(copy=False), actor, hops)

    def downstream(self, actor: str, *, hops: int) -> dict[str, int]:
        """What ``actor`` calls up to ``hops`` away, with the distance."""
        return _reach(self.graph, actor, hops)

    def focus_entries(self, actor: str) -> list[str]:
        """Entry points whose traffic reaches ``actor`` (itself included), sorted."""
        every_caller = self.upstream(actor, hops=len(self.graph))
        return sorted(a for a in [actor, *every_caller] if self.is_entry(a))

    def is_entry(self, actor: str) -> bool:
        """Whether traffic enters the mesh here: a gateway, or something nobody calls."""
        return actor in self.entry_points or (
            actor in self.graph
            and self.graph.in_degree(actor) == 0
            and self.graph.out_degree(actor) > 0
        )


def _reach(graph: nx.DiGraph, start: str, hops: int) -> dict[str, int]:
    if start not in graph or hops <= 0:
        return {}
    distances: dict[str, int] = nx.single_source_shortest_path_length(graph, start, cutoff=hops)
    distances.pop(start, None)
    return dict(sorted(distances.items(), key=lambda item: (item[1], item[0])))


def _service_members(snapshot: Snapshot) -> dict[str, list[str]]:
    members: dict[str, list[str]] = {}
    for edge in snapshot.edges(EdgeKind.SELECTS):
        members.setdefault(edge.source, []).append(edge.target)
    return {service: sorted(workloads) for service, workloads in members.items()}


def call_graph(snapshot: Snapshot) -> CallGraph:
    """Fold the snapshot's call edges onto actors (see the module docstring)."""
    members = _service_members(snapshot)
    result = CallGraph()

    def actors(node_id: str) -> Iterable[str]:
        return members.get(node_id, [node_id])

    for edge in snapshot.edges(EdgeKind.CALLS):
        for source in actors(edge.source):
            for target in actors(edge.target):
                if source != target or edge.source == edge.target:
                    result.add_call(source, target, edge.id)
    for service, workloads in members.items():
        for workload in workloads:
            result.services.setdefault(workload, []).append(service)
    for node in snapshot.nodes():
        if node.id in result.graph and NodeFlag.ENTRY_POINT in node.flags:
            result.entry_points.add(node.id)
    return result


@dataclass(frozen=True, slots=True)
class Focus:
    """A node's neighbourhood in the call graph: Jaeger's deep dependency graph on telemetry."""

    center: str
    upstream: dict[str, int]  # callers up to N hops, with distance
    downstream: dict[str, int]  # dependencies up to N hops, with distance
    entry_points: tuple[str, ...]  # entry points among the callers (or the centre itself)

    @property
    def nodes(self) -> set[str]:
        """Every actor in the focus, the centre included."""
        return {self.center, *self.upstream, *self.downstream}


def focus(graph: CallGraph, center: str, *, up: int = 2, down: int = 2) -> Focus:
    """The callers up to ``up`` hops and the dependencies up to ``down`` hops of ``center``.

    Entry points are searched over every hop upstream, not only ``up``: they are who the
    users of a failing service are, however deep it sits.
    """
    entries = tuple(graph.focus_entries(center))
    return Focus(center, graph.upstream(center, hops=up), graph.downstream(center, hops=down),
                 entries)  # fmt: skip
