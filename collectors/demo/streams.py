"""Raw counter streams: what the demo's Envoy proxies would expose to a Prometheus scrape.

A series is one reporter and full Istio label set (response code and flags included). Its
counters are never stored per sample: a family keeps per-series parameters (a row of the traffic
model's rate matrix, a share of it, a latency distribution) and builds the counters of the
series a query asks for, in batches. Counters are whole numbers, like Envoy's, and a series
exists from the scrape where its first request was counted (``birth``).

:class:`CounterStreams` is also what a later step writes out as OpenMetrics to backfill a real
Prometheus: :meth:`SeriesFamily.counters` gives every value and ``labels.row`` the label set.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
import numpy.typing as npt

from collectors.demo.promql import normal_cdf
from collectors.istio_queries import LATENCY_BUCKETS_MS, Matcher

Floats = npt.NDArray[np.float64]
Indices = npt.NDArray[np.intp]

DURATION_BUCKET = "istio_request_duration_milliseconds_bucket"
BUCKET_BOUNDS: Floats = np.array([*LATENCY_BUCKETS_MS, np.inf])
"""``le`` bounds of the latency histogram, ``+Inf`` last."""
LATENCY_BLOCK = 4
"""Scrapes that share one latency distribution (a minute at the default step)."""


@dataclass
class LabelTable:
    """Label values of many series, stored column-wise as codes into per-label value lists."""

    values: dict[str, list[str]] = field(default_factory=dict)
    codes: dict[str, npt.NDArray[np.int32]] = field(default_factory=dict)
    size: int = 0

    @classmethod
    def from_rows(cls, names: Sequence[str], rows: Iterable[Sequence[str]]) -> LabelTable:
        """Build from one tuple of values per series, in the order of ``names``."""
        rows = list(rows)
        table = cls(size=len(rows))
        for position, name in enumerate(names):
            index: dict[str, int] = {}
            codes = np.fromiter(
                (index.setdefault(row[position], len(index)) for row in rows),
                dtype=np.int32,
                count=len(rows),
            )
            table.values[name] = list(index)
            table.codes[name] = codes
        return table

    def column(self, name: str) -> tuple[list[str], npt.NDArray[np.int32]]:
        """Values and codes of a label; a label no series has reads as ``""`` everywhere."""
        if name in self.codes:
            return self.values[name], self.codes[name]
        return [""], np.zeros(self.size, dtype=np.int32)

    def matching(self, matchers: Iterable[Matcher]) -> npt.NDArray[np.bool_]:
        """Series selected by all matchers (each value is tested once, then looked up)."""
        mask = np.ones(self.size, dtype=bool)
        for matcher in matchers:
            values, codes = self.column(matcher.label)
            hits = np.array([matcher.matches({matcher.label: v}) for v in values], dtype=bool)
            mask &= hits[codes]
        return mask

    def row(self, index: int) -> dict[str, str]:
        """The label set of one series, without empty labels (Prometheus drops them)."""
        found = {name: self.values[name][codes[index]] for name, codes in self.codes.items()}
        return {name: value for name, value in sorted(found.items()) if value}


class SeriesFamily(Protocol):
    """Series sharing one label set and lifetime across several metrics."""

    @property
    def labels(self) -> LabelTable:
        """Labels of every series."""

    @property
    def birth(self) -> Indices:
        """Index of each series' first scrape."""

    @property
    def metrics(self) -> frozenset[str]:
        """Metric names this family answers."""

    @property
    def resets(self) -> bool:
        """Whether counters may reset (drop) within the timeline."""

    def counters(self, metric: str, rows: Indices) -> Floats:
        """Counter values of ``rows`` at every scrape: ``(rows, k, samples)``.

        ``k`` is the number of buckets (``le`` in :data:`BUCKET_BOUNDS` order) for a histogram's
        ``_bucket`` metric, 1 otherwise. Values before a series' birth are meaningless.
        """


@dataclass
class RecordedFamily:
    """A family whose counters are given outright (small data, tests, replays)."""

    labels: LabelTable
    birth: Indices
    values: dict[str, Floats]  # metric -> (series, k, samples)
    resets: bool = True

    @property
    def metrics(self) -> frozenset[str]:
        """Metric names this family answers."""
        return frozenset(self.values)

    def counters(self, metric: str, rows: Indices) -> Floats:
        """Counter values of ``rows``."""
        return self.values[metric][rows]


@dataclass
class ModelledFamily:
    """Series whose counters follow from the traffic model, built on demand.

    Series ``i`` counts ``rate[path[i]] * share(i)`` requests per second, where the share is
    ``share[i]``, times row ``share_row[i]`` of ``share_rows`` when that is not -1. Per-request
    ``factors`` turn requests into other counters (bytes, connections); a latency histogram
    is lognormal around ``median(i)`` with spread ``sigma[i]``.
    """

    labels: LabelTable
    birth: Indices
    step_seconds: float
    rate: Floats  # (paths, samples)
    path: Indices
    share: Floats
    share_row: Indices
    share_rows: Floats  # (rows, samples)
    offset: Floats  # requests counted before the first scrape
    factors: dict[str, Floats]  # metric -> per-request multiplier per series
    factor_rows: dict[str, tuple[Indices, Floats]] = field(default_factory=dict)
    latency: Floats | None = None  # (rows, samples) medians in ms
    latency_row: Indices | None = None
    latency_scale: Floats | None = None
    latency_add: Floats | None = None
    sigma: Floats | None = None
    resets: bool = False  # counts only ever grow: the model's proxies never restart

    @property
    def metrics(self) -> frozenset[str]:
        """Metric names this family answers."""
        names = set(self.factors)
        if self.latency is not None:
            names |= {DURATION_BUCKET, "istio_request_duration_milliseconds_sum"}
        return frozenset(names)

    def requests(self, rows: Indices) -> Floats:
        """Requests counted in each step, ``(rows, samples)``."""
        per_step = self.rate[self.path[rows]] * (self.share[rows] * self.step_seconds)[:, None]
        varying = self.share_row[rows]
        pick = varying >= 0
        if pick.any():
            per_step[pick] *= self.share_rows[varying[pick]]
        return per_step

    def median_ms(self, rows: Indices) -> Floats:
        """Median latency of each series at each step, ``(rows, samples)``."""
        assert self.latency is not None and self.latency_row is not None
        assert self.latency_scale is not None and self.latency_add is not None
        row = self.latency_row[rows]
        base = (
            self.latency[np.maximum(row, 0)]
            * np.where(row >= 0, self.latency_scale[rows], 0)[:, None]
        )
        result: Floats = base + self.latency_add[rows][:, None]
        return result

    def counters(self, metric: str, rows: Indices) -> Floats:
        """Counter values of ``rows`` at every scrape, ``(rows, k, samples)``."""
        per_step = self.requests(rows)
        start = self.offset[rows][:, None]
        if metric == DURATION_BUCKET:
            return self._buckets(rows, per_step, start)
        if metric == "istio_request_duration_milliseconds_sum":
            assert self.sigma is not None
            blocks = self.median_ms(rows)[:, ::LATENCY_BLOCK]
            median = np.repeat(blocks, LATENCY_BLOCK, axis=1)[:, : per_step.shape[1]]
            mean = median * np.exp(self.sigma[rows] ** 2 / 2)[:, None]  # of the lognormal
            totals = start * mean[:, :1] + np.cumsum(per_step * mean, axis=1)
            return np.floor(totals)[:, None, :]
        factor = self.factors[metric][rows][:, None]
        if metric in self.factor_rows:
            which, table = self.factor_rows[metric]
            factor = factor * np.where(which[rows, None] >= 0, table[np.maximum(which[rows], 0)], 1)
            totals = start * factor[:, :1] + np.cumsum(per_step * factor, axis=1)
        else:
            totals = (start + np.cumsum(per_step, axis=1)) * factor
        return np.floor(totals)[:, None, :]

    def _buckets(self, rows: Indices, per_step: Floats, start: Floats) -> Floats:
        assert self.sigma is not None
        samples = per_step.shape[1]
        # Medians move slowly, so one latency distribution serves a block of scrapes.
        log_median = np.log(self.median_ms(rows)[:, ::LATENCY_BLOCK])[:, None, :]
        log_bounds = np.log(BUCKET_BOUNDS[:-1])[None, :, None]
        below = normal_cdf((log_bounds - log_median) * (1.0 / self.sigma[rows])[:, None, None])
        blocks = below.shape[2]
        padded = np.empty((len(rows), len(BUCKET_BOUNDS), blocks, LATENCY_BLOCK))
        padded[:, :-1] = below[:, :, :, None]
        padded[:, -1] = 1.0
        counted = padded.reshape(len(rows), len(BUCKET_BOUNDS), -1)[:, :, :samples]
        before = start[:, :, None] * counted[:, :, :1]
        np.multiply(counted, per_step[:, None, :], out=counted)
        np.add.accumulate(counted, axis=2, out=counted)
        counted += before
        return np.floor(counted, out=counted)


@dataclass
class CounterStreams:
    """Every counter series of the demo, by family, on one scrape timeline."""

    times: npt.NDArray[np.int64]  # Unix seconds of every scrape
    step_seconds: int
    families: list[SeriesFamily]

    def family(self, metric: str) -> SeriesFamily:
        """The family that answers ``metric`` (``KeyError`` when none does)."""
        for family in self.families:
            if metric in family.metrics:
                return family
        raise KeyError(f"no demo series for metric {metric}")


def first_counted(counters: Floats) -> Indices:
    """Index of the first scrape where a counter is at least 1; ``len`` when it never is."""
    counted = counters >= 1
    found = counted.any(axis=1)
    birth: Indices = np.where(found, counted.argmax(axis=1), counters.shape[1]).astype(np.intp)
    return birth
