"""Scoring root-cause rankings the way the RCAEval benchmark does.

AC@k is the share of cases whose true cause is among the top ``k`` of the ranking; Avg@k is
the mean of AC@1 .. AC@k. A case whose incident was not detected at all counts as a miss at
every k (its rank is ``None``).

>>> ranks = [1, 2, None, 1]
>>> ac_at(ranks, 1), ac_at(ranks, 3), round(avg_at(ranks, 5), 3)
(0.5, 0.75, 0.7)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["Scores", "ac_at", "avg_at", "rank_of", "scores"]


def rank_of(cause: str, ranking: Sequence[str]) -> int | None:
    """1-based position of ``cause`` in ``ranking``; None when it is not there."""
    return ranking.index(cause) + 1 if cause in ranking else None


def ac_at(ranks: Sequence[int | None], k: int) -> float:
    """Share of cases with the true cause in the top ``k`` (0 for no cases)."""
    if not ranks:
        return 0.0
    return sum(1 for r in ranks if r is not None and r <= k) / len(ranks)


def avg_at(ranks: Sequence[int | None], k: int) -> float:
    """Mean of AC@1 .. AC@k."""
    return sum(ac_at(ranks, i) for i in range(1, k + 1)) / k


@dataclass(frozen=True, slots=True)
class Scores:
    """AC@1, AC@3 and Avg@5 of a set of cases."""

    cases: int
    ac1: float
    ac3: float
    avg5: float


def scores(ranks: Sequence[int | None]) -> Scores:
    """The three numbers RCAEval reports, for these ranks."""
    return Scores(len(ranks), ac_at(ranks, 1), ac_at(ranks, 3), avg_at(ranks, 5))
