"""The dashboard app served in-process: pages answer, the shell shows the source."""

from __future__ import annotations

from datetime import timedelta

import pytest
from app_requests import render_page
from dash import Dash

from collectors.model import Snapshot
from dashboard.app import BOOTSTRAP_URL, create_app
from dashboard.settings import Settings
from dashboard.summary import freshness


@pytest.fixture(scope="module")
def app(demo: Snapshot) -> Dash:
    return create_app(Settings(), demo)


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
    body = render_page(app, "/overview")
    for namespace in ("boutique", "bookinfo", "istio-system", "ml-platform"):
        assert namespace in body
    assert demo.incidents[0].summary in body


def test_topology_page_draws_the_view_a_link_describes(app: Dash) -> None:
    body = render_page(app, "/topology", "?graph=app&selected=app:Kubernetes/bookinfo/ratings")
    assert '"id": "app:Kubernetes/bookinfo/ratings"' in body
    assert "workload:Kubernetes/bookinfo/reviews-v2" not in body  # merged into the reviews app
    assert "Callers" in body and "reviews" in body  # the side panel of the selection


def test_hostile_topology_links_get_one_line_notices_not_errors(app: Dash) -> None:
    hostile = (
        "?graph=%3Cscript%3Ealert(1)%3C/script%3E&hops=99999999999999999999&layout=cola"
        "&find=((((&hide=" + "x" * 5000 + "&window=9999999999h&end=yesterday&focus=%00"
        "&selected=../../etc/passwd&collapse=,,,"
    )
    body = render_page(app, "/topology", hostile)
    assert "ignored graph" in body and "ignored layout" in body and "ignored hide" in body
    assert "find: expected a condition after" in body
    # Quoted back only as the text of an alert (React escapes text), cut to 40 characters.
    assert "ignored graph '<script>alert(1)</script>': expected one of" in body
    assert '"id": "workload:Kubernetes/bookinfo/ratings-v1"' in body  # the graph still draws


def test_the_source_badge_says_how_old_the_data_is(demo: Snapshot) -> None:
    end = demo.meta.end
    assert freshness(demo.meta, end + timedelta(hours=8, minutes=5, seconds=20)) == (
        f"data until {end:%Y-%m-%d} 12:00 UTC, 8 h 5 min ago"
    )
    assert freshness(demo.meta, end + timedelta(seconds=30)).endswith("just now")
    assert "check the clocks" in freshness(demo.meta, end - timedelta(hours=1))
