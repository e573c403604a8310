"""The demo's raw Istio counters and GPU gauges as OpenMetrics text, to backfill a Prometheus.

``promtool tsdb create-blocks-from openmetrics FILE DIR`` turns the output into TSDB blocks, so
a real Prometheus answers the same Istio and GPU queries the demo path answers from these very
samples: the live path can then be checked against the demo path. A file with both writes the
counters with ``eof=False`` and the gauges after them.

What ``promtool`` needs (see ``shared/REAL-COMPONENTS.md``): timestamps in seconds, samples of
one series in time order and one metric's lines together, and ``# EOF`` at the end. No
``# TYPE`` lines are written: the series keep their Istio names as they are (``_total``,
``_bucket`` with ``le``, ``_sum``, ``_count``), which is all PromQL needs.

    >>> from io import StringIO
    >>> from collectors.demo import generate_demo
    >>> out = StringIO()
    >>> write_openmetrics(generate_demo(hours=0.1).streams, out, every=4) > 0
    True
    >>> out.getvalue().endswith("# EOF\\n")
    True
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TextIO

import numpy as np

from collectors.demo.gpu_samples import GaugeSamples
from collectors.demo.streams import BUCKET_BOUNDS, DURATION_BUCKET, CounterStreams, SeriesFamily

__all__ = ["escape_label_value", "write_gauges", "write_openmetrics"]

_BATCH = 256  # series whose counters are built at once: bounded memory at any demo scale


def escape_label_value(value: str) -> str:
    """Escape a label value for the text format: backslash, double quote and newline."""
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _bound(bound: float) -> str:
    if np.isinf(bound):
        return "+Inf"
    return str(int(bound)) if float(bound).is_integer() else repr(float(bound))


def _selector(metric: str, labels: Mapping[str, str]) -> str:
    inside = ",".join(f'{name}="{escape_label_value(value)}"' for name, value in labels.items())
    return f"{metric}{{{inside}}}"


def _family_lines(
    family: SeriesFamily, metric: str, times: np.ndarray, every: int, since: int
) -> Iterator[str]:
    buckets = metric == DURATION_BUCKET
    for start in range(0, family.labels.size, _BATCH):
        rows = np.arange(start, min(start + _BATCH, family.labels.size))
        values = family.counters(metric, rows)  # (rows, k, samples)
        for offset, row in enumerate(rows):
            labels = family.labels.row(int(row))
            # Keep the sampling grid of the whole stream, starting at the series' birth.
            first = -(-max(int(family.birth[row]), since) // every) * every
            picked = np.arange(first, len(times), every)
            if not len(picked):
                continue
            stamps = times[picked]
            for k in range(values.shape[1]):
                series = dict(labels)
                if buckets:
                    series["le"] = _bound(float(BUCKET_BOUNDS[k]))
                prefix = _selector(metric, dict(sorted(series.items())))
                counts = values[offset, k, picked]
                yield "".join(
                    f"{prefix} {count:.0f} {stamp}\n"
                    for count, stamp in zip(counts.tolist(), stamps.tolist(), strict=True)
                )


def write_openmetrics(
    streams: CounterStreams,
    out: TextIO,
    *,
    every: int = 1,
    since: int | None = None,
    eof: bool = True,
) -> int:
    """Write every counter of ``streams`` to ``out``; returns the number of samples written.

    ``every`` keeps one scrape in that many (``every=4`` at the demo's 15 s step gives one sample
    a minute, still ten per 10-minute ``rate()`` window). ``since`` (Unix seconds) leaves out
    earlier scrapes. Istio's label sets make a line about 1 kB, so six hours of the default demo
    at every scrape is 4.8 GB: tests write the part they query. ``eof=False`` leaves the file
    open for more metrics (:func:`write_gauges`).
    """
    if every < 1:
        raise ValueError("every must be at least 1")
    written = 0
    times = np.asarray(streams.times)
    first = 0 if since is None else int(np.searchsorted(times, since))
    for family in streams.families:
        for metric in sorted(family.metrics):
            for block in _family_lines(family, metric, times, every, first):
                out.write(block)
                written += block.count("\n")
    if eof:
        out.write("# EOF\n")
    return written


def write_gauges(
    gauges: GaugeSamples,
    out: TextIO,
    *,
    every: int = 1,
    since: int | None = None,
    eof: bool = True,
) -> int:
    """Write the GPU gauges to ``out`` with their ``instance`` and ``job``; returns the samples.

    Values are written exactly (``repr``), so a Prometheus backfilled from the text answers
    with the very numbers the demo answers with. ``every`` and ``since`` pick scrapes as in
    :func:`write_openmetrics`.
    """
    if every < 1:
        raise ValueError("every must be at least 1")
    times = np.asarray(gauges.times)
    first = 0 if since is None else int(np.searchsorted(times, since))
    by_metric: dict[str, list[int]] = {}
    for i, series in enumerate(gauges.series):
        by_metric.setdefault(series.metric, []).append(i)
    written = 0
    for metric, members in by_metric.items():
        for i in members:
            series = gauges.series[i]
            labels = {**series.labels, "instance": series.instance, "job": series.job}
            prefix = _selector(metric, dict(sorted(labels.items())))
            start = -(-max(series.first, first) // every) * every
            picked = np.arange(start, series.first + len(series.values), every)
            values = series.values[picked - series.first].tolist()
            out.write("".join(
                f"{prefix} {value!r} {stamp}\n"
                for value, stamp in zip(values, times[picked].tolist(), strict=True)
            ))  # fmt: skip
            written += len(picked)
    if eof:
        out.write("# EOF\n")
    return written
