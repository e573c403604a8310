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
from collectors.demo.openmetrics import write_gauges, write_openmetrics

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


class PrometheusServer:
    """One Prometheus process over ``tsdb``; stop and start it again on the same port."""

    def __init__(self, tsdb: Path, workdir: Path) -> None:
        assert PROMETHEUS is not None, MISSING
        self.tsdb = tsdb
        self.workdir = workdir
        self.url = f"http://127.0.0.1:{free_port()}"
        self._process: subprocess.Popen[bytes] | None = None
        self._config = workdir / "prometheus.yml"
        self._config.write_text("global:\n  scrape_interval: 1h\nscrape_configs: []\n")
        self._log = workdir / "prometheus.log"

    def start(self) -> None:
        """Start and wait until ready (raises with the log's tail when it does not start)."""
        assert PROMETHEUS is not None and self._process is None
        with self._log.open("a") as log:
            self._process = subprocess.Popen(
                [
                    PROMETHEUS,
                    f"--config.file={self._config}",
                    f"--storage.tsdb.path={self.tsdb}",
                    f"--web.listen-address={self.url.removeprefix('http://')}",
                    "--storage.tsdb.retention.time=100y",
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 30
        while not self._ready():
            if self._process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"prometheus did not start: {self._log.read_text()[-2000:]}")
            time.sleep(0.1)

    def stop(self) -> None:
        """Terminate (kill after 10 s); the TSDB stays for the next start."""
        if self._process is None:
            return
        self._process.terminate()
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        self._process = None

    def _ready(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.url}/-/ready", timeout=1) as answer:
                return bool(answer.status == 200)
        except OSError:
            return False


@contextmanager
def running_prometheus(tsdb: Path, workdir: Path) -> Iterator[str]:
    """Serve ``tsdb`` until the block ends; yields the base URL."""
    server = PrometheusServer(tsdb, workdir)
    server.start()
    try:
        yield server.url
    finally:
        server.stop()


def copy_blocks(tsdb: Path, into: Path) -> Path:
    """Copy the persisted blocks (immutable, unlike the WAL) for a Prometheus of one's own."""
    into.mkdir(parents=True)
    for block in tsdb.iterdir():
        if (block / "meta.json").exists():
            shutil.copytree(block, into / block.name)
    return into


def instant_query(url: str, promql: str, at: float) -> list[dict[str, Any]]:
    """The raw answer of ``/api/v1/query`` (a vector: ``metric`` labels and ``value``)."""
    query = urllib.parse.urlencode({"query": promql, "time": f"{at:.3f}"})
    with urllib.request.urlopen(f"{url}/api/v1/query?{query}", timeout=30) as answer:
        body = json.load(answer)
    assert body["status"] == "success", body
    result: list[dict[str, Any]] = body["data"]["result"]
    return result


HISTORY_SECONDS = 20 * 60  # the demo's 10-minute rate window, and as much again before it
GPU_HISTORY_SECONDS = 2 * 3600  # DCGM and kube-state-metrics: long enough for the idle rule


@dataclass(frozen=True)
class BackfilledDemo:
    """The default demo, its last ``HISTORY_SECONDS`` served by a real Prometheus at ``url``."""

    demo: DemoData
    url: str
    samples: int
    tsdb: Path  # its blocks, for tests that need a Prometheus of their own (copy_blocks)


@contextmanager
def backfilled_demo(workdir: Path) -> Iterator[BackfilledDemo]:
    """Backfill the demo's counters and serve them (about 280 MB of text, deleted after)."""
    demo = generate_demo()
    since = int(demo.streams.times[-1]) - HISTORY_SECONDS
    gpu_since = int(demo.streams.times[-1]) - GPU_HISTORY_SECONDS
    openmetrics = workdir / "demo.om"
    with openmetrics.open("w") as out:
        samples = write_openmetrics(demo.streams, out, since=since, eof=False)
        samples += write_gauges(demo.gauges, out, since=gpu_since)
    backfill(openmetrics, workdir / "tsdb")
    openmetrics.unlink()
    with running_prometheus(workdir / "tsdb", workdir) as url:
        yield BackfilledDemo(demo, url, samples, workdir / "tsdb")
