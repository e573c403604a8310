"""Service and workload frames for triage: inbound call edges summed, p95 request-weighted."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import numpy as np
import pandas as pd
import pytest
from test_health import snapshot_of

from collectors.ids import node_id
from collectors.kinds import EdgeKind, NodeKind, Protocol
from collectors.model import Edge, Node, Snapshot
from dashboard.analysis.service_series import (
    label_of,
    service_frames,
    top_rows,
    workload_frames,
)

# frontend -> cart-v1 and checkout -> cart-v2, both addressed to service cart; frontend -> db over
# TCP (bytes only); checkout -> idle-v1 whose only request point is 0.
CART = node_id(NodeKind.SERVICE, "cart", "shop")
DB = node_id(NodeKind.SERVICE, "db", "shop")
IDLE = node_id(NodeKind.SERVICE, "idle", "shop")


def wl(name: str) -> str:
    return node_id(NodeKind.WORKLOAD, name, "shop")


def at(minute: int) -> pd.Timestamp:
    return pd.Timestamp(datetime(2026, 3, 2, 10, minute, tzinfo=UTC))


def call(source: str, target: str, service: str, protocol: Protocol = Protocol.HTTP) -> Edge:
    return Edge(wl(source), wl(target), EdgeKind.CALLS, protocol, service=service)


TO_CART_V1 = call("frontend", "cart-v1", CART)
TO_CART_V2 = call("checkout", "cart-v2", CART)
TO_DB = call("frontend", "db-0", DB, Protocol.TCP)
TO_IDLE = call("checkout", "idle-v1", IDLE)


def mesh(rows: list[tuple[str, str, int, float]]) -> Snapshot:
    names = ["frontend", "checkout", "cart-v1", "cart-v2", "db-0", "idle-v1"]
    services = [Node(s, NodeKind.SERVICE, s.rsplit("/", 1)[1], "shop") for s in (CART, DB, IDLE)]
    snapshot = snapshot_of(
        [Node(wl(name), NodeKind.WORKLOAD, name, "shop") for name in names] + services,
        [TO_CART_V1, TO_CART_V2, TO_DB, TO_IDLE],
    )
    snapshot.series = pd.DataFrame(
        [(entity, metric, at(minute), value) for entity, metric, minute, value in rows],
        columns=["entity", "metric", "timestamp", "value"],
    ).astype({"entity": "category", "metric": "category", "value": "float64"})
    return snapshot


def edge_points(
    edge: Edge, metric: str, by_minute: dict[int, float]
) -> list[tuple[str, str, int, float]]:
    return [(edge.id, metric, minute, value) for minute, value in by_minute.items()]


CART_TRAFFIC = [
    # 10:01 both edges, no error points at all; 10:02 3 errors/s on cart-v2;
    # 10:03 cart-v2 without a latency point; 10:04 nothing anywhere; 10:05 cart-v1 alone.
    *edge_points(TO_CART_V1, "request_rate", {1: 10, 2: 10, 3: 10, 5: 4}),
    *edge_points(TO_CART_V1, "p95_ms", {1: 100, 2: 100, 3: 100, 5: 80}),
    *edge_points(TO_CART_V2, "request_rate", {1: 30, 2: 30, 3: 30}),
    *edge_points(TO_CART_V2, "error_rate", {2: 3}),
    *edge_points(TO_CART_V2, "p95_ms", {1: 200, 2: 200}),
    *edge_points(TO_DB, "throughput", {1: 5000, 2: 5000}),
    *edge_points(TO_IDLE, "request_rate", {1: 0}),
]


def test_two_edges_into_one_service_are_summed_and_their_p95_request_weighted() -> None:
    frames = service_frames(mesh(CART_TRAFFIC))

    assert frames.requests.loc[at(1), CART] == 40.0
    assert frames.errors.loc[at(2), CART] == 3.0
    assert frames.error_ratio.loc[at(2), CART] == pytest.approx(3 / 40)
    # 10 rps at 100 ms and 30 rps at 200 ms: (10 * 100 + 30 * 200) / 40.
    assert frames.p95_ms.loc[at(1), CART] == pytest.approx(175.0)
    # cart-v2 had no latency point at 10:03: the p95 is cart-v1's alone, not diluted.
    assert frames.p95_ms.loc[at(3), CART] == pytest.approx(100.0)
    assert frames.p95_ms.loc[at(5), CART] == pytest.approx(80.0)


def test_missing_error_points_where_requests_exist_are_no_errors() -> None:
    frames = service_frames(mesh(CART_TRAFFIC))

    assert frames.errors.loc[at(1), CART] == 0.0
    assert frames.error_ratio.loc[at(1), CART] == 0.0
    assert frames.error_ratio.loc[at(5), CART] == 0.0


def test_a_slot_without_requests_stays_missing_rather_than_zero() -> None:
    frames = service_frames(mesh(CART_TRAFFIC))

    assert list(frames.requests.index) == [at(m) for m in (1, 2, 3, 4, 5)]
    for frame in (frames.requests, frames.errors, frames.error_ratio, frames.p95_ms):
        assert math.isnan(frame[CART][at(4)])


def test_services_without_requests_are_left_out() -> None:
    frames = service_frames(mesh(CART_TRAFFIC))

    # db carried bytes only, idle's one request point was 0.
    for frame in (frames.requests, frames.errors, frames.error_ratio, frames.p95_ms):
        assert list(frame.columns) == [CART]


def test_resolution_averages_rates_within_a_slot() -> None:
    # Points at 10:01 and 10:02 fall into the 5-minute slot ending 10:05: rates are means.
    rows = [
        *edge_points(TO_CART_V1, "request_rate", {1: 10, 2: 20}),
        *edge_points(TO_CART_V2, "request_rate", {1: 30, 2: 30}),
    ]
    frames = service_frames(mesh(rows), resolution="5min")

    assert list(frames.requests.index) == [at(5)]
    assert frames.requests.loc[at(5), CART] == pytest.approx(15.0 + 30.0)


def test_a_snapshot_without_series_gives_empty_frames() -> None:
    frames = service_frames(mesh([]))

    assert frames.requests.empty
    assert frames.p95_ms.empty
    assert workload_frames(mesh([])).error_ratio.empty


def test_workloads_use_their_own_series_and_otherwise_the_calls_into_them() -> None:
    # cart-v1's own series (12 rps, what every caller sent) wins over the one edge we know of;
    # cart-v2 has none, so its inbound edge stands for it.
    own = [
        (wl("cart-v1"), "request_rate", 1, 12.0),
        (wl("cart-v1"), "error_rate", 1, 6.0),
        (wl("cart-v1"), "p95_ms", 1, 120.0),
    ]
    frames = workload_frames(mesh(CART_TRAFFIC + own))

    assert list(frames.requests.columns) == [wl("cart-v1"), wl("cart-v2")]
    assert frames.requests.loc[at(1), wl("cart-v1")] == 12.0
    assert frames.error_ratio.loc[at(1), wl("cart-v1")] == pytest.approx(0.5)
    assert frames.p95_ms.loc[at(1), wl("cart-v1")] == 120.0
    assert frames.requests.loc[at(2), wl("cart-v2")] == 30.0
    assert frames.error_ratio.loc[at(2), wl("cart-v2")] == pytest.approx(0.1)
    assert frames.p95_ms.loc[at(1), wl("cart-v2")] == 200.0
    # A slot of cart-v1 where only the edge had points: its own series said nothing.
    assert math.isnan(frames.requests[wl("cart-v1")][at(2)])


def test_labels_read_namespace_and_name() -> None:
    snapshot = mesh([])
    snapshot.add_node(Node(node_id(NodeKind.NAMESPACE, "shop"), NodeKind.NAMESPACE, "shop"))

    assert label_of(snapshot, CART) == "shop/cart"
    assert label_of(snapshot, node_id(NodeKind.NAMESPACE, "shop")) == "shop"
    # Not in the graph: read from the id; not an id at all: as it is.
    assert label_of(snapshot, node_id(NodeKind.SERVICE, "gone", "web")) == "web/gone"
    assert label_of(snapshot, "not an id") == "not an id"


RANKED = pd.DataFrame(
    {
        "b": [0.1, 0.5, 0.2],
        "a": [0.5, 0.1, 0.2],
        "c": [0.0, 0.3, np.nan],
        "silent": [np.nan, np.nan, np.nan],
        "d": [0.0, 0.0, 0.0],
    }
)


def test_top_rows_by_max_is_worst_first_with_ties_by_name() -> None:
    assert top_rows(RANKED, limit=10, by="max") == ["a", "b", "c", "d"]
    assert top_rows(RANKED, limit=2, by="max") == ["a", "b"]


def test_top_rows_by_last_ranks_the_final_slot_and_puts_silent_ones_last() -> None:
    assert top_rows(RANKED, limit=10, by="last") == ["a", "b", "d", "c"]


def test_top_rows_edge_cases() -> None:
    assert top_rows(RANKED, limit=0, by="max") == []
    assert top_rows(pd.DataFrame(), limit=5, by="max") == []
    with pytest.raises(ValueError, match="'max' or 'last'"):
        top_rows(RANKED, limit=5, by="mean")  # type: ignore[arg-type]
