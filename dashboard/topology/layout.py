"""Server-side graph layout in pixel units, ready for Cytoscape's "preset" layout.

Client-side layouts block the browser for seconds to minutes at 2,000 nodes, so positions are
computed here with igraph; ``layout_cache.LayoutCache`` caches them per graph structure (see docs
in ``REAL-COMPONENTS.md``).

    >>> positions = compute_layout(["a", "b"], [("a", "b")])
    >>> positions["a"][0] < positions["b"][0]  # callers left of callees
    True

Groups (node -> namespace) are honoured by giving each group its own region rather than by
weighting intra-group edges: weights only pull members together on average, while the namespace
view needs a promise that a namespace's box holds no one else. Layered layouts use horizontal
lanes (one per group, sharing the caller-to-callee columns so cross-namespace calls still flow
left to right), stacked in as many side-by-side stacks as fill a screen-shaped picture; force
layouts lay out each group alone and pack the boxes.
"""

from __future__ import annotations

import math
import random
import threading
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Literal

import igraph

Algorithm = Literal["layered", "force"]
Point = tuple[float, float]
Positions = dict[str, Point]

LAYER_GAP = 160.0  # px between a caller's column and its callee's column
ROW_GAP = 80.0  # px between neighbours in one column
FORCE_EDGE = 100.0  # px a typical force-layout edge is scaled to
FORCE_CELL = 60.0  # px lattice force layouts snap to; also their minimum node distance
FORCE_EXACT_LIMIT = 400  # nodes; above this FR uses its faster grid approximation
BOX_MARGIN = 160.0  # px between packed components, groups and lanes
WRAP_MIN_ROWS = 12  # columns up to this tall never wrap (at least sqrt(nodes) rows)
SCREEN_ASPECT = 1.6  # width / height the layered lanes are arranged to fill
SUGIYAMA_ROUNDS = 50  # crossing-reduction rounds; igraph's 100 doubles the time for little gain

# igraph draws from one process-wide generator; the lock keeps a seeded run reproducible
# while other threads lay out other graphs.
_IGRAPH_RNG_LOCK = threading.Lock()


def compute_layout(
    node_ids: Sequence[str],
    edges: Sequence[tuple[str, str]],
    *,
    algorithm: Algorithm = "layered",
    groups: Mapping[str, str] | None = None,
    seed: int = 0,
) -> Positions:
    """Position every node, in pixels, identically for the same graph given in any order.

    ``layered`` is a left-to-right Sugiyama layout (callers left, callees right; cycles are
    broken by igraph's feedback-arc heuristic); ``force`` is Fruchterman-Reingold started from
    ``seed``. Edges naming unknown nodes and self-loops are ignored. Without ``groups``,
    disconnected components are laid out alone and packed, largest first.
    """
    nodes, links = _canonical(node_ids, edges)
    if not nodes:
        return {}  # a link naming no namespace that exists draws an empty graph, not an error
    if not groups:
        return _packed_components(nodes, links, algorithm, seed)
    membership = {node: groups.get(node, "") for node in nodes}
    if algorithm == "layered":
        return _layered_lanes(nodes, links, membership)
    boxes = []
    for name in sorted(set(membership.values())):
        members = [node for node in nodes if membership[node] == name]
        inside = set(members)
        inner = [(s, t) for s, t in links if s in inside and t in inside]
        boxes.append(_packed_components(members, inner, "force", seed))
    return _pack(boxes)


def _canonical(
    node_ids: Sequence[str], edges: Sequence[tuple[str, str]]
) -> tuple[list[str], list[tuple[str, str]]]:
    nodes = sorted(set(node_ids))
    known = set(nodes)
    links = sorted({(s, t) for s, t in edges if s != t and s in known and t in known})
    return nodes, links


def _packed_components(
    nodes: list[str], links: list[tuple[str, str]], algorithm: Algorithm, seed: int
) -> Positions:
    index = {node: i for i, node in enumerate(nodes)}
    graph = igraph.Graph(n=len(nodes), edges=[(index[s], index[t]) for s, t in links])
    components: dict[int, list[str]] = defaultdict(list)
    for node, component in zip(
        nodes, graph.connected_components(mode="weak").membership, strict=True
    ):
        components[component].append(node)
    ordered = sorted(components.values(), key=lambda members: (-len(members), members[0]))
    boxes = []
    for members in ordered:
        inside = set(members)
        inner = (
            [(s, t) for s, t in links if s in inside and t in inside] if len(ordered) > 1 else links
        )
        if len(members) == 1:
            boxes.append({members[0]: (0.0, 0.0)})
        elif algorithm == "layered":
            boxes.append(_layered(members, inner))
        else:
            boxes.append(_force(members, inner, seed))
    return _pack(boxes)


def _sugiyama(nodes: list[str], links: list[tuple[str, str]]) -> list[tuple[int, float]]:
    """(layer, rank within layer) per node, in ``nodes`` order."""
    index = {node: i for i, node in enumerate(nodes)}
    graph = igraph.Graph(
        n=len(nodes), edges=[(index[s], index[t]) for s, t in links], directed=True
    )
    coords = graph.layout_sugiyama(maxiter=SUGIYAMA_ROUNDS).coords[: len(nodes)]
    return [(round(y), x) for x, y in coords]


def _wrap_limit(count: int) -> int:
    """Most nodes one column holds before it wraps into several (a star's hundreds of callees)."""
    return max(WRAP_MIN_ROWS, math.ceil(math.sqrt(count)))


def _layer_offsets(widths: Mapping[int, int]) -> dict[int, float]:
    """x of each layer when layer ``l`` is ``widths[l]`` columns wide."""
    offsets: dict[int, float] = {}
    x = 0.0
    for layer in range(max(widths, default=0) + 1):
        offsets[layer] = x
        x += widths.get(layer, 1) * LAYER_GAP
    return offsets


def _column(members: list[str], x: float, limit: int, rank: Mapping[str, float]) -> Positions:
    """One layer's nodes: by Sugiyama rank, wrapped into side-by-side columns when too tall."""
    ordered = sorted(members, key=lambda node: (rank[node], node))
    if len(ordered) <= limit:
        return {node: (x, row * ROW_GAP) for row, node in enumerate(ordered)}
    return {
        node: (x + (i // limit) * LAYER_GAP, (i % limit) * ROW_GAP)
        for i, node in enumerate(ordered)
    }


def _layered(nodes: list[str], links: list[tuple[str, str]]) -> Positions:
    placed = dict(zip(nodes, _sugiyama(nodes, links), strict=True))
    rank = {node: where[1] for node, where in placed.items()}
    columns: dict[int, list[str]] = defaultdict(list)
    for node, (layer, _) in placed.items():
        columns[layer].append(node)
    limit = _wrap_limit(len(nodes))
    offsets = _layer_offsets({layer: -(-len(m) // limit) for layer, m in columns.items()})
    positions: Positions = {}
    for layer, members in columns.items():
        positions.update(_column(members, offsets[layer], limit, rank))
    return positions


def _layered_lanes(
    nodes: list[str], links: list[tuple[str, str]], membership: Mapping[str, str]
) -> Positions:
    placed = dict(zip(nodes, _sugiyama(nodes, links), strict=True))
    rank = {node: where[1] for node, where in placed.items()}
    lane_columns: dict[str, dict[int, list[str]]] = defaultdict(lambda: defaultdict(list))
    for node in nodes:
        lane_columns[membership[node]][placed[node][0]].append(node)
    limit = _wrap_limit(len(nodes))
    widths: dict[int, int] = {}
    for columns in lane_columns.values():
        for layer, members in columns.items():
            widths[layer] = max(widths.get(layer, 1), -(-len(members) // limit))
    offsets = _layer_offsets(widths)
    lanes: list[tuple[Positions, float]] = []
    for name in sorted(lane_columns):
        lane: Positions = {}
        for layer, members in lane_columns[name].items():
            lane.update(_column(members, offsets[layer], limit, rank))
        tallest = max(y for _, y in lane.values())
        lanes.append((lane, tallest + BOX_MARGIN))
    width = offsets[max(offsets)] + widths.get(max(offsets), 1) * LAYER_GAP
    return _stack_lanes(lanes, width)


def _stack_lanes(lanes: list[tuple[Positions, float]], width: float) -> Positions:
    """Stack lanes top to bottom, in as many side-by-side stacks as make the picture about as
    wide as a screen (``SCREEN_ASPECT``), so a mesh of many namespaces is not a thin strip."""
    total = sum(height for _, height in lanes)
    stacks = 1
    while stacks < len(lanes):
        wider = stacks + 1
        # Compare how far each choice is from the screen's shape, as a ratio either way.
        now = _aspect_miss(stacks * (width + BOX_MARGIN), total / stacks)
        if _aspect_miss(wider * (width + BOX_MARGIN), total / wider) >= now:
            break
        stacks = wider
    limit = total / stacks
    positions: Positions = {}
    stack = 0
    top = 0.0
    for lane, height in lanes:
        if top > 0 and top + height / 2 > limit and stack < stacks - 1:
            stack, top = stack + 1, 0.0
        for node, (x, y) in lane.items():
            positions[node] = (x + stack * (width + BOX_MARGIN), y + top)
        top += height
    return positions


def _aspect_miss(width: float, height: float) -> float:
    ratio = width / max(height, 1.0) / SCREEN_ASPECT
    return max(ratio, 1 / ratio)


def _force(nodes: list[str], links: list[tuple[str, str]], seed: int) -> Positions:
    index = {node: i for i, node in enumerate(nodes)}
    graph = igraph.Graph(n=len(nodes), edges=[(index[s], index[t]) for s, t in links])
    with _IGRAPH_RNG_LOCK:
        igraph.set_random_number_generator(random.Random(seed))
        try:
            # igraph's "auto" keeps the quadratic exact variant up to 1,000 nodes (0.9 s there).
            grid = "grid" if len(nodes) > FORCE_EXACT_LIMIT else "nogrid"
            coords = graph.layout_fruchterman_reingold(grid=grid).coords
        finally:
            igraph.set_random_number_generator(random)
    lengths = sorted(math.dist(coords[index[s]], coords[index[t]]) for s, t in links)
    left, top, right, bottom = _bounds(coords)
    # FR packs a large graph's core tighter than its typical edge, so the spread per node
    # matters too; whichever asks for more room wins.
    per_node = math.sqrt(max((right - left) * (bottom - top), 1e-9) / len(nodes))
    scale = max(FORCE_EDGE / max(lengths[len(lengths) // 2], 1e-9), FORCE_EDGE / per_node)
    # Snap to a lattice, centre first, so no two nodes ever overlap however FR bunched them.
    centre = (sum(x for x, _ in coords) / len(coords), sum(y for _, y in coords) / len(coords))
    order = sorted(range(len(nodes)), key=lambda i: (math.dist(coords[i], centre), nodes[i]))
    taken: set[tuple[int, int]] = set()
    positions: Positions = {}
    for i in order:
        wanted = (coords[i][0] * scale / FORCE_CELL, coords[i][1] * scale / FORCE_CELL)
        cell = next(c for c in _lattice_near(wanted) if c not in taken)
        taken.add(cell)
        positions[nodes[i]] = (cell[0] * FORCE_CELL, cell[1] * FORCE_CELL)
    return positions


def _lattice_near(point: Point) -> Iterator[tuple[int, int]]:
    """Lattice cells around ``point``, nearest first."""
    cx, cy = round(point[0]), round(point[1])
    for dx, dy in _NEAR_OFFSETS:
        yield cx + dx, cy + dy
    radius = _NEAR_RADIUS + 1
    while True:  # beyond the precomputed disc: square rings, rarely reached
        for dx in range(-radius, radius + 1):
            for dy in range(-radius, radius + 1):
                if max(abs(dx), abs(dy)) == radius:
                    yield cx + dx, cy + dy
        radius += 1


_NEAR_RADIUS = 24
_NEAR_OFFSETS = sorted(
    (
        (dx, dy)
        for dx in range(-_NEAR_RADIUS, _NEAR_RADIUS + 1)
        for dy in range(-_NEAR_RADIUS, _NEAR_RADIUS + 1)
        if dx * dx + dy * dy <= _NEAR_RADIUS * _NEAR_RADIUS
    ),
    key=lambda offset: (offset[0] ** 2 + offset[1] ** 2, offset),
)


def _bounds(points: Iterable[Point]) -> tuple[float, float, float, float]:
    xs, ys = zip(*points, strict=True)
    return min(xs), min(ys), max(xs), max(ys)


def _pack(boxes: list[Positions]) -> Positions:
    """Shelf-pack boxes in the given order into rows about as wide as the whole is tall."""
    sizes = []
    for box in boxes:
        left, top, right, bottom = _bounds(box.values())
        sizes.append((right - left + BOX_MARGIN, bottom - top + BOX_MARGIN))
    row_width = max(max(w for w, _ in sizes), math.sqrt(sum(w * h for w, h in sizes)))
    packed: Positions = {}
    x = y = row_height = 0.0
    for box, (width, height) in zip(boxes, sizes, strict=True):
        if x > 0 and x + width > row_width:
            x, y, row_height = 0.0, y + row_height, 0.0
        left, top, _, _ = _bounds(box.values())
        for node, (px, py) in box.items():
            packed[node] = (px - left + x, py - top + y)
        x += width
        row_height = max(row_height, height)
    return packed
