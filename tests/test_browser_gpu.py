"""The GPU page in headless Chromium: every demo GPU, the waste and the wait, and a click from a
GPU through to its workload on the Topology page."""

from __future__ import annotations

from typing import Any

import pytest
from browser_waits import topology_holds, until, url_of
from selenium.webdriver.common.action_chains import ActionChains

from collectors.model import Snapshot
from dashboard.app import create_app
from dashboard.settings import Settings

pytestmark = pytest.mark.browser

A100 = "gpu:Kubernetes/gpu-a100-01"
PREDICTOR = "workload:Kubernetes/ml-platform/recommender-predictor"


def _cell(dash_duo: Any, device: str) -> Any:
    """The grid's point (an invisible marker at the cell's centre) for ``device``."""
    index = dash_duo.driver.execute_script(
        "const g = document.querySelector('#gpu-grid .js-plotly-plot');"
        f"return g.data[0].customdata.indexOf('{device}');"
    )
    assert index >= 0, device
    return dash_duo.find_elements("#gpu-grid .scatterlayer .trace:first-child path.point")[index]


def test_every_gpu_the_waste_and_the_wait_and_a_gpu_leads_to_its_workload(
    dash_duo: Any, demo: Snapshot
) -> None:
    dash_duo.start_server(create_app(Settings(), demo))
    dash_duo.wait_for_element("#topology-graph", timeout=15)
    dash_duo.find_element("a[href='/gpu']").click()
    dash_duo.wait_for_contains_text("#gpu-summary", "16 GPUs on 3 nodes", timeout=15)

    # Every demo GPU is listed (and drawn): 16, one of them split into 4 MIG instances.
    rows = dash_duo.find_elements("#gpu-devices-table tbody tr")
    assert len(rows) == 20
    assert rows[0].text.startswith("gpu-a100-01 GPU 0")
    assert rows[-1].text.startswith("gpu-l4-01 GPU 3")
    dash_duo.wait_for_element("#gpu-grid .js-plotly-plot .scatterlayer", timeout=15)
    cells = dash_duo.driver.execute_script(
        "return document.querySelector('#gpu-grid .js-plotly-plot').data[0].customdata.length;"
    )
    assert cells == 19  # the MIG-enabled GPU is drawn as its four instances
    # The idle notebook is the waste list; the sweep waits for H100s.
    idle = dash_duo.find_elements("#gpu-idle-table tbody tr")
    assert len(idle) == 1 and "kubeflow-user-example-com/alice-0" in idle[0].text
    pending = dash_duo.find_elements("#gpu-pending-table tbody tr")
    assert len(pending) == 1 and "ml-platform/llm-finetune-sweep-pbrfw" in pending[0].text
    assert "gpu-h100-01 has 2 of 8 free" in pending[0].text

    # A click on a cell of the grid opens that GPU and writes it into the URL.
    ActionChains(dash_duo.driver).move_to_element(_cell(dash_duo, f"{A100}/0")).click().perform()
    dash_duo.wait_for_text_to_equal("#gpu-detail-title", "gpu-a100-01 GPU 0", timeout=10)
    until(lambda: url_of(dash_duo) == ("/gpu", {"gpu": f"{A100}/0"}), 10, "the URL names the GPU")
    assert "recommender-predictor" in dash_duo.find_element("#gpu-detail-pod").text
    dash_duo.wait_for_element("#gpu-series", timeout=10)

    # From the GPU to its workload, focused and selected on Topology, with its GPU badge.
    dash_duo.find_element("#gpu-workload-link").click()
    dash_duo.wait_for_element("#topology-graph", timeout=15)
    path, query = url_of(dash_duo)
    assert path == "/topology"
    assert (query["focus"], query["selected"]) == (PREDICTOR, PREDICTOR)
    until(
        lambda: topology_holds(
            dash_duo,
            f"cy.getElementById('{PREDICTOR}').selected()"
            f" && cy.getElementById('{PREDICTOR}').data('gpu').startsWith('GPU 1 · ')",
        ),
        15,
        "the topology selects recommender-predictor and badges its GPU",
    )
    dash_duo.wait_for_text_to_equal("#topology-panel-title", "recommender-predictor", timeout=10)
    assert dash_duo.get_logs() == []
