"""Requests a browser sends to the Dash app, made through Flask's test client."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from dash import Dash


def page_request(path: str, search: str = "") -> dict[str, Any]:
    """The body of the page-routing callback's request for ``path`` and its query."""
    return {
        "output": ".._pages_content.children..._pages_store.data..",
        "outputs": [
            {"id": "_pages_content", "property": "children"},
            {"id": "_pages_store", "property": "data"},
        ],
        "inputs": [
            {"id": "_pages_location", "property": "pathname", "value": path},
            {"id": "_pages_location", "property": "search", "value": search},
        ],
        "changedPropIds": ["_pages_location.pathname"],
        "state": [],
    }


def render_page(app: Dash, path: str, search: str = "") -> str:
    """Open ``path`` (its HTML must answer 200), then ask the page-routing callback for it.

    Returns the callback's JSON answer as text.
    """
    client = app.server.test_client()
    opened = client.get(path)
    assert opened.status_code == 200, (path, opened.status_code)
    response = client.post("/_dash-update-component", json=page_request(path, search))
    assert response.status_code == 200, response.data[:500]
    return json.dumps(response.get_json())


def refresh_page(
    app: Dash,
    page: str,
    inputs: Sequence[tuple[str, str, Any]],
    trigger: str,
    shown: dict[str, Any],
) -> dict[str, Any]:
    """Fire a page's refresh callback as the browser does: ``<page>-body`` and ``<page>-query``
    from ``inputs`` (id, property, value), ``trigger`` (``id.property``) having changed and
    ``shown`` the query the page showed. The answer by output id; {} when nothing changed.
    """
    payload = {
        "output": f"..{page}-body.children...{page}-query.data..",
        "outputs": [
            {"id": f"{page}-body", "property": "children"},
            {"id": f"{page}-query", "property": "data"},
        ],
        "inputs": [{"id": i, "property": prop, "value": value} for i, prop, value in inputs],
        "changedPropIds": [trigger],
        "state": [{"id": f"{page}-query", "property": "data", "value": shown}],
    }
    response = app.server.test_client().post("/_dash-update-component", json=payload)
    assert response.status_code in (200, 204), response.data[:500]  # 204: PreventUpdate
    answer: dict[str, Any] = response.get_json()["response"] if response.status_code == 200 else {}
    return answer


def shell_layout(app: Dash) -> str:
    """The shell around every page (navbar, source badge, banners), as JSON text."""
    response = app.server.test_client().get("/_dash-layout")
    assert response.status_code == 200
    return json.dumps(response.get_json())  # Dash escapes "/" in its own JSON; this does not


def poll_shell(app: Dash, shown_version: int) -> str:
    """Fire the shell's status poll as the browser's interval does; the answer as JSON text."""
    payload = {
        "output": "..shell-source.children...shell-banner.children...shell-snapshot-version.data..",
        "outputs": [
            {"id": "shell-source", "property": "children"},
            {"id": "shell-banner", "property": "children"},
            {"id": "shell-snapshot-version", "property": "data"},
        ],
        "inputs": [{"id": "shell-refresh", "property": "n_intervals", "value": 1}],
        "changedPropIds": ["shell-refresh.n_intervals"],
        "state": [{"id": "shell-snapshot-version", "property": "data", "value": shown_version}],
    }
    response = app.server.test_client().post("/_dash-update-component", json=payload)
    assert response.status_code == 200, response.data[:500]
    return json.dumps(response.get_json())


def components(body: str) -> dict[str, dict[str, Any]]:
    """Every component with a string id in a callback's JSON answer, by id."""
    found: dict[str, dict[str, Any]] = {}

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            props = node.get("props")
            if isinstance(props, dict) and isinstance(props.get("id"), str):
                found[props["id"]] = node
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for one in node:
                walk(one)

    walk(json.loads(body))
    return found


def text_of(node: Any) -> str:
    """The text a component shows: its children's text, joined by spaces."""
    if isinstance(node, str):
        return node
    if isinstance(node, list):
        return " ".join(text_of(one) for one in node)
    if isinstance(node, dict):
        return text_of(node.get("props", {}).get("children", ""))
    return "" if node is None else str(node)
