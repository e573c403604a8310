"""The meshlens command line, as a user runs it."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from click.testing import CliRunner

from collectors.kinds import NodeKind
from collectors.model import Snapshot
from collectors.snapshot_io import load_snapshot, save_snapshot
from dashboard.cli import main

MESHLENS = [sys.executable, "-m", "dashboard"]
"""The command line as a separate process, the way a user starts it."""


@pytest.fixture(scope="module")
def demo_file(demo: Snapshot, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("snap") / "demo.meshlens"
    save_snapshot(demo, path)
    return path


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.output


def test_export_json_of_the_demo() -> None:
    code, out = _run("export", "--format", "json")
    assert code == 0
    doc = json.loads(out)
    workloads = [n for n in doc["nodes"] if n["kind"] == "workload"]
    calls = [e for e in doc["edges"] if e["kind"] == "calls"]
    assert len(workloads) >= 30 and len(calls) >= 40
    assert {e["protocol"] for e in calls} >= {"http", "grpc", "tcp"}
    assert len({n["namespace"] for n in workloads}) >= 4


def test_save_load_export_is_identical(tmp_path: Path) -> None:
    path = tmp_path / "demo.meshlens"
    code, out = _run("snapshot", "save", str(path))
    assert code == 0 and "saved" in out
    _, direct = _run("export", "--format", "json")
    _, replayed = _run("export", "--snapshot", str(path), "--format", "json")
    assert replayed == direct
    _, direct_dot = _run("export", "--format", "dot")
    _, replayed_dot = _run("export", "--snapshot", str(path), "--format", "dot")
    assert replayed_dot == direct_dot and direct_dot.startswith("digraph")


def test_ground_truth_survives_a_saved_snapshot(demo_file: Path) -> None:
    loaded = load_snapshot(demo_file)
    assert len(loaded.incidents) >= 4
    assert len({i.kind for i in loaded.incidents}) >= 4
    for incident in loaded.incidents:
        assert loaded.node(incident.root_cause).kind is NodeKind.WORKLOAD
        assert loaded.meta.start <= incident.start < loaded.meta.end


def test_export_to_a_file(demo_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "graph.dot"
    code, _ = _run("export", "--snapshot", str(demo_file), "--format", "dot", "-o", str(out))
    assert code == 0 and out.read_text().startswith("digraph")


@pytest.mark.parametrize("content", [b"", b"garbage", b"PK\x03\x04truncated"])
def test_broken_snapshot_is_one_line_and_non_zero(content: bytes, tmp_path: Path) -> None:
    broken = tmp_path / "broken.meshlens"
    broken.write_bytes(content)
    # serve gets a free port: the check is about the file, not about 8050 being taken.
    for command in (["export"], ["serve", "--port", str(_free_port())]):
        result = subprocess.run(
            [*MESHLENS, *command, "--snapshot", str(broken)],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode != 0
        assert "Traceback" not in result.stderr + result.stdout
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("Error: ") and str(broken) in lines[0]


def test_missing_snapshot_file(tmp_path: Path) -> None:
    code, out = _run("export", "--snapshot", str(tmp_path / "nope.meshlens"))
    assert code != 0 and "not found" in out


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def test_serve_answers_on_the_printed_url(demo_file: Path) -> None:
    port = _free_port()
    server = subprocess.Popen(
        [*MESHLENS, "serve", "--snapshot", str(demo_file), "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert server.stdout is not None
        first = server.stdout.readline()
        url = f"http://127.0.0.1:{port}/"
        assert url in first
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(url, timeout=2) as response:
                    assert response.status == 200
                    assert b"meshlens" in response.read()
                    break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise
                time.sleep(0.2)
    finally:
        server.terminate()
        server.communicate(timeout=10)  # also closes the pipe


def test_port_in_use_is_one_line(demo_file: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = subprocess.run(
            [*MESHLENS, "serve", "--snapshot", str(demo_file), "--port", str(port)],
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr


def test_openmetrics_writes_the_demo_counters_for_promtool(tmp_path: Path) -> None:
    target = tmp_path / "demo.om"
    code, out = _run("openmetrics", str(target), "--minutes", "2", "--every", "4")
    assert code == 0, out
    counters = int(out.split(": ")[1].split()[0])
    gauges = int(out.split(", ")[1].split()[0])
    lines = target.read_text().splitlines()
    assert lines[-1] == "# EOF" and len(lines) == counters + gauges + 1
    # GPU utilization of the 15 GPUs not in MIG mode (MIG reports none), at each of 3 times.
    assert sum(line.startswith("DCGM_FI_DEV_GPU_UTIL{") for line in lines) == 15 * 3
    assert any(line.startswith("kube_node_status_allocatable{") for line in lines)
    stamps = {int(line.rsplit(" ", 1)[1]) for line in lines[:-1]}
    # The last two minutes, both ends included, at one scrape in four (every 60 s).
    assert sorted(stamps) == [min(stamps), min(stamps) + 60, min(stamps) + 120]
    assert any(line.startswith("istio_requests_total{") for line in lines)
    assert any('le="+Inf"' in line for line in lines)


def test_openmetrics_to_an_unwritable_place_is_one_line(tmp_path: Path) -> None:
    code, out = _run("openmetrics", str(tmp_path / "missing-dir" / "demo.om"), "--minutes", "1")
    assert code != 0
    assert out.strip().count("\n") == 0 and "cannot write" in out
