"""Answer the fixed Istio query set from counter streams, the way Prometheus would.

Each :class:`~collectors.istio_queries.IstioQuery` is evaluated from its declaration alone:
select the series its matchers match (:meth:`Matcher.matches`), ``rate()`` each one over the
window, ``sum by`` the query's ``group_by`` labels plus ``reporter`` (and ``le`` for a
quantile, then ``histogram_quantile``). Series are processed in batches sorted by group, so
memory stays bounded however many series there are.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from collectors.demo.promql import Semantics, extrapolated_rate, histogram_quantile
from collectors.demo.streams import BUCKET_BOUNDS, CounterStreams, Floats, Indices
from collectors.demo.timeline import Timeline
from collectors.istio_queries import (
    INSTANT_QUERIES,
    RANGE_QUERIES,
    REPORTERS,
    SERIES_RATE_WINDOW_SECONDS,
    IstioQuery,
    Matcher,
)
from collectors.prom import InstantSample, MetricsResults, RangeSeries

BATCH_ELEMENTS = 3_000_000  # counter values built at once (series x buckets x scrapes)


@dataclass
class _Groups:
    """Per-group sums of a batch: labels, ``(groups, k, points)`` sums and presence."""

    labels: list[dict[str, str]]
    sums: Floats
    present: npt.NDArray[np.bool_]


class Evaluator:
    """Evaluates queries over one set of counter streams.

    >>> evaluator = Evaluator(streams)  # doctest: +SKIP
    >>> evaluator.instant(INSTANT_QUERIES[0], at=len(streams.times) - 1, window_seconds=600)
    ... # doctest: +SKIP
    """

    def __init__(self, streams: CounterStreams, *, semantics: Semantics = "v2") -> None:
        self._streams = streams
        self._semantics = semantics
        self._cache: dict[tuple[object, ...], list[_Groups]] = {}

    def instant(self, query: IstioQuery, *, at: int, window_seconds: int) -> list[InstantSample]:
        """The query's instant vector at scrape ``at``."""
        samples = []
        for labels, values, present in self._evaluate(query, np.array([at]), window_seconds):
            if present[0]:
                samples.append(InstantSample(labels, float(values[0])))
        return samples

    def range(
        self, query: IstioQuery, *, indices: Indices, window_seconds: int
    ) -> list[RangeSeries]:
        """The query's matrix over scrapes ``indices``; points where a group has no data are
        left out, as Prometheus leaves them out."""
        times = self._streams.times[indices]
        times.flags.writeable = False
        result = []
        for labels, values, present in self._evaluate(query, indices, window_seconds):
            if present.all():
                result.append(RangeSeries(labels, times, values))
            elif present.any():
                result.append(RangeSeries(labels, times[present], values[present]))
        return result

    def _evaluate(
        self, query: IstioQuery, at: Indices, window: int
    ) -> Iterator[tuple[dict[str, str], Floats, npt.NDArray[np.bool_]]]:
        batches: Iterable[_Groups]
        if len(at) == 1:
            # Instant quantiles share their bucket sums (p50, p95, p99 of the same histogram).
            key = (query.metric, query.group_by, query.matchers, window, int(at[0]))
            if key not in self._cache:
                self._cache[key] = list(self._sums(query, at, window))
            batches = self._cache[key]
        else:
            batches = self._sums(query, at, window)
        for batch in batches:
            if query.kind == "quantile":
                values = histogram_quantile(
                    query.quantile, BUCKET_BOUNDS, np.moveaxis(batch.sums, 1, 2)
                )
            else:
                values = batch.sums[:, 0, :]
            values = np.where(batch.present, values, np.nan)
            for i, labels in enumerate(batch.labels):
                yield labels, values[i], batch.present[i]

    def _sums(self, query: IstioQuery, at: Indices, window: int) -> Iterator[_Groups]:
        family = self._streams.family(query.metric)
        table = family.labels
        selected = table.matching((Matcher("reporter", "=~", "|".join(REPORTERS)), *query.matchers))
        selected &= family.birth < at.max()
        rows = np.flatnonzero(selected)
        if len(rows) == 0:
            return
        by = ("reporter", *query.group_by)
        columns = [table.column(name) for name in by]
        codes = np.stack([c[rows] for _, c in columns], axis=1)
        unique, inverse = np.unique(codes, axis=0, return_inverse=True)
        order = np.argsort(inverse, kind="stable")
        rows, inverse = rows[order], inverse.reshape(-1)[order]

        def labels_of(group: int) -> dict[str, str]:
            found = {n: columns[i][0][unique[group, i]] for i, n in enumerate(by)}
            return {n: v for n, v in sorted(found.items()) if v}

        width = len(BUCKET_BOUNDS) if query.kind == "quantile" else 1
        chunk = max(1, BATCH_ELEMENTS // (width * len(self._streams.times)))
        pending: tuple[int, Floats, npt.NDArray[np.bool_]] | None = None
        for begin in range(0, len(rows), chunk):
            part = rows[begin : begin + chunk]
            groups = inverse[begin : begin + chunk]
            counters = family.counters(query.metric, part)
            rates, valid = extrapolated_rate(
                counters, family.birth[part], at, window_seconds=window,
                step_seconds=self._streams.step_seconds, semantics=self._semantics,
                resets=family.resets, missing=0.0,
            )  # fmt: skip
            starts = np.concatenate([[0], np.flatnonzero(np.diff(groups)) + 1])
            sums = np.add.reduceat(rates, starts, axis=0)
            present = np.logical_or.reduceat(valid, starts, axis=0)
            ids = groups[starts]
            if pending is not None and pending[0] == ids[0]:
                sums[0] += pending[1]
                present[0] |= pending[2]
            elif pending is not None:
                yield _Groups([labels_of(pending[0])], pending[1][None], pending[2][None])
            pending = (int(ids[-1]), sums[-1], present[-1])
            if len(ids) > 1:
                yield _Groups([labels_of(int(g)) for g in ids[:-1]], sums[:-1], present[:-1])
        if pending is not None:
            yield _Groups([labels_of(pending[0])], pending[1][None], pending[2][None])


def answer_queries(
    streams: CounterStreams, timeline: Timeline, *, rate_window_seconds: int
) -> MetricsResults:
    """Answer every query of the fixed set: instant ones at the end of the timeline over
    ``rate_window_seconds``, range ones over the window at its step."""
    evaluator = Evaluator(streams)
    results = MetricsResults(
        evaluated_at=timeline.end,
        rate_window_seconds=rate_window_seconds,
        start=timeline.start,
        end=timeline.end,
        step_seconds=timeline.step_seconds,
    )
    last = timeline.samples - 1
    for query in INSTANT_QUERIES:
        results.instant[query.key] = evaluator.instant(
            query, at=last, window_seconds=rate_window_seconds
        )
    indices = timeline.range_indices()
    for query in RANGE_QUERIES:
        results.range[query.key] = evaluator.range(
            query, indices=indices, window_seconds=SERIES_RATE_WINDOW_SECONDS
        )
    return results
