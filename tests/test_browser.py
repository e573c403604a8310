"""Headless Chromium through dash_duo: the demo opens and the shell works."""

from __future__ import annotations

import pytest

from collectors.model import Snapshot
from dashboard.app import create_app
from dashboard.settings import Settings

pytestmark = pytest.mark.browser


def test_demo_overview_in_a_browser(dash_duo, demo: Snapshot) -> None:  # type: ignore[no-untyped-def]
    dash_duo.start_server(create_app(Settings(), demo))
    dash_duo.wait_for_element("#overview-workloads", timeout=10)
    assert int(dash_duo.find_element("#overview-workloads").text) >= 30
    assert "demo seed=7" in dash_duo.find_element("#shell-source-badge").text
    dash_duo.find_element("a[href='/topology']").click()
    dash_duo.wait_for_contains_text("#placeholder-notice", "not built yet", timeout=10)
    assert dash_duo.get_logs() == []
