"""The dashboard app served in-process: pages answer, the shell shows the source."""

from __future__ import annotations

import json

import pytest
from dash import Dash

from collectors.model import Snapshot
from dashboard.app import BOOTSTRAP_URL, create_app
from dashboard.settings import Settings


@pytest.fixture(scope="module")
def app(demo: Snapshot) -> Dash:
    return create_app(Settings(), demo)


def _render(app: Dash, path: str) -> str:
    """Ask the page-routing callback for ``path`` the way the browser does."""
    client = app.server.test_client()
    assert client.get("/topology").status_code == 200
    payload = {
        "output": ".._pages_content.children..._pages_store.data..",
        "outputs": [
            {"id": "_pages_content", "property": "children"},
            {"id": "_pages_store", "property": "data"},
        ],
        "inputs": [
            {"id": "_pages_location", "property": "pathname", "value": path},
            {"id": "_pages_location", "property": "search", "value": ""},
        ],
        "changedPropIds": ["_pages_location.pathname"],
        "state": [],
    }
    response = client.post("/_dash-update-component", json=payload)
    assert response.status_code == 200, response.data[:500]
    return json.dumps(response.get_json())


def test_home_opens_topology_and_bootstrap_is_local(app: Dash) -> None:
    client = app.server.test_client()
    home = client.get("/?graph=app")
    assert home.status_code == 302
    assert home.headers["Location"] == "/topology?graph=app"  # a shared link keeps its view
    index = client.get("/topology")
    assert index.status_code == 200 and BOOTSTRAP_URL.encode() in index.data
    css = client.get(BOOTSTRAP_URL)
    assert css.status_code == 200 and b"Bootstrap" in css.data[:200]


def test_overview_lists_every_namespace(app: Dash, demo: Snapshot) -> None:
    body = _render(app, "/overview")
    for namespace in ("boutique", "bookinfo", "istio-system", "ml-platform"):
        assert namespace in body
    assert demo.incidents[0].summary in body


def test_unbuilt_pages_say_so(app: Dash) -> None:
    for path in ("/triage", "/gpu", "/lineage"):
        assert "not built yet" in _render(app, path)
