"""The Lineage page in headless Chromium: pick a model server, see the pipeline run and the
dataset behind it, open that run; and reach the same answer from Topology's side panel."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import pytest
from browser_waits import until, url_of

from collectors.model import Snapshot
from dashboard.app import create_app
from dashboard.settings import Settings

pytestmark = pytest.mark.browser

NS = "ml-platform"
RECOMMENDER = f"inference_service:Kubernetes/{NS}/recommender"
PREDICTOR = f"workload:Kubernetes/{NS}/recommender-predictor"
SERVED_RUN = f"pipeline_run:Kubernetes/{NS}/recommender-training-jt5qq"
CLICKS = "artifact:Kubernetes//s3://datalake/events/clickstream/dt=2026-11-22"


def _graph_holds(dash_duo: Any, selector: str, condition: str) -> bool:
    """Whether ``condition`` (JavaScript over ``cy``) holds for the Cytoscape graph there."""
    return bool(
        dash_duo.driver.execute_script(
            f"const el = document.querySelector('{selector}');"
            "const cy = el && el._cyreg && el._cyreg.cy;"
            f"return !!cy && ({condition});"
        )
    )


def _click(dash_duo: Any, element: Any) -> None:
    """Click an element below the fold: the element's own click, as its link handles it.

    Headless Chromium here does not scroll the window (``scrollTo`` leaves ``scrollY`` at 0,
    on every page), so a pointer click there is "intercepted" by whatever is on top.
    """
    dash_duo.driver.execute_script("arguments[0].click();", element)


def test_a_model_server_shows_the_run_and_dataset_behind_it(dash_duo: Any, demo: Snapshot) -> None:
    dash_duo.start_server(create_app(Settings(), demo))
    dash_duo.wait_for_element("#topology-graph", timeout=15)
    dash_duo.find_element("a[href='/lineage']").click()
    dash_duo.wait_for_contains_text("#lineage-summary", "7 pipeline runs", timeout=15)
    assert len(dash_duo.find_elements("#lineage-runs-table tbody tr")) == 7

    # Pick the model server in the explorer: the page says where its model came from.
    dash_duo.select_dcc_dropdown("#lineage-pick", f"model server: {NS}/recommender")
    dash_duo.wait_for_contains_text(
        "#lineage-behind", "comes from pipeline run recommender-training 2026-11-23 14:23",
        timeout=15,
    )  # fmt: skip
    behind = dash_duo.find_element("#lineage-behind").text
    assert "reading datasets s3://datalake/events/clickstream/dt=2026-11-22" in behind
    until(lambda: url_of(dash_duo) == ("/lineage", {"node": RECOMMENDER}), 10, "the URL")
    # The graph draws the run as a box around its steps, and the dataset upstream of it.
    until(
        lambda: _graph_holds(
            dash_duo,
            "#lineage-graph",
            f"cy.getElementById('{SERVED_RUN}').isParent()"
            f" && cy.getElementById('{CLICKS}').position('x')"
            f" < cy.getElementById('{RECOMMENDER}').position('x')",
        ),
        15,
        "the lineage graph boxes the run and puts the dataset upstream",
    )
    hops = [row.text for row in dash_duo.find_elements("#lineage-walk-table tbody tr")]
    assert hops[0].startswith("7 up dataset s3://datalake/events/clickstream/dt=2026-11-22")

    # Follow the run: its steps, all succeeded, the train step having written the model.
    train_row = next(
        row
        for row in dash_duo.find_elements("#lineage-walk-table tbody tr")
        if row.text.startswith("2 up step train")
    )
    _click(dash_duo, train_row.find_element("css selector", "a[id^='lineage-hop-run-']"))
    dash_duo.wait_for_contains_text("#lineage-run", "Run recommender-training 2026-11-23 14:23",
                                    timeout=15)  # fmt: skip
    until(
        lambda: url_of(dash_duo) == ("/lineage", {"run": SERVED_RUN, "node": RECOMMENDER}),
        10,
        "the URL opens the run and keeps the model server",
    )
    steps = [row.text.split(" ")[0] for row in dash_duo.find_elements(
        "#lineage-steps-table tbody tr")]  # fmt: skip
    assert steps == ["ingest", "features", "train", "evaluate", "register-model"]
    assert _graph_holds(dash_duo, "#lineage-dag", "cy.nodes().length === 5")
    assert dash_duo.get_logs() == []


def test_topology_asks_where_a_model_came_from(dash_duo: Any, demo: Snapshot) -> None:
    dash_duo.start_server(create_app(Settings(), demo))
    dash_duo.wait_for_page(
        f"{dash_duo.server_url}/topology?{urlencode({'focus': PREDICTOR, 'selected': PREDICTOR})}"
    )
    dash_duo.wait_for_text_to_equal("#topology-panel-title", "recommender-predictor", timeout=15)
    _click(dash_duo, dash_duo.find_element("#topology-panel-lineage-0"))
    dash_duo.wait_for_contains_text("#lineage-behind", f"{NS}/recommender comes from", timeout=15)
    assert url_of(dash_duo) == ("/lineage", {"node": RECOMMENDER})
    assert dash_duo.get_logs() == []
