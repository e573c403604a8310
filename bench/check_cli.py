"""How long ``meshlens check`` takes from the shell, against what ``meshlens --help`` costs.

Target (issue 5): ``meshlens check --manifests ../shared/data/k8s`` in under 2 s. Each round
runs both commands as fresh processes, alternating their order; the ratio to ``--help``
(interpreter and import start-up) says how much of the time is the checks' own work. A second
row checks the manifests dump of a scaled demo, to see the checks' cost grow with the mesh.

    .venv/bin/python bench/check_cli.py --runs 5 [--fixtures ../shared/data]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

MESHLENS = Path(sys.executable).with_name("meshlens")


def _wall(command: list[str]) -> float:
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode not in (0, 1):  # 1: errors found, which is a normal answer
        raise SystemExit(f"{' '.join(command)} failed ({done.returncode}): {done.stderr[-500:]}")
    return time.perf_counter() - started


def _median_pair(command: list[str], runs: int) -> tuple[float, float]:
    check, baseline = [], []
    for round_number in range(runs):
        pair = [(check, command), (baseline, [str(MESHLENS), "--help"])]
        for samples, argv in pair if round_number % 2 == 0 else reversed(pair):
            samples.append(_wall(argv))
    return statistics.median(check), statistics.median(baseline)


def _demo_dump(workloads: int, directory: Path) -> Path:
    from collectors.demo import generate_demo

    path = directory / f"demo-{workloads}.yaml"
    items = generate_demo(seed=7, workloads=workloads).objects.items
    path.write_text(yaml.safe_dump({"apiVersion": "v1", "kind": "List", "items": items}))
    return path


def main() -> None:
    """Print a Markdown table row per input."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--fixtures", type=Path, default=Path("../shared/data"))
    parser.add_argument("--workloads", type=int, nargs="*", default=[2000])
    args = parser.parse_args()
    print("| input | objects | check s (median) | --help s | ratio |")
    print("|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as scratch:
        inputs = [(str(args.fixtures / "k8s"), args.fixtures / "k8s")]
        inputs += [
            (f"demo dump, {n} workloads", _demo_dump(n, Path(scratch))) for n in args.workloads
        ]
        for label, path in inputs:
            from collectors.sources.manifests import load_manifests

            objects = len(load_manifests(path).items)
            check, baseline = _median_pair(
                [str(MESHLENS), "check", "--manifests", str(path)], args.runs
            )
            print(
                f"| {label} | {objects} | {check:.2f} | {baseline:.2f} | {check / baseline:.2f} |"
            )


if __name__ == "__main__":
    main()
