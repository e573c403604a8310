"""Headless Chromium through dash_duo: the shell's navigation, theme and time window."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
from browser_waits import until

from collectors.model import Snapshot
from dashboard.app import create_app
from dashboard.settings import Settings

pytestmark = pytest.mark.browser


def test_shell_navigation_theme_and_window(dash_duo: Any, demo: Snapshot) -> None:
    dash_duo.start_server(create_app(Settings(), demo))
    dash_duo.wait_for_element("#topology-graph", timeout=15)
    assert "demo seed=7" in dash_duo.find_element("#shell-source-badge").text

    dash_duo.find_element("a[href='/overview']").click()
    dash_duo.wait_for_element("#overview-workloads", timeout=10)
    assert int(dash_duo.find_element("#overview-workloads").text) >= 30
    dash_duo.find_element("a[href='/triage']").click()
    dash_duo.wait_for_contains_text("#triage-summary", "incidents in", timeout=15)

    theme = "return document.documentElement.getAttribute('data-bs-theme');"
    assert dash_duo.driver.execute_script(theme) == "light"
    dash_duo.find_element("#shell-theme").click()
    until(lambda: dash_duo.driver.execute_script(theme) == "dark", timeout=5)

    dash_duo.select_dcc_dropdown("#shell-window", "last 1 h")
    until(
        lambda: parse_qs(urlparse(dash_duo.driver.current_url).query).get("window") == ["1h"],
        timeout=5,
    )
    assert dash_duo.get_logs() == []
