"""Benchmark: a live snapshot from a real Prometheus against the same PromQL sent raw over HTTP.

Per size, in its own process: the demo's counters for the last ``--span-minutes`` (plus the
60 s of history the first range point's ``rate()`` needs, and at least the 10-minute rate
window) are written as OpenMetrics, backfilled with ``promtool`` and served by the Debian
Prometheus (``tests/prometheus_server.py``). Data preparation runs in a child process, so the
peak memory reported is the measuring process's alone. Then, alternating (a warm-up of each
first, then ``--runs`` rounds whose order flips each round, so drift and other sessions' load
hit both alike):

- *live*: ``prometheus_snapshot(PrometheusMetrics(PrometheusConfig(url)), ...)`` at the demo's
  end over the backfilled span, the whole wall time (client set-up, the fixed query set,
  parsing, ``build_snapshot``); *collect* is the ``collect`` part of it;
- *raw*: the very same PromQL strings and parameters that ``PrometheusMetrics.collect`` sends
  (instant: ``time``; range: ``start``/``end`` rounded to seconds and ``step``), serially over
  one fresh ``requests.Session``, each body read in full (``response.content``), not parsed.

The ratio is median live over median raw; the paired ratio is the median of each round's
live over raw (the two ran back to back, under the same load). A second table gives each
query's median raw seconds, which is where Prometheus spends its time. History above
``--chunk-samples`` is written and backfilled in time chunks (about 1 kB of text per sample:
2,000 workloads are ~6 GB for 11 minutes). The machines are shared and noisy, so nothing is
asserted.

    .venv/bin/python bench/live_snapshot.py --sizes 100 1000 2000 --runs 5
    .venv/bin/python bench/live_snapshot.py --sizes 2000 --span-minutes 60 --every 2 --runs 3
    .venv/bin/python bench/live_snapshot.py --sizes 2000 --profile   # cProfile of one snapshot
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import importlib
import importlib.metadata
import json
import os
import platform
import pstats
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import requests
from _shared import measure_in_child, test_helper

from collectors.demo.streams import (
    BUCKET_BOUNDS,
    DURATION_BUCKET,
    CounterStreams,
    Floats,
    Indices,
    SeriesFamily,
)
from collectors.gpu_queries import ALL_GPU_QUERIES
from collectors.istio_queries import INSTANT_QUERIES, RANGE_QUERIES, SERIES_RATE_WINDOW_SECONDS
from collectors.kinds import SourceState
from collectors.sources.prometheus import PrometheusConfig, PrometheusMetrics, prometheus_snapshot

STEP_SECONDS = 15
RATE_WINDOW_SECONDS = 600
prometheus_server = test_helper("prometheus_server")


@dataclass(frozen=True)
class Window:
    """What one snapshot asks for: the demo's end and the span of the range queries."""

    end: datetime
    span: timedelta

    def history_seconds(self) -> int:
        """Seconds of scrapes to backfill: the span and the first range point's rate window,
        and never less than the instant queries' rate window."""
        span = int(self.span.total_seconds())
        return max(span, RATE_WINDOW_SECONDS) + SERIES_RATE_WINDOW_SECONDS


class _FamilyUntil:
    """A family whose scrapes end before index ``until`` (for writing history in time chunks)."""

    def __init__(self, family: SeriesFamily, until: int) -> None:
        self._family = family
        self._until = until
        self.labels = family.labels
        self.birth = family.birth
        self.metrics = family.metrics
        self.resets = family.resets

    def counters(self, metric: str, rows: Indices) -> Floats:
        return self._family.counters(metric, rows)[:, :, : self._until]


def streams_until(streams: CounterStreams, until: int) -> CounterStreams:
    """``streams`` cut before scrape ``until``; the sampling grid and births are unchanged."""
    families: list[SeriesFamily] = [_FamilyUntil(f, until) for f in streams.families]
    return CounterStreams(streams.times[:until], streams.step_seconds, families)


def series_count(streams: CounterStreams) -> int:
    """Counter series written per scrape, at most (a histogram's buckets count one each)."""
    return sum(
        family.labels.size * (len(BUCKET_BOUNDS) if metric == DURATION_BUCKET else 1)
        for family in streams.families
        for metric in family.metrics
    )


def prepare(
    workloads: int, tsdb: Path, span: timedelta, every: int, chunk_samples: int
) -> dict[str, Any]:
    """Generate the demo, write its recent history as OpenMetrics and backfill ``tsdb``.

    History above ``chunk_samples`` is written and backfilled in time chunks (each a file of
    about 1 kB per sample), one file on disk at a time, all into the same TSDB directory.
    """
    from collectors.demo import generate_demo
    from collectors.demo.openmetrics import write_gauges, write_openmetrics

    started = time.perf_counter()
    demo = generate_demo(workloads=workloads)
    generated = time.perf_counter() - started
    window = Window(demo.metrics.evaluated_at, span)
    streams = demo.streams
    times = np.asarray(streams.times)
    first = int(np.searchsorted(times, int(window.end.timestamp()) - window.history_seconds()))
    series = series_count(streams)
    scrapes_per_chunk = max(1, chunk_samples // max(series, 1)) * every
    samples = chunks = 0
    file_bytes = 0
    write_s = backfill_s = 0.0
    for low in range(first, len(times), scrapes_per_chunk):
        high = min(low + scrapes_per_chunk, len(times))
        openmetrics = tsdb.parent / f"chunk-{chunks}.om"
        started = time.perf_counter()
        with openmetrics.open("w") as out:
            samples += write_openmetrics(
                streams_until(streams, high), out, every=every, since=int(times[low]), eof=False
            )
            if low == first:  # the GPU gauges are few: the whole history goes with the first
                samples += write_gauges(demo.gauges, out, every=every, since=int(times[low]))
            else:
                out.write("# EOF\n")
        write_s += time.perf_counter() - started
        file_bytes += openmetrics.stat().st_size
        started = time.perf_counter()
        prometheus_server.backfill(openmetrics, tsdb)
        backfill_s += time.perf_counter() - started
        openmetrics.unlink()
        chunks += 1
    return {
        "workloads": workloads,
        "end": window.end.isoformat(),
        "span_s": span.total_seconds(),
        "scrapes": len(times) - first,
        "every": every,
        "counter_series": series,
        "samples": samples,
        "openmetrics_gb": file_bytes / 1e9,
        "chunks": chunks,
        "generate_s": generated,
        "write_s": write_s,
        "backfill_s": backfill_s,
        "tsdb_mb": sum(p.stat().st_size for p in tsdb.rglob("*") if p.is_file()) / 1e6,
    }


def prepared(workloads: int, tsdb: Path, args: argparse.Namespace) -> dict[str, Any]:
    """Run :func:`prepare` in a child process, so its memory is not counted here."""
    command = [
        *(sys.executable, __file__, "--prepare", str(workloads), str(tsdb)),
        *("--span-minutes", str(args.span_minutes), "--every", str(args.every)),
        *("--chunk-samples", str(args.chunk_samples)),
    ]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"preparing {workloads} workloads failed: {done.stderr[-2000:]}")
    facts: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return facts


@dataclass
class Served:
    """A backfilled demo served by Prometheus: its URL, how it was prepared, and its log."""

    url: str
    facts: dict[str, Any]
    log: Path

    def compactions(self) -> int:
        """Blocks Prometheus has compacted since it started (it merges the time chunks' blocks
        about a minute after start-up, which competes with whatever runs then)."""
        return self.log.read_text().count('msg="compact blocks"')


@contextmanager
def served_demo(workloads: int, args: argparse.Namespace) -> Iterator[Served]:
    """Backfill a temporary TSDB and serve it until the block ends."""
    with tempfile.TemporaryDirectory(prefix="meshlens-live-bench-", dir=args.workdir) as tmp:
        workdir = Path(tmp)
        facts = prepared(workloads, workdir / "tsdb", args)
        with prometheus_server.running_prometheus(workdir / "tsdb", workdir) as url:
            yield Served(url, facts, workdir / "prometheus.log")


@dataclass(frozen=True)
class RawQuery:
    """One request of the fixed query set: its key, endpoint and parameters."""

    key: str
    endpoint: str
    params: dict[str, str]


def raw_requests(url: str, window: Window) -> list[RawQuery]:
    """Each query exactly as ``PrometheusMetrics.collect`` and ``prometheus_api_client`` send
    it (same PromQL, ``time`` with milliseconds, range bounds rounded to seconds), in order."""
    at = {"time": f"{window.end.timestamp():.3f}"}
    start, end = window.end - window.span, window.end
    ranged = {
        "start": str(round(start.timestamp())),
        "end": str(round(end.timestamp())),
        "step": f"{STEP_SECONDS}s",
    }
    return [
        *(
            RawQuery(q.key, f"{url}/api/v1/query", {"query": q.promql(RATE_WINDOW_SECONDS), **at})
            for q in INSTANT_QUERIES
        ),
        *(
            RawQuery(
                q.key,
                f"{url}/api/v1/query_range",
                {"query": q.promql(SERIES_RATE_WINDOW_SECONDS), **ranged},
            )
            for q in RANGE_QUERIES
        ),
        *(
            RawQuery(
                q.key,
                f"{url}/api/v1/query_range" if q.is_range else f"{url}/api/v1/query",
                {"query": q.promql(), **(ranged if q.is_range else at)},
            )
            for q in ALL_GPU_QUERIES.values()
        ),
    ]


def send_raw(queries: list[RawQuery]) -> list[tuple[bytes, float]]:
    """Send every query serially over one session; each body, read in full and not parsed,
    with the seconds its request took."""
    answers = []
    with requests.Session() as session:
        for query in queries:
            started = time.perf_counter()
            response = session.get(query.endpoint, params=query.params, timeout=600)
            body = response.content
            answers.append((body, time.perf_counter() - started))
            if response.status_code != 200:
                raise RuntimeError(f"{query.key}: HTTP {response.status_code}: {body[:300]!r}")
    return answers


def live_snapshot(url: str, window: Window, timeout: float) -> tuple[float, float]:
    """Take one live snapshot; wall seconds of the whole and of its ``collect`` part."""
    started = time.perf_counter()
    source = PrometheusMetrics(PrometheusConfig(url, timeout_seconds=timeout))
    collect = source.collect
    collect_s = 0.0

    def timed_collect(**kwargs: Any) -> Any:
        nonlocal collect_s
        begun = time.perf_counter()
        try:
            return collect(**kwargs)
        finally:
            collect_s = time.perf_counter() - begun

    setattr(source, "collect", timed_collect)  # noqa: B010 - mypy refuses assigning a method
    snapshot = prometheus_snapshot(
        source,
        end=window.end,
        span=window.span,
        step_seconds=STEP_SECONDS,
        rate_window_seconds=RATE_WINDOW_SECONDS,
    )
    total = time.perf_counter() - started
    status = snapshot.meta.sources[0]
    if status.state is not SourceState.OK:
        raise RuntimeError(f"live snapshot incomplete: {status.detail} {status.missing}")
    return total, collect_s


def answered(queries: list[RawQuery], bodies: list[bytes]) -> dict[str, Any]:
    """Series and range points in the answers (parsed once, outside any timing)."""
    per_query = {}
    for query, body in zip(queries, bodies, strict=True):
        result = json.loads(body)["data"]["result"]
        points = sum(len(item.get("values", ())) for item in result)
        per_query[query.key] = {"series": len(result), "points": points, "mb": len(body) / 1e6}
    return {
        "series": sum(q["series"] for q in per_query.values()),
        "range_points": sum(q["points"] for q in per_query.values()),
        "empty_answers": [key for key, q in per_query.items() if not q["series"]],
        "body_mb": sum(q["mb"] for q in per_query.values()),
        "answers": per_query,
    }


def measure(workloads: int, args: argparse.Namespace) -> dict[str, Any]:
    """Every measurement for one size."""
    span = timedelta(minutes=args.span_minutes)
    with served_demo(workloads, args) as served:
        url, facts = served.url, served.facts
        window = Window(datetime.fromisoformat(facts["end"]).astimezone(UTC), span)
        queries = raw_requests(url, window)
        # Warm-up: imports, Prometheus's page cache, connections.
        live_snapshot(url, window, args.timeout)
        bodies = [body for body, _ in send_raw(queries)]
        live: list[float] = []
        collect: list[float] = []
        raw: list[float] = []
        by_query: dict[str, list[float]] = {query.key: [] for query in queries}

        def one_live() -> None:
            total, collect_s = live_snapshot(url, window, args.timeout)
            live.append(total)
            collect.append(collect_s)

        def one_raw() -> None:
            started = time.perf_counter()
            answers = send_raw(queries)
            raw.append(time.perf_counter() - started)
            for query, (_, seconds) in zip(queries, answers, strict=True):
                by_query[query.key].append(seconds)

        compacted_before = served.compactions()
        for round_ in range(args.runs):
            for action in (one_live, one_raw) if round_ % 2 == 0 else (one_raw, one_live):
                gc.collect()
                action()
        compacted_during = served.compactions() - compacted_before
    row: dict[str, Any] = {
        **facts,
        "compactions_before_runs": compacted_before,
        "compactions_during_runs": compacted_during,
        "queries": len(queries),
        **answered(queries, bodies),
        "raw_query_s": {key: statistics.median(times) for key, times in by_query.items()},
        "live_s": statistics.median(live),
        "collect_s": statistics.median(collect),
        "raw_s": statistics.median(raw),
        "live_runs": live,
        "raw_runs": raw,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }
    row["ratio"] = row["live_s"] / row["raw_s"]
    # Both of a round ran back to back, so their ratio shares that moment's load.
    row["paired_ratio"] = statistics.median(a / b for a, b in zip(live, raw, strict=True))
    row["overhead_s"] = row["live_s"] - row["raw_s"]
    return row


def profile(workloads: int, args: argparse.Namespace) -> None:
    """Print where one live snapshot (after a warm-up one) spends its time."""
    span = timedelta(minutes=args.span_minutes)
    with served_demo(workloads, args) as served:
        url, facts = served.url, served.facts
        window = Window(datetime.fromisoformat(facts["end"]).astimezone(UTC), span)
        live_snapshot(url, window, args.timeout)
        started = time.perf_counter()
        send_raw(raw_requests(url, window))
        raw_s = time.perf_counter() - started
        profiler = cProfile.Profile()
        profiler.runcall(live_snapshot, url, window, args.timeout)
    print(f"\n## {workloads} workloads: one live snapshot (raw HTTP of its queries: {raw_s:.2f} s)")
    for order, count in (("cumulative", 25), ("tottime", 15)):
        print(f"\n### top {count} by {order}\n")
        pstats.Stats(profiler, stream=sys.stdout).sort_stats(order).print_stats(count)


def machine() -> str:
    """The machine line for docs/benchmarks.md."""
    model = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    ram = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    version = subprocess.run(
        [prometheus_server.PROMETHEUS or "prometheus", "--version"], capture_output=True, text=True
    )
    prometheus = (version.stdout or version.stderr).splitlines()[0]
    requests_version = importlib.metadata.version("requests")
    return (
        f"Machine: {os.cpu_count()} cores (`nproc`), {ram:.1f} GiB RAM, CPU {model!r}, Python "
        f"{platform.python_version()}, requests {requests_version}, {prometheus}. "
        f"Date: {time.strftime('%Y-%m-%d')}."
    )


COLUMNS = (
    *(("workloads", "workloads", ","), ("samples", "samples", ",")),
    *(("OpenMetrics GB", "openmetrics_gb", ".2f"), ("write s", "write_s", ".0f")),
    *(("backfill s", "backfill_s", ".0f"), ("queries", "queries", "")),
    *(("series returned", "series", ","), ("range points", "range_points", ",")),
    *(("body MB", "body_mb", ".1f"), ("live s", "live_s", ".3f")),
    *(("of which collect s", "collect_s", ".3f"), ("raw HTTP s", "raw_s", ".3f")),
    *(("live - raw s", "overhead_s", ".2f"), ("ratio", "ratio", ".2f")),
    *(("paired ratio", "paired_ratio", ".2f"), ("peak RSS MB", "peak_rss_mb", ",.0f")),
)


def print_queries(rows: list[dict[str, Any]]) -> None:
    """Per query: median raw seconds and series returned at each size."""
    sizes = " | ".join(
        f"{row['workloads']:,}: raw s | {row['workloads']:,}: series" for row in rows
    )
    print(f"\n| query | {sizes} |")
    print("|---" * (1 + 2 * len(rows)) + "|")
    for key in rows[0]["raw_query_s"]:
        cells = " | ".join(
            f"{row['raw_query_s'][key]:.2f} | {row['answers'][key]['series']:,}" for row in rows
        )
        print(f"| {key} | {cells} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1000, 2000])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--span-minutes", type=int, default=10, help="range queries' span")
    parser.add_argument("--every", type=int, default=1, help="keep one scrape in this many")
    parser.add_argument(
        "--chunk-samples", type=int, default=2_000_000, help="samples per OpenMetrics file"
    )
    parser.add_argument("--workdir", help="where temporary TSDBs go (default: the system's)")
    parser.add_argument(
        "--timeout", type=float, default=30.0, help="PrometheusConfig.timeout_seconds (per query)"
    )
    parser.add_argument("--json", type=Path, help="also write every row, runs included, here")
    parser.add_argument("--profile", action="store_true", help="cProfile at the largest size")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--prepare", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.prepare:
        workloads, tsdb = int(args.prepare[0]), Path(args.prepare[1])
        span = timedelta(minutes=args.span_minutes)
        print(json.dumps(prepare(workloads, tsdb, span, args.every, args.chunk_samples)))
        return
    if args.profile:
        profile(max(args.sizes), args)
        return
    if args.one:
        print(json.dumps(measure(args.one, args)))
        return
    rows = []
    for size in args.sizes:
        command = [
            *(sys.executable, __file__, "--one", str(size), "--runs", str(args.runs)),
            *("--span-minutes", str(args.span_minutes), "--every", str(args.every)),
            *("--chunk-samples", str(args.chunk_samples), "--timeout", str(args.timeout)),
            *(("--workdir", args.workdir) if args.workdir else ()),
        ]
        row = measure_in_child(command, size)
        if row is None:
            continue
        rows.append(row)
        print(
            f"{size:>5} workloads: {row['samples']:,} samples in {row['chunks']} file(s), "
            f"{row['openmetrics_gb']:.2f} GB, write {row['write_s']:.0f} s, backfill "
            f"{row['backfill_s']:.0f} s | {row['series']:,} series, {row['body_mb']:.1f} MB | "
            f"live {row['live_s']:.3f} s (collect {row['collect_s']:.3f}), raw "
            f"{row['raw_s']:.3f} s, ratio {row['ratio']:.2f} (paired "
            f"{row['paired_ratio']:.2f}) | peak {row['peak_rss_mb']:.0f} MB"
            f" | empty answers: {', '.join(row['empty_answers']) or 'none'} | Prometheus "
            f"compactions: {row['compactions_before_runs']} in warm-up, "
            f"{row['compactions_during_runs']} during the runs"
            f"\n       live runs {[round(t, 3) for t in row['live_runs']]}, raw runs "
            f"{[round(t, 3) for t in row['raw_runs']]}",
            flush=True,
        )
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))
    print(f"\n{machine()}\n")
    print("| " + " | ".join(header for header, _, _ in COLUMNS) + " |")
    print("|---" * len(COLUMNS) + "|")
    for row in rows:
        print("| " + " | ".join(format(row[key], spec) for _, key, spec in COLUMNS) + " |")
    if rows:
        print_queries(rows)


if __name__ == "__main__":
    main()
