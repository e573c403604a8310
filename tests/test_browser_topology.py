"""The Topology page in headless Chromium: what a user sees and does, and a shared link.

The graph is a canvas, so the tests read what Cytoscape.js holds (its element ids and classes)
through the container's registration, and click nodes where Cytoscape drew them.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
from browser_waits import until
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.keys import Keys

from collectors.kinds import EdgeKind, NodeKind
from collectors.model import Snapshot
from dashboard.app import create_app
from dashboard.settings import Settings
from dashboard.topology.projection import GraphType
from dashboard.topology.scene import TopologyEngine
from dashboard.topology.state import TopologyState

pytestmark = pytest.mark.browser

CY = "document.getElementById('topology-graph')._cyreg.cy"
RATINGS = "workload:Kubernetes/bookinfo/ratings-v1"


def _ids(dash_duo: Any, selector: str) -> set[str]:
    script = f"return {CY}.elements({selector!r}).map(e => e.id());"
    return set(dash_duo.driver.execute_script(script))


def _wait_for_graph(dash_duo: Any, predicate: str, timeout: float = 15) -> None:
    """Wait until Cytoscape exists and ``predicate`` (JS over ``cy``) holds."""
    script = (
        "const c = document.getElementById('topology-graph');"
        f"if (!c || !c._cyreg) return false; const cy = c._cyreg.cy; return Boolean({predicate});"
    )
    dash_duo.wait_for_element("#topology-graph", timeout=timeout)
    until(lambda: bool(dash_duo.driver.execute_script(script)), timeout, predicate)


def _query(dash_duo: Any) -> dict[str, str]:
    url = urlparse(dash_duo.driver.current_url)
    return {key: values[-1] for key, values in parse_qs(url.query).items()}


def _click_node(dash_duo: Any, node_id: str) -> None:
    """Click the node as a user would: centre the view on it, then click the canvas centre.

    New elements are laid out and fitted after they arrive, so wait until the node stops moving.
    """
    where = f"const p = {CY}.getElementById(arguments[0]).renderedPosition(); return [p.x, p.y];"
    previous = None
    for _ in range(50):
        now = dash_duo.driver.execute_script(where, node_id)
        if now == previous:
            break
        previous = now
        time.sleep(0.2)
    dash_duo.driver.execute_script(f"{CY}.center({CY}.getElementById(arguments[0]));", node_id)
    canvas = dash_duo.find_element("#topology-graph")
    ActionChains(dash_duo.driver).move_to_element(canvas).click().perform()


@pytest.fixture
def topology(dash_duo: Any, demo: Snapshot) -> Any:
    dash_duo.start_server(create_app(Settings(), demo))
    return dash_duo


def test_opens_on_topology_with_every_namespace_workload_and_edge(
    topology: Any, demo: Snapshot
) -> None:
    topology.wait_for_element("#topology-graph", timeout=15)
    assert urlparse(topology.driver.current_url).path == "/topology"
    workloads = {node.id for node in demo.nodes(NodeKind.WORKLOAD)}
    namespaces = {node.namespace for node in demo.nodes(NodeKind.WORKLOAD)}
    calls = {(edge.source, edge.target) for edge in demo.edges(EdgeKind.CALLS)}
    _wait_for_graph(topology, f"cy.nodes().length >= {len(workloads)}")
    drawn = _ids(topology, "node")
    assert workloads <= drawn
    assert {f"ns:Kubernetes/{namespace}" for namespace in namespaces} <= drawn
    ends = f"return {CY}.edges().map(e => [e.source().id(), e.target().id()]);"
    drawn_ends = {tuple(pair) for pair in topology.driver.execute_script(ends)}
    assert calls == drawn_ends
    # Every node sits where the server put it, inside the visible canvas after fitting.
    outside = topology.driver.execute_script(
        f"const cy = {CY}; const w = cy.width(), h = cy.height();"
        "return cy.nodes().filter(n => { const p = n.renderedPosition();"
        " return p.x < 0 || p.y < 0 || p.x > w || p.y > h; }).length;"
    )
    assert outside == 0
    assert "nodes" in topology.find_element("#topology-summary").text
    assert topology.get_logs() == []


def test_graph_type_find_hide_and_click_then_the_shared_link_opens_the_same_view(
    topology: Any, demo: Snapshot
) -> None:
    _wait_for_graph(topology, "cy.nodes().length > 30")

    topology.select_dcc_dropdown("#topology-graph-type", "App graph")
    _wait_for_graph(topology, "cy.getElementById('app:Kubernetes/bookinfo/reviews').nonempty()")
    nodes = _ids(topology, "node")
    assert not any(node.startswith("workload:Kubernetes/bookinfo/reviews") for node in nodes)
    assert _query(topology)["graph"] == "app"

    hide = topology.find_element("#topology-hide")
    hide.send_keys("ns = istio-system", Keys.ENTER)
    _wait_for_graph(topology, "cy.nodes('[namespace = \"istio-system\"]').length === 0")
    assert _query(topology)["hide"] == "ns = istio-system"

    find = topology.find_element("#topology-find")
    find.send_keys("error% >", Keys.ENTER)
    topology.wait_for_contains_text("#topology-find-feedback", "expected a number", timeout=10)
    find.send_keys(" 5", Keys.ENTER)
    _wait_for_graph(topology, "cy.$('.find-match').length > 0")
    expected = TopologyEngine().scene(
        demo, TopologyState(graph_type=GraphType.APP, hide="ns = istio-system", find="error% > 5")
    )
    assert expected.matched  # the demo has edges failing over 5 % at its end
    assert _ids(topology, ".find-match") == expected.matched

    _click_node(topology, "app:Kubernetes/bookinfo/ratings")
    topology.wait_for_text_to_equal("#topology-panel-title", "ratings", timeout=10)
    panel = topology.find_element("#topology-panel-body").text
    assert "Callers" in panel and "reviews" in panel
    assert _query(topology)["selected"] == "app:Kubernetes/bookinfo/ratings"

    shared = topology.driver.current_url
    elements_before = _ids(topology, "*")
    topology.driver.get("about:blank")
    topology.driver.get(shared)
    _wait_for_graph(topology, "cy.getElementById('app:Kubernetes/bookinfo/ratings').selected()")
    assert _ids(topology, "*") == elements_before
    assert topology.find_element("#topology-hide").get_attribute("value") == "ns = istio-system"
    assert topology.find_element("#topology-panel-title").text == "ratings"
    assert "App graph" in topology.find_element("#topology-graph-type").text
    assert topology.get_logs() == []


def test_dragged_nodes_stay_put_after_a_refresh_until_reset(topology: Any) -> None:
    _wait_for_graph(topology, "cy.scratch('_meshlensTracking')")  # drags are being recorded
    where = f"const p = {CY}.getElementById(arguments[0]).position(); return [p.x, p.y];"
    served = topology.driver.execute_script(where, RATINGS)
    topology.driver.execute_script(f"{CY}.center({CY}.getElementById(arguments[0]));", RATINGS)
    canvas = topology.find_element("#topology-graph")
    ActionChains(topology.driver).move_to_element(canvas).click_and_hold().move_by_offset(
        40, 30
    ).move_by_offset(40, 30).release().perform()
    dragged = topology.driver.execute_script(where, RATINGS)
    assert dragged[0] > served[0] + 10 and dragged[1] > served[1] + 10

    topology.driver.refresh()
    _wait_for_graph(topology, "cy.nodes().length > 30")
    _wait_for_graph(
        topology,
        f"Math.abs(cy.getElementById('{RATINGS}').position().x - {dragged[0]}) < 0.5",
    )
    others = topology.driver.execute_script(
        f"return {CY}.getElementById('workload:Kubernetes/bookinfo/reviews-v2').position().x;"
    )
    assert others is not None  # the rest of the graph is drawn as before

    topology.find_element("#topology-reset-positions").click()
    _wait_for_graph(
        topology, f"Math.abs(cy.getElementById('{RATINGS}').position().x - {served[0]}) < 0.5"
    )
    assert topology.get_logs() == []


def test_exports_download_png_svg_and_the_view_as_json(topology: Any) -> None:
    _wait_for_graph(topology, "cy.nodes().length > 30")
    download = Path(topology.download_path)
    for button in ("png", "svg", "json"):
        topology.find_element(f"#topology-export-{button}").click()
        target = download / f"meshlens-topology.{button}"
        until(target.exists, timeout=10)
    svg = (download / "meshlens-topology.svg").read_text()
    assert svg.startswith("<?xml") or "<svg" in svg[:200]
    assert (download / "meshlens-topology.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    document = json.loads((download / "meshlens-topology.json").read_text())
    ids = {element["data"]["id"] for element in document["elements"]}
    assert RATINGS in ids and document["query"] == {}
    assert topology.get_logs() == []


def test_collapse_expand_one_namespace_and_focus(topology: Any) -> None:
    _wait_for_graph(topology, "cy.nodes().length > 30")
    topology.find_element("#topology-collapse-all").click()
    bookinfo = "nsnode:Kubernetes/bookinfo"
    _wait_for_graph(topology, f"cy.getElementById('{bookinfo}').nonempty()")
    assert not _ids(topology, "node[kind = 'workload']")
    assert _query(topology)["collapse"]  # the explicit choice is in the link

    _click_node(topology, bookinfo)
    topology.wait_for_text_to_equal("#topology-toggle-namespace", "Expand bookinfo", timeout=10)
    topology.find_element("#topology-toggle-namespace").click()
    _wait_for_graph(topology, f"cy.getElementById('{RATINGS}').nonempty()")
    assert "nsnode:Kubernetes/boutique" in _ids(topology, "node")  # the others stay collapsed

    reviews = "workload:Kubernetes/bookinfo/reviews-v2"
    _click_node(topology, reviews)
    topology.wait_for_text_to_equal("#topology-panel-title", "reviews-v2", timeout=10)
    topology.find_element("#topology-focus").click()
    _wait_for_graph(topology, "cy.nodes('[kind = \"workload\"]').length === 3")
    assert _query(topology)["focus"] == reviews
    topology.find_element("#topology-unfocus").click()
    _wait_for_graph(topology, "cy.nodes('[kind = \"workload\"]').length > 3")
    assert "focus" not in _query(topology)
    assert topology.get_logs() == []
