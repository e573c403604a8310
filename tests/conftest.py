"""Shared fixtures: where the real-world data lives, and browser options for dash_duo."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from collectors.ids import node_id
from collectors.kinds import (
    EdgeKind,
    FaultKind,
    Health,
    NodeFlag,
    NodeKind,
    Protocol,
    SourceState,
)
from collectors.model import (
    Edge,
    Incident,
    Node,
    Snapshot,
    SnapshotMeta,
    SourceStatus,
    TrafficStats,
)
from tests_paths import REPO


def _fixtures_root() -> Path:
    # CI clones the repo next to shared/; MESHLENS_FIXTURES points elsewhere when needed.
    return Path(os.environ.get("MESHLENS_FIXTURES", REPO.parent / "shared" / "data"))


@pytest.fixture(scope="session")
def fixtures_dir() -> Path:
    """The real-world fixture folder (../shared/data); skips the test where it is absent."""
    root = _fixtures_root()
    if not (root / "k8s").is_dir():
        pytest.skip(f"real-world fixtures not found at {root} (set MESHLENS_FIXTURES)")
    return root


@pytest.fixture
def small_snapshot() -> Snapshot:
    """A hand-made snapshot with one of everything the file format must carry."""
    start = datetime(2026, 1, 1, 10, 0, tzinfo=UTC)
    meta = SnapshotMeta(
        start=start,
        end=start + timedelta(hours=1),
        step_seconds=15,
        rate_window_seconds=600,
        created_at=start + timedelta(hours=1, seconds=3),
        generator="hand-made",
        sources=[
            SourceStatus(
                "prometheus",
                "metrics",
                SourceState.PARTIAL,
                "1 query failed",
                fetched_at=start,
                missing=["latency_p99"],
            )
        ],
    )
    snap = Snapshot(meta=meta)
    caller = Node(
        node_id(NodeKind.WORKLOAD, "productpage-v1", "bookinfo"),
        NodeKind.WORKLOAD,
        "productpage-v1",
        "bookinfo",
        app="productpage",
        version="v1",
        labels={"app": "productpage"},
        flags={NodeFlag.ENTRY_POINT},
        attrs={"replicas": 2, "workload_kind": "Deployment", "ready": True, "cpu": 0.25},
    )
    callee = Node(
        node_id(NodeKind.WORKLOAD, 'we"ird\\name', "bookinfo"),
        NodeKind.WORKLOAD,
        'we"ird\\name',
        "bookinfo",
        health=Health.FAILURE,
        flags={NodeFlag.RESTARTING, NodeFlag.NOT_READY},
    )
    snap.add_node(caller)
    snap.add_node(callee)
    stats = TrafficStats(
        request_rate=10.5,
        error_rate=1.0 / 3.0,
        rate_5xx=1.0 / 3.0,
        p50_ms=3.2,
        p95_ms=float("nan"),
        p99_ms=None,
        mtls_ratio=1.0,
        response_codes={"200": 10.0, "503": 1.0 / 3.0},
        response_flags={"UF": 0.1},
    )
    snap.add_edge(
        Edge(
            caller.id,
            callee.id,
            EdgeKind.CALLS,
            Protocol.HTTP,
            service=node_id(NodeKind.SERVICE, "details", "bookinfo"),
            traffic=stats,
            health=Health.DEGRADED,
        )
    )
    snap.incidents.append(
        Incident(
            "inc-1",
            FaultKind.CRASH_LOOP,
            callee.id,
            start + timedelta(minutes=5),
            None,
            "crash loop",
            affected=[caller.id],
        )
    )
    times = pd.date_range(start, periods=4, freq="15s", tz="UTC", unit="ns")
    snap.series = pd.DataFrame(
        {
            "entity": pd.Categorical([caller.id] * 4 + [callee.id] * 4),
            "metric": pd.Categorical(["request_rate"] * 8),
            "timestamp": list(times) * 2,
            "value": [1.0, 2.5, float("nan"), 1e-300, 0.1, 0.2, 0.3, 0.30000000000000004],
        }
    )
    return snap


@pytest.fixture(scope="session")
def demo() -> Snapshot:
    """The default demo platform's snapshot, built once per test session."""
    from collectors.sources.demo import demo_snapshot

    return demo_snapshot()


@pytest.fixture(scope="session")
def backfilled_demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """The demo's last 20 minutes in a real Prometheus (see ``prometheus_server``).

    Outside CI a missing Prometheus skips, saying how to get it; in CI it fails.
    """
    from prometheus_server import MISSING, backfilled_demo

    if MISSING:
        if os.environ.get("CI"):
            pytest.fail(MISSING)
        pytest.skip(MISSING)
    with backfilled_demo(tmp_path_factory.mktemp("prometheus")) as served:
        yield served


def pytest_setup_options() -> object:
    """Chromium options for dash_duo: headless-friendly, offline, and allowed to run as root."""
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.remote.remote_connection import RemoteConnection

    # dash[testing] resolves to selenium 3.141 beside kubernetes' urllib3 2, which rejects
    # selenium's default "global timeout" sentinel; an explicit timeout avoids it.
    if hasattr(RemoteConnection, "set_timeout"):
        RemoteConnection.set_timeout(60)
    options = Options()
    options.binary_location = os.environ.get("DASH_TEST_CHROMEPATH", "/usr/bin/chromium")
    for flag in (
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--no-default-browser-check",
        "--disable-extensions",
        "--window-size=1280,1000",
    ):
        options.add_argument(flag)
    return options
