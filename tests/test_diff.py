"""What changed: two snapshots compared object by object, and two times of one snapshot's series.

The builders at the top make small snapshots by hand; test_cli_diff and test_diff_page use them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest

from collectors.ids import node_id
from collectors.kinds import ChangeKind, EdgeKind, NodeFlag, NodeKind, Protocol, Severity
from collectors.model import (
    Change,
    Edge,
    Finding,
    Node,
    Snapshot,
    SnapshotMeta,
    TrafficStats,
)
from dashboard.analysis.diff import (
    NO_CHANGES_RECORDED,
    DiffOptions,
    JumpMetric,
    SnapshotDiff,
    diff_snapshots,
    diff_times,
)
from dashboard.analysis.diff_report import diff_json, diff_text

START = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)
END = START + timedelta(hours=1)
STEP = 60
Row = tuple[str, str, datetime, float]


def workload(name: str, namespace: str = "shop", **attrs: str | int) -> Node:
    """A workload node (attrs such as ``revision`` and ``images``)."""
    return Node(
        node_id(NodeKind.WORKLOAD, name, namespace),
        NodeKind.WORKLOAD,
        name,
        namespace,
        attrs=dict(attrs),
    )


def service(name: str, namespace: str = "shop", **attrs: str) -> Node:
    """A service node."""
    return Node(
        node_id(NodeKind.SERVICE, name, namespace),
        NodeKind.SERVICE,
        name,
        namespace,
        attrs=dict(attrs),
    )


def pod(name: str, namespace: str = "shop", **attrs: str | int | bool) -> Node:
    """A pod node."""
    return Node(
        node_id(NodeKind.POD, name, namespace), NodeKind.POD, name, namespace, attrs=dict(attrs)
    )


def call(
    source: Node,
    target: Node,
    *,
    rps: float = 0.0,
    errors: float = 0.0,
    p95: float | None = None,
    throughput: float = 0.0,
    protocol: Protocol = Protocol.HTTP,
) -> Edge:
    """A call edge whose traffic is the given rates."""
    traffic = TrafficStats(
        request_rate=rps, error_rate=errors, p95_ms=p95, bytes_to_destination=throughput
    )
    return Edge(
        source.id,
        target.id,
        EdgeKind.CALLS,
        protocol,
        service=node_id(NodeKind.SERVICE, target.name, target.namespace),
        traffic=traffic,
    )


def points(entity: str, metric: str, first: int, last: int, value: float) -> list[Row]:
    """One point a minute from ``first`` to ``last`` minutes after START, both included."""
    return [(entity, metric, START + timedelta(minutes=m), value) for m in range(first, last + 1)]


def make_snapshot(
    nodes: Iterable[Node],
    edges: Iterable[Edge] = (),
    *,
    rows: Sequence[Row] = (),
    end: datetime = END,
    findings: Iterable[Finding] = (),
    changes: Iterable[Change] = (),
    generator: str = "hand-made",
) -> Snapshot:
    """A snapshot of the nodes and edges, with series from ``rows`` (one step a minute)."""
    meta = SnapshotMeta(
        start=end - timedelta(hours=1),
        end=end,
        step_seconds=STEP,
        rate_window_seconds=600,
        created_at=end,
        generator=generator,
    )
    snap = Snapshot(meta=meta)
    for node in nodes:
        snap.add_node(node)
    for edge in edges:
        snap.add_edge(edge)
    if rows:
        entity, metric, stamp, value = zip(*rows, strict=True)
        snap.series = pd.DataFrame(
            {
                "entity": pd.Categorical(entity),
                "metric": pd.Categorical(metric),
                "timestamp": pd.DatetimeIndex(stamp).as_unit("ns"),
                "value": pd.Series(value, dtype="float64"),
            }
        )
    snap.findings = list(findings)
    snap.changes = list(changes)
    return snap


SHOP = ("frontend", "cart", "ads", "legacy", "search", "redis")
FRONTEND, CART, ADS, LEGACY, SEARCH, REDIS = (workload(name) for name in SHOP)
"""For ids and edges; each snapshot gets its own nodes (:func:`shop_nodes`), which tests change."""


def shop_nodes(*names: str) -> list[Node]:
    """Fresh workload nodes of the shop."""
    return [workload(name) for name in names]


def shop_series_snapshot(changes: Iterable[Change] = ()) -> Snapshot:
    """An hour of series from 10:00: cart breaks and slows at 10:31, ads starts being called
    at 10:41, legacy stops at 10:20, search's points thin out, redis moves four times the bytes.
    """
    to_cart = call(FRONTEND, CART, rps=10.0, errors=3.0)
    to_ads = call(FRONTEND, ADS, rps=2.0)
    to_legacy = call(FRONTEND, LEGACY)
    to_search = call(FRONTEND, SEARCH, rps=10.0)
    to_redis = call(CART, REDIS, throughput=20_000.0, protocol=Protocol.TCP)
    rows = [
        *points(to_cart.id, "request_rate", 0, 60, 10.0),
        *points(to_cart.id, "error_rate", 0, 30, 0.1),
        *points(to_cart.id, "error_rate", 31, 60, 3.0),
        *points(to_cart.id, "p95_ms", 0, 60, 50.0),
        *points(CART.id, "request_rate", 0, 60, 10.0),
        *points(CART.id, "error_rate", 0, 30, 0.1),
        *points(CART.id, "error_rate", 31, 60, 3.0),
        *points(CART.id, "p95_ms", 0, 30, 40.0),
        *points(CART.id, "p95_ms", 31, 60, 120.0),
        *points(to_ads.id, "request_rate", 41, 60, 2.0),
        *points(to_legacy.id, "request_rate", 0, 20, 4.0),
        *points(to_search.id, "request_rate", 0, 44, 10.0),
        *points(to_search.id, "request_rate", 49, 60, 10.0),
        *points(to_redis.id, "throughput", 0, 30, 5_000.0),
        *points(to_redis.id, "throughput", 31, 60, 20_000.0),
    ]
    return make_snapshot(
        shop_nodes(*SHOP),
        [to_cart, to_ads, to_legacy, to_search, to_redis],
        rows=rows,
        changes=changes,
    )


def at(minute: int) -> datetime:
    """``minute`` minutes after START."""
    return START + timedelta(minutes=minute)


FIVE_MINUTES = timedelta(minutes=5)


def _jumps(diff: SnapshotDiff) -> list[tuple[str, str, str]]:
    return [(jump.entity.label, jump.metric.value, jump.words) for jump in diff.jumps]


# Two times of one snapshot.


def test_two_times_find_new_and_vanished_calls_and_rank_jumps_by_size() -> None:
    diff = diff_times(shop_series_snapshot(), at(15), at(50), window=FIVE_MINUTES)

    assert (diff.before, diff.after) == ("10:10\u201310:15 UTC", "10:45\u201310:50 UTC")
    assert [(e.entity.label, e.words) for e in diff.edges_added] == [
        ("frontend → ads (shop)", "2.00 rps")
    ]
    assert [(e.entity.label, e.words) for e in diff.edges_vanished] == [
        ("frontend → legacy (shop)", "4.00 rps")
    ]
    # Sizes: 29 points of errors / 5 = 5.8 (a tie, broken by name); 80 ms / 20 = 4;
    # redis 15 kB/s of 20 = 0.75 / 0.5 = 1.5; search 6 rps of 10 = 0.6 / 0.5 = 1.2.
    assert _jumps(diff) == [
        ("frontend → cart (shop)", "error_ratio", "error ratio 1.0% → 30.0%"),
        ("shop/cart", "error_ratio", "error ratio 1.0% → 30.0%"),
        ("shop/cart", "p95_ms", "p95 40 ms → 120 ms"),
        ("cart → redis (shop)", "throughput", "throughput 5.0 kB/s → 20.0 kB/s (+300%)"),
        # Two of five minutes have points: the others count as no requests, not as unknown.
        ("frontend → search (shop)", "request_rate", "requests 10.0 rps → 4.00 rps (-60%)"),
    ]
    assert [round(jump.size, 2) for jump in diff.jumps] == [5.8, 5.8, 4.0, 1.5, 1.2]
    assert diff.jumps[0].worse and not diff.jumps[3].worse
    assert diff.notes == (NO_CHANGES_RECORDED,)


def test_a_recovery_is_a_jump_for_the_better_and_a_quiet_stretch_is_no_difference() -> None:
    snap = shop_series_snapshot()
    diff = diff_times(snap, at(50), at(59), window=FIVE_MINUTES)
    assert _jumps(diff) == [
        ("frontend → search (shop)", "request_rate", "requests 4.00 rps → 10.0 rps (+150%)")
    ]
    assert not diff.jumps[0].worse
    quiet = diff_times(snap, at(5), at(15), window=FIVE_MINUTES)
    assert quiet.empty
    assert diff_text(quiet).splitlines()[-1] == "No differences."


def test_recorded_changes_between_the_times_go_to_their_sections() -> None:
    rollout = Change(
        at(30), ChangeKind.ROLLOUT, "Deployment shop/cart", "Scaled up replica set cart-7d9 to 2"
    )
    config = Change(at(50), ChangeKind.CONFIG, "VirtualService shop/cart", "created", node=CART.id)
    restart = Change(
        at(40),
        ChangeKind.RESTART,
        "Pod shop/cart-7d9-x2x4q",
        "Back-off restarting failed container",
        node=CART.id,
        warning=True,
        count=4,
    )
    at_the_start = Change(at(15), ChangeKind.ROLLOUT, "Deployment shop/ads", "Scaled up")
    too_late = Change(at(51), ChangeKind.CONFIG, "DestinationRule shop/cart", "created")
    snap = shop_series_snapshot([too_late, restart, config, rollout, at_the_start])

    diff = diff_times(snap, at(15), at(50), window=FIVE_MINUTES)

    # (before, after]: a change at the first time is before it, one at the second is in.
    assert [(r.at, r.entity.label, r.words) for r in diff.rollouts] == [
        (at(30), "Deployment shop/cart", "Scaled up replica set cart-7d9 to 2")
    ]
    assert [(c.at, c.entity.label, c.entity.id, c.origin) for c in diff.config] == [
        (at(50), "VirtualService shop/cart", CART.id, "cluster")
    ]
    (event,) = diff.events
    assert (event.kind, event.entity.label, event.warning, event.count) == (
        ChangeKind.RESTART,
        "Pod shop/cart-7d9-x2x4q",
        True,
        4,
    )
    assert NO_CHANGES_RECORDED not in diff.notes
    text = diff_text(diff)
    assert "10:40:00  Pod shop/cart-7d9-x2x4q" in text
    assert "restart: Back-off restarting failed container (4 times)" in text


def test_times_outside_the_snapshot_are_clamped_and_the_notes_say_so() -> None:
    snap = shop_series_snapshot()
    diff = diff_times(
        snap, START - timedelta(hours=2), END + timedelta(hours=1), window=FIVE_MINUTES
    )
    assert diff.after_window.end == END
    assert diff.before_window.end == START  # the snapshot's first point
    assert diff.before_window.start == START - timedelta(minutes=1)  # one step before it
    assert diff.notes[:3] == (
        "The first time 08:00 UTC is before the snapshot starts; compared at its start, 10:00 UTC.",
        "The second time 12:00 UTC is after the snapshot ends; compared at its end, 11:00 UTC.",
        "The window before the first time (10:00 UTC) reaches before the snapshot's data: "
        "averaged from 09:59 UTC only.",
    )
    assert [e.entity.label for e in diff.edges_added] == ["frontend → ads (shop)"]
    yesterday = diff_times(snap, START - timedelta(days=1), at(50), window=FIVE_MINUTES)
    assert yesterday.notes[0].startswith("The first time 2026-02-28 10:00 UTC is before")
    # A window of years (a URL can ask for 999999d) is cut at the data, without overflowing.
    ages = diff_times(snap, at(15), at(50), window=timedelta(days=999_999))
    assert (ages.before_window.start, ages.after_window.start) == (at(-1), at(-1))


def test_short_and_overlapping_windows_are_explained() -> None:
    snap = shop_series_snapshot()
    short = diff_times(snap, at(15), at(50), window=timedelta(seconds=10))
    assert short.notes[0] == (
        "A window shorter than the snapshot's step holds no point: using 1 min."
    )
    assert short.after_window.start == at(49)
    overlap = diff_times(snap, at(48), at(50), window=FIVE_MINUTES)
    assert (
        "The two windows overlap (5 min each, 2 min apart): changes look smaller than they are."
        in overlap.notes
    )


def test_the_times_must_be_in_order_and_the_window_positive() -> None:
    snap = shop_series_snapshot()
    with pytest.raises(ValueError, match="earlier"):
        diff_times(snap, at(50), at(50), window=FIVE_MINUTES)
    with pytest.raises(ValueError, match="longer than zero"):
        diff_times(snap, at(10), at(50), window=timedelta(0))
    # Naive times are UTC.
    naive = diff_times(
        snap, datetime(2026, 3, 1, 10, 15), datetime(2026, 3, 1, 10, 50), window=FIVE_MINUTES
    )
    assert naive.after_window.end == at(50)


def test_the_demo_bad_rollout_shows_as_the_ratings_error_jump(demo: Snapshot) -> None:
    before = datetime(2026, 11, 24, 6, 30, tzinfo=UTC)
    for minute in (0, 10, 20):
        after = datetime(2026, 11, 24, 7, minute, tzinfo=UTC)
        diff = diff_times(demo, before, after, window=FIVE_MINUTES)
        ratings = [
            jump
            for jump in diff.jumps
            if jump.entity.label == "bookinfo/ratings-v1" and jump.metric is JumpMetric.ERROR_RATIO
        ]
        assert len(ratings) == 1, after
        assert ratings[0].before < 0.02 and ratings[0].after > 0.5
        assert re.fullmatch(r"error ratio (0|<?0\.\d)% → 5\d\.\d%", ratings[0].words)
        assert ratings[0].size > 10  # 55 points of errors: eleven times the 5-point threshold


# Two snapshot files.


def _pair() -> tuple[Snapshot, Snapshot]:
    """The same shop twice: cart broke, slowed and was rolled out; ads came, legacy went."""
    cart_old = workload("cart", revision="3", images="shop/cart:1.4")
    cart_service_old = service("cart", istio_mtls="PERMISSIVE")
    cart_service_new = service(
        "cart", istio_mtls="PERMISSIVE", istio_fault="abort 555 for 30% of requests"
    )
    cart_fi = workload("cart", revision="4", images="shop/cart:1.5")
    cart_fi.attrs["istio_fault"] = "abort 555 for 30% of requests"
    cart_fi.flags.add(NodeFlag.FAULT_INJECTION)
    old_pod = pod("cart-6c7-abcde", revision="3", node="cpu-1")
    new_pod = pod("cart-7d9-x2x4q", revision="4", node="cpu-2", ready=False, restarts=3)
    crash = Finding(
        "POD001", Severity.ERROR, "Pod", "shop", "cart-7d9-x2x4q", "crash-loops", "logs", CART.id
    )
    fixed = Finding("SVC002", Severity.WARNING, "Service", "shop", "legacy", "no pods", "scale")
    before = make_snapshot(
        [
            *shop_nodes("frontend", "ads", "legacy", "search", "batch"),
            *(cart_old, cart_service_old, old_pod),
        ],
        [
            call(FRONTEND, cart_old, rps=10.0, errors=0.1, p95=100.0),
            call(FRONTEND, LEGACY, rps=4.0),
            call(FRONTEND, SEARCH, rps=10.0, p95=100.0),
            Edge(cart_old.id, old_pod.id, EdgeKind.OWNS),
        ],
        end=END,
        findings=[fixed],
        generator="before",
    )
    before.node(CART.id).inbound = TrafficStats(request_rate=10.0, error_rate=0.1)
    before.node(ADS.id).inbound = TrafficStats(request_rate=5.0)
    after = make_snapshot(
        [
            *shop_nodes("frontend", "ads", "legacy", "search", "api"),
            *(cart_fi, cart_service_new, new_pod),
        ],
        [
            call(FRONTEND, cart_fi, rps=10.0, errors=2.0, p95=160.0),
            call(FRONTEND, ADS, rps=2.0),
            call(FRONTEND, LEGACY),  # still known, but silent: vanished all the same
            call(FRONTEND, SEARCH, rps=4.0, p95=140.0),
            Edge(cart_fi.id, new_pod.id, EdgeKind.OWNS),
            Edge(cart_service_new.id, cart_fi.id, EdgeKind.SELECTS),
        ],
        end=END + timedelta(hours=1),
        findings=[crash],
        generator="after",
    )
    after.node(CART.id).inbound = TrafficStats(request_rate=10.0, error_rate=2.0)
    return before, after


def test_two_snapshots_compare_traffic_with_the_documented_thresholds() -> None:
    before, after = _pair()
    diff = diff_snapshots(before, after)

    assert diff.before == "before, rates over 10 min to 2026-03-01 11:00 UTC"
    assert [(e.entity.label, e.words) for e in diff.edges_added] == [
        ("frontend → ads (shop)", "2.00 rps")
    ]
    assert [(e.entity.label, e.words) for e in diff.edges_vanished] == [
        ("frontend → legacy (shop)", "4.00 rps")
    ]
    # search's p95 100 -> 140 ms is +40 ms but only x1.4: no jump; its rate -60% is one.
    assert _jumps(diff) == [
        ("frontend → cart (shop)", "error_ratio", "error ratio 1.0% → 20.0%"),
        ("shop/cart", "error_ratio", "error ratio 1.0% → 20.0%"),
        ("frontend → cart (shop)", "p95_ms", "p95 100 ms → 160 ms"),
        ("shop/ads", "request_rate", "requests 5.00 rps → 0 rps (stopped)"),
        ("frontend → search (shop)", "request_rate", "requests 10.0 rps → 4.00 rps (-60%)"),
    ]


def test_two_snapshots_compare_pods_rollouts_istio_and_findings() -> None:
    before, after = _pair()
    diff = diff_snapshots(before, after)

    assert [
        (p.entity.label, p.workload and p.workload.label, p.words) for p in diff.pods_added
    ] == [("shop/cart-7d9-x2x4q", "shop/cart", "revision 4 · on cpu-2 · not ready, 3 restarts")]
    assert [(p.entity.label, p.words) for p in diff.pods_removed] == [
        ("shop/cart-6c7-abcde", "revision 3 · on cpu-1")
    ]
    assert [(r.entity.label, r.words) for r in diff.rollouts] == [
        ("shop/api", "new workload"),
        ("shop/batch", "removed workload"),
        ("shop/cart", "revision 3 → 4; images shop/cart:1.4 → shop/cart:1.5"),
    ]
    # The fault is on the service and the workload it selects: said once, on the service.
    assert [(c.entity.label, c.origin, c.words) for c in diff.config] == [
        (
            "service shop/cart",
            "istio",
            "Fault injection set: abort 555 for 30% of requests (badge FI)",
        ),
        ("shop/cart", "finding", "appeared: POD001 error: crash-loops"),
        ("Service shop/legacy", "finding", "resolved: SVC002 warning: no pods"),
    ]


def test_recorded_changes_between_the_two_ends_are_added_once() -> None:
    before, after = _pair()
    rollout = Change(END + timedelta(minutes=5), ChangeKind.ROLLOUT, "Deployment shop/cart", "up")
    old_news = Change(END - timedelta(minutes=5), ChangeKind.ROLLOUT, "Deployment shop/ads", "up")
    before.changes = [old_news, rollout]  # an API server keeps Events a while: both hold one
    after.changes = [old_news, rollout]
    diff = diff_snapshots(before, after)
    recorded = [r for r in diff.rollouts if r.at is not None]
    assert [(r.at, r.entity.label, r.words) for r in recorded] == [
        (END + timedelta(minutes=5), "Deployment shop/cart", "up")
    ]


def test_identical_snapshots_have_no_differences_and_no_notes() -> None:
    before, _ = _pair()
    diff = diff_snapshots(before, before)
    assert diff.empty and diff.notes == ()
    assert diff_text(diff).splitlines()[-1] == "No differences."


def test_notes_for_snapshots_that_cannot_be_compared_fully() -> None:
    _, after = _pair()
    no_traffic = make_snapshot([FRONTEND], generator="objects only")
    notes = diff_snapshots(after, no_traffic).notes
    assert notes == (
        "The second snapshot ends before the first: read the sections as going back in time.",
        "The second snapshot has no traffic (no metrics source?): call edges and jumps "
        "compare against nothing.",
    )


def test_thresholds_are_options() -> None:
    before, after = _pair()
    strict = DiffOptions(error_ratio_points=0.5)
    assert all(
        j.metric is not JumpMetric.ERROR_RATIO
        for j in diff_snapshots(before, after, options=strict).jumps
    )
    loose = DiffOptions(p95_factor=1.3)
    assert ("frontend → search (shop)", "p95_ms", "p95 100 ms → 140 ms") in _jumps(
        diff_snapshots(before, after, options=loose)
    )


def test_reports_name_things_for_people_and_json_keeps_the_ids() -> None:
    before, after = _pair()
    diff = diff_snapshots(before, after)
    text = diff_text(diff, limit=1)
    assert "workload:" not in text and "Kubernetes" not in text and "->" not in text
    assert "Error, latency and traffic jumps (5)" in text
    assert "  … and 4 more (--limit)" in text
    assert text.rstrip().endswith(
        "5 jumps, 1 new edge, 1 vanished edge, 3 rollouts, 1 pod added, 1 pod removed, "
        "3 config changes"
    )
    import json

    body = json.loads(diff_json(diff))
    assert body["counts"]["jumps"] == 5
    first = body["jumps"][0]
    assert first["entity"]["source"] == FRONTEND.id and first["entity"]["target"] == CART.id
    assert (first["metric"], first["before"], first["after"]) == ("error_ratio", 0.01, 0.2)
    assert body["after"]["end"] == "2026-03-01T12:00:00Z"
