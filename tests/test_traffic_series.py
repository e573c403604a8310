"""traffic_series: range answers -> long-format series keyed by the graph's own ids."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pandas as pd

from collectors.ids import DEFAULT_CLUSTER, node_id
from collectors.istio_queries import SERIES_LABELS
from collectors.kinds import NodeKind
from collectors.model import SERIES_COLUMNS
from collectors.prom import InstantSample, MetricsResults, RangeSeries
from collectors.traffic import traffic_graph
from collectors.traffic_series import traffic_series

T0 = 1_714_564_800  # 2024-05-01 12:00 UTC
STEP = 60
NS = "shop"


def wl(name: str, cluster: str = DEFAULT_CLUSTER) -> str:
    return node_id(NodeKind.WORKLOAD, name, NS, cluster)


def path(
    source: str = "frontend",
    dest: str = "cart-v1",
    service: str = "cart",
    *,
    protocol: str = "http",
    reporter: str = "destination",
) -> dict[str, str]:
    """Series labels of a path (``SERIES_LABELS`` plus reporter)."""
    values = (NS, source, NS, service, "unknown" if dest == "unknown" else NS, dest, protocol)
    return {"reporter": reporter, **dict(zip(SERIES_LABELS, values, strict=True))}


def instant_labels(series_labels: dict[str, str], cluster: str = DEFAULT_CLUSTER) -> dict[str, str]:
    """The same path as the instant queries see it (with cluster labels)."""
    return {**series_labels, "source_cluster": cluster, "destination_cluster": cluster}


def series(labels: dict[str, str], *values: float) -> RangeSeries:
    stamps = T0 + STEP * np.arange(len(values), dtype=np.int64)
    return RangeSeries(labels, stamps, np.array(values, dtype=np.float64))


def results(
    instant: dict[str, list[InstantSample]] | None = None,
    failed: dict[str, str] | None = None,
    **ranges: list[RangeSeries],
) -> MetricsResults:
    start = datetime.fromtimestamp(T0, tz=UTC)
    return MetricsResults(
        evaluated_at=start,
        rate_window_seconds=60,
        start=start,
        end=start,
        step_seconds=STEP,
        instant=instant or {},
        range=dict(ranges),
        failed=failed or {},
    )


def values_of(frame: pd.DataFrame, entity: str, metric: str) -> list[float]:
    rows = frame[(frame["entity"] == entity) & (frame["metric"] == metric)]
    return rows.sort_values("timestamp")["value"].tolist()


def test_schema_and_dtypes() -> None:
    frame = traffic_series(results(series_requests=[series(path(), 1.0, 2.0)]))

    assert tuple(frame.columns) == SERIES_COLUMNS
    assert isinstance(frame["entity"].dtype, pd.CategoricalDtype)
    assert isinstance(frame["metric"].dtype, pd.CategoricalDtype)
    assert str(frame["timestamp"].dtype) == "datetime64[ns, UTC]"
    assert frame["value"].dtype == np.float64
    first = frame.sort_values("timestamp")["timestamp"].iloc[0]
    assert first == pd.Timestamp("2024-05-01 12:00", tz="UTC")


def test_series_entities_are_the_graph_edge_and_node_ids() -> None:
    to_cart, to_unknown = path(), path(dest="unknown", reporter="source")
    east = "east"
    part = traffic_graph(
        results(
            instant={
                "requests": [
                    InstantSample(instant_labels(to_cart, east), 1.0),
                    InstantSample(instant_labels(to_unknown, east), 1.0),
                ]
            }
        )
    )
    frame = traffic_series(
        results(
            instant={
                "requests": [
                    InstantSample(instant_labels(to_cart, east), 1.0),
                    InstantSample(instant_labels(to_unknown, east), 1.0),
                ]
            },
            series_requests=[series(to_cart, 1.0), series(to_unknown, 2.0)],
        )
    )

    graph_ids = {edge.id for edge in part.edges} | {wl("cart-v1", east)}
    assert set(frame["entity"].cat.categories) == graph_ids
    assert wl("cart-v1", east) in {node.id for node in part.nodes}


def test_without_instant_answers_nodes_use_the_default_cluster() -> None:
    frame = traffic_series(results(series_requests=[series(path(), 1.0)]))

    assert wl("cart-v1") in set(frame["entity"])


def test_destination_reporter_wins_per_path() -> None:
    frame = traffic_series(
        results(
            series_requests=[
                series(path(reporter="source"), 9.0, 9.0),
                series(path(reporter="destination"), 4.0, 5.0),
            ]
        )
    )
    edge = traffic_graph(
        results(instant={"requests": [InstantSample(instant_labels(path()), 1.0)]})
    ).edges[0]

    assert values_of(frame, edge.id, "request_rate") == [4.0, 5.0]


def test_node_sums_incoming_paths_and_errors_add_grpc_errors() -> None:
    from_frontend, from_checkout = path(), path("checkout-v1")
    frame = traffic_series(
        results(
            series_requests=[series(from_frontend, 3.0, 4.0), series(from_checkout, 1.0, 2.0)],
            series_errors=[series(from_frontend, 0.5, 1.0)],
            series_grpc_errors=[series(from_frontend, 0.25, 0.0), series(from_checkout, 1.0, 1.0)],
        )
    )

    assert values_of(frame, wl("cart-v1"), "request_rate") == [4.0, 6.0]
    assert values_of(frame, wl("cart-v1"), "error_rate") == [1.75, 2.0]
    frontend_edge = {e for e in frame["entity"].unique() if e.startswith(wl("frontend"))}
    assert len(frontend_edge) == 1
    assert values_of(frame, frontend_edge.pop(), "error_rate") == [0.75, 1.0]


def test_throughput_adds_both_tcp_directions_and_nan_rows_are_dropped() -> None:
    redis = path("cart-v1", "redis-cart", "redis-cart", protocol="tcp")
    frame = traffic_series(
        results(
            series_tcp_sent_bytes=[series(redis, 100.0, np.nan, 30.0)],
            series_tcp_received_bytes=[series(redis, 1000.0, np.nan, np.nan)],
        )
    )

    edges = [e for e in frame["entity"].unique() if "#calls/tcp/" in e]
    assert len(edges) == 1
    assert values_of(frame, edges[0], "throughput") == [1100.0, 30.0]
    assert not frame["value"].isna().any()


def test_latency_edges_from_edge_query_nodes_from_node_query() -> None:
    node_labels = {
        "reporter": "destination",
        "destination_workload_namespace": NS,
        "destination_workload": "cart-v1",
    }
    frame = traffic_series(
        results(
            series_latency_p95=[series(path(), 20.0, 30.0), series(path("checkout-v1"), 90.0)],
            series_node_latency_p95=[series(node_labels, 25.0, 35.0)],
        )
    )

    assert values_of(frame, wl("cart-v1"), "p95_ms") == [25.0, 35.0]
    edge_p95 = frame[(frame["metric"] == "p95_ms") & (frame["entity"] != wl("cart-v1"))]
    assert sorted(edge_p95["value"]) == [20.0, 30.0, 90.0]


def test_edge_fed_by_several_paths_sums_rates_and_keeps_the_worst_p95() -> None:
    # Callers without sidecars in two namespaces share the one unknown source node.
    first = {**path("unknown"), "source_workload_namespace": "unknown"}
    second = {**path(""), "source_workload_namespace": ""}
    frame = traffic_series(
        results(
            series_requests=[series(first, 1.0, np.nan), series(second, 2.0, 2.0)],
            series_latency_p95=[series(first, 20.0, 70.0), series(second, 50.0, np.nan)],
        )
    )

    edges = [e for e in frame["entity"].unique() if "->" in e]
    assert len(edges) == 1
    assert values_of(frame, edges[0], "request_rate") == [3.0, 2.0]
    assert values_of(frame, edges[0], "p95_ms") == [50.0, 70.0]


def test_failed_range_query_is_skipped() -> None:
    frame = traffic_series(
        results(
            failed={"series_errors": "timeout"},
            series_requests=[series(path(), 1.0)],
            series_errors=[series(path(), 5.0)],
        )
    )

    assert set(frame["metric"]) == {"request_rate"}


def test_nothing_answered_gives_an_empty_frame_with_the_schema() -> None:
    frame = traffic_series(results(failed={"series_requests": "down"}))

    assert frame.empty
    assert tuple(frame.columns) == SERIES_COLUMNS


def test_many_series_sum_exactly_on_their_node() -> None:
    paths, points = 2_000, 1_440
    many = [series(path(f"caller-{i}"), *np.full(points, 1.0)) for i in range(paths)]
    frame = traffic_series(results(series_requests=many))

    node_rows = frame[frame["entity"] == wl("cart-v1")]
    assert len(node_rows) == points
    assert (node_rows["value"] == float(paths)).all()
    assert len(frame) == points * (paths + 1)
