"""dashboard.notebook on the demo: scenes, figures, details, the standalone app, and serving it
from a real Jupyter kernel."""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from datetime import UTC, datetime
from typing import Any

import nbformat
import pytest
from dash import Dash
from nbclient import NotebookClient

from collectors.ids import node_id
from collectors.kinds import Health, NodeKind
from collectors.model import Snapshot
from dashboard import notebook
from dashboard.notebook import (
    TopologyNotice,
    details,
    show_topology,
    topology_app,
    topology_figure,
    topology_scene,
)
from dashboard.topology.expressions import ExpressionError
from dashboard.topology.scene import TopologyEngine
from tests_paths import REPO

REVIEWS_V2 = node_id(NodeKind.WORKLOAD, "reviews-v2", "bookinfo")
RATINGS_V1 = node_id(NodeKind.WORKLOAD, "ratings-v1", "bookinfo")
RATINGS_CALL = f"{REVIEWS_V2}->{RATINGS_V1}#http"
# The demo's bad rollout: ratings-v1 answered HTTP 500 to over half its requests until 07:37.
ROLLOUT: dict[str, Any] = {"window": "30m", "end": "2026-11-24T07:30Z"}


@pytest.fixture(scope="module")
def engine() -> TopologyEngine:
    return TopologyEngine()


def _labels(nodes: Any) -> set[str]:
    return {node.label for node in nodes}


def test_focus_keeps_the_node_and_its_neighbours(demo: Snapshot, engine: TopologyEngine) -> None:
    scene = topology_scene(demo, focus=REVIEWS_V2, hops=1, engine=engine)
    assert _labels(scene.view.nodes) == {"productpage-v1", "reviews-v2", "ratings-v1"}
    assert {(e.source, e.target) for e in scene.view.edges} == {
        (node_id(NodeKind.WORKLOAD, "productpage-v1", "bookinfo"), REVIEWS_V2),
        (REVIEWS_V2, RATINGS_V1),
    }


def test_focus_on_a_workload_finds_its_app_in_the_app_graph(
    demo: Snapshot, engine: TopologyEngine
) -> None:
    scene = topology_scene(demo, graph_type="app", focus=REVIEWS_V2, engine=engine)
    assert scene.state.focus == "app:Kubernetes/bookinfo/reviews"
    assert _labels(scene.view.nodes) == {"productpage", "reviews", "ratings"}


def test_hide_removes_a_namespace(demo: Snapshot, engine: TopologyEngine) -> None:
    scene = topology_scene(demo, graph_type="app", hide="ns = istio-system", engine=engine)
    namespaces = {node.namespace for node in scene.view.nodes}
    assert "istio-system" not in namespaces and {"bookinfo", "boutique"} <= namespaces
    assert {"productpage", "reviews", "ratings", "details"} <= _labels(scene.view.nodes)


def test_collapse_all_draws_namespaces(demo: Snapshot, engine: TopologyEngine) -> None:
    scene = topology_scene(demo, collapse="all", engine=engine)
    assert {"bookinfo", "boutique", "istio-system"} <= _labels(scene.view.nodes)
    assert {node.kind for node in scene.view.nodes} <= {"namespace", "unknown"}


def test_the_rollout_window_shows_the_ratings_call_failing(
    demo: Snapshot, engine: TopologyEngine
) -> None:
    now = {e.id: e for e in topology_scene(demo, engine=engine).view.edges}
    then = {e.id: e for e in topology_scene(demo, engine=engine, **ROLLOUT).view.edges}
    assert now[RATINGS_CALL].health is Health.HEALTHY
    assert then[RATINGS_CALL].health is Health.FAILURE
    assert then[RATINGS_CALL].traffic.error_ratio > 0.5


def test_end_may_be_a_datetime(demo: Snapshot, engine: TopologyEngine) -> None:
    scene = topology_scene(demo, window="30m", end=datetime(2026, 11, 24, 7, 30), engine=engine)
    assert scene.window is not None
    assert (scene.window.start, scene.window.end) == (
        datetime(2026, 11, 24, 7, 0, tzinfo=UTC),  # a naive time is UTC, as everywhere
        datetime(2026, 11, 24, 7, 30, tzinfo=UTC),
    )


def test_bad_options_raise(demo: Snapshot, engine: TopologyEngine) -> None:
    with pytest.raises(ExpressionError, match="column"):
        topology_scene(demo, hide="ns = ", engine=engine)
    with pytest.raises(ValueError, match="layered"):
        topology_scene(demo, layout="circle", engine=engine)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        topology_figure(demo, graph_type="pods", engine=engine)


def test_notices_are_warnings_pointing_at_the_caller(
    demo: Snapshot, engine: TopologyEngine
) -> None:
    with pytest.warns(TopologyNotice, match="clipped") as caught:
        topology_figure(demo, window="1h", end="2026-11-24T06:30Z", engine=engine)
    assert caught[0].filename == __file__


def test_figure_draws_the_scene(demo: Snapshot, engine: TopologyEngine) -> None:
    scene = topology_scene(demo, graph_type="app", engine=engine)
    figure = topology_figure(demo, graph_type="app", engine=engine, height=500)
    drawn = {
        element
        for trace in figure.data
        if trace.mode == "markers+text" and not trace.name.startswith("calls")
        for element in trace.customdata
    }
    assert drawn == {node.id for node in scene.view.nodes}
    assert figure.layout.height == 500
    assert figure.layout.title.text == (
        f"app graph · {len(scene.view.nodes)} nodes · {len(scene.view.edges)} edges · "
        "traffic over the snapshot's last 10 min"
    )


def test_figure_highlights_what_find_matched(demo: Snapshot, engine: TopologyEngine) -> None:
    figure = topology_figure(demo, find="health = failure", engine=engine, **ROLLOUT)
    underlay = next(trace for trace in figure.data if trace.name == "find matches")
    bright = {
        element
        for trace in figure.data
        if trace.customdata and trace.opacity == 1
        for element in trace.customdata
    }
    assert {RATINGS_V1, RATINGS_CALL} <= bright
    assert len(underlay.x) >= 1
    assert "07:00\u201307:30 UTC" in figure.layout.title.text


def test_details_of_ratings(demo: Snapshot, engine: TopologyEngine) -> None:
    ratings = details(demo, RATINGS_V1, engine=engine)
    assert ratings is not None
    assert (ratings.title, ratings.subtitle) == ("ratings-v1", "workload in bookinfo")
    assert [caller.label for caller in ratings.callers] == ["reviews-v2"]
    assert [code.code for code in ratings.codes] == ["200"]
    assert details(demo, "workload:Kubernetes/bookinfo/nope", engine=engine) is None


def test_details_over_a_window_and_of_a_merged_node(demo: Snapshot, engine: TopologyEngine) -> None:
    call = details(demo, RATINGS_CALL, engine=engine, **ROLLOUT)
    assert call is not None and call.health is Health.FAILURE
    assert call.stats is not None and call.stats.error_ratio > 0.5
    assert call.series["timestamp"].min().hour == 7  # series follow the window
    app = details(demo, RATINGS_V1, graph_type="app", engine=engine)
    assert app is not None and (app.id, app.title) == ("app:Kubernetes/bookinfo/ratings", "ratings")


def _find(component: Any, component_id: str) -> Any:
    if getattr(component, "id", None) == component_id:
        return component
    children = getattr(component, "children", None)
    for child in children if isinstance(children, list) else [children]:
        if child is not None and not isinstance(child, str):
            found = _find(child, component_id)
            if found is not None:
                return found
    return None


def _panel_update(app: Dash, prop: str, value: Any) -> Any:
    """Fire the panel callback as the browser would, with ``prop`` changed to ``value``."""
    values = {"tapNodeData": None, "tapEdgeData": None, "search": ""}
    values[prop] = value
    component = {"search": notebook.URL}.get(prop, notebook.GRAPH)
    payload = {
        "output": f"{notebook.PANEL}.children",
        "outputs": {"id": notebook.PANEL, "property": "children"},
        "inputs": [
            {"id": notebook.GRAPH, "property": "tapNodeData", "value": values["tapNodeData"]},
            {"id": notebook.GRAPH, "property": "tapEdgeData", "value": values["tapEdgeData"]},
            {"id": notebook.URL, "property": "search", "value": values["search"]},
        ],
        "changedPropIds": [f"{component}.{prop}"],
        "state": [],
    }
    return app.server.test_client().post("/_dash-update-component", json=payload)


def _panel_text(response: Any) -> str:
    assert response.status_code == 200, response.data[:300]
    return json.dumps(response.get_json()["response"][notebook.PANEL]["children"])


def test_app_layout_holds_the_graph_of_the_view(demo: Snapshot, engine: TopologyEngine) -> None:
    app = topology_app(demo, focus=REVIEWS_V2, height=400, engine=engine)
    scene = topology_scene(demo, focus=REVIEWS_V2, engine=engine)
    graph = _find(app.layout, notebook.GRAPH)
    assert [e["data"]["id"] for e in graph.elements] == [e["data"]["id"] for e in scene.elements]
    assert graph.layout["name"] == "preset" and graph.style["height"] == "400px"
    client = app.server.test_client()
    index = client.get("/")
    assert index.status_code == 200
    (css,) = re.findall(rb'href="(/assets/bootstrap\.min\.css[^"]*)"', index.data)
    with client.get(css.decode()) as served:
        assert served.status_code == 200 and b"Bootstrap" in served.data[:200]  # no CDN


def test_app_panel_shows_a_tapped_node_or_edge(demo: Snapshot, engine: TopologyEngine) -> None:
    app = topology_app(demo, engine=engine, **ROLLOUT)
    node = _panel_text(_panel_update(app, "tapNodeData", {"id": RATINGS_V1, "label": "x"}))
    assert '"ratings-v1"' in node and "Callers (1)" in node and "reviews-v2" in node
    edge = _panel_text(_panel_update(app, "tapEdgeData", {"id": RATINGS_CALL}))
    assert "reviews-v2 \\u2192 ratings-v1" in edge and '"failure"' in edge
    linked = _panel_text(_panel_update(app, "search", f"?window=30m&selected={REVIEWS_V2}"))
    assert '"reviews-v2"' in linked and "Callees (1)" in linked
    # The location reports its query once the page loads: that must not clear the panel.
    assert _panel_update(app, "search", "").status_code == 204


def test_app_opens_with_the_selection_and_runs_beside_another(
    demo: Snapshot, engine: TopologyEngine
) -> None:
    selected = topology_app(demo, selected=RATINGS_V1, engine=engine)
    plain = topology_app(demo, engine=engine)
    opened = selected.server.test_client().get("/_dash-layout").get_data(as_text=True)
    assert "Callers (1)" in opened and "topology-legend" not in opened
    assert "topology-legend" in plain.server.test_client().get("/_dash-layout").get_data(
        as_text=True
    )
    for app in (selected, plain):
        assert "reviews-v2" in _panel_text(_panel_update(app, "tapNodeData", {"id": REVIEWS_V2}))


def test_show_topology_rejects_an_unknown_mode(demo: Snapshot) -> None:
    with pytest.raises(ValueError, match="inline, external"):
        show_topology(demo, mode="popup")  # type: ignore[arg-type]


def _run(client: NotebookClient, source: str) -> str:
    cell = nbformat.v4.new_code_cell(source)
    client.nb.cells.append(cell)
    client.execute_cell(cell, len(client.nb.cells) - 1)
    errors = [o for o in cell.outputs if o.output_type == "error"]
    assert not errors, errors
    return "".join(o.text for o in cell.outputs if o.output_type == "stream")


def _get(url: str) -> tuple[int, bytes]:
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.status, response.read()


def test_show_topology_serves_from_a_kernel_until_it_stops() -> None:
    client = NotebookClient(
        nbformat.v4.new_notebook(),
        timeout=120,
        kernel_name="python3",
        resources={"metadata": {"path": str(REPO)}},
    )
    with client.setup_kernel():  # a live Jupyter kernel, as in a notebook
        printed = _run(
            client,
            "from collectors.sources.demo import demo_snapshot\n"
            "from dashboard.notebook import show_topology\n"
            "app = show_topology(demo_snapshot(), mode='external', hide='ns = istio-system')",
        )
        (url,) = re.findall(r"http://127\.0\.0\.1:\d+/", printed)
        status, _ = _get(url)
        assert status == 200
        status, layout = _get(url + "_dash-layout")
        assert status == 200 and notebook.GRAPH.encode() in layout
        assert b"istio-ingressgateway" not in layout and b"productpage-v1" in layout
    # The server was a thread of the kernel: it stopped with it, nothing is left listening.
    with pytest.raises(urllib.error.URLError):
        _get(url)


@pytest.mark.browser
def test_app_in_a_browser_click_a_node_then_a_neighbour(dash_duo: Any, demo: Snapshot) -> None:
    from selenium.webdriver.common.action_chains import ActionChains

    dash_duo.start_server(topology_app(demo, focus=REVIEWS_V2))
    cy = f"document.getElementById('{notebook.GRAPH}')._cyreg.cy"
    dash_duo.wait_for_element(f"#{notebook.GRAPH}")
    dash_duo.wait_for_text_to_equal("#topology-legend h6", "Health (border and edge colour)")
    count = (
        f"const c = document.getElementById('{notebook.GRAPH}'); return c._cyreg.cy.nodes().length;"
    )
    assert dash_duo.driver.execute_script(count) == 3 + 1  # three workloads in their box
    # Click ratings-v1 where Cytoscape drew it: centre the view on it, click the canvas centre.
    dash_duo.driver.execute_script(f"{cy}.center({cy}.getElementById(arguments[0]));", RATINGS_V1)
    canvas = dash_duo.find_element(f"#{notebook.GRAPH}")
    ActionChains(dash_duo.driver).move_to_element(canvas).click().perform()
    dash_duo.wait_for_text_to_equal("#topology-panel-title", "ratings-v1", timeout=10)
    caller = f"#{notebook.PANEL} a[href*='reviews-v2']"
    dash_duo.find_element(caller).click()  # its caller, reviews-v2
    dash_duo.wait_for_text_to_equal("#topology-panel-title", "reviews-v2", timeout=10)
    assert dash_duo.get_logs() == []
