"""The Triage page: its URL state, its links, the incident subgraph, and the page on the demo."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from app_requests import components, refresh_page, render_page, shell_layout, text_of
from dash import Dash
from triage_graphs import Fault, Platform, snapshot_of

import dashboard.components.triage_cache as triage_cache_module
from collectors.model import Snapshot, SnapshotMeta
from dashboard.analysis.callgraph import CallGraph
from dashboard.analysis.incidents import ActorEpisode, Incident
from dashboard.analysis.rootcause import Candidate
from dashboard.analysis.triage import Triage, TriagedIncident, triage
from dashboard.app import PROVIDER_KEY, create_app
from dashboard.components.triage_cache import TriageCache
from dashboard.components.triage_state import (
    TriageQuery,
    incident_window,
    overlapping,
    parse_query,
    query_after,
    query_values,
    select,
    topology_href,
    triage_href,
)
from dashboard.components.triage_words import span_text
from dashboard.figures.incident_graph import incident_elements, incident_subgraph
from dashboard.settings import Settings
from dashboard.topology.projection import GraphType

END = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
META = SnapshotMeta(END - timedelta(hours=6), END, 15, 600, END, "test")
ADSERVICE = "workload:Kubernetes/boutique/adservice"
ADSERVICE_TOPOLOGY = (
    "/topology?collapse=none&focus=workload%3AKubernetes%2Fboutique%2Fadservice"
    "&selected=workload%3AKubernetes%2Fboutique%2Fadservice&hops=2"
)


def _found(node: str, start: datetime, end: datetime | None) -> TriagedIncident:
    incident = Incident(
        id="",
        start=start,
        end=end,
        first=0,
        last=0,
        members=(ActorEpisode(node, 0, 0, end is None, ()),),
        entry_points=(),
        severity="major",
        peak_error_ratio=0.1,
        peak_latency_factor=1.0,
    )
    return TriagedIncident(incident, [Candidate(node, 0.9, ())], {})


# The URL's state, pure.


def test_a_link_reads_back_as_the_same_query() -> None:
    asked = {"incident": "20261124T1110-adservice", "window": "1h", "end": "2026-11-24T11:30Z"}
    query, problems = parse_query({**asked, "hops": "3", "focus": "ignored"})
    assert problems == []
    assert query == TriageQuery("20261124T1110-adservice", "1h", "2026-11-24T11:30Z", 3)
    assert query_values(query) == {**asked, "hops": "3"}
    assert query_values(parse_query({"hops": "2"})[0]) == {}  # the default is left out
    # A key repeated in the URL arrives from Dash Pages as a list: the last one wins.
    assert parse_query({"hops": ["1", "4"]})[0].hops == 4
    assert parse_query({"hops": "999"})[0].hops == 10


def test_hostile_values_fall_back_to_defaults_with_one_line_each() -> None:
    query, problems = parse_query({"incident": "\x00<script>", "window": "-5m", "hops": "x"})
    assert query == TriageQuery()
    assert problems == [
        "ignored incident '\\x00<script>': not an incident id (such as 20261124T1110-adservice); "
        "showing the newest incident",
        "ignored window '-5m': expected a duration such as 30m, 1h or 6h, or all; "
        "showing the whole snapshot",
        "ignored hops 'x': expected a number from 0 to 10",
    ]
    assert parse_query({"end": "x" * 301}) == (
        TriageQuery(),
        ["ignored end: longer than 300 characters"],
    )
    assert parse_query({"window": "9" * 40})[0].window == ""


def test_the_window_defaults_to_the_whole_snapshot_and_ends_where_asked() -> None:
    assert incident_window(TriageQuery(), META) == (None, [])
    hour, notes = incident_window(TriageQuery(window="1h"), META)
    assert notes == [] and hour is not None
    assert (hour.start, hour.end, hour.latest) == (END - timedelta(hours=1), END, True)
    earlier, _ = incident_window(TriageQuery(window="30m", end="2026-11-24T08:30Z"), META)
    assert earlier is not None
    assert (earlier.start, earlier.end) == (
        END - timedelta(hours=4),
        END - timedelta(hours=3.5),
    )
    # As long as the snapshot's rate window: still a window of its own, not the whole snapshot.
    rates, _ = incident_window(TriageQuery(window="10m"), META)
    assert rates is not None and rates.start == END - timedelta(minutes=10)
    late, notes = incident_window(TriageQuery(end="yesterday"), META)
    assert late is not None and late.end == END
    assert notes == [
        'End time "yesterday" is not a UTC time like 2026-11-24T07:30Z; showing up to 12:00 UTC.'
    ]


def test_incidents_overlapping_the_window_and_the_one_opened() -> None:
    ended = _found("workload:K/shop/db", END - timedelta(hours=5), END - timedelta(hours=4))
    ongoing = _found("workload:K/shop/api", END - timedelta(hours=1), None)
    incidents = [ongoing, ended]
    last_hour, _ = incident_window(TriageQuery(window="1h"), META)
    around_ended, _ = incident_window(TriageQuery(window="30m", end="2026-11-24T08:10Z"), META)
    assert overlapping(incidents, None, END) == incidents
    assert overlapping(incidents, last_hour, END) == [ongoing]
    assert overlapping(incidents, around_ended, END) == [ended]  # ended 08:00, window from 07:40

    assert select(incidents, "") == (ongoing, None)
    assert ended.id == "20261124T0700-db"
    assert select(incidents, "20261124T0700-db") == (ended, None)
    assert select([ongoing], "20261124T0700-db") == (
        None,
        "Incident 20261124T0700-db is not in this window: pick one from the list.",
    )
    assert select([], "") == (None, None)
    assert span_text(ongoing.incident, END) == "since 11:00 UTC, ongoing (60 min)"
    assert span_text(ended.incident, END) == "07:00 to 08:00 UTC (60 min)"


def test_links_open_topology_focused_and_keep_the_triage_query() -> None:
    assert topology_href(ADSERVICE, hops=2) == ADSERVICE_TOPOLOGY
    service = topology_href("service:Kubernetes/bookinfo/details", hops=0, graph=GraphType.SERVICE)
    assert service == (
        "/topology?graph=service&collapse=none&focus=service%3AKubernetes%2Fbookinfo%2Fdetails"
        "&selected=service%3AKubernetes%2Fbookinfo%2Fdetails&hops=0"
    )
    query = TriageQuery("20261124T1110-adservice", window="1h", hops=3)
    assert triage_href(query, "20261124T0922-details-v1") == (
        "/triage?incident=20261124T0922-details-v1&window=1h&hops=3"
    )


def test_a_picked_window_redraws_and_drops_end_while_a_new_snapshot_keeps_the_query() -> None:
    shown = {"incident": "20261124T1110-adservice", "window": "1h", "end": "2026-11-24T11:00Z"}
    assert query_after("shell-snapshot-version", "6h", shown) == shown
    assert query_after("shell-window", "1h", shown) is None  # the picker showing the URL
    assert query_after("shell-window", "3h", shown) == {
        "incident": "20261124T1110-adservice",
        "window": "3h",
    }
    assert query_after("shell-window", "", shown) == {"incident": "20261124T1110-adservice"}
    assert query_after("shell-window", None, {}) is None


# The incident's subgraph.


def test_the_subgraph_joins_entry_points_to_the_incident_and_keeps_suspects_first() -> None:
    graph = CallGraph()
    for source, target in [("gw", "front"), ("front", "cart"), ("cart", "redis"),
                           ("cart", "cart"), ("front", "ads"), ("ads", "redis")]:  # fmt: skip
        graph.add_call(source, target, f"{source}->{target}")
    incident = Incident("", END, None, 0, 0, (ActorEpisode("cart", 0, 0, True, ()),),
                        ("gw",), "major", 0.1, 1.0)  # fmt: skip
    found = TriagedIncident(incident, [Candidate("redis", 0.7, ()), Candidate("cart", 0.4, ())],
                            {"front": 1})  # fmt: skip
    picture = incident_subgraph(graph, found)
    assert picture.nodes == ("redis", "cart", "gw", "front")  # ads is on no path from gw
    assert picture.edges == (("cart", "redis"), ("front", "cart"), ("gw", "front"))  # no self-call
    assert picture.left_out == 0
    small = incident_subgraph(graph, found, limit=2)
    assert (small.nodes, small.edges, small.left_out) == (
        ("redis", "cart"),
        (("cart", "redis"),),
        2,
    )


@pytest.fixture(scope="module")
def demo_triage(demo: Snapshot) -> Triage:
    return triage(demo)


def test_the_demo_crash_loop_draws_adservice_as_suspect_one(demo_triage: Triage) -> None:
    elements = incident_elements(demo_triage.analysis, demo_triage.incidents[0])
    classes = {e["data"]["id"]: set(e["classes"].split()) for e in elements}
    assert classes[ADSERVICE] == {"workload", "member", "suspect", "top"}
    assert classes["workload:Kubernetes/boutique/frontend"] == {"workload", "member", "suspect"}
    assert classes["workload:Kubernetes/istio-system/istio-ingressgateway"] == {"workload", "entry"}
    assert "anomalous" in classes[f"workload:Kubernetes/boutique/frontend->{ADSERVICE}"]
    top = next(e for e in elements if e["data"]["id"] == ADSERVICE)
    assert top["data"]["label"] == "boutique/adservice\nsuspect #1"
    # Callers left of what they call: the gateway, then frontend, then adservice.
    x = {e["data"]["id"]: e["position"]["x"] for e in elements if "position" in e}
    assert (
        x["workload:Kubernetes/istio-system/istio-ingressgateway"]
        < x["workload:Kubernetes/boutique/frontend"]
        < x[ADSERVICE]
    )


# The page, served in-process.


def _notes(found: dict[str, dict[str, Any]]) -> list[str]:
    return [text_of(found[key]) for key in sorted(found) if key.startswith("triage-note-")]


def _listed(found: dict[str, dict[str, Any]]) -> list[tuple[str, str, bool]]:
    """(title, href, active) of each incident in the list, in order."""
    items = []
    for number in range(len(found)):
        item = found.get(f"triage-incident-{number}")
        if item is None:
            break
        title = text_of(next(c for c in item["props"]["children"][0]["props"]["children"]
                           if c.get("type") == "Strong"))  # fmt: skip
        items.append((title, item["props"]["href"], bool(item["props"].get("active"))))
    return items


@pytest.fixture(scope="module")
def demo_app(demo: Snapshot) -> Dash:
    return create_app(Settings(), demo)


def test_the_list_shows_every_demo_incident_newest_first_the_first_one_open(
    demo_app: Dash,
) -> None:
    found = components(render_page(demo_app, "/triage"))
    assert text_of(found["triage-summary"]) == (
        "5 incidents in 2026-11-24 06:00 to 12:00 UTC, 3 ongoing (newest first)"
    )
    assert _listed(found) == [
        ("boutique/adservice: errors", "/triage?incident=20261124T1110-adservice", True),
        ("ml-platform/recommender-predictor: errors, latency",
         "/triage?incident=20261124T1029-recommender-predictor", False),
        ("bookinfo/details-v1: errors", "/triage?incident=20261124T0922-details-v1", False),
        ("boutique/redis-cart: errors, latency", "/triage?incident=20261124T0759-redis-cart",
         False),
        ("bookinfo/ratings-v1: errors", "/triage?incident=20261124T0645-ratings-v1", False),
    ]  # fmt: skip
    first = text_of(found["triage-incident-0"])
    assert "CRITICAL" in first.upper() and "ongoing" in first and "since 11:10 UTC" in first
    assert "entry points affected: unknown/unknown, istio-system/istio-ingressgateway" in first
    assert "07:59 to 09:09 UTC (70 min)" in text_of(found["triage-incident-3"])
    assert "ongoing" not in text_of(found["triage-incident-3"])

    # The newest incident is open: the crash loop, its evidence and the link to Topology.
    assert "boutique/adservice: errors" in text_of(found["triage-incident-title"])
    top = text_of(found["triage-cause-1"])
    assert top.startswith("1. boutique/adservice")
    assert "error ratio up 84.8% over its baseline 0.0%" in top
    assert "container server crash-loops: 12 restarts, last exit OOMKilled" in top
    assert found["triage-top-cause-topology"]["props"]["href"] == ADSERVICE_TOPOLOGY
    assert text_of(found["triage-impacted"]) == (
        "boutique/frontend  (1 hop) unknown/unknown  (2 hops) "
        "istio-system/istio-ingressgateway  (2 hops)"
    )
    rows = text_of(found["triage-timeline"])
    assert "11:09 restart Pod boutique/adservice-" in rows
    assert "11:10 onset boutique/adservice: errors anomalous" in rows
    assert '"Triage"' in shell_layout(demo_app)  # in the navigation


def test_a_link_opens_the_fault_injection_with_its_config_change(demo_app: Dash) -> None:
    found = components(render_page(demo_app, "/triage", "?incident=20261124T0922-details-v1"))
    assert _notes(found) == []
    assert [active for _, _, active in _listed(found)] == [False, False, True, False, False]
    top = text_of(found["triage-cause-1"])
    assert top.startswith("1. bookinfo/details-v1")
    assert "config: VirtualService bookinfo/details: VirtualService bookinfo/details created" in top
    assert "IST005 VirtualService bookinfo/details: http[0] injects abort 555" in top
    assert found["triage-top-cause-topology"]["props"]["href"] == (
        "/topology?collapse=none&focus=workload%3AKubernetes%2Fbookinfo%2Fdetails-v1"
        "&selected=workload%3AKubernetes%2Fbookinfo%2Fdetails-v1&hops=2"
    )
    rows = text_of(found["triage-timeline"])
    assert (
        "09:21 config VirtualService bookinfo/details: VirtualService bookinfo/details created"
        in (rows)
    )
    assert text_of(found["triage-entry-points"]) == "istio-system/istio-ingressgateway"

    # The heatmaps: the services involved, marked at the config change and the onset.
    errors = found["triage-heatmap-errors"]["props"]["figure"]
    assert errors["data"][0]["y"] == ["bookinfo/details", "bookinfo/productpage"]
    assert [a["text"] for a in errors["layout"]["annotations"]] == ["config", "onset"]
    assert errors["data"][0]["x"][0].startswith("2026-11-24T08:52")  # 30 min before the onset
    graph = found["triage-graph"]["props"]["elements"]
    top_node = [e["data"]["id"] for e in graph if "top" in e.get("classes", "").split()]
    assert top_node == ["workload:Kubernetes/bookinfo/details-v1"]


def test_window_and_hops_narrow_the_list_and_reach_the_links(demo_app: Dash) -> None:
    found = components(render_page(demo_app, "/triage", "?window=30m&end=2026-11-24T08:30Z&hops=3"))
    assert _notes(found) == []
    assert (
        text_of(found["triage-summary"])
        == "1 incident in 08:00\u201308:30 UTC, 0 ongoing (newest first)"
    )
    assert _listed(found) == [
        ("boutique/redis-cart: errors, latency",
         "/triage?incident=20261124T0759-redis-cart&window=30m&end=2026-11-24T08%3A30Z&hops=3",
         True),
    ]  # fmt: skip
    assert found["triage-top-cause-topology"]["props"]["href"].endswith("&hops=3")
    assert text_of(found["triage-hotspots"]).startswith("Hotspots at 08:30 UTC")
    assert "boutique/cartservice" in text_of(found["triage-hotspot-table"])


def test_hostile_links_get_one_line_notes_and_the_defaults(demo_app: Dash) -> None:
    found = components(render_page(demo_app, "/triage", "?incident=%00<script>&window=-5m&hops=x"))
    assert _notes(found) == [
        "ignored incident '\\x00<script>': not an incident id (such as 20261124T1110-adservice); "
        "showing the newest incident",
        "ignored window '-5m': expected a duration such as 30m, 1h or 6h, or all; "
        "showing the whole snapshot",
        "ignored hops 'x': expected a number from 0 to 10",
    ]
    assert len(_listed(found)) == 5
    assert found["triage-top-cause-topology"]["props"]["href"] == ADSERVICE_TOPOLOGY

    found = components(render_page(demo_app, "/triage", "?incident=20261124T0000-gone"))
    assert _notes(found) == [
        "Incident 20261124T0000-gone is not in this window: pick one from the list."
    ]
    assert len(_listed(found)) == 5
    assert not any(active for _, _, active in _listed(found))
    assert "triage-incident-title" not in found

    found = components(render_page(demo_app, "/triage", "?end=%3Cb%3E&window=" + "9" * 5000))
    assert _notes(found) == [
        "ignored window: longer than 300 characters",
        'End time "<b>" is not a UTC time like 2026-11-24T07:30Z; showing up to 12:00 UTC.',
    ]
    assert len(_listed(found)) == 5  # the whole snapshot: the end falls back to its end


def test_hotspots_link_each_to_topology(demo_app: Dash) -> None:
    found = components(render_page(demo_app, "/triage"))
    assert text_of(found["triage-hotspots"]).startswith("Hotspots now")
    first = found["triage-hotspot-0-topology"]
    assert text_of(first) == "boutique/frontend → boutique/adservice"
    assert first["props"]["href"] == ADSERVICE_TOPOLOGY  # a call opens on its callee
    service = next(
        component
        for key, component in found.items()
        if key.startswith("triage-hotspot-")
        and text_of(component) == "boutique/adservice"
        and "graph=service" in component["props"]["href"]
    )
    assert "focus=service%3AKubernetes%2Fboutique%2Fadservice" in service["props"]["href"]


def _refresh(app: Dash, trigger: str, window: str, shown: dict[str, str]) -> dict[str, Any]:
    """Fire the page's refresh callback as the browser does; the JSON answer."""
    inputs = [("shell-snapshot-version", "data", 1), ("shell-window", "value", window)]
    return refresh_page(app, "triage", inputs, trigger, shown)


def test_a_quiet_snapshot_says_so_and_live_mode_shows_the_new_incident(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    runs: list[Snapshot] = []
    real = triage_cache_module.triage

    def counted(snapshot: Snapshot) -> Triage:
        runs.append(snapshot)
        return real(snapshot)

    monkeypatch.setattr(triage_cache_module, "triage", counted)
    quiet = snapshot_of(Platform([("front", "api"), ("api", "db")]))
    app = create_app(Settings(), quiet)
    found = components(render_page(app, "/triage"))
    assert (
        text_of(found["triage-no-incidents"])
        == "No incidents: every service is within its baseline."
    )
    assert text_of(found["triage-summary"]).startswith("0 incidents in")
    assert "triage-incident-title" not in found
    render_page(app, "/triage", "?window=1h")
    assert runs == [quiet]  # once per snapshot, not per request

    failing = snapshot_of(Platform([("front", "api"), ("api", "db")], faults={"db": Fault(0.3)}))
    app.server.config[PROVIDER_KEY].replace(failing)
    answer = _refresh(app, "shell-snapshot-version.data", "1h", {"window": "1h"})
    assert answer["triage-query"]["data"] == {"window": "1h"}
    redrawn = components(json.dumps(answer["triage-body"]["children"]))
    assert _listed(redrawn) == [("shop/db: errors", "/triage?incident=20261124T1121-db&window=1h",
                                 True)]  # fmt: skip
    assert text_of(redrawn["triage-cause-1"]).startswith("1. shop/db")
    # Telemetry alone (no selectors): the heatmaps still find the services called.
    heatmap = redrawn["triage-heatmap-errors"]["props"]["figure"]
    assert sorted(heatmap["data"][0]["y"]) == ["shop/api", "shop/db"]
    assert runs == [quiet, failing]

    answer = _refresh(app, "shell-window.value", "all", {"window": "1h"})
    assert answer["triage-query"]["data"] == {"window": "all"}
    assert runs == [quiet, failing]


def test_the_cache_keeps_one_result_per_snapshot(demo: Snapshot) -> None:
    cache = TriageCache(snapshots=1)
    first = cache.triage(demo)
    assert cache.triage(demo) is first
    assert cache.hotspots(demo) is cache.hotspots(demo)
    quiet = snapshot_of(Platform([("front", "api")]))
    assert cache.triage(quiet).incidents == []
    assert cache.triage(demo) is not first  # the quiet snapshot pushed the demo's result out
