"""The topology side panel's data: details of a clicked node, edge or box.

A small shop by hand (an edge gateway, web, two api versions, a TCP database) with series whose
sums are worked out in the comments, then the demo platform.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest

from collectors.ids import node_id
from collectors.kinds import EdgeKind, Health, NodeFlag, NodeKind, Protocol, SourceState
from collectors.model import Edge, Node, Snapshot, SnapshotMeta, SourceStatus, TrafficStats
from collectors.response_flags import RESPONSE_FLAGS
from collectors.sources.manifests import load_manifests
from collectors.sources.objects import objects_snapshot
from dashboard.topology.details import (
    Details,
    element_details,
    grpc_status_name,
    http_code_meaning,
)
from dashboard.topology.projection import GraphType, TopologyView, project

K = "Kubernetes"
GATEWAY = node_id(NodeKind.WORKLOAD, "gateway", "edge")
WEB = node_id(NodeKind.WORKLOAD, "web-v1", "shop")
API_V1 = node_id(NodeKind.WORKLOAD, "api-v1", "shop")
API_V2 = node_id(NodeKind.WORKLOAD, "api-v2", "shop")  # no node series of its own
DB = node_id(NodeKind.WORKLOAD, "db", "shop")
BATCH = node_id(NodeKind.WORKLOAD, "batch", "shop")
WEB_SVC = node_id(NodeKind.SERVICE, "web", "shop")
WEB_ALT_SVC = node_id(NodeKind.SERVICE, "web-alt", "shop")  # a second service in front of web
API_SVC = node_id(NodeKind.SERVICE, "api", "shop")
DB_SVC = node_id(NodeKind.SERVICE, "db", "shop")
LEGACY_SVC = node_id(NodeKind.SERVICE, "legacy", "shop")

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
STAMPS = [T0 + timedelta(seconds=15 * i) for i in range(4)]


def _calls(source: str, target: str, service: str, protocol: Protocol) -> str:
    return Edge(source, target, EdgeKind.CALLS, protocol, service).id


E_GATEWAY_WEB = _calls(GATEWAY, WEB, WEB_SVC, Protocol.HTTP)
E_GATEWAY_WEB_ALT = _calls(GATEWAY, WEB, WEB_ALT_SVC, Protocol.HTTP)
E_GATEWAY_WEB_TCP = _calls(GATEWAY, WEB, WEB_SVC, Protocol.TCP)  # a websocket, say
E_WEB_API_V1 = _calls(WEB, API_V1, API_SVC, Protocol.GRPC)
E_WEB_API_V2 = _calls(WEB, API_V2, API_SVC, Protocol.GRPC)
E_API_V1_DB = _calls(API_V1, DB, DB_SVC, Protocol.TCP)
E_API_V2_DB = _calls(API_V2, DB, DB_SVC, Protocol.TCP)

SERIES: dict[str, dict[str, list[float]]] = {
    WEB: {
        "request_rate": [10, 10, 12, 8],
        "error_rate": [1, 0, 2, 1],
        "p95_ms": [100, 110, 120, 90],
    },
    API_V1: {"request_rate": [4, 4, 4, 4], "error_rate": [1, 1, 1, 1], "p95_ms": [50, 60, 70, 80]},
    E_GATEWAY_WEB: {"request_rate": [10, 10, 12, 8], "p95_ms": [105, 115, 125, 95]},
    E_GATEWAY_WEB_TCP: {"throughput": [50, 50, 50, 50]},
    E_WEB_API_V1: {"request_rate": [4, 4, 4, 4], "error_rate": [1, 1, 1, 1], "p95_ms": [40] * 4},
    E_WEB_API_V2: {
        "request_rate": [6, 5, 6, 7],
        "error_rate": [0.5, 0, 0, 0.5],
        "p95_ms": [200, 20, 30, 40],
    },
    E_API_V1_DB: {"throughput": [500, 500, 500, 500]},
    E_API_V2_DB: {"throughput": [100, 200, 300, 400]},
}


def _workload(ident: str, app: str = "", version: str = "", **extra: object) -> Node:
    name, namespace = ident.rsplit("/", 1)[1], ident.split("/")[1]
    node = Node(ident, NodeKind.WORKLOAD, name, namespace, app=app, version=version)
    for field_name, value in extra.items():
        setattr(node, field_name, value)
    return node


def shop() -> Snapshot:
    """The hand-made shop; rates in the comments are what the panel must show."""
    meta = SnapshotMeta(T0, T0 + timedelta(seconds=45), 15, 600, T0, "hand-made")
    snap = Snapshot(meta=meta)
    web_inbound = TrafficStats(
        request_rate=10.0,
        error_rate=1.0,
        rate_4xx=0.5,
        rate_5xx=0.5,  # response code 0 counts as a server error
        response_codes={"200": 8.0, "301": 1.0, "0": 0.5, "404": 0.5, "503": 0.0},
        response_flags={"UF": 0.5},
    )
    snap.add_node(_workload(GATEWAY, "gateway", flags={NodeFlag.ENTRY_POINT}))
    snap.add_node(_workload(WEB, "web", "v1", inbound=web_inbound, health=Health.DEGRADED))
    snap.add_node(_workload(API_V1, "api", "v1", health=Health.FAILURE))
    snap.add_node(_workload(API_V2, "api", "v2", health=Health.HEALTHY))
    snap.add_node(_workload(DB, flags={NodeFlag.MISSING_SIDECAR}, health=Health.HEALTHY))
    snap.add_node(_workload(BATCH, flags={NodeFlag.IDLE}))
    for service in (WEB_SVC, WEB_ALT_SVC, API_SVC, DB_SVC):
        snap.add_node(Node(service, NodeKind.SERVICE, service.rsplit("/", 1)[1], "shop"))
    snap.add_node(Node(LEGACY_SVC, NodeKind.SERVICE, "legacy", "shop", flags={NodeFlag.DEAD}))

    def call(source: str, target: str, service: str, protocol: Protocol, **stats: object) -> None:
        traffic = TrafficStats(mtls_ratio=1.0)
        for name, value in stats.items():
            setattr(traffic, name, value)
        snap.add_edge(Edge(source, target, EdgeKind.CALLS, protocol, service, traffic))

    http, grpc, tcp = Protocol.HTTP, Protocol.GRPC, Protocol.TCP
    call(GATEWAY, WEB, WEB_SVC, http, request_rate=10.0, error_rate=1.0, rate_5xx=1.0)
    call(GATEWAY, WEB, WEB_ALT_SVC, http, request_rate=2.0)
    call(GATEWAY, WEB, WEB_SVC, tcp, bytes_to_destination=20.0, bytes_to_source=30.0)
    call(
        WEB,
        API_V1,
        API_SVC,
        grpc,
        request_rate=4.0,
        error_rate=1.0,
        grpc_error_rate=1.0,
        response_codes={"200": 4.0},
        grpc_statuses={"0": 3.0, "14": 1.0},
    )
    call(
        WEB,
        API_V2,
        API_SVC,
        grpc,
        request_rate=6.0,
        error_rate=0.5,
        grpc_error_rate=0.5,
        response_codes={"200": 6.0},
        grpc_statuses={"0": 5.5, "4": 0.5},
    )
    call(API_V1, DB, DB_SVC, tcp, bytes_to_destination=100.0, bytes_to_source=400.0)
    call(API_V2, DB, DB_SVC, tcp, bytes_to_destination=50.0, bytes_to_source=50.0, mtls_ratio=None)
    rows = [
        (entity, metric, stamp, float(value))
        for entity, metrics in SERIES.items()
        for metric, values in metrics.items()
        for stamp, value in zip(STAMPS, values, strict=True)
    ]
    frame = pd.DataFrame(rows, columns=["entity", "metric", "timestamp", "value"])
    frame["entity"] = frame["entity"].astype("category")
    frame["metric"] = frame["metric"].astype("category")
    frame["timestamp"] = pd.to_datetime(frame["timestamp"], utc=True)
    snap.series = frame
    return snap


def _details(snap: Snapshot, view: TopologyView, element_id: str, **kwargs: object) -> Details:
    found = element_details(snap, view, element_id, **kwargs)  # type: ignore[arg-type]
    assert found is not None
    return found


def _metric(details: Details, metric: str) -> list[float]:
    rows = details.series[details.series["metric"] == metric]
    assert list(rows["timestamp"]) == sorted(rows["timestamp"])
    return [float(value) for value in rows["value"]]


def test_node_lists_callers_and_callees_busiest_first() -> None:
    snap = shop()
    web = _details(snap, project(snap, GraphType.WORKLOAD), WEB)

    assert (web.element, web.title, web.subtitle) == ("node", "web-v1", "workload in shop")
    assert web.health is Health.DEGRADED
    # Both gateway calls (through web and web-alt) are one view edge: 10 + 2 rps.
    assert [(one.id, one.protocol, one.rps) for one in web.callers] == [
        (GATEWAY, "http", 12.0),
        (GATEWAY, "tcp", 0.0),
    ]
    assert web.callers[0].error_pct == pytest.approx(100 * 1.0 / 12.0)
    assert [(one.label, one.rps, one.protocol) for one in web.callees] == [
        ("api-v2", 6.0, "grpc"),
        ("api-v1", 4.0, "grpc"),
    ]
    assert web.callees[1].error_pct == pytest.approx(25.0)
    assert web.callees[1].health is Health.FAILURE  # 25% gRPC errors on the call
    assert web.stats is snap.node(WEB).inbound


def test_response_codes_say_what_they_mean_and_drop_silent_codes() -> None:
    snap = shop()
    web = _details(snap, project(snap, GraphType.WORKLOAD), WEB)

    assert [(row.code, row.share, row.meaning) for row in web.codes] == [
        ("200", 0.8, "success: OK"),
        ("301", 0.1, "redirect (not an error): Moved Permanently"),
        ("0", 0.05, "no response (connection failed or reset)"),
        ("404", 0.05, "client error: Not Found"),
    ]  # "503" ran at 0 rps in the rate window: not listed
    assert [(row.flag, row.rps, row.share) for row in web.response_flags] == [("UF", 0.5, 0.05)]
    assert web.response_flags[0].explanation == "could not connect to the upstream"


@pytest.mark.parametrize(
    ("code", "meaning"),
    [
        ("302", "redirect (not an error): Found"),
        ("555", "server error"),  # fault injection's code has no standard name
        ("000", "no response (connection failed or reset)"),
        ("-", "not an HTTP status"),
        ("²", "not an HTTP status"),
        ("1234", "not an HTTP status"),
        ("700", "not an HTTP status"),
    ],
)
def test_http_code_meanings(code: str, meaning: str) -> None:
    assert http_code_meaning(code) == meaning


@pytest.mark.parametrize(
    ("status", "name"),
    [
        ("0", "0 OK"),
        ("4", "4 DEADLINE_EXCEEDED"),
        ("14", "14 UNAVAILABLE"),
        ("16", "16 UNAUTHENTICATED"),
        ("17", "17 (not a gRPC status)"),
        ("OK", "OK (not a gRPC status)"),
    ],
)
def test_grpc_status_names(status: str, name: str) -> None:
    assert grpc_status_name(status) == name


def test_edge_details_name_grpc_statuses_and_mtls() -> None:
    snap = shop()
    view = project(snap, GraphType.WORKLOAD)
    edge = _details(snap, view, f"{WEB}->{API_V1}#grpc")

    assert (edge.element, edge.title, edge.subtitle) == ("edge", "web-v1 → api-v1", "gRPC · mTLS")
    assert [(row.meaning, row.share) for row in edge.grpc_statuses] == [
        ("0 OK", 0.75),
        ("14 UNAVAILABLE", 0.25),
    ]
    assert edge.members == (E_WEB_API_V1,)
    assert _metric(edge, "request_rate") == [4, 4, 4, 4]
    assert _metric(edge, "p95_ms") == [40, 40, 40, 40]
    assert edge.callers == edge.callees == ()


def test_merged_edge_sums_series_and_takes_the_worst_p95() -> None:
    snap = shop()
    edge = _details(snap, project(snap, GraphType.APP), f"app:{K}/shop/web->app:{K}/shop/api#grpc")

    assert [row.meaning for row in edge.grpc_statuses] == [
        "0 OK",  # 3 + 5.5
        "14 UNAVAILABLE",
        "4 DEADLINE_EXCEEDED",
    ]
    assert "merges 2 call edges" in edge.notes
    assert _metric(edge, "request_rate") == [10, 9, 10, 11]  # 4 + 6, 4 + 5, 4 + 6, 4 + 7
    assert _metric(edge, "error_rate") == [1.5, 1, 1, 1.5]
    assert _metric(edge, "p95_ms") == [200, 40, 40, 40]  # max, never a sum


def test_node_series_are_its_own_plus_the_bytes_of_calls_into_it() -> None:
    snap = shop()
    web = _details(snap, project(snap, GraphType.WORKLOAD), WEB)

    assert _metric(web, "request_rate") == [10, 10, 12, 8]
    assert _metric(web, "error_rate") == [1, 0, 2, 1]
    assert _metric(web, "p95_ms") == [100, 110, 120, 90]  # its own, not the caller's 105...
    assert _metric(web, "throughput") == [50, 50, 50, 50]  # node series carry no bytes
    assert not any(note.startswith("series:") for note in web.notes)


def test_app_node_stands_in_calls_for_the_member_without_series() -> None:
    snap = shop()
    api = _details(snap, project(snap, GraphType.APP), f"app:{K}/shop/api")

    assert api.members == (API_V1, API_V2)
    assert "merges 2 workloads" in api.notes
    # api-v1's own series plus the calls into api-v2 (which has none); not web -> api-v1 again.
    assert _metric(api, "request_rate") == [10, 9, 10, 11]
    assert _metric(api, "error_rate") == [1.5, 1, 1, 1.5]
    assert _metric(api, "p95_ms") == [200, 60, 70, 80]
    assert any("stand in" in note for note in api.notes)


def test_service_node_sums_the_calls_into_it_once() -> None:
    snap = shop()
    view = project(snap, GraphType.SERVICE)
    api = _details(snap, view, API_SVC)

    # web-v1 sits behind two services, so two view edges carry the same two calls.
    assert {one.id for one in api.callers} == {WEB_SVC, WEB_ALT_SVC}
    assert _metric(api, "request_rate") == [10, 9, 10, 11]  # not doubled
    assert _metric(api, "p95_ms") == [200, 40, 40, 40]
    assert "series: the calls into it (it has no series of its own)" in api.notes


def test_tcp_node_shows_throughput_of_the_calls_into_it() -> None:
    snap = shop()
    db = _details(snap, project(snap, GraphType.WORKLOAD), DB)

    assert _metric(db, "throughput") == [600, 700, 800, 900]
    assert _metric(db, "request_rate") == []
    # No requests: the bigger TCP caller comes first.
    assert [(one.id, one.rps, one.throughput, one.error_pct) for one in db.callers] == [
        (API_V1, 0.0, 500.0, 0.0),
        (API_V2, 0.0, 100.0, 0.0),
    ]
    assert any("no latency histogram for TCP" in note for note in db.notes)
    assert db.flags == (
        ("missing_sidecar", "pods run without the Istio sidecar: no telemetry or mTLS"),
    )
    edge = _details(snap, project(snap, GraphType.WORKLOAD), f"{API_V2}->{DB}#tcp")
    assert edge.subtitle == "TCP · mTLS unknown"


def test_flags_are_explained_in_words() -> None:
    snap = shop()
    view = project(snap, GraphType.WORKLOAD)

    assert _details(snap, view, BATCH).flags == (("idle", "no traffic in the window"),)
    assert _details(snap, view, LEGACY_SVC).flags == (("dead", "no running pods"),)
    gateway = _details(snap, view, GATEWAY)
    assert [flag for flag, _ in gateway.flags] == ["entry_point"]
    # Nothing called the gateway: its sparklines show the calls it made instead.
    assert _metric(gateway, "request_rate") == [10, 10, 12, 8]
    assert "series: the calls it made (nothing called it)" in gateway.notes
    assert gateway.stats is None
    assert "received no traffic in the window" in gateway.notes


def test_collapsed_namespace_counts_only_calls_from_outside() -> None:
    snap = shop()
    view = project(snap, GraphType.WORKLOAD, collapsed=frozenset({"shop"}))
    shop_node = _details(snap, view, f"nsnode:{K}/shop")

    assert shop_node.subtitle == "namespace shop, collapsed"
    # Only gateway -> web enters from outside; web's own series would count web -> api too.
    assert _metric(shop_node, "request_rate") == [10, 10, 12, 8]
    assert _metric(shop_node, "throughput") == [50, 50, 50, 50]


def test_window_restricts_series() -> None:
    snap = shop()
    view = project(snap, GraphType.WORKLOAD)
    window = (STAMPS[1], STAMPS[2])
    web = _details(snap, view, WEB, window=window)

    assert list(web.series["timestamp"].unique()) == [pd.Timestamp(s) for s in window]
    assert _metric(web, "request_rate") == [10, 12]
    # Naive datetimes are taken as UTC.
    naive = tuple(moment.replace(tzinfo=None) for moment in window)
    assert _metric(_details(snap, view, WEB, window=naive), "request_rate") == [10, 12]
    assert _details(snap, view, WEB, window=(STAMPS[2], STAMPS[1])).series.empty
    far = (datetime(1, 1, 1, tzinfo=UTC), datetime(9999, 12, 31, tzinfo=UTC))
    assert _metric(_details(snap, view, WEB, window=far), "request_rate") == [10, 10, 12, 8]
    # No window: the whole snapshot.
    whole = _details(snap, view, WEB)
    assert _metric(whole, "request_rate") == [10, 10, 12, 8]


def test_app_box_counts_its_nodes_and_sums_traffic_entering_it() -> None:
    snap = shop()
    view = project(snap, GraphType.VERSIONED_APP)
    box = _details(snap, view, f"appbox:{K}/shop/api")

    assert (box.element, box.title, box.subtitle) == ("box", "api", "app in shop")
    assert box.notes[0] == "2 nodes: 1 failing, 1 healthy"
    assert box.stats is not None and box.stats.request_rate == 10.0
    assert _metric(box, "request_rate") == [10, 9, 10, 11]
    assert box.members == (API_V1, API_V2)
    versioned = _details(snap, view, f"vapp:{K}/shop/api/v2")
    assert versioned.title == "api v2"


@pytest.mark.parametrize(
    "element_id",
    [
        "",
        "nope",
        f"{WEB}'><script>alert(1)</script>",
        f"appbox:{K}/shop/api",  # a box of another graph type
        f"{WEB}->{API_V1}#http",  # the right ends, the wrong protocol
        "x" * 10_000,
        None,
        123,
    ],
)
def test_ids_not_in_the_view_give_none(element_id: object) -> None:
    snap = shop()
    view = project(snap, GraphType.WORKLOAD)

    assert element_details(snap, view, element_id) is None  # type: ignore[arg-type]


def test_an_edge_without_series_gives_an_empty_frame() -> None:
    snap = shop()
    alt = _details(
        snap, project(snap, GraphType.SERVICE), f"app:{K}/edge/gateway->{WEB_ALT_SVC}#http"
    )

    assert alt.members == (E_GATEWAY_WEB_ALT,)
    assert alt.stats is not None and alt.stats.request_rate == 2.0
    assert alt.series.empty
    assert list(alt.series.columns) == ["timestamp", "metric", "value"]


def test_a_snapshot_without_series_gives_empty_frames() -> None:
    snap = shop()
    snap.series = snap.series.iloc[0:0]
    web = _details(snap, project(snap, GraphType.WORKLOAD), WEB)

    assert web.series.empty
    assert list(web.series.columns) == ["timestamp", "metric", "value"]


def test_demo_ratings_is_called_by_reviews_v2_only(demo: Snapshot) -> None:
    view = project(demo, GraphType.WORKLOAD)
    ratings_id = node_id(NodeKind.WORKLOAD, "ratings-v1", "bookinfo")
    ratings = _details(demo, view, ratings_id)

    # reviews-v1 does not call ratings, and reviews-v3 is idle in the demo's rate window.
    assert [one.label for one in ratings.callers] == ["reviews-v2"]
    assert ratings.callees == ()
    own = demo.series[
        (demo.series["entity"] == ratings_id) & (demo.series["metric"] == "request_rate")
    ]
    assert _metric(ratings, "request_rate") == pytest.approx(list(own["value"]))


def test_demo_edges_with_response_flags_explain_them(demo: Snapshot) -> None:
    view = project(demo, GraphType.WORKLOAD)
    flagged = [edge for edge in view.edges if edge.traffic.response_flags]
    assert flagged

    for edge in flagged:
        details = _details(demo, view, edge.id)
        assert details.response_flags
        for row in details.response_flags:
            assert row.explanation == RESPONSE_FLAGS[row.flag]
            assert 0 < row.share <= 1
    no_healthy = [
        _details(demo, view, edge.id) for edge in flagged if "UH" in edge.traffic.response_flags
    ]
    assert no_healthy
    assert "14 UNAVAILABLE" in [row.meaning for row in no_healthy[0].grpc_statuses]


@pytest.mark.parametrize("graph_type", list(GraphType))
def test_every_demo_element_has_details(demo: Snapshot, graph_type: GraphType) -> None:
    view = project(demo, graph_type)

    ids = [one.id for one in (*view.nodes, *view.boxes)] + [edge.id for edge in view.edges]
    for element_id in ids:
        details = _details(demo, view, element_id)
        assert list(details.series.columns) == ["timestamp", "metric", "value"]
        assert not details.series["value"].map(math.isnan).any()
        assert details.series["timestamp"].between(demo.meta.start, demo.meta.end).all()


# Istio configuration and check findings, on the real Bookinfo samples and the demo.


@pytest.fixture(scope="module")
def bookinfo(fixtures_dir: Path) -> Snapshot:
    objects = load_manifests(fixtures_dir / "k8s" / "bookinfo.yaml")
    objects.extend(load_manifests(fixtures_dir / "k8s" / "bookinfo-networking").items)
    status = SourceStatus("manifests", "cluster", SourceState.OK, "test")
    return objects_snapshot(objects, status, end=T0, span=timedelta(hours=1))


def test_a_workload_panel_lists_its_istio_config_and_its_service_findings(
    bookinfo: Snapshot,
) -> None:
    view = project(bookinfo, GraphType.WORKLOAD)
    details = _details(bookinfo, view, "workload:Kubernetes/default/ratings-v1")

    istio = dict(details.istio)
    assert istio["Fault injection"] == "delay 7s for 100% of requests when end-user exact jason"
    assert istio["VirtualServices"] == "ratings" and istio["mTLS"] == "PERMISSIVE"
    assert list(istio) == [
        "VirtualServices",
        "Fault injection",
        "DestinationRule",
        "Client TLS",
        "mTLS",
    ]
    # Findings of the ratings service, which selects this workload: IST003 before IST005.
    assert [(f.code, f.object) for f in details.findings] == [
        ("IST003", "DestinationRule default/ratings"),
        ("IST003", "DestinationRule default/ratings"),
        ("IST003", "DestinationRule default/ratings"),
        ("IST005", "VirtualService default/ratings"),
    ]
    words = dict(details.flags)
    assert (
        words["fault_injection"] == "a VirtualService injects faults (delays or aborts) on purpose"
    )


def test_a_merged_node_shows_shared_config_once(bookinfo: Snapshot) -> None:
    view = project(bookinfo, GraphType.APP)
    details = _details(bookinfo, view, "app:Kubernetes/default/reviews")

    assert len(details.members) == 3
    assert dict(details.istio)["Traffic shift"] == "v1 80% · v2 20%"
    assert details.findings == ()


def test_findings_come_worst_first_with_check_flags_leading(demo: Snapshot) -> None:
    view = project(demo, GraphType.WORKLOAD)
    details = _details(demo, view, "workload:Kubernetes/boutique/adservice")

    # The pod's two, the workload's and its service's: all errors, by code.
    assert [f.code for f in details.findings] == ["POD001", "POD003", "SVC002", "WKL001"]
    assert details.flags[0][0] == "check_error"
    # A window's copy of the snapshot has no findings: the caller passes the original's.
    assert _details(demo, view, details.id, findings=[]).findings == ()


def test_edges_and_boxes_have_no_config_or_findings(bookinfo: Snapshot) -> None:
    view = project(bookinfo, GraphType.WORKLOAD)
    box = _details(bookinfo, view, view.boxes[0].id)
    assert box.istio == () and box.findings == ()
