"""The ranking on one generated scenario of each fault kind (bench/triage_eval.py runs 36+),
against the N-sigma error-ratio baseline, which cannot see latency."""

from __future__ import annotations

from datetime import timedelta

import pytest

from collectors.demo.scenarios import EVAL_KINDS, eval_cases
from dashboard.analysis.evaluation import rank_of
from dashboard.analysis.triage import match_truth, rank_by_error_z, triage

CASES = eval_cases(len(EVAL_KINDS), seed=1)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_the_true_cause_of_a_generated_fault_ranks_first(case) -> None:  # type: ignore[no-untyped-def]
    snapshot = case.snapshot()
    truth = snapshot.incidents[0]
    report = triage(snapshot)
    found = match_truth(report, truth)
    assert found is not None, f"{case.name}: not detected"
    assert found.causes[0].node == case.root
    assert found.causes[0].evidence  # a rank comes with its reasons
    if case.kind.value == "latency":
        times = report.analysis.times
        first = int(times.searchsorted(truth.start))
        last = int(times.searchsorted(truth.start + timedelta(minutes=30)))
        assert rank_of(case.root, rank_by_error_z(report.analysis, first, last)) is None
