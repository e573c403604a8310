"""How far each signal is from its own recent baseline, and the episodes where it is too far.

The baseline of a signal is a running mean and spread of its *normal* points only: while a
point is anomalous the baseline is frozen, so an incident that lasts hours does not become the
new normal and end on its own (a trailing-window median would absorb it after one window).
A point is anomalous when it is both far in units of the signal's own noise (``z``) and far
enough to matter to a person (``min_abs`` and ``min_ratio`` against the baseline): a service at
0.01% errors that moves to 0.05% is statistically odd but nobody should be paged for it.

Episodes are runs of anomalous slots of at least ``min_slots``, with gaps of up to
``max_gap_slots`` bridged, so a crash-looping service that is up for a minute between restarts
stays one episode.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np
import numpy.typing as npt
import pandas as pd

from dashboard.analysis.signals import Matrix

__all__ = ["RULES", "Detection", "Episode", "Rule", "detect", "episodes"]


@dataclass(frozen=True, slots=True)
class Rule:
    """When a signal counts as anomalous. ``direction`` +1: higher is worse; -1: lower is."""

    signal: str  # "error_ratio", "p95_ms", "requests"
    direction: int
    min_abs: float  # the least absolute move that matters
    min_ratio: float  # up: value >= baseline x ratio; down: value <= baseline x ratio
    floor_abs: float = 0.0  # the least noise assumed, so a flat line does not flag every wiggle
    floor_rel: float = 0.0  # ... relative to the baseline
    z: float = 4.0


RULES: dict[str, Rule] = {
    "error_ratio": Rule("error_ratio", +1, min_abs=0.02, min_ratio=2.0, floor_abs=0.004),
    "p95_ms": Rule("p95_ms", +1, min_abs=2.0, min_ratio=1.5, floor_abs=0.2, floor_rel=0.08, z=6.0),
    "requests": Rule("requests", -1, min_abs=0.05, min_ratio=0.5, floor_rel=0.1),
}
"""The defaults (see docs/triage.md for why each number)."""


@dataclass
class Detection:
    """A rule applied to a (slots, columns) matrix: per-slot anomaly flags and scores."""

    anomalous: npt.NDArray[np.bool_]
    score: Matrix  # distance from the baseline in noise units, in the bad direction
    baseline: Matrix  # the baseline each slot was judged against


LEARN_LIMIT = 2.0


def detect(
    values: Matrix,
    rule: Rule,
    *,
    counts: Matrix | None = None,
    warmup: int = 20,
    memory: int = 60,
) -> Detection:
    """Judge every slot of every column against that column's baseline of normal slots.

    ``warmup``: normal points a column needs before it is judged. ``memory``: slots the
    running baseline averages over (an exponential window), so it follows slow daily cycles.
    ``counts``: the requests behind each point. One failed request in 40 is 2.5% errors: at
    low traffic a ratio is coarse, and its noise is at least the binomial deviation of that
    many requests, whatever the history says; a p95 of few requests is as coarse.
    """
    slots, columns = values.shape
    level = np.zeros(columns)
    spread = np.zeros(columns)
    seen = np.zeros(columns, dtype=np.int64)
    anomalous = np.zeros(values.shape, dtype=np.bool_)
    score = np.zeros(values.shape)
    baseline = np.full(values.shape, np.nan)
    for t in range(slots):
        x = values[t]
        if rule.direction < 0:
            # A signal that vanishes after it was established dropped to nothing.
            x = np.where(np.isnan(x) & (seen >= warmup), 0.0, x)
        valid = ~np.isnan(x)
        judged = valid & (seen >= warmup)
        x0 = np.nan_to_num(x)
        deviation = rule.direction * (x0 - level)
        noise = np.maximum.reduce(
            [spread * 1.25, np.full(columns, rule.floor_abs), rule.floor_rel * np.abs(level)]
        )
        if counts is not None:
            n = np.maximum(np.nan_to_num(counts[t]), 1.0)
            if rule.signal == "error_ratio":
                p = np.clip(np.maximum(level, 0.5 / n), 0.0, 1.0)
                noise = np.maximum(noise, np.sqrt(p * (1.0 - p) / n))
            else:  # a quantile of few requests jumps between histogram buckets
                noise = np.maximum(noise, 2.0 * np.abs(level) / np.sqrt(n))
        with np.errstate(divide="ignore", invalid="ignore"):
            z = np.where(noise > 0, deviation / noise, np.where(deviation > 0, np.inf, 0.0))
        if rule.direction > 0:
            far_enough = (deviation >= rule.min_abs) & (x0 >= level * rule.min_ratio)
        else:
            far_enough = (deviation >= rule.min_abs) & (x0 <= level * rule.min_ratio)
        flagged = judged & far_enough & (z >= rule.z)
        anomalous[t] = flagged
        score[t] = np.where(judged, np.clip(z, 0.0, 1e6), 0.0)
        baseline[t] = np.where(seen > 0, level, np.nan)
        learn = valid & ~flagged
        weight = np.where(learn, np.maximum(1.0 / memory, 1.0 / (seen + 1)), 0.0)
        # Learn at most a few noise units per point once warmed up, so a slow climb (a
        # memory leak, a filling GPU) is not followed step by step into the baseline.
        bound = np.where(seen >= warmup, LEARN_LIMIT * noise, np.inf)
        level = level + weight * np.clip(x0 - level, -bound, bound)
        spread = spread + weight * (np.minimum(np.abs(x0 - level), bound) - spread)
        seen = seen + learn
    return Detection(anomalous, score, baseline)


@dataclass(frozen=True, slots=True)
class Episode:
    """One run of anomalous slots of one signal of one column."""

    column: int
    signal: str
    first: int  # slot index of the onset
    last: int  # slot index of the last anomalous slot
    ongoing: bool  # still anomalous in the last slot
    peak_score: float
    peak_value: float
    baseline: float  # the baseline when it started

    def onset(self, times: pd.DatetimeIndex) -> datetime:
        """When it started."""
        return pd.Timestamp(times[self.first]).to_pydatetime()

    def end(self, times: pd.DatetimeIndex) -> datetime | None:
        """When it was last seen, None while it goes on."""
        return None if self.ongoing else pd.Timestamp(times[self.last]).to_pydatetime()


def episodes(
    values: Matrix,
    detection: Detection,
    signal: str,
    *,
    min_slots: int = 2,
    max_gap_slots: int = 10,
) -> list[Episode]:
    """Cut each column's anomalous slots into episodes (see the module docstring)."""
    found: list[Episode] = []
    slots = values.shape[0]
    for column in np.flatnonzero(detection.anomalous.any(axis=0)):
        hits = np.flatnonzero(detection.anomalous[:, column])
        runs: list[list[int]] = [[int(hits[0]), int(hits[0]), 1]]
        for t in hits[1:]:
            if t - runs[-1][1] <= max_gap_slots + 1:
                runs[-1][1] = int(t)
                runs[-1][2] += 1
            else:
                runs.append([int(t), int(t), 1])
        for first, last, count in runs:
            if count < min_slots:
                continue
            window = slice(first, last + 1)
            scores = detection.score[window, column]
            peak = first + int(np.argmax(scores))
            found.append(
                Episode(
                    column=int(column),
                    signal=signal,
                    first=first,
                    last=last,
                    ongoing=last >= slots - 1 - max_gap_slots // 2
                    and bool(
                        detection.anomalous[max(first, slots - 1 - max_gap_slots) :, column].any()
                    ),
                    peak_score=float(scores.max()),
                    peak_value=float(values[peak, column]),
                    baseline=float(detection.baseline[first, column]),
                )
            )
    return found
