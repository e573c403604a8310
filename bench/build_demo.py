"""Benchmark: build the demo snapshot at several scales; print seconds and peak memory.

Each scale runs in its own process so peak memory (max RSS) belongs to that scale alone.

    .venv/bin/python bench/build_demo.py                 # 100, 1000, 2000 workloads
    .venv/bin/python bench/build_demo.py --scales 300    # others
    .venv/bin/python bench/build_demo.py --markdown      # a table for docs/benchmarks.md
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def measure(workloads: int) -> dict[str, float]:
    """Build, save and load one demo snapshot; return timings and sizes."""
    from collectors.demo import generate_demo
    from collectors.kinds import EdgeKind, NodeKind
    from collectors.pipeline import build_snapshot
    from collectors.snapshot_io import load_snapshot, save_snapshot

    started = time.perf_counter()
    data = generate_demo(workloads=workloads)
    generated = time.perf_counter()
    snap = build_snapshot(
        objects=data.objects,
        metrics=data.metrics,
        sources=[],
        generator="bench",
        incidents=data.incidents,
    )
    built = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.meshlens"
        save_snapshot(snap, path)
        saved = time.perf_counter()
        load_snapshot(path)
        loaded = time.perf_counter()
        size = path.stat().st_size
    return {
        "workloads": sum(1 for _ in snap.nodes(NodeKind.WORKLOAD)),
        "call_edges": sum(1 for _ in snap.edges(EdgeKind.CALLS)),
        "series_rows": len(snap.series),
        "generate_s": generated - started,
        "transform_s": built - generated,
        "total_s": built - started,
        "save_s": saved - built,
        "load_s": loaded - saved,
        "file_mb": size / 1e6,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", type=int, nargs="+", default=[100, 1000, 2000])
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--markdown", action="store_true")
    args = parser.parse_args()
    if args.one:
        print(json.dumps(measure(args.one)))
        return
    rows = []
    for scale in args.scales:
        out = subprocess.run(
            [sys.executable, __file__, "--one", str(scale)],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        row = json.loads(out.strip().splitlines()[-1])
        row["asked"] = scale
        rows.append(row)
        print(
            f"asked {scale:>5}: {row['workloads']:>5} workloads, {row['call_edges']:>5} call "
            f"edges, {row['series_rows']:>9} series rows | generate {row['generate_s']:.1f} s, "
            f"transform {row['transform_s']:.1f} s, total {row['total_s']:.1f} s | save "
            f"{row['save_s']:.1f} s, load {row['load_s']:.1f} s, {row['file_mb']:.0f} MB | "
            f"peak {row['peak_rss_mb']:.0f} MB",
            flush=True,
        )
    if args.markdown:
        print(
            f"\nMachine: {platform.node()}, {platform.machine()}, Python "
            f"{platform.python_version()}, {time.strftime('%Y-%m-%d')}\n"
        )
        print(
            "| asked | workloads | call edges | series rows | generate s | transform s | "
            "total s | save s | load s | file MB | peak RSS MB |"
        )
        print("|---|---|---|---|---|---|---|---|---|---|---|")
        for r in rows:
            print(
                f"| {r['asked']} | {r['workloads']} | {r['call_edges']} | {r['series_rows']} | "
                f"{r['generate_s']:.1f} | {r['transform_s']:.1f} | {r['total_s']:.1f} | "
                f"{r['save_s']:.1f} | {r['load_s']:.1f} | {r['file_mb']:.0f} | "
                f"{r['peak_rss_mb']:.0f} |"
            )


if __name__ == "__main__":
    main()
