"""Time windows on the topology page: URL parsing, the dropdown, and traffic over a window."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest

from collectors.health import HealthThresholds
from collectors.ids import node_id
from collectors.kinds import EdgeKind, Health, NodeKind, Protocol
from collectors.model import Edge, Node, Snapshot, SnapshotMeta, TrafficStats
from dashboard.topology.window import TimeWindow, parse_window, window_choices
from dashboard.topology.window_traffic import traffic_in_window


def at(hour: int, minute: int, second: int = 0, day: int = 24) -> datetime:
    return datetime(2026, 11, day, hour, minute, second, tzinfo=UTC)


# The demo's clock: range points every 15 s from 06:00:15 to 12:00, rates over the last 10 min.
DEMO_LIKE = SnapshotMeta(
    start=at(6, 0, 15),
    end=at(12, 0),
    step_seconds=15,
    rate_window_seconds=600,
    created_at=at(12, 1),
    generator="hand-made",
)

# ---------------------------------------------------------------------------- the hand-built mesh
# caller -> callee (HTTP, addressed to service callee-svc) and caller -> db (TCP).
CALLER = node_id(NodeKind.WORKLOAD, "caller", "shop")
CALLEE = node_id(NodeKind.WORKLOAD, "callee", "shop")
CALLEE_SVC = node_id(NodeKind.SERVICE, "callee", "shop")
DB = node_id(NodeKind.WORKLOAD, "db", "shop")
DB_SVC = node_id(NodeKind.SERVICE, "db", "shop")


def _mesh() -> tuple[Snapshot, Edge, Edge]:
    meta = SnapshotMeta(
        start=at(10, 1),
        end=at(11, 0),
        step_seconds=60,
        rate_window_seconds=600,
        created_at=at(11, 1),
        generator="hand-made",
    )
    snap = Snapshot(meta=meta)
    snap.add_node(Node(CALLER, NodeKind.WORKLOAD, "caller", "shop"))
    snap.add_node(
        Node(CALLEE, NodeKind.WORKLOAD, "callee", "shop", inbound=TrafficStats(request_rate=4.0))
    )
    snap.add_node(
        Node(CALLEE_SVC, NodeKind.SERVICE, "callee", "shop", inbound=TrafficStats(request_rate=4.0))
    )
    snap.add_node(
        Node(DB, NodeKind.WORKLOAD, "db", "shop", inbound=TrafficStats(bytes_to_destination=100.0))
    )
    snap.add_node(Node(node_id(NodeKind.NAMESPACE, "shop"), NodeKind.NAMESPACE, "shop"))
    http_edge = Edge(
        CALLER,
        CALLEE,
        EdgeKind.CALLS,
        Protocol.HTTP,
        service=CALLEE_SVC,
        traffic=TrafficStats(
            request_rate=4.0,
            p50_ms=3.0,
            p95_ms=9.0,
            p99_ms=12.0,
            mtls_ratio=1.0,
            response_codes={"200": 4.0},
        ),
        health=Health.HEALTHY,
    )
    # The snapshot saw a quarter of the TCP bytes go to the database, three quarters come back.
    tcp_edge = Edge(
        CALLER,
        DB,
        EdgeKind.CALLS,
        Protocol.TCP,
        service=DB_SVC,
        traffic=TrafficStats(bytes_to_destination=100.0, bytes_to_source=300.0),
        health=Health.HEALTHY,
    )
    snap.add_edge(http_edge)
    snap.add_edge(tcp_edge)
    snap.add_edge(Edge(CALLEE_SVC, CALLEE, EdgeKind.SELECTS))
    hh = at(10, 0)

    def points(entity: str, metric: str, by_minute: dict[int, float]) -> list[tuple[object, ...]]:
        return [
            (entity, metric, hh + timedelta(minutes=m), value) for m, value in by_minute.items()
        ]

    rows = [
        # An error burst at 10:33-10:34; the 10:30 and 10:35 points sit just outside (10:30, 10:34].
        *points(http_edge.id, "request_rate", {30: 100, 31: 2, 32: 4, 33: 6, 34: 8, 35: 100}),
        *points(http_edge.id, "error_rate", {30: 100, 33: 2, 34: 4, 35: 100}),
        *points(http_edge.id, "p95_ms", {30: 999, 31: 10, 32: 10, 33: 40, 34: 40, 35: 999}),
        *points(tcp_edge.id, "throughput", {31: 400, 33: 800}),
        *points(CALLEE, "request_rate", {31: 2, 32: 4, 33: 6, 34: 8}),
        *points(CALLEE, "error_rate", {33: 2, 34: 4}),
        *points(CALLEE, "p95_ms", {32: 20, 34: 50}),
        *points(DB, "p95_ms", {31: 3, 33: 5}),
        # A quiet stretch, and nothing at all collected between 10:51 and 10:59.
        *points(http_edge.id, "request_rate", {50: 3, 60: 3}),
        *points(CALLEE, "request_rate", {50: 3, 60: 3}),
        *points(http_edge.id, "p95_ms", {50: 8, 60: 8}),
    ]
    snap.series = pd.DataFrame(rows, columns=["entity", "metric", "timestamp", "value"]).astype(
        {"entity": "category", "metric": "category", "value": "float64"}
    )
    return snap, http_edge, tcp_edge


BURST = TimeWindow(at(10, 30), at(10, 34))
QUIET = TimeWindow(at(10, 50), at(11, 0), latest=True)


def _edge(snapshot: Snapshot, edge: Edge) -> Edge:
    found: Edge = snapshot.graph.edges[edge.source, edge.target, edge.key]["edge"]
    return found


def test_window_rates_are_means_over_the_steps_of_the_window() -> None:
    snap, http_edge, _ = _mesh()
    stats = _edge(traffic_in_window(snap, BURST), http_edge).traffic
    assert stats is not None
    # Points at 10:31..10:34; the 10:30 point belongs to the step before the window.
    assert stats.request_rate == pytest.approx((2 + 4 + 6 + 8) / 4)
    # Errors only at 10:33 and 10:34: the steps without an error point count as zero errors.
    assert stats.error_rate == pytest.approx((2 + 4) / 4)
    assert stats.error_ratio == pytest.approx(0.3)


def test_a_step_nobody_collected_is_not_counted_as_zero() -> None:
    snap, http_edge, _ = _mesh()
    stats = _edge(traffic_in_window(snap, QUIET), http_edge).traffic
    assert stats is not None
    # Only 10:50 is outside; 11:00 is the one collected step left, so the mean is 3, not 3/10.
    assert stats.request_rate == pytest.approx(3.0)


def test_p95_is_weighted_by_requests_and_plain_without_them() -> None:
    snap, http_edge, _ = _mesh()
    windowed = traffic_in_window(snap, BURST)
    stats = _edge(windowed, http_edge).traffic
    assert stats is not None
    # (10*2 + 10*4 + 40*6 + 40*8) / (2+4+6+8) = 620 / 20; the plain mean would be 25.
    assert stats.p95_ms == pytest.approx(31.0)
    callee = windowed.node(CALLEE).inbound
    assert callee is not None
    assert callee.p95_ms == pytest.approx((20 * 4 + 50 * 8) / (4 + 8))
    db = windowed.node(DB).inbound
    assert db is not None
    assert db.p95_ms == pytest.approx((3 + 5) / 2)  # the db has no request series


def test_errors_count_as_server_errors_and_unknowns_stay_empty() -> None:
    snap, http_edge, _ = _mesh()
    stats = _edge(traffic_in_window(snap, BURST), http_edge).traffic
    assert stats is not None
    assert stats.rate_5xx == pytest.approx(1.5)
    assert (stats.rate_4xx, stats.grpc_error_rate) == (0.0, 0.0)
    assert (stats.response_codes, stats.grpc_statuses, stats.response_flags) == ({}, {}, {})
    assert (stats.p50_ms, stats.p99_ms) == (None, None)
    assert stats.mtls_ratio == 1.0  # the snapshot's own share: no series, policy seldom changes


def test_a_small_error_share_is_judged_with_server_error_thresholds() -> None:
    snap, http_edge, _ = _mesh()
    # 1 error in 40 requests: 2.5%, healthy as 4xx (< 10%) but degraded as 5xx (> 0%).
    burst = pd.DataFrame(
        {
            "entity": [http_edge.id, http_edge.id],
            "metric": ["request_rate", "error_rate"],
            "timestamp": [at(10, 41), at(10, 41)],
            "value": [40.0, 1.0],
        }
    )
    snap.series = pd.concat([snap.series.astype({"entity": str, "metric": str}), burst])
    windowed = traffic_in_window(snap, TimeWindow(at(10, 40), at(10, 41)))
    assert _edge(windowed, http_edge).health is Health.DEGRADED


def test_tcp_throughput_is_split_like_the_snapshot() -> None:
    snap, _, tcp_edge = _mesh()
    windowed = traffic_in_window(snap, BURST)
    stats = _edge(windowed, tcp_edge).traffic
    assert stats is not None
    # (400 + 0 + 800 + 0) / 4 = 300 B/s, a quarter of it towards the database.
    assert (stats.bytes_to_destination, stats.bytes_to_source) == pytest.approx((75.0, 225.0))
    assert _edge(windowed, tcp_edge).health is Health.HEALTHY
    db = windowed.node(DB).inbound
    assert db is not None
    assert db.throughput == pytest.approx(300.0)


def test_tcp_bytes_go_to_the_destination_when_the_snapshot_saw_none() -> None:
    snap, _, tcp_edge = _mesh()
    snap.graph.edges[tcp_edge.source, tcp_edge.target, tcp_edge.key]["edge"].traffic = None
    stats = _edge(traffic_in_window(snap, BURST), tcp_edge).traffic
    assert stats is not None
    assert (stats.bytes_to_destination, stats.bytes_to_source) == pytest.approx((300.0, 0.0))


def test_nodes_receive_the_sum_of_their_windowed_calls() -> None:
    snap, _, _ = _mesh()
    windowed = traffic_in_window(snap, BURST)
    for receiver in (CALLEE, CALLEE_SVC):
        inbound = windowed.node(receiver).inbound
        assert inbound is not None
        assert (inbound.request_rate, inbound.rate_5xx) == pytest.approx((5.0, 1.5))
    assert windowed.node(CALLER).inbound is None  # it receives no calls


def test_health_follows_the_error_burst() -> None:
    snap, http_edge, _ = _mesh()
    burst = traffic_in_window(snap, BURST)
    assert _edge(burst, http_edge).health is Health.FAILURE  # 30% server errors
    assert burst.node(CALLEE).health is Health.FAILURE
    assert burst.node(CALLER).health is Health.FAILURE  # judged by its failing calls
    quiet = traffic_in_window(snap, QUIET)
    assert _edge(quiet, http_edge).health is Health.HEALTHY
    assert quiet.node(CALLEE).health is Health.HEALTHY
    lenient = HealthThresholds(server_error_failure_pct=50.0)
    assert _edge(traffic_in_window(snap, BURST, lenient), http_edge).health is Health.DEGRADED


def test_edges_and_nodes_without_points_keep_existing_with_no_traffic() -> None:
    snap, _, tcp_edge = _mesh()
    quiet = traffic_in_window(snap, QUIET)
    assert set(quiet.graph.nodes) == set(snap.graph.nodes)
    assert quiet.graph.number_of_edges() == snap.graph.number_of_edges()
    assert _edge(quiet, tcp_edge).traffic == TrafficStats()
    assert _edge(quiet, tcp_edge).health is Health.NO_TRAFFIC
    assert quiet.node(DB).health is Health.NO_TRAFFIC


def test_the_original_snapshot_is_untouched() -> None:
    snap, http_edge, _ = _mesh()
    nodes_before = {node.id: copy.deepcopy(node) for node in snap.nodes()}
    edges_before = [copy.deepcopy(edge) for edge in snap.edges()]
    series_before = snap.series.copy()
    windowed = traffic_in_window(snap, BURST)
    assert {node.id: node for node in snap.nodes()} == nodes_before
    assert list(snap.edges()) == edges_before
    pd.testing.assert_frame_equal(snap.series, series_before)
    assert _edge(snap, http_edge).health is Health.HEALTHY
    assert windowed.meta is snap.meta
    assert windowed.incidents is snap.incidents


# ------------------------------------------------------------------------------------ the window


def test_time_window_labels_and_length() -> None:
    assert TimeWindow(at(11, 0), at(12, 0), latest=True).label == "last 1 h"
    assert TimeWindow(at(6, 0), at(12, 0)).label == "06:00\u201312:00 UTC"
    assert TimeWindow(at(7, 0, 30), at(7, 30, 30)).label == "07:00:30\u201307:30:30 UTC"
    overnight = TimeWindow(at(22, 0, day=23), at(4, 0))
    assert overnight.label == "2026-11-23 22:00 \u2013 2026-11-24 04:00 UTC"
    assert overnight.seconds == 6 * 3600


def test_time_window_rejects_naive_or_empty_intervals() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        TimeWindow(datetime(2026, 11, 24, 6), at(7, 0))
    with pytest.raises(ValueError, match="end after"):
        TimeWindow(at(7, 0), at(7, 0))


@pytest.mark.parametrize(
    ("window", "end", "start", "stop", "label"),
    [
        ("1h", None, at(11, 0), at(12, 0), "last 1 h"),
        ("90M", "", at(10, 30), at(12, 0), "last 1 h 30 min"),
        (" 2h ", None, at(10, 0), at(12, 0), "last 2 h"),
        ("all", None, at(6, 0), at(12, 0), "last 6 h"),
        ("ALL", "2026-11-24T07:30Z", at(6, 0), at(7, 30), "06:00\u201307:30 UTC"),
        ("30m", "2026-11-24T07:30Z", at(7, 0), at(7, 30), "07:00\u201307:30 UTC"),
        ("30m", "2026-11-24T07:30:00+00:00", at(7, 0), at(7, 30), "07:00\u201307:30 UTC"),
        ("30m", "2026-11-24T09:30+02:00", at(7, 0), at(7, 30), "07:00\u201307:30 UTC"),
        ("30m", "2026-11-24T07:30", at(7, 0), at(7, 30), "07:00\u201307:30 UTC"),
        ("", "2026-11-24T07:30Z", at(7, 20), at(7, 30), "07:20\u201307:30 UTC"),
        ("5s", None, at(11, 59, 45), at(12, 0), "last 15 s"),  # at least one 15 s step
        ("10m", "2026-11-24T12:00Z", None, None, None),  # exactly the snapshot's own rates
        ("", None, None, None, None),
        (None, None, None, None, None),
    ],
)
def test_parse_window_reads_durations_and_ends(
    window: str | None,
    end: str | None,
    start: datetime | None,
    stop: datetime | None,
    label: str | None,
) -> None:
    parsed, message = parse_window(window, end, DEMO_LIKE)
    assert message is None
    if start is None:
        assert parsed is None
    else:
        assert parsed is not None
        assert (parsed.start, parsed.end, parsed.label) == (start, stop, label)


def test_a_window_reaching_before_the_snapshot_is_clipped_and_says_so() -> None:
    parsed, message = parse_window("3h", "2026-11-24T07:30Z", DEMO_LIKE)
    assert parsed == TimeWindow(at(6, 0), at(7, 30))
    assert message is not None
    assert "clipped to 06:00 UTC" in message
    parsed, message = parse_window("100000h", None, DEMO_LIKE)
    assert parsed == TimeWindow(at(6, 0), at(12, 0), latest=True)
    assert message is not None
    assert "before the snapshot starts" in message


@pytest.mark.parametrize(
    "window",
    [
        "9999999999h",
        "1h;drop",
        "-1h",
        "0m",
        "1.5h",
        "1 h",
        "1w",
        "h",
        "\u0661h",  # an Arabic-Indic digit one: digits must be ASCII
        "<script>",
        "x" * 10_000,
    ],
)
def test_hostile_windows_fall_back_to_the_snapshot_rates(window: str) -> None:
    parsed, message = parse_window(window, None, DEMO_LIKE)
    assert parsed is None
    assert message is not None
    assert "not understood" in message
    assert "\n" not in message
    assert len(message) < 200


@pytest.mark.parametrize(
    ("end", "says"),
    [
        ("yesterday", "is not a UTC time"),
        ("2026-11-24T07:30Z; DROP TABLE", "is not a UTC time"),
        ("2026-11-24T07:30Z\n<b>", "is not a UTC time"),
        ("2026-13-45T99:99Z", "is not a UTC time"),
        ("9999-12-31T23:59:59-01:00", "is not a UTC time"),  # out of datetime's range in UTC
        ("2" * 5000, "is not a UTC time"),
        ("2026-11-25T00:00Z", "after the snapshot ends (12:00 UTC)"),
        ("2026-11-24T05:00Z", "before the snapshot starts (06:00:15 UTC)"),
    ],
)
def test_unusable_ends_fall_back_to_the_snapshot_end(end: str, says: str) -> None:
    parsed, message = parse_window("1h", end, DEMO_LIKE)
    assert parsed == TimeWindow(at(11, 0), at(12, 0), latest=True)
    assert message is not None
    assert says in message
    assert "\n" not in message
    assert len(message) < 200


def test_an_unusable_end_with_the_default_window_gives_the_snapshot_rates() -> None:
    parsed, message = parse_window("", "not-a-date", DEMO_LIKE)
    assert parsed is None
    assert message is not None
    assert "not-a-date" in message


def test_window_choices_for_the_demo(demo: Snapshot) -> None:
    assert window_choices(demo.meta) == [
        ("", "last 10 min (snapshot rates)"),
        ("15m", "last 15 min"),
        ("30m", "last 30 min"),
        ("1h", "last 1 h"),
        ("3h", "last 3 h"),
        ("all", "whole snapshot (6 h)"),
    ]
    for value, _ in window_choices(demo.meta):
        assert parse_window(value, None, demo.meta)[1] is None


def test_window_choices_of_a_short_snapshot_offer_no_durations() -> None:
    meta = SnapshotMeta(at(11, 40, 15), at(12, 0), 15, 600, at(12, 1), "hand-made")
    assert window_choices(meta) == [
        ("", "last 10 min (snapshot rates)"),
        ("15m", "last 15 min"),
        ("all", "whole snapshot (20 min)"),
    ]


# -------------------------------------------------------------------------------------- the demo


def test_a_window_during_the_bad_rollout_shows_ratings_failing(demo: Snapshot) -> None:
    rollout = next(i for i in demo.incidents if i.id == "bad-rollout-ratings-v1")
    assert (rollout.start, rollout.end) == (at(6, 43), at(7, 37))
    ratings = node_id(NodeKind.WORKLOAD, "ratings-v1", "bookinfo")

    window, message = parse_window("30m", "2026-11-24T07:30Z", demo.meta)
    assert message is None
    assert window == TimeWindow(at(7, 0), at(7, 30))
    during = [
        e for e in traffic_in_window(demo, window).edges(EdgeKind.CALLS) if e.target == ratings
    ]
    assert during
    for edge in during:
        assert edge.health in (Health.FAILURE, Health.DEGRADED)
        assert edge.traffic is not None
        # The bad image answered HTTP 500 to 55% of requests (collectors/demo/incidents.py).
        assert 0.5 < edge.traffic.error_ratio < 0.6

    at_the_end = [e for e in demo.edges(EdgeKind.CALLS) if e.target == ratings]
    assert at_the_end
    assert all(e.health not in (Health.FAILURE, Health.DEGRADED) for e in at_the_end)
    assert demo.node(ratings).health is Health.HEALTHY
