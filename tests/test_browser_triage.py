"""The Triage page in headless Chromium: from an incident to its suspect on the Topology page."""

from __future__ import annotations

from typing import Any

import pytest
from browser_waits import topology_holds, until, url_of

from collectors.model import Snapshot
from dashboard.app import create_app
from dashboard.settings import Settings

pytestmark = pytest.mark.browser

ADSERVICE = "workload:Kubernetes/boutique/adservice"


def test_an_incident_leads_to_its_suspect_focused_on_the_topology(
    dash_duo: Any, demo: Snapshot
) -> None:
    dash_duo.start_server(create_app(Settings(), demo))
    dash_duo.wait_for_element("#topology-graph", timeout=15)
    dash_duo.find_element("a[href='/triage']").click()
    dash_duo.wait_for_contains_text("#triage-summary", "5 incidents", timeout=15)
    # The shell's window narrows the list to what overlapped the last hour.
    dash_duo.select_dcc_dropdown("#shell-window", "last 1 h")
    dash_duo.wait_for_contains_text("#triage-summary", "3 incidents in last 1 h", timeout=10)
    assert url_of(dash_duo) == ("/triage", {"window": "1h"})
    # Open another incident first, so clicking the first one visibly changes the page.
    dash_duo.find_element("#triage-incident-2").click()
    dash_duo.wait_for_contains_text("#triage-incident-title", "bookinfo/details-v1", timeout=10)
    assert url_of(dash_duo) == ("/triage", {"incident": "20261124T0922-details-v1", "window": "1h"})

    dash_duo.find_element("#triage-incident-0").click()
    dash_duo.wait_for_contains_text("#triage-incident-title", "boutique/adservice", timeout=10)
    assert url_of(dash_duo) == ("/triage", {"incident": "20261124T1110-adservice", "window": "1h"})
    assert "active" in dash_duo.find_element("#triage-incident-0").get_attribute("class")
    cause = dash_duo.find_element("#triage-cause-1").text
    assert cause.startswith("1. boutique/adservice")
    assert "error ratio up 84.8% over its baseline 0.0%" in cause
    # The small incident graph is drawn, suspect #1 marked.
    until(
        lambda: dash_duo.driver.execute_script(
            "const c = document.getElementById('triage-graph');"
            "return Boolean(c && c._cyreg && c._cyreg.cy.$('node.top').length === 1"
            f" && c._cyreg.cy.$('node.top').id() === '{ADSERVICE}');"
        ),
        10,
        "the incident graph marks adservice as suspect #1",
    )

    dash_duo.find_element("#triage-top-cause-topology").click()
    dash_duo.wait_for_element("#topology-graph", timeout=15)
    path, query = url_of(dash_duo)
    assert path == "/topology"
    assert (query["focus"], query["selected"], query["hops"]) == (ADSERVICE, ADSERVICE, "2")
    # Focused: adservice and its callers up to two hops (frontend, the gateway), selected.
    until(
        lambda: topology_holds(
            dash_duo,
            f"cy.getElementById('{ADSERVICE}').selected()"
            " && cy.nodes('[kind = \"workload\"]').length === 3",
        ),
        15,
        "the topology is focused on adservice",
    )
    dash_duo.wait_for_text_to_equal("#topology-panel-title", "adservice", timeout=10)
    assert dash_duo.get_logs() == []
