"""Answer the fixed GPU query set from the demo's gauges, the way Prometheus would.

Each :class:`~collectors.gpu_queries.GpuQuery` is evaluated from its declaration alone: select
the series of its metric that its matchers match, take each one's latest sample within the
lookback (five minutes: a series that stopped is still seen that long, as backfilled data has
no staleness markers), and aggregate (``max``/``sum``) by the query's labels, dropping empty
ones. Range queries are answered at every range point of the timeline, instant ones at its end.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import numpy as np
import numpy.typing as npt

from collectors.demo.gpu_samples import GaugeSamples, GaugeSeries
from collectors.demo.promql import Semantics
from collectors.demo.timeline import Timeline
from collectors.gpu_queries import DCGM_QUERIES, KSM_QUERIES, GpuQuery
from collectors.prom import InstantSample, RangeSeries

LOOKBACK_SECONDS = 300
_MATCHER = re.compile(r'\s*([A-Za-z_][A-Za-z0-9_]*)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"\s*,?')

Floats = npt.NDArray[np.float64]
Indices = npt.NDArray[np.intp]


def matches(matcher: str, labels: dict[str, str]) -> bool:
    """Whether ``labels`` satisfy rendered PromQL label matchers (``a="x", b=~"y|z"``)."""
    position = 0
    while position < len(matcher):
        found = _MATCHER.match(matcher, position)
        if found is None:
            raise ValueError(f"cannot read label matchers {matcher!r}")
        name, op, raw = found.groups()
        value = labels.get(name, "")
        wanted = raw.replace('\\"', '"').replace("\\\\", "\\")
        if op in ("=~", "!~"):
            hit = re.fullmatch(wanted, value) is not None
            if hit != (op == "=~"):
                return False
        elif (value == wanted) != (op == "="):
            return False
        position = found.end()
    return True


def _lookback(step_seconds: int, semantics: Semantics) -> int:
    """Scrapes back a sample stays visible: ``[t - 5m, t]`` (v2) or ``(t - 5m, t]`` (v3)."""
    ratio = LOOKBACK_SECONDS / step_seconds
    return int(np.floor(ratio + 1e-9)) if semantics == "v2" else int(np.ceil(ratio - 1e-9)) - 1


def _visible(series: GaugeSeries, at: Indices, lookback: int) -> Floats:
    """The series' value seen at scrapes ``at`` (NaN where it has none in the lookback)."""
    last = series.first + len(series.values) - 1
    seen = (at >= series.first) & (at <= last + lookback)
    picked = series.values[np.clip(at - series.first, 0, len(series.values) - 1)]
    result: Floats = np.where(seen, picked, np.nan)
    return result


def _aggregate(
    query: GpuQuery, series: Iterable[GaugeSeries], at: Indices, lookback: int
) -> list[tuple[dict[str, str], Floats]]:
    groups: dict[tuple[tuple[str, str], ...], list[Floats]] = {}
    for one in series:
        if one.metric != query.metric or not matches(query.matcher, one.labels):
            continue
        key = tuple((k, one.labels[k]) for k in query.group_by if one.labels.get(k))
        groups.setdefault(key, []).append(_visible(one, at, lookback))
    found = []
    for key, rows in sorted(groups.items()):
        stacked = np.vstack(rows)
        present = ~np.isnan(stacked)
        if query.aggregation == "max":
            values = np.fmax.reduce(stacked, axis=0)
        else:
            values = np.where(present.any(axis=0), np.nansum(stacked, axis=0), np.nan)
        found.append((dict(key), values))
    return found


def answer_gpu_queries(
    gauges: GaugeSamples, timeline: Timeline, *, semantics: Semantics = "v2"
) -> tuple[dict[str, list[RangeSeries]], dict[str, list[InstantSample]]]:
    """Range answers of the DCGM queries over the window, instant ones of kube-state-metrics at
    its end, keyed by query key; points where a group has no sample are left out."""
    lookback = _lookback(timeline.step_seconds, semantics)
    indices = timeline.range_indices()
    times = timeline.times()[indices]
    ranges: dict[str, list[RangeSeries]] = {}
    for query in DCGM_QUERIES:
        answer = []
        for labels, values in _aggregate(query, gauges.series, indices, lookback):
            present = ~np.isnan(values)
            if present.any():
                answer.append(RangeSeries(labels, times[present], values[present]))
        ranges[query.key] = answer
    last = np.array([timeline.samples - 1], dtype=np.intp)
    instants: dict[str, list[InstantSample]] = {}
    for query in KSM_QUERIES:
        instants[query.key] = [
            InstantSample(labels, float(values[0]))
            for labels, values in _aggregate(query, gauges.series, last, lookback)
            if not np.isnan(values[0])
        ]
    return ranges, instants
