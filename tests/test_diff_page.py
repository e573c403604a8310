"""The What changed page: its query's round trip through URLs, its rows and links, the page."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from app_requests import refresh_page, render_page
from dash import Dash
from test_diff import CART, FRONTEND, at, shop_series_snapshot

from collectors.model import Snapshot
from dashboard.analysis.diff import Entity, diff_times
from dashboard.app import create_app
from dashboard.figures.diff_table import (
    DiffQuery,
    diff_sections,
    parse_query,
    query_values,
    topology_href,
)
from dashboard.settings import Settings

META = shop_series_snapshot().meta  # 10:00 to 11:00 UTC
END = META.end
DEFAULT = DiffQuery(END - timedelta(hours=1), END, 300)


def test_defaults_are_the_last_hour_and_five_minutes() -> None:
    assert parse_query({}, META) == (DEFAULT, [])
    assert query_values(DEFAULT, META) == {}


def test_a_url_query_reads_back_as_the_same_query() -> None:
    asked = {"from": "2026-03-01T10:15Z", "to": "2026-03-01T11:50:30+01:00", "window": "90s"}
    query, problems = parse_query({**asked, "ns": "shop"}, META)
    assert problems == []
    assert query == DiffQuery(at(15), datetime(2026, 3, 1, 10, 50, 30, tzinfo=UTC), 90)
    assert query_values(query, META) == {
        "from": "2026-03-01T10:15Z",
        "to": "2026-03-01T10:50:30Z",
        "window": "90s",
    }
    # A key repeated in the URL arrives from Dash Pages as a list: the last one wins.
    assert parse_query({"window": ["1m", "10m"]}, META)[0].window_seconds == 600


def test_hostile_values_fall_back_to_their_defaults_and_say_why() -> None:
    query, problems = parse_query({"from": "\x00<script>", "to": "x" * 5000, "window": "-5m"}, META)
    assert query == DEFAULT
    assert problems == [
        "from '?<script>' is not a UTC time like 2026-11-24T07:00Z: using 2026-03-01T10:00Z",
        "to 'xxxxxxxxxxxxxxxxxxxxxxxx…' is not a UTC time like 2026-11-24T07:00Z: "
        "using 2026-03-01T11:00Z",
        "window '-5m' is not a duration like 5m or 1h: using 5 min",
    ]
    query, problems = parse_query({"from": "2026-03-01T10:50Z", "to": "2026-03-01T10:15Z"}, META)
    assert query == DEFAULT
    assert problems == [
        "from (2026-03-01T10:50Z) is not before to (2026-03-01T10:15Z): "
        "comparing the last hour instead"
    ]
    assert parse_query({"window": "0m"}, META)[0].window_seconds == 300
    assert parse_query({"from": "", "window": " "}, META) == (DEFAULT, [])  # "?from=" sets nothing
    assert parse_query({"from": "9999-12-31T23:59-23:59"}, META)[0] == DEFAULT


def _query(href: str) -> dict[str, str]:
    parts = urlsplit(href)
    assert parts.path == "/topology"
    return {key: values[-1] for key, values in parse_qs(parts.query).items()}


def test_rows_link_nodes_and_calls_to_the_topology_at_the_compared_time() -> None:
    node = Entity(CART.id, "shop/cart", "workload", "shop")
    assert _query(topology_href(node, end=at(50), window_seconds=300)) == {
        "collapse": "none",
        "focus": CART.id,
        "selected": CART.id,
        "window": "5m",
        "end": "2026-03-01T10:50Z",
    }
    edge = Entity("e", "frontend → cart (shop)", "calls", "shop", FRONTEND.id, CART.id, "http")
    linked = _query(topology_href(edge, end=at(50), window_seconds=3600))
    assert (linked["focus"], linked["selected"], linked["window"]) == (
        FRONTEND.id,
        f"{FRONTEND.id}->{CART.id}#http",  # the workload graph's view edge
        "1h",
    )
    service = Entity("service:Kubernetes/shop/cart", "service shop/cart", "service", "shop")
    assert _query(topology_href(service, end=at(50), window_seconds=60))["graph"] == "service"
    assert (
        topology_href(Entity("pod:Kubernetes/shop/p", "shop/p", "pod"), end=END, window_seconds=60)
        == ""
    )
    assert topology_href(Entity("", "Deployment shop/cart", ""), end=END, window_seconds=60) == ""


def test_sections_are_tables_and_a_vanished_call_links_to_before() -> None:
    diff = diff_times(shop_series_snapshot(), at(15), at(50), window=timedelta(minutes=5))
    sections = {section.key: section for section in diff_sections(diff, window_seconds=300)}
    assert list(sections) == ["jumps", "edges_added", "edges_vanished"]
    jumps = sections["jumps"]
    assert jumps.headers == ("Where", "Change", "")
    assert [cell.text for cell in jumps.rows[0]] == [
        "frontend → cart (shop)",
        "error ratio 1.0% → 30.0%",
        "worse",
    ]
    assert jumps.rows[0][2].tone == "danger"
    # More bytes for redis is not "better", less traffic to search is a warning.
    assert [(row[2].text, row[2].tone) for row in jumps.rows[3:]] == [
        ("up", "secondary"),
        ("down", "warning"),
    ]
    (vanished,) = sections["edges_vanished"].rows
    assert _query(vanished[0].href)["end"] == "2026-03-01T10:15Z"
    (added,) = sections["edges_added"].rows
    assert _query(added[0].href)["end"] == "2026-03-01T10:50Z"
    capped = diff_sections(diff, window_seconds=300, limit=2)
    assert (len(capped[0].rows), capped[0].total) == (2, 5)


# The page, served in-process.


@pytest.fixture(scope="module")
def shop_app() -> Dash:
    return create_app(Settings(), shop_series_snapshot())


def _walk(body: str) -> tuple[list[str], dict[str, Any], list[str]]:
    """Table rows (cells joined by " | "), children by component id, and link targets."""
    rows: list[str] = []
    by_id: dict[str, Any] = {}
    links: list[str] = []

    def text(node: Any) -> str:
        if isinstance(node, str):
            return node
        if isinstance(node, list):
            return "".join(text(one) for one in node)
        if isinstance(node, dict):
            return text(node.get("props", {}).get("children", ""))
        return "" if node is None else str(node)

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            props = node.get("props", {})
            if isinstance(props, dict):
                if isinstance(props.get("id"), str):
                    by_id[props["id"]] = text(props.get("children"))
                if node.get("type") == "Link":
                    links.append(props["href"])
                cells = props.get("children")
                is_row = node.get("type") == "Tr" and isinstance(cells, list) and bool(cells)
                if is_row and cells[0].get("type") == "Td":
                    rows.append(" | ".join(text(cell) for cell in cells))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for one in node:
                walk(one)

    walk(json.loads(body))
    return rows, by_id, links


def test_the_page_lists_what_changed_between_the_two_times(shop_app: Dash) -> None:
    body = render_page(shop_app, "/diff", "?from=2026-03-01T10:15Z&to=2026-03-01T10:50Z")
    rows, by_id, links = _walk(body)
    assert by_id["diff-sides"] == "10:10\u201310:15 UTC → 10:45\u201310:50 UTC: "
    assert by_id["diff-summary"] == "5 jumps, 1 new edge, 1 vanished edge"
    assert rows[0] == "frontend → cart (shop) | error ratio 1.0% → 30.0% | worse"
    assert "frontend → ads (shop) | HTTP | 2.00 rps" in rows
    assert "frontend → legacy (shop) | HTTP | 4.00 rps" in rows
    # Five jumps and two calls, each linked; nothing was malformed.
    assert all(link.startswith("/topology?") for link in links) and len(links) == 7
    assert "diff-problem-0" not in by_id


def test_the_default_page_is_the_last_hour(shop_app: Dash) -> None:
    _, by_id, _ = _walk(render_page(shop_app, "/diff"))
    assert by_id["diff-sides"].startswith("09:59\u201310:00 UTC → 10:55\u201311:00 UTC")
    assert "diff-problem-0" not in by_id


@pytest.mark.parametrize(
    ("search", "problem"),
    [
        ("?from=%00<script>", "from '?<script>' is not a UTC time"),
        ("?window=-5m", "window '-5m' is not a duration like 5m or 1h: using 5 min"),
        ("?from=2026-03-01T10:50Z&to=2026-03-01T10:15Z", "is not before to"),
    ],
)
def test_a_malformed_link_gets_a_note_and_the_defaults(
    shop_app: Dash, search: str, problem: str
) -> None:
    body = render_page(shop_app, "/diff", search)
    _, by_id, _ = _walk(body)
    assert problem in by_id["diff-problem-0"]
    assert by_id["diff-sides"].startswith("09:59\u201310:00 UTC → 10:55\u201311:00 UTC")


def _refresh(app: Dash, trigger: str, controls: list[Any], shown: dict[str, str]) -> Any:
    """Fire the page's refresh callback as the browser does; the JSON answer."""
    ids = ("diff-from", "diff-to", "diff-window")
    inputs = [(i, "value", v) for i, v in zip(ids, controls, strict=True)]
    inputs.append(("shell-snapshot-version", "data", 2))
    return refresh_page(app, "diff", inputs, trigger, shown)


def test_inputs_rewrite_the_query_leaving_defaults_out(shop_app: Dash) -> None:
    answer = _refresh(
        shop_app, "diff-from.value", [" 2026-03-01T10:15 ", "2026-03-01T11:00Z", "5m"], {}
    )
    assert answer["diff-query"]["data"] == {"from": "2026-03-01T10:15Z"}
    _, by_id, _ = _walk(json.dumps(answer["diff-body"]["children"]))
    assert by_id["diff-sides"].startswith("10:10\u201310:15 UTC → 10:55\u201311:00 UTC")

    # A typo is kept in the URL as typed, and said.
    answer = _refresh(shop_app, "diff-to.value", ["2026-03-01T10:15Z", "noon", "5m"], {})
    assert answer["diff-query"]["data"]["to"] == "noon"
    _, by_id, _ = _walk(json.dumps(answer["diff-body"]["children"]))
    assert "to 'noon' is not a UTC time" in by_id["diff-problem-0"]

    # Live mode: the shown query wins over the inputs.
    shown = {"window": "1m"}
    answer = _refresh(shop_app, "shell-snapshot-version.data", ["", "", "5m"], shown)
    assert answer["diff-query"]["data"] == shown
    _, by_id, _ = _walk(json.dumps(answer["diff-body"]["children"]))
    assert by_id["diff-sides"].startswith("09:59\u201310:00 UTC → 10:59\u201311:00 UTC")


def test_the_demo_page_shows_the_ratings_rollout(demo: Snapshot) -> None:
    app = create_app(Settings(), demo)
    body = render_page(app, "/diff", "?from=2026-11-24T06:30Z&to=2026-11-24T07:10Z")
    rows, _, links = _walk(body)
    assert any(row.startswith("bookinfo/ratings-v1 | error ratio 0% → 5") for row in rows)
    assert (
        "/topology?collapse=none&focus=workload%3AKubernetes%2Fbookinfo%2Fratings-v1"
        "&selected=workload%3AKubernetes%2Fbookinfo%2Fratings-v1&window=5m"
        "&end=2026-11-24T07%3A10Z"
    ) in links
