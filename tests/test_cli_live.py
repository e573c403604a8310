"""The command line against a real Prometheus holding the demo's counters, and without one."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from prometheus_server import BackfilledDemo, free_port

from collectors.kinds import EdgeKind
from collectors.model import Snapshot
from collectors.snapshot_io import load_snapshot
from dashboard.cli import main

AT = "2026-11-24T12:00Z"  # where the backfilled demo ends


def _run(*args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args), env=env)
    return result.exit_code, result.output


def _graph(export: str) -> tuple[set[str], set[str]]:
    doc = json.loads(export)
    edges = {(e["kind"], e["source"], e["target"]) for e in doc["edges"]}
    return {n["id"] for n in doc["nodes"]}, {str(edge) for edge in edges}


def test_export_from_prometheus_at_a_time_has_every_demo_call(
    backfilled_demo: BackfilledDemo, demo: Snapshot
) -> None:
    code, out = _run("export", "--prometheus", backfilled_demo.url, "--at", AT, "--window", "10m")
    assert code == 0, out
    doc = json.loads(out)
    calls = {(e["source"], e["target"]) for e in doc["edges"] if e["kind"] == "calls"}
    assert calls == {(e.source, e.target) for e in demo.edges(EdgeKind.CALLS)}
    assert doc["window"]["rate_window_seconds"] == 600
    assert doc["window"]["end"] == "2026-11-24T12:00:00+00:00"
    states = {s["name"]: s["state"] for s in doc["sources"]}
    assert states == {"prometheus": "ok", "kubernetes": "unavailable"}


def test_a_recorded_live_snapshot_replays_the_same_graph(
    backfilled_demo: BackfilledDemo, tmp_path: Path
) -> None:
    file = tmp_path / "live.meshlens"
    live = ("--prometheus", backfilled_demo.url, "--at", AT, "--history", "15m")
    code, out = _run("snapshot", "save", str(file), *live)
    assert code == 0 and out.startswith(f"saved {file}"), out
    recorded = load_snapshot(file)
    assert not recorded.series.empty  # the sparklines travel with it
    assert recorded.meta.generator == f"prometheus {backfilled_demo.url}"
    _, direct = _run("export", *live)
    _, replayed = _run("export", "--snapshot", str(file))
    assert _graph(replayed) == _graph(direct)


def test_manifests_give_the_live_graph_its_cluster_objects(
    backfilled_demo: BackfilledDemo, fixtures_dir: Path
) -> None:
    manifests = fixtures_dir / "k8s" / "bookinfo.yaml"  # no namespace in it: "default"
    live = ("--prometheus", backfilled_demo.url, "--at", AT, "--manifests", str(manifests))
    code, out = _run("export", *live, "--namespace", "default", "--namespace", "bookinfo")
    assert code == 0, out
    doc = json.loads(out)
    states = {s["name"]: s for s in doc["sources"]}
    assert states["manifests"]["state"] == "ok" and "kubernetes" not in states
    workloads = {(n["namespace"], n["name"]) for n in doc["nodes"] if n["kind"] == "workload"}
    inside = {"default", "bookinfo"}
    outside = {n["id"] for n in doc["nodes"] if n["kind"] == "workload"} - {
        n["id"] for n in doc["nodes"] if n["namespace"] in inside
    }
    # Outside the filter only the other ends of calls into it remain (the ingress gateway).
    calls = [(e["source"], e["target"]) for e in doc["edges"] if e["kind"] == "calls"]
    assert outside == {"workload:Kubernetes/istio-system/istio-ingressgateway"}
    assert (
        "workload:Kubernetes/istio-system/istio-ingressgateway",
        "workload:Kubernetes/bookinfo/productpage-v1",
    ) in calls
    # The manifests' Deployments (in "default") are there, with their services selecting them,
    # next to the workloads the telemetry saw in bookinfo.
    assert ("default", "reviews-v3") in workloads and ("bookinfo", "reviews-v2") in workloads
    selects = {(e["source"], e["target"]) for e in doc["edges"] if e["kind"] == "selects"}
    assert (
        "service:Kubernetes/default/ratings",
        "workload:Kubernetes/default/ratings-v1",
    ) in selects


def test_a_token_file_that_cannot_be_read_is_one_line(
    backfilled_demo: BackfilledDemo, tmp_path: Path
) -> None:
    missing = tmp_path / "token"
    code, out = _run(
        "export", "--prometheus", backfilled_demo.url, "--prometheus-token-file", str(missing)
    )
    assert code == 1
    assert out.strip() == f"Error: cannot read {missing}: No such file or directory"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--at", "yesterday"], "'yesterday' is not a time"),
        (["--window", "10 minutes"], "'10 minutes' is not a duration"),
        (["--snapshot", "x.meshlens"], "choose one source: --snapshot FILE, or live ones"),
    ],
)
def test_bad_live_options_are_usage_errors(args: list[str], message: str) -> None:
    code, out = _run("export", "--prometheus", "http://127.0.0.1:9", *args)
    assert code == 2 and message in out


def test_serve_exits_with_one_line_when_prometheus_is_unreachable() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "dashboard",
            "serve",
            "--prometheus",
            url,
            "--port",
            str(free_port()),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env={"MESHLENS_PROMETHEUS_TOKEN": "tok-77aa", "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 1
    assert result.stderr.strip() == f"Error: Prometheus at {url} did not answer: connection refused"
    assert "tok-77aa" not in result.stdout + result.stderr
