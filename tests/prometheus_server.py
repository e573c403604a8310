"""A real Prometheus (Debian's package) for integration tests, over a backfilled TSDB.

No mocks: ``promtool tsdb create-blocks-from openmetrics`` writes the demo's counters as blocks,
and ``prometheus`` serves them on a free 127.0.0.1 port. The gotchas are from
``shared/REAL-COMPONENTS.md``: pass every flag (the packaged defaults listen on 0.0.0.0:9090),
keep a long retention so the old blocks survive start-up, and query with ``time=`` inside the
backfilled range.
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from collectors.demo import DemoData, generate_demo
from collectors.demo.openmetrics import write_openmetrics

PROMETHEUS = shutil.which("prometheus")
PROMTOOL = shutil.which("promtool")
MISSING = (
    "Debian's prometheus package is not installed (bash scripts/dev.sh test installs it)"
    if PROMETHEUS is None or PROMTOOL is None
    else ""
)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def backfill(openmetrics: Path, tsdb: Path) -> None:
    """Turn an OpenMetrics file into TSDB blocks (raises with promtool's output on failure)."""
    assert PROMTOOL is not None, MISSING
    done = subprocess.run(
        [PROMTOOL, "tsdb", "create-blocks-from", "openmetrics", str(openmetrics), str(tsdb)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"promtool failed: {done.stderr.strip()[-2000:]}")


@contextmanager
def running_prometheus(tsdb: Path, workdir: Path) -> Iterator[str]:
    """Serve ``tsdb`` until the block ends; yields the base URL."""
    assert PROMETHEUS is not None, MISSING
    config = workdir / "prometheus.yml"
    config.write_text("global:\n  scrape_interval: 1h\nscrape_configs: []\n")
    port = free_port()
    log = (workdir / "prometheus.log").open("w")
    process = subprocess.Popen(
        [
            PROMETHEUS,
            f"--config.file={config}",
            f"--storage.tsdb.path={tsdb}",
            f"--web.listen-address=127.0.0.1:{port}",
            "--storage.tsdb.retention.time=100y",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"{url}/-/ready", timeout=1) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(
                    f"prometheus did not start: {(workdir / 'prometheus.log').read_text()[-2000:]}"
                )
            time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


def instant_query(url: str, promql: str, at: float) -> list[dict[str, Any]]:
    """The raw answer of ``/api/v1/query`` (a vector: ``metric`` labels and ``value``)."""
    query = urllib.parse.urlencode({"query": promql, "time": f"{at:.3f}"})
    with urllib.request.urlopen(f"{url}/api/v1/query?{query}", timeout=30) as answer:
        body = json.load(answer)
    assert body["status"] == "success", body
    result: list[dict[str, Any]] = body["data"]["result"]
    return result


HISTORY_SECONDS = 20 * 60  # the demo's 10-minute rate window, and as much again before it


@dataclass(frozen=True)
class BackfilledDemo:
    """The default demo, its last ``HISTORY_SECONDS`` served by a real Prometheus at ``url``."""

    demo: DemoData
    url: str
    samples: int


@contextmanager
def backfilled_demo(workdir: Path) -> Iterator[BackfilledDemo]:
    """Backfill the demo's counters and serve them (about 280 MB of text, deleted after)."""
    demo = generate_demo()
    since = int(demo.streams.times[-1]) - HISTORY_SECONDS
    openmetrics = workdir / "demo.om"
    with openmetrics.open("w") as out:
        samples = write_openmetrics(demo.streams, out, since=since)
    backfill(openmetrics, workdir / "tsdb")
    openmetrics.unlink()
    with running_prometheus(workdir / "tsdb", workdir) as url:
        yield BackfilledDemo(demo, url, samples)
