"""Live mode through a Prometheus outage: the dashboard keeps serving, says so, and recovers.

A real Prometheus (over a copy of the backfilled demo's blocks) is stopped while the dashboard
runs, then started again on the same port; meshlens is never restarted.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from app_requests import poll_shell, render_page, shell_layout
from browser_waits import until
from dash import Dash
from prometheus_server import BackfilledDemo, PrometheusServer, copy_blocks

from dashboard.app import PROVIDER_KEY, REFRESHER_KEY, create_app
from dashboard.data import SnapshotProvider
from dashboard.live import LiveRefresher
from dashboard.settings import Settings

REFRESH_SECONDS = 1
PAGES = {  # each page and something it shows from the snapshot
    "/topology": "bookinfo/ratings",
    "/overview": "Call edges needing a look",
    "/triage": "incident",
    "/gpu": "GPUs on",
    "/lineage": "pipeline run",
}
BANNER = "Data stale since"
TIMEOUT = 60  # seconds; generous, the machines are shared


@pytest.fixture
def prometheus(backfilled_demo: BackfilledDemo, tmp_path: Path) -> Iterator[PrometheusServer]:
    server = PrometheusServer(copy_blocks(backfilled_demo.tsdb, tmp_path / "tsdb"), tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def live_app(prometheus: PrometheusServer, backfilled_demo: BackfilledDemo) -> Iterator[Dash]:
    settings = Settings(
        prometheus=prometheus.url,
        at=backfilled_demo.demo.metrics.evaluated_at,  # the backfilled data ends there
        history_seconds=600,
        refresh_seconds=REFRESH_SECONDS,
        prometheus_retries=0,
        prometheus_timeout=5,
    )
    app = create_app(settings)
    yield app
    app.server.config[REFRESHER_KEY].stop()


def _pages_answer(app: Dash) -> None:
    for path, shown in PAGES.items():
        assert shown in render_page(app, path), path


def test_stopped_prometheus_leaves_every_page_up_with_a_stale_banner_until_it_is_back(
    live_app: Dash, prometheus: PrometheusServer
) -> None:
    provider: SnapshotProvider = live_app.server.config[PROVIDER_KEY]
    refresher: LiveRefresher = live_app.server.config[REFRESHER_KEY]
    first = provider.snapshot
    until(
        lambda: provider.version >= 1,
        TIMEOUT,
        "a background collection replaced the first snapshot",
    )
    _pages_answer(live_app)
    assert BANNER not in shell_layout(live_app)

    prometheus.stop()
    until(lambda: provider.stale is not None, TIMEOUT, "a failed collection marked the data stale")
    good = provider.snapshot
    _pages_answer(live_app)  # the last good snapshot, still served
    shell = shell_layout(live_app)
    assert BANNER in shell and f"Prometheus at {prometheus.url} did not answer: " in shell
    assert provider.snapshot is good
    assert {e.id for e in good.edges()} == {e.id for e in first.edges()}

    prometheus.start()
    restarted_at = refresher.attempts
    until(lambda: provider.stale is None, TIMEOUT, "a collection succeeded again")
    # Within one refresh interval: the collection under way at the restart may still have
    # failed; the next one must not.
    assert refresher.attempts - restarted_at <= 2
    assert provider.snapshot is not good
    assert BANNER not in shell_layout(live_app)
    _pages_answer(live_app)


def test_the_browser_poll_gets_the_banner_and_a_new_version_without_a_reload(
    live_app: Dash, prometheus: PrometheusServer
) -> None:
    provider: SnapshotProvider = live_app.server.config[PROVIDER_KEY]
    until(lambda: provider.version >= 1, TIMEOUT, "a background collection")
    prometheus.stop()
    until(lambda: provider.stale is not None, TIMEOUT, "a failed collection")
    answer = poll_shell(live_app, shown_version=0)
    assert BANNER in answer and f'"data": {provider.version}' in answer
    prometheus.start()
    until(lambda: provider.stale is None, TIMEOUT, "recovery")
    answer = poll_shell(live_app, shown_version=0)
    assert BANNER not in answer and f'"data": {provider.version}' in answer


@pytest.mark.browser
def test_an_open_page_shows_the_banner_then_drops_it_without_a_reload(
    dash_duo: Any, live_app: Dash, prometheus: PrometheusServer
) -> None:
    dash_duo.start_server(live_app)
    dash_duo.wait_for_element("#topology-graph", timeout=15)
    dash_duo.driver.execute_script("window.meshlensNotReloaded = true;")
    prometheus.stop()
    dash_duo.wait_for_contains_text("#shell-banner", BANNER, timeout=TIMEOUT)
    assert "did not answer: " in dash_duo.find_element("#shell-banner").text
    prometheus.start()
    until(
        lambda: BANNER not in dash_duo.find_element("#shell-banner").text,
        TIMEOUT,
        "the banner went away",
    )
    assert dash_duo.driver.execute_script("return window.meshlensNotReloaded;") is True
    assert dash_duo.find_element("#topology-graph").is_displayed()
    assert dash_duo.get_logs() == []
