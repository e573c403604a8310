"""How well triage ranks root causes: AC@1, AC@3 and Avg@5 (RCAEval) per fault kind.

Runs the ranking on the demo's five injected incidents, then on generated scenarios
(``collectors.demo.scenarios.eval_cases``: different topologies, seeds and fault kinds, one
fault each with a known root cause and a distractor or two), next to a baseline that ranks
workloads by the largest |z-score| of their error ratio in the 30 minutes after the fault
began. A case whose incident is not detected counts as a miss at every k.

    .venv/bin/python bench/triage_eval.py [--cases 36] [--seed 1] [--check]

``--check`` exits 1 unless AC@1 >= 0.7 and AC@3 >= 0.9 overall, and the ranking beats the
baseline (Avg@5) in every fault kind where the baseline's AC@1 is below 1.0.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta

from collectors.demo.scenarios import eval_cases
from collectors.model import Snapshot
from collectors.sources.demo import demo_snapshot
from dashboard.analysis.evaluation import Scores, rank_of, scores
from dashboard.analysis.hotspots import hotspots
from dashboard.analysis.triage import label, match_truth, rank_by_error_z, triage

BASELINE_MINUTES = 30


@dataclass(frozen=True)
class Outcome:
    """Where the true cause ranked, for triage and for the baseline."""

    name: str
    kind: str
    detected: bool
    rank: int | None
    baseline_rank: int | None
    top: str


def evaluate(name: str, kind: str, snapshot: Snapshot) -> Outcome:
    """Rank the causes of the snapshot's single injected incident (its first)."""
    truth = snapshot.incidents[0]
    report = triage(snapshot)
    found = match_truth(report, truth)
    ranking = [c.node for c in found.causes] if found else []
    times = report.analysis.times
    first = int(times.searchsorted(truth.start))
    last = int(times.searchsorted(truth.start + timedelta(minutes=BASELINE_MINUTES)))
    baseline = rank_by_error_z(report.analysis, first, last)
    return Outcome(name, kind, found is not None, rank_of(truth.root_cause, ranking[:5]),
                   rank_of(truth.root_cause, baseline[:5]),
                   label(ranking[0]) if ranking else "-")  # fmt: skip


def _row(title: str, ours: Scores, base: Scores) -> str:
    return (f"| {title} | {ours.cases} | {ours.ac1:.2f} | {ours.ac3:.2f} | {ours.avg5:.2f} "
            f"| {base.ac1:.2f} | {base.ac3:.2f} | {base.avg5:.2f} |")  # fmt: skip


def table(outcomes: list[Outcome]) -> tuple[str, bool]:
    """The markdown table per kind and overall, and whether the targets hold."""
    by_kind: dict[str, list[Outcome]] = defaultdict(list)
    for outcome in outcomes:
        by_kind[outcome.kind].append(outcome)
    lines = [
        "| fault kind | cases | AC@1 | AC@3 | Avg@5 | baseline AC@1 | baseline AC@3 | "
        "baseline Avg@5 |",
        "|---|---|---|---|---|---|---|---|",
    ]
    ok = True
    for kind in sorted(by_kind):
        ours = scores([o.rank for o in by_kind[kind]])
        base = scores([o.baseline_rank for o in by_kind[kind]])
        lines.append(_row(kind, ours, base))
        if base.ac1 < 1.0 and not ours.avg5 > base.avg5:
            ok = False
    overall = scores([o.rank for o in outcomes])
    lines.append(_row("**all**", overall, scores([o.baseline_rank for o in outcomes])))
    ok = ok and overall.ac1 >= 0.7 and overall.ac3 >= 0.9
    return "\n".join(lines), ok


def time_at_scale(workloads: int) -> None:
    """How long triage and hotspots take on the demo at ``workloads``, against the snapshot's
    own build time measured in the same run."""
    started = time.perf_counter()
    snapshot = demo_snapshot(workloads=workloads)
    built = time.perf_counter() - started
    started = time.perf_counter()
    report = triage(snapshot)
    analysed = time.perf_counter() - started
    started = time.perf_counter()
    hotspots(report.analysis)
    ranked = time.perf_counter() - started
    print(f"{workloads} workloads ({len(snapshot.series):,} series rows): build {built:.1f} s, "
          f"triage {analysed:.2f} s ({analysed / built:.2f} of build), hotspots {ranked:.2f} s, "
          f"{len(report.incidents)} incidents")  # fmt: skip


def main() -> int:
    """Run the evaluation and print its tables."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=36, help="generated scenarios (default 36)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--check", action="store_true", help="exit 1 if a target is missed")
    parser.add_argument("--verbose", action="store_true", help="one line per case")
    parser.add_argument("--scale", type=int, nargs="*", default=[],
                        help="also time triage on the demo at these sizes (workloads)")  # fmt: skip
    args = parser.parse_args()
    for size in args.scale:
        time_at_scale(size)
    started = time.perf_counter()

    demo = demo_snapshot()
    report = triage(demo)
    print("Demo incidents (injected -> detected, rank of the true cause):")
    demo_ok = True
    for truth in demo.incidents:
        found = match_truth(report, truth)
        ranking = [c.node for c in found.causes] if found else []
        rank = rank_of(truth.root_cause, ranking)
        demo_ok = demo_ok and found is not None
        print(f"  {truth.id:34} -> {found.id if found else 'NOT DETECTED':38} rank {rank}")

    outcomes = []
    for case in eval_cases(args.cases, seed=args.seed):
        outcome = evaluate(case.name, case.kind.value, case.snapshot())
        outcomes.append(outcome)
        if args.verbose:
            print(f"  {case.name:44} rank {outcome.rank} baseline {outcome.baseline_rank} "
                  f"top {outcome.top}")  # fmt: skip
    text, ok = table(outcomes)
    missed = sum(1 for o in outcomes if not o.detected)
    print(f"\n{len(outcomes)} generated scenarios (seed {args.seed}), {missed} not detected:\n")
    print(text)
    print(f"\ntargets (AC@1 >= 0.7, AC@3 >= 0.9, beats the baseline where it is below 1.0, "
          f"every demo incident detected): {'met' if ok and demo_ok else 'MISSED'}"
          f" ({time.perf_counter() - started:.0f} s)")  # fmt: skip
    return 0 if (ok and demo_ok) or not args.check else 1


if __name__ == "__main__":
    sys.exit(main())
