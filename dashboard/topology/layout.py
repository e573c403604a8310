"""Server-side graph layout in pixel units, ready for Cytoscape's "preset" layout.

Client-side layouts block the browser for seconds to minutes at 2,000 nodes, so positions are
computed here with igraph and cached per graph structure (see docs in ``REAL-COMPONENTS.md``).

    >>> positions = compute_layout(["a", "b"], [("a", "b")])
    >>> positions["a"][0] < positions["b"][0]  # callers left of callees
    True

Groups (node -> namespace) are honoured by giving each group its own region rather than by
weighting intra-group edges: weights only pull members together on average, while the namespace
view needs a promise that a namespace's box holds no one else. Layered layouts use horizontal
lanes (one per group, sharing the caller-to-callee columns so cross-namespace calls still flow
left to right); force layouts lay out each group alone and pack the boxes.
"""

from __future__ import annotations

import hashlib
import math
import random
import threading
from collections import OrderedDict, defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Literal, Protocol

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
SUGIYAMA_ROUNDS = 50  # crossing-reduction rounds; igraph's 100 doubles the time for little gain
REUSE_SHARE = 0.5  # share of a new graph's nodes that must be known to reuse old positions

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


def apply_overrides(positions: Mapping[str, Point], overrides: Mapping[str, Point]) -> Positions:
    """Return ``positions`` with the user's dragged positions winning; unknown ids are ignored."""
    merged = dict(positions)
    for node, point in overrides.items():
        if node in merged:
            merged[node] = (float(point[0]), float(point[1]))
    return merged


class LayoutFunction(Protocol):
    """The shape of ``compute_layout``, so tests and benchmarks can inject their own."""

    def __call__(
        self,
        node_ids: Sequence[str],
        edges: Sequence[tuple[str, str]],
        *,
        algorithm: Algorithm = "layered",
        groups: Mapping[str, str] | None = None,
        seed: int = 0,
    ) -> Positions:
        """Position every node; see ``compute_layout``."""
        ...


class LayoutCache:
    """Thread-safe LRU of layouts keyed by (graph structure, algorithm), stable across refreshes.

    Stability rule: when a structure is not cached but at least ``REUSE_SHARE`` of its nodes
    were in the layout last returned for the same algorithm (and kept their group), those nodes
    keep their previous positions exactly. New nodes go next to already placed neighbours
    (layered: one column right of a caller or left of a callee; force: beside the neighbours'
    centre), at the nearest free spot; new nodes without placed neighbours go below the rest,
    arranged as in a fresh layout. Removed nodes simply vanish. A smaller overlap means a
    different view, which gets a fresh layout.
    """

    def __init__(
        self, maxsize: int = 32, *, seed: int = 0, compute: LayoutFunction = compute_layout
    ) -> None:
        self._maxsize = maxsize
        self._seed = seed
        self._compute = compute
        self._lock = threading.Lock()
        self._entries: OrderedDict[tuple[str, str], Positions] = OrderedDict()
        self._latest: dict[str, tuple[Positions, dict[str, str]]] = {}

    def positions(
        self,
        node_ids: Sequence[str],
        edges: Sequence[tuple[str, str]],
        *,
        algorithm: Algorithm = "layered",
        groups: Mapping[str, str] | None = None,
    ) -> Positions:
        """Positions for this graph, computed once per structure; a copy callers may change."""
        nodes, links = _canonical(node_ids, edges)
        membership = {node: (groups or {}).get(node, "") for node in nodes}
        key = (_structure_key(nodes, links, membership), algorithm)
        with self._lock:
            cached = self._entries.get(key)
            if cached is None:
                cached = self._compute(
                    nodes, links, algorithm=algorithm, groups=groups, seed=self._seed
                )
                previous = self._latest.get(algorithm)
                if previous is not None:
                    cached = _keep_previous(cached, previous, links, membership, algorithm)
                self._entries[key] = cached
                while len(self._entries) > self._maxsize:
                    self._entries.popitem(last=False)
            else:
                self._entries.move_to_end(key)
            self._latest[algorithm] = (cached, membership)
            return dict(cached)


def _canonical(
    node_ids: Sequence[str], edges: Sequence[tuple[str, str]]
) -> tuple[list[str], list[tuple[str, str]]]:
    nodes = sorted(set(node_ids))
    known = set(nodes)
    links = sorted({(s, t) for s, t in edges if s != t and s in known and t in known})
    return nodes, links


def _structure_key(
    nodes: list[str], links: list[tuple[str, str]], membership: Mapping[str, str]
) -> str:
    digest = hashlib.blake2b(digest_size=16)
    for node in nodes:
        digest.update(f"n\0{node}\0{membership.get(node, '')}\n".encode())
    for source, target in links:
        digest.update(f"e\0{source}\0{target}\n".encode())
    return digest.hexdigest()


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


def _layered(nodes: list[str], links: list[tuple[str, str]]) -> Positions:
    placed = _sugiyama(nodes, links)
    return {
        node: (layer * LAYER_GAP, rank * ROW_GAP)
        for node, (layer, rank) in zip(nodes, placed, strict=True)
    }


def _layered_lanes(
    nodes: list[str], links: list[tuple[str, str]], membership: Mapping[str, str]
) -> Positions:
    placed = dict(zip(nodes, _sugiyama(nodes, links), strict=True))
    positions: Positions = {}
    lane_top = 0.0
    for name in sorted(set(membership.values())):
        columns: dict[int, list[str]] = defaultdict(list)
        for node in nodes:
            if membership[node] == name:
                columns[placed[node][0]].append(node)
        for layer, members in columns.items():
            members.sort(key=lambda node: (placed[node][1], node))
            for row, node in enumerate(members):
                positions[node] = (layer * LAYER_GAP, lane_top + row * ROW_GAP)
        tallest = max(len(members) for members in columns.values())
        lane_top += (tallest - 1) * ROW_GAP + BOX_MARGIN
    return positions


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


def _keep_previous(
    fresh: Positions,
    previous: tuple[Positions, dict[str, str]],
    links: list[tuple[str, str]],
    membership: Mapping[str, str],
    algorithm: Algorithm,
) -> Positions:
    old_positions, old_membership = previous
    placed = {
        node: old_positions[node]
        for node in fresh
        if node in old_positions and old_membership.get(node) == membership.get(node)
    }
    if len(placed) < REUSE_SHARE * len(fresh):
        return fresh
    if len(placed) == len(fresh):
        return placed
    callers: dict[str, list[str]] = defaultdict(list)
    callees: dict[str, list[str]] = defaultdict(list)
    for source, target in links:
        if membership.get(source) == membership.get(target):
            callees[source].append(target)
            callers[target].append(source)
    spacing = ROW_GAP if algorithm == "layered" else FORCE_CELL
    free = _FreeSpace(placed, spacing)
    # Breadth-first from the kept nodes, in name order, so placement never depends on input order.
    queue = sorted(
        {n for n in fresh if n not in placed for m in callers[n] + callees[n] if m in placed}
    )
    queued = set(queue)
    while queue:
        node = queue.pop(0)
        before = [placed[m] for m in callers[node] if m in placed]
        after = [placed[m] for m in callees[node] if m in placed]
        anchors = before + after
        x = sum(p[0] for p in anchors) / len(anchors)
        y = sum(p[1] for p in anchors) / len(anchors)
        if algorithm == "layered":
            x = (
                max(p[0] for p in before) + LAYER_GAP
                if before
                else min(p[0] for p in after) - LAYER_GAP
            )
        else:
            x += FORCE_CELL
        placed[node] = free.claim((x, y), column=algorithm == "layered")
        for neighbour in sorted(callers[node] + callees[node]):
            if neighbour not in placed and neighbour not in queued:
                queue.append(neighbour)
                queued.add(neighbour)
    strays = {node: fresh[node] for node in fresh if node not in placed}
    if strays:
        left, _, _, bottom = _bounds(placed.values())
        stray_left, stray_top, _, _ = _bounds(strays.values())
        for node, (px, py) in sorted(strays.items()):
            wanted = (px - stray_left + left, py - stray_top + bottom + BOX_MARGIN)
            placed[node] = free.claim(wanted, column=algorithm == "layered")
    return placed


class _FreeSpace:
    """Finds the nearest spot at least ``spacing`` from every claimed one (a spatial hash)."""

    def __init__(self, claimed: Mapping[str, Point], spacing: float) -> None:
        self._spacing = spacing
        self._buckets: dict[tuple[int, int], list[Point]] = defaultdict(list)
        for point in claimed.values():
            self._buckets[self._bucket(point)].append(point)

    def _bucket(self, point: Point) -> tuple[int, int]:
        return math.floor(point[0] / self._spacing), math.floor(point[1] / self._spacing)

    def _is_free(self, point: Point) -> bool:
        bx, by = self._bucket(point)
        return all(
            math.dist(point, other) >= self._spacing - 1e-6
            for dx in (-1, 0, 1)
            for dy in (-1, 0, 1)
            for other in self._buckets.get((bx + dx, by + dy), ())
        )

    def claim(self, wanted: Point, *, column: bool) -> Point:
        """Take the free spot nearest ``wanted``; a column search moves only vertically."""
        step = self._spacing
        if column:
            candidates: Iterator[Point] = (
                (wanted[0], wanted[1] + sign * k * step)
                for k in range(10**9)
                for sign in ((1,) if k == 0 else (1, -1))
            )
        else:
            scaled = (wanted[0] / step, wanted[1] / step)
            candidates = ((cx * step, cy * step) for cx, cy in _lattice_near(scaled))
        spot = next(point for point in candidates if self._is_free(point))
        self._buckets[self._bucket(spot)].append(spot)
        return spot
