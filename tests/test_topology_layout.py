from __future__ import annotations

import itertools
import math
import random
from collections.abc import Mapping, Sequence

import pytest

from dashboard.topology.layout import (
    LAYER_GAP,
    ROW_GAP,
    Algorithm,
    Positions,
    compute_layout,
)
from dashboard.topology.layout_cache import LayoutCache

ALGORITHMS: tuple[Algorithm, ...] = ("layered", "force")


def random_graph(size: int, seed: int) -> tuple[list[str], list[tuple[str, str]]]:
    """Mostly-forward calls, two per node, with a few back edges making cycles."""
    rnd = random.Random(seed)
    nodes = [f"svc-{i:04d}" for i in range(size)]
    edges = []
    for i in range(1, size):
        for _ in range(2):
            j = rnd.randrange(i)
            edges.append((nodes[j], nodes[i]) if rnd.random() < 0.9 else (nodes[i], nodes[j]))
    return nodes, edges


def min_distance(positions: Positions) -> float:
    return min(math.dist(p, q) for p, q in itertools.combinations(positions.values(), 2))


def box(positions: Positions, members: set[str]) -> tuple[float, float, float, float]:
    xs = [positions[m][0] for m in members]
    ys = [positions[m][1] for m in members]
    return min(xs), min(ys), max(xs), max(ys)


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_same_graph_in_any_order_gets_identical_positions(algorithm: Algorithm) -> None:
    nodes, edges = random_graph(120, seed=3)
    first = compute_layout(nodes, edges, algorithm=algorithm)
    rnd = random.Random(9)
    shuffled_nodes, shuffled_edges = nodes[:], edges[:]
    rnd.shuffle(shuffled_nodes)
    rnd.shuffle(shuffled_edges)
    assert compute_layout(shuffled_nodes, shuffled_edges, algorithm=algorithm) == first
    assert set(first) == set(nodes)


def test_layered_puts_callers_left_of_callees() -> None:
    positions = compute_layout(["c", "a", "b"], [("b", "c"), ("a", "b")])
    assert positions["a"][0] < positions["b"][0] < positions["c"][0]
    assert positions["b"][0] - positions["a"][0] == LAYER_GAP


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_cycles_self_loops_and_unknown_endpoints_are_laid_out(algorithm: Algorithm) -> None:
    edges = [("a", "b"), ("b", "c"), ("c", "a"), ("a", "a"), ("a", "ghost")]
    positions = compute_layout(["a", "b", "c"], edges, algorithm=algorithm)
    assert set(positions) == {"a", "b", "c"}
    assert min_distance(positions) >= 60


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_no_two_nodes_closer_than_60_px_on_300_nodes(algorithm: Algorithm) -> None:
    nodes, edges = random_graph(300, seed=5)
    assert min_distance(compute_layout(nodes, edges, algorithm=algorithm)) >= 60


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_disconnected_components_do_not_overlap(algorithm: Algorithm) -> None:
    edges = [("a1", "a2"), ("a2", "a3"), ("a3", "a4"), ("b1", "b2"), ("b2", "b3")]
    nodes = sorted({n for edge in edges for n in edge} | {"lonely"})
    positions = compute_layout(nodes, edges, algorithm=algorithm)
    left = box(positions, {"a1", "a2", "a3", "a4"})
    right = box(positions, {"b1", "b2", "b3"})
    disjoint = left[2] < right[0] or right[2] < left[0] or left[3] < right[1] or right[3] < left[1]
    assert disjoint
    assert min_distance(positions) >= 60


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_each_group_box_holds_only_its_members(algorithm: Algorithm) -> None:
    groups = {
        "front": "web",
        "cart": "shop",
        "pay": "shop",
        "stock": "shop",
        "login": "auth",
        "users": "auth",
        "tokens": "auth",
    }
    edges = [
        ("front", "cart"),
        ("front", "login"),
        ("cart", "pay"),
        ("cart", "stock"),
        ("pay", "users"),
        ("login", "users"),
        ("login", "tokens"),
        ("stock", "front"),
    ]
    positions = compute_layout(list(groups), edges, algorithm=algorithm, groups=groups)
    for name in set(groups.values()):
        members = {node for node, group in groups.items() if group == name}
        left, top, right, bottom = box(positions, members)
        intruders = [
            node
            for node, (x, y) in positions.items()
            if node not in members and left <= x <= right and top <= y <= bottom
        ]
        assert intruders == [], name
    if algorithm == "layered":  # lanes keep cross-namespace calls flowing left to right
        assert positions["cart"][0] < positions["pay"][0] < positions["users"][0]
        assert positions["login"][0] < positions["tokens"][0]


class CountingLayout:
    def __init__(self) -> None:
        self.calls = 0

    def __call__(
        self,
        node_ids: Sequence[str],
        edges: Sequence[tuple[str, str]],
        *,
        algorithm: Algorithm = "layered",
        groups: Mapping[str, str] | None = None,
        seed: int = 0,
    ) -> Positions:
        self.calls += 1
        return compute_layout(node_ids, edges, algorithm=algorithm, groups=groups, seed=seed)


def test_cache_computes_once_per_structure_and_algorithm() -> None:
    spy = CountingLayout()
    cache = LayoutCache(compute=spy)
    first = cache.positions(["a", "b", "c"], [("a", "b"), ("b", "c")], algorithm="layered")
    first["a"] = (999.0, 999.0)  # callers get a copy; the cached layout stays intact
    again = cache.positions(["c", "b", "a"], [("b", "c"), ("a", "b")], algorithm="layered")
    assert spy.calls == 1
    assert again == compute_layout(["a", "b", "c"], [("a", "b"), ("b", "c")])
    cache.positions(["a", "b", "c"], [("a", "b"), ("b", "c")], algorithm="force")
    assert spy.calls == 2


def test_cache_forgets_the_least_recently_used_structure() -> None:
    spy = CountingLayout()
    cache = LayoutCache(maxsize=2, compute=spy)
    graphs = [(["a", "b"], [("a", "b")]), (["c", "d"], [("c", "d")]), (["e", "f"], [("e", "f")])]
    for nodes, edges in graphs:
        cache.positions(nodes, edges)
    cache.positions(*graphs[2])
    assert spy.calls == 3
    cache.positions(*graphs[0])
    assert spy.calls == 4


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_adding_a_node_keeps_existing_positions_exactly(algorithm: Algorithm) -> None:
    nodes, edges = random_graph(50, seed=11)
    cache = LayoutCache()
    before = cache.positions(nodes, edges, algorithm=algorithm)
    after = cache.positions(
        [*nodes, "newcomer"], [*edges, ("svc-0007", "newcomer")], algorithm=algorithm
    )
    assert {node: after[node] for node in nodes} == before
    assert min_distance(after) >= 60
    caller = after["svc-0007"]
    if algorithm == "layered":
        assert after["newcomer"][0] == caller[0] + LAYER_GAP
    else:
        assert math.dist(after["newcomer"], caller) < 200


def test_removing_a_node_keeps_the_others_in_place() -> None:
    nodes, edges = random_graph(50, seed=11)
    cache = LayoutCache()
    before = cache.positions(nodes, edges, algorithm="force")
    kept = [n for n in nodes if n != "svc-0049"]
    after = cache.positions(kept, edges, algorithm="force")
    assert after == {node: before[node] for node in kept}


def test_a_mostly_different_graph_gets_a_fresh_layout() -> None:
    cache = LayoutCache()
    cache.positions(*random_graph(50, seed=11))
    other_nodes, other_edges = random_graph(40, seed=12)
    renamed = {node: node.replace("svc", "app") for node in other_nodes}
    nodes = [renamed[n] for n in other_nodes]
    edges = [(renamed[s], renamed[t]) for s, t in other_edges]
    assert cache.positions(nodes, edges) == compute_layout(nodes, edges)


def test_many_namespace_lanes_fill_a_screen_shaped_picture() -> None:
    # Twelve namespaces of a caller and five callees each: one stack would be a thin strip.
    nodes, edges, groups = [], [], {}
    for n in range(12):
        caller = f"ns{n:02d}/web"
        nodes.append(caller)
        groups[caller] = f"ns{n:02d}"
        for k in range(5):
            callee = f"ns{n:02d}/svc{k}"
            nodes.append(callee)
            groups[callee] = f"ns{n:02d}"
            edges.append((caller, callee))

    positions = compute_layout(nodes, edges, groups=groups)

    xs = [x for x, _ in positions.values()]
    ys = [y for _, y in positions.values()]
    width, height = max(xs) - min(xs), max(ys) - min(ys)
    assert 0.5 < width / height < 4  # a single stack would be 160 wide and over 4,000 tall
    # Each namespace still reads left to right: its caller left of all its callees.
    for n in range(12):
        web = positions[f"ns{n:02d}/web"]
        assert all(web[0] < positions[f"ns{n:02d}/svc{k}"][0] for k in range(5))
    assert len(set(positions.values())) == len(nodes)  # no two nodes on one spot


def test_a_tall_column_wraps_into_side_by_side_columns() -> None:
    # An ingress calling 100 collapsed namespaces: one column would be 8,000 px tall.
    callees = [f"ns-{i:03d}" for i in range(100)]
    nodes = ["ingress", *callees]
    positions = compute_layout(nodes, [("ingress", callee) for callee in callees])

    xs = {positions[callee][0] for callee in callees}
    ys = [positions[callee][1] for callee in callees]
    assert len(xs) == 9  # columns of 12 rows (the minimum; sqrt(101) is less): 100 need 9
    assert max(ys) - min(ys) == 11 * ROW_GAP
    assert all(positions["ingress"][0] < x for x in xs)
    assert len(set(positions.values())) == len(nodes)
