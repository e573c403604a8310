"""Caching of server-side layouts, stable across refreshes of a changing graph.

A refresh that adds or drops a few services should not reshuffle the picture the user was
reading, so ``LayoutCache`` keeps known nodes where they were and slots new ones in beside their
neighbours; the layout algorithms themselves live in ``layout``.
"""

from __future__ import annotations

import hashlib
import math
import threading
from collections import OrderedDict, defaultdict, deque
from collections.abc import Iterator, Mapping, Sequence
from typing import Protocol

from dashboard.topology.layout import (
    BOX_MARGIN,
    FORCE_CELL,
    LAYER_GAP,
    ROW_GAP,
    Algorithm,
    Point,
    Positions,
    _bounds,
    _canonical,
    _lattice_near,
    compute_layout,
)

REUSE_SHARE = 0.5  # share of a new graph's nodes that must be known to reuse old positions


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


def _structure_key(
    nodes: list[str], links: list[tuple[str, str]], membership: Mapping[str, str]
) -> str:
    digest = hashlib.blake2b(digest_size=16)
    for node in nodes:
        digest.update(f"n\0{node}\0{membership.get(node, '')}\n".encode())
    for source, target in links:
        digest.update(f"e\0{source}\0{target}\n".encode())
    return digest.hexdigest()


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
    queue = deque(
        sorted(
            {n for n in fresh if n not in placed for m in callers[n] + callees[n] if m in placed}
        )
    )
    queued = set(queue)
    while queue:
        node = queue.popleft()
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
