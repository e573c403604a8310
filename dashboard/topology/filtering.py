"""Find, hide and focus on a :class:`TopologyView`: the topology page's three ways to narrow it.

- :func:`find` returns the ids of the nodes and edges a find/hide expression matches, for
  highlighting;
- :func:`hide` returns the view without them;
- :func:`focus` returns one node (or every node of a box) with what lies up to ``hops`` calls
  upstream (its callers, their callers ...) and downstream (its callees ...).

Expressions (docs/find-hide.md) test the :class:`FilterItem` that :func:`filter_items` makes of
each node and edge. Boxes are containers: they never match, and a box left without children is
dropped, an app box before the namespace box around it. A surviving box's health and members are
summed up again from the children that remain, as the projection sums them; the numbers of nodes
and edges are measurements and stay as they are.

Views are never changed in place (a narrowed view is a new one), and every function runs in
time linear in nodes plus edges::

    quiet = hide(view, parse("ns = istio-system"))
    focused, found = focus(view, "workload:Kubernetes/bookinfo/reviews-v2", 1)
"""

from __future__ import annotations

from collections import deque
from collections.abc import Collection, Iterable, Mapping
from dataclasses import replace
from typing import Literal, NamedTuple

from collectors.kinds import Health, NodeKind
from collectors.model import TrafficStats
from dashboard.topology.expressions import Expression, FilterItem
from dashboard.topology.projection import TopologyView, ViewEdge, ViewNode, box_summary

__all__ = [
    "MAX_HOPS",
    "Direction",
    "FilterItems",
    "FocusResult",
    "filter_items",
    "find",
    "focus",
    "hide",
]

MAX_HOPS = 10
"""Largest focus depth; more is clamped, since hops arrive in URLs."""

Direction = Literal["both", "upstream", "downstream"]

_DIRECTIONS: frozenset[str] = frozenset({"both", "upstream", "downstream"})
# Kinds that have no flag of their own in the view but that people filter by as flags.
_KIND_FLAGS: frozenset[str] = frozenset({NodeKind.UNKNOWN.value, NodeKind.EXTERNAL.value})


class FilterItems(NamedTuple):
    """What the find/hide language sees of a view: one item per node id and per edge id."""

    nodes: Mapping[str, FilterItem]
    edges: Mapping[str, FilterItem]


class FocusResult(NamedTuple):
    """The focused view, and whether the focus id was found (the view is unchanged when not)."""

    view: TopologyView
    found: bool


def _item(
    name: str,
    namespace: str,
    traffic: TrafficStats | None,
    health: Health,
    protocols: frozenset[str],
    flags: frozenset[str],
    mtls: bool | None,
) -> FilterItem:
    # No traffic at all reads as zero rates and unknown latencies, as an idle edge would.
    traffic = traffic or TrafficStats()
    return FilterItem(
        name=name,
        namespace=namespace,
        error_pct=100.0 * traffic.error_ratio,
        rps=traffic.request_rate,
        p50_ms=traffic.p50_ms,
        p95_ms=traffic.p95_ms,
        p99_ms=traffic.p99_ms,
        health=health.value,
        protocols=protocols,
        flags=flags,
        mtls=mtls,
    )


def filter_items(view: TopologyView) -> FilterItems:
    """Flatten ``view``'s nodes and edges (not its boxes) into what expressions test.

    A node is its label, namespace, inbound traffic and health, the protocols of every edge
    touching it, its flags (plus ``unknown``/``external`` for nodes of that kind), and mTLS
    judged on its inbound edges: False when any is plain text, True when all that are known are
    mutual TLS, None when none is known. An edge is named ``"<source> → <target>"`` by labels,
    sits in its target's namespace, and carries its own traffic, protocol and mTLS.
    """
    by_id = {node.id: node for node in view.nodes}
    protocols: dict[str, set[str]] = {}
    inbound_mtls: dict[str, set[bool]] = {}
    edges: dict[str, FilterItem] = {}
    for edge in view.edges:
        protocols.setdefault(edge.source, set()).add(edge.protocol)
        protocols.setdefault(edge.target, set()).add(edge.protocol)
        if edge.mtls is not None:
            inbound_mtls.setdefault(edge.target, set()).add(edge.mtls)
        source, target = by_id.get(edge.source), by_id.get(edge.target)
        # A hand-built view may name an end it does not hold; its id is the best label left.
        source_label = source.label if source else edge.source
        target_label = target.label if target else edge.target
        edges[edge.id] = _item(
            f"{source_label} → {target_label}",
            target.namespace if target else "",
            edge.traffic,
            edge.health,
            frozenset({edge.protocol}),
            frozenset(),
            edge.mtls,
        )
    nodes: dict[str, FilterItem] = {}
    for node in view.nodes:
        judged = inbound_mtls.get(node.id, set())
        nodes[node.id] = _item(
            node.label,
            node.namespace,
            node.inbound,
            node.health,
            frozenset(protocols.get(node.id, ())),
            node.flags | ({node.kind} & _KIND_FLAGS),
            all(judged) if judged else None,
        )
    return FilterItems(nodes=nodes, edges=edges)


def find(view: TopologyView, expression: Expression | None) -> frozenset[str]:
    """Ids of the nodes and edges of ``view`` that ``expression`` matches; none for None."""
    if expression is None:
        return frozenset()
    items = filter_items(view)
    return frozenset(
        item_id
        for group in (items.nodes, items.edges)
        for item_id, item in group.items()
        if expression.matches(item)
    )


def hide(view: TopologyView, expression: Expression | None) -> TopologyView:
    """``view`` without the nodes and edges ``expression`` matches; unchanged for None.

    A hidden node takes every edge touching it along; boxes left empty are dropped.
    """
    if expression is None:
        return view
    matched = find(view, expression)
    kept_nodes = {node.id for node in view.nodes if node.id not in matched}
    kept_edges = [
        edge
        for edge in view.edges
        if edge.id not in matched and edge.source in kept_nodes and edge.target in kept_nodes
    ]
    return _restrict(view, kept_nodes, kept_edges)


def focus(
    view: TopologyView,
    node_id: str,
    hops: int,
    *,
    direction: Direction = "both",
) -> FocusResult:
    """``node_id`` with every node within ``hops`` calls upstream and/or downstream of it.

    Upstream (callers, following edges backwards) and downstream (callees, following them
    forwards) are walked separately, so a caller's other callees stay out. The edges kept are
    those on a walked path of at most ``hops`` calls: upstream edges lead toward the focus,
    downstream edges away from it. A box id (``ns:``/``appbox:``) focuses on all the nodes
    inside it together, and the edges among them are kept. ``hops`` is clamped to
    0..:data:`MAX_HOPS`.

    The id usually comes from a URL: one that is neither a node nor a box of ``view`` gives
    ``FocusResult(view, found=False)``, the view unchanged, rather than an exception.
    """
    if direction not in _DIRECTIONS:
        raise ValueError(f"direction must be one of {sorted(_DIRECTIONS)}, not {direction!r}")
    seeds = _seeds(view, node_id)
    if seeds is None:
        return FocusResult(view, found=False)
    hops = max(0, min(hops, MAX_HOPS))
    callers: dict[str, list[str]] = {}
    callees: dict[str, list[str]] = {}
    for edge in view.edges:
        callees.setdefault(edge.source, []).append(edge.target)
        callers.setdefault(edge.target, []).append(edge.source)
    upstream = _distances(seeds, callers, hops) if direction != "downstream" else {}
    downstream = _distances(seeds, callees, hops) if direction != "upstream" else {}

    def on_a_path(edge: ViewEdge) -> bool:
        # Walking from b back to its caller a is one more hop, allowed while b is nearer than
        # ``hops``; likewise forwards from a.
        return (
            (edge.source in seeds and edge.target in seeds)
            or upstream.get(edge.target, hops) < hops
            or downstream.get(edge.source, hops) < hops
        )

    kept_nodes = seeds | upstream.keys() | downstream.keys()
    kept_edges = [edge for edge in view.edges if on_a_path(edge)]
    return FocusResult(_restrict(view, kept_nodes, kept_edges), found=True)


def _seeds(view: TopologyView, focus_id: str) -> frozenset[str] | None:
    """The node ids a focus id stands for; None when the view holds no such node or box."""
    if any(node.id == focus_id for node in view.nodes):
        return frozenset({focus_id})
    box_parents = {box.id: box.parent for box in view.boxes}
    if focus_id not in box_parents:
        return None
    # Boxes nest one deep at most: an app box inside a namespace box.
    return frozenset(
        node.id
        for node in view.nodes
        if node.parent is not None and focus_id in (node.parent, box_parents.get(node.parent))
    )


def _distances(
    seeds: Collection[str], neighbours: Mapping[str, list[str]], limit: int
) -> dict[str, int]:
    """Hops from the nearest seed to every node reachable within ``limit`` hops (breadth first)."""
    distance = dict.fromkeys(seeds, 0)
    queue = deque(seeds)
    while queue:
        here = queue.popleft()
        if distance[here] == limit:
            continue
        for there in neighbours.get(here, ()):
            if there not in distance:
                distance[there] = distance[here] + 1
                queue.append(there)
    return distance


def _restrict(
    view: TopologyView, kept_nodes: Collection[str], kept_edges: Iterable[ViewEdge]
) -> TopologyView:
    """``view`` cut down to ``kept_nodes`` and ``kept_edges``, its boxes pruned and re-summed."""
    nodes = tuple(node for node in view.nodes if node.id in kept_nodes)
    children: dict[str, list[ViewNode]] = {}
    for node in nodes:
        if node.parent is not None:
            children.setdefault(node.parent, []).append(node)
    # App boxes first: one that empties out must not keep its namespace box alive.
    app_boxes = [_resummed(box, children) for box in view.boxes if box.kind != "namespace"]
    kept_app_boxes = [box for box in app_boxes if box is not None]
    for box in kept_app_boxes:
        if box.parent is not None:
            children.setdefault(box.parent, []).append(box)
    resummed = {box.id: box for box in kept_app_boxes}
    for box in view.boxes:
        if box.kind == "namespace":
            namespace_box = _resummed(box, children)
            if namespace_box is not None:
                resummed[box.id] = namespace_box
    boxes = tuple(resummed[box.id] for box in view.boxes if box.id in resummed)
    return replace(view, nodes=nodes, edges=tuple(kept_edges), boxes=boxes)


def _resummed(box: ViewNode, children: Mapping[str, list[ViewNode]]) -> ViewNode | None:
    """``box`` summing up only its remaining children; None when it has none left."""
    inside = children.get(box.id)
    if not inside:
        return None
    health, members = box_summary(inside)
    return replace(box, health=health, members=members)
