"""Benchmark: seconds per layout algorithm on random layered call graphs (2 edges per node).

Each size and algorithm runs 3 times; the median is printed.

    .venv/bin/python bench/layout.py                    # 100, 1000, 2000, 5000 nodes
    .venv/bin/python bench/layout.py --sizes 300 3000   # others
"""

from __future__ import annotations

import argparse
import random
import statistics
import time

from dashboard.topology.layout import Algorithm, compute_layout

ALGORITHMS: tuple[Algorithm, ...] = ("layered", "force")


def layered_graph(size: int, seed: int = 0) -> tuple[list[str], list[tuple[str, str]]]:
    """Nodes in about sqrt(size) tiers; each node calls 2 nodes of a later tier, few call back."""
    rnd = random.Random(seed)
    nodes = [f"svc-{i:05d}" for i in range(size)]
    tiers = max(2, round(size**0.5))
    tier_of = [i * tiers // size for i in range(size)]
    edges = []
    for i, node in enumerate(nodes):
        for _ in range(2):
            j = rnd.randrange(size)
            if tier_of[j] > tier_of[i] or rnd.random() < 0.05:  # a few back edges make cycles
                edges.append((node, nodes[j]))
            else:
                edges.append((nodes[j], node))
    return nodes, edges


def median_seconds(algorithm: Algorithm, nodes: list[str], edges: list[tuple[str, str]]) -> float:
    """Median wall time of 3 runs."""
    timings = []
    for _ in range(3):
        started = time.perf_counter()
        compute_layout(nodes, edges, algorithm=algorithm)
        timings.append(time.perf_counter() - started)
    return statistics.median(timings)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1000, 2000, 5000])
    args = parser.parse_args()
    print(f"{'nodes':>6} {'edges':>6} " + " ".join(f"{name:>9}" for name in ALGORITHMS))
    for size in args.sizes:
        nodes, edges = layered_graph(size)
        seconds = [median_seconds(algorithm, nodes, edges) for algorithm in ALGORITHMS]
        print(f"{size:>6} {len(edges):>6} " + " ".join(f"{s:>8.3f}s" for s in seconds))


if __name__ == "__main__":
    main()
