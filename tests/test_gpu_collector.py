"""The GPU transform: DCGM and kube-state-metrics answers -> devices, users, requests, series.

Every answer here is hand-built in the label dialect it stands for (exporter version, scrape
with or without honor_labels), and every expectation is worked out by hand.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from collectors.cluster import ClusterObjects, KubeObject
from collectors.gpu import gpu_graph, gpu_series
from collectors.ids import node_id
from collectors.istio_queries import SERIES_LABELS
from collectors.kinds import EdgeKind, NodeKind
from collectors.model import SERIES_COLUMNS, GraphPart, Node, Snapshot
from collectors.pipeline import build_snapshot
from collectors.prom import InstantSample, MetricsResults, RangeSeries
from collectors.snapshot_io import load_snapshot, save_snapshot

T0 = 1_795_000_000  # a Unix time on a minute boundary
STEP = 60
H100 = "gpu-h100-01"
A100 = "gpu-a100-01"
EXPORTER = {
    "pod": "nvidia-dcgm-exporter-x7k2p",
    "namespace": "gpu-operator",
    "container": "nvidia-dcgm-exporter",
}


def device(machine: str = H100, gpu: int = 0, *, host_label: str = "Hostname") -> dict[str, str]:
    """The labels DCGM puts on every series of one device."""
    return {
        "gpu": str(gpu),
        "UUID": f"GPU-{machine}-{gpu}",
        "modelName": "NVIDIA H100 80GB HBM3" if "h100" in machine else "NVIDIA A100-SXM4-40GB",
        host_label: machine,
    }


def used_by(pod: str, namespace: str = "ml", container: str = "main") -> dict[str, str]:
    """A user as Prometheus records it when it scrapes with honor_labels false."""
    return {
        **EXPORTER,
        "exported_pod": pod,
        "exported_namespace": namespace,
        "exported_container": container,
    }


def mig(profile: str, instance: int) -> dict[str, str]:
    return {"GPU_I_PROFILE": profile, "GPU_I_ID": str(instance)}


def series(labels: dict[str, str], *values: float, first: int = 0) -> RangeSeries:
    """A range series with one value per step, starting ``first`` steps after T0."""
    stamps = T0 + STEP * np.arange(first, first + len(values), dtype=np.int64)
    return RangeSeries(labels, stamps, np.array(values, dtype=np.float64))


def results(
    instant: dict[str, list[InstantSample]] | None = None, **ranges: list[RangeSeries]
) -> MetricsResults:
    start = datetime.fromtimestamp(T0, tz=UTC)
    end = datetime.fromtimestamp(T0 + 3 * STEP, tz=UTC)
    return MetricsResults(
        evaluated_at=end,
        rate_window_seconds=60,
        start=start,
        end=end,
        step_seconds=STEP,
        instant=instant or {},
        range=dict(ranges),
    )


def gpu(machine: str, name: str) -> str:
    return node_id(NodeKind.GPU, name, machine)


def pod_id(name: str, namespace: str = "ml") -> str:
    return node_id(NodeKind.POD, name, namespace)


def nodes_of(part: GraphPart) -> dict[str, Node]:
    return {node.id: node for node in part.nodes}


def users(part: GraphPart) -> dict[tuple[str, str], str]:
    """USES_GPU edges as (pod id, device id) -> container."""
    return {
        (edge.source, edge.target): str(edge.attrs["container"])
        for edge in part.edges
        if edge.kind is EdgeKind.USES_GPU
    }


def values_of(frame: pd.DataFrame, entity: str, metric: str) -> list[float]:
    rows = frame[(frame["entity"] == entity) & (frame["metric"] == metric)]
    return rows.sort_values("timestamp")["value"].tolist()


# --- label variants --------------------------------------------------------------------------


def test_hostname_and_Hostname_both_name_the_machine() -> None:
    part = gpu_graph(
        results(
            gpu_util=[
                series(device(H100, 2, host_label="Hostname"), 10.0),
                series(device("gpu-l4-01", 1, host_label="hostname"), 20.0),
            ]
        )
    )
    found = nodes_of(part)
    assert set(found) == {
        gpu(H100, "2"),
        gpu("gpu-l4-01", "1"),
        node_id(NodeKind.MACHINE, H100),
        node_id(NodeKind.MACHINE, "gpu-l4-01"),
    }
    l4 = found[gpu("gpu-l4-01", "1")]
    assert (l4.name, l4.namespace) == ("1", "gpu-l4-01")
    assert l4.attrs == {
        "machine": "gpu-l4-01",
        "index": 1,
        "gpu_model": "NVIDIA A100-SXM4-40GB",
        "uuid": "GPU-gpu-l4-01-1",
        "mig_enabled": False,
    }
    assert found[node_id(NodeKind.MACHINE, "gpu-l4-01")].attrs == {"observed": False}


def test_exported_pod_is_the_user_and_the_plain_pod_is_the_exporter() -> None:
    # Prometheus scraped with honor_labels false: the free GPU 1 still carries the exporter's
    # own pod, named here without "dcgm-exporter" so only the answer-wide rule can tell.
    exporter = {"pod": "gpu-metrics-4xk9q", "namespace": "monitoring", "container": "exporter"}
    part = gpu_graph(
        results(
            gpu_util=[
                series({**device(H100, 0), **used_by("trainer-0", container="train")}, 90.0),
                series({**device(H100, 1), **exporter}, 0.0),
            ]
        )
    )
    assert users(part) == {(pod_id("trainer-0"), gpu(H100, "0")): "train"}
    pods = [node.id for node in part.nodes if node.kind is NodeKind.POD]
    assert pods == [pod_id("trainer-0")]


def test_a_plain_pod_is_the_user_when_prometheus_honors_labels() -> None:
    labels = {
        **device(H100, 4),
        "pod": "predictor-7f9c",
        "namespace": "serving",
        "container": "kserve",
    }
    part = gpu_graph(results(gpu_util=[series(labels, 40.0, 45.0)]))
    assert users(part) == {(pod_id("predictor-7f9c", "serving"), gpu(H100, "4")): "kserve"}


def test_a_fleet_of_free_gpus_has_no_users_even_without_honor_labels() -> None:
    # No series has exported_pod, so only the exporter's name tells its pod is not a user.
    answer = [series({**device(H100, index), **EXPORTER}, 0.0, 0.0) for index in range(8)]
    part = gpu_graph(results(gpu_util=answer, gpu_memory_used=answer))
    assert users(part) == {}
    assert not [node for node in part.nodes if node.kind is NodeKind.POD]
    assert len([node for node in part.nodes if node.kind is NodeKind.GPU]) == 8


# --- MIG ---------------------------------------------------------------------------------------


def test_mig_instances_are_devices_of_their_gpu_with_derived_utilization_and_memory() -> None:
    gi1 = {**device(A100, 3), **mig("3g.20gb", 1), **used_by("feature-embedder-5d8", "ml")}
    gi13 = {**device(A100, 3), **mig("1g.5gb", 13), **used_by("bob-0", "kubeflow-user")}
    gi14 = {**device(A100, 3), **mig("1g.5gb", 14), **EXPORTER}
    whole = {**device(A100, 0), **used_by("recommender-predictor-0")}
    metrics = results(
        # DCGM gives MIG instances no GPU_UTIL; a stray 0 must not hide the engine activity.
        gpu_util=[series(whole, 50.0, 60.0), series(gi1, 0.0, 0.0)],
        gpu_engine_active=[series(gi1, 0.4, 0.6), series(gi13, 0.1, 0.5), series(gi14, 0.0, 0.0)],
        gpu_memory_used=[series(gi1, 1000.0, 2000.0), series(gi13, 500.0, 700.0)],
        gpu_memory_free=[series(gi1, 19000.0, 18000.0), series(gi13, 4500.0, 4300.0)],
    )
    part = gpu_graph(metrics)
    found = nodes_of(part)
    parent = gpu(A100, "3")
    assert found[gpu(A100, "3/mig-13")].attrs == {
        "machine": A100,
        "index": 3,
        "gpu_model": "NVIDIA A100-SXM4-40GB",
        "uuid": "GPU-gpu-a100-01-3",
        "mig_enabled": True,
        "mig_profile": "1g.5gb",
        "mig_id": 13,
        "parent": parent,
        "memory_total_mib": 5000.0,  # 700 + 4300 at the last sample
    }
    assert found[gpu(A100, "3/mig-13")].name == "3/mig-13"
    assert found[gpu(A100, "3/mig-1")].attrs["memory_total_mib"] == 20000.0
    # The GPU itself reports nothing, yet it is a node: MIG-enabled, its memory the sum.
    assert found[parent].attrs == {
        "machine": A100,
        "index": 3,
        "gpu_model": "NVIDIA A100-SXM4-40GB",
        "uuid": "GPU-gpu-a100-01-3",
        "mig_enabled": True,
        "memory_total_mib": 25000.0,
    }
    assert found[gpu(A100, "0")].attrs["mig_enabled"] is False
    assert users(part) == {
        (pod_id("feature-embedder-5d8"), gpu(A100, "3/mig-1")): "main",
        (pod_id("bob-0", "kubeflow-user"), gpu(A100, "3/mig-13")): "main",
        (pod_id("recommender-predictor-0"), gpu(A100, "0")): "main",
    }

    frame = gpu_series(metrics)
    assert values_of(frame, gpu(A100, "3/mig-1"), "gpu_util") == [40.0, 60.0]
    assert values_of(frame, gpu(A100, "3/mig-13"), "gpu_util") == [10.0, 50.0]
    assert values_of(frame, gpu(A100, "3/mig-14"), "gpu_util") == [0.0, 0.0]
    # Weighted by compute slices: (3 x 40 + 1 x 10 + 1 x 0) / 5, (3 x 60 + 1 x 50 + 1 x 0) / 5.
    assert values_of(frame, parent, "gpu_util") == [26.0, 46.0]
    assert values_of(frame, parent, "gpu_memory_used") == [1500.0, 2700.0]
    assert values_of(frame, parent, "gpu_memory_free") == [23500.0, 22300.0]
    assert values_of(frame, gpu(A100, "0"), "gpu_util") == [50.0, 60.0]  # its own, untouched


def test_a_mig_gpu_reporting_a_metric_keeps_its_own_series_of_it() -> None:
    gi1 = {**device(A100, 3), **mig("3g.20gb", 1), **EXPORTER}
    gi2 = {**device(A100, 3), **mig("4g.20gb", 2), **EXPORTER}
    metrics = results(
        gpu_memory_used=[series(gi1, 100.0), series(gi2, 200.0), series(device(A100, 3), 999.0)],
        gpu_engine_active=[series(gi1, 1.0), series(gi2, 0.0)],
    )
    frame = gpu_series(metrics)
    assert values_of(frame, gpu(A100, "3"), "gpu_memory_used") == [999.0]
    # 3 slices at 100 % and 4 at 0 %: 300 / 7.
    assert values_of(frame, gpu(A100, "3"), "gpu_util") == pytest.approx([300 / 7])


# --- time ------------------------------------------------------------------------------------


def test_a_device_that_changed_hands_belongs_to_its_last_user_and_keeps_the_max() -> None:
    labels = device(H100, 5)
    metrics = results(
        gpu_util=[
            series({**labels, **used_by("old-job-1")}, 80.0, 70.0),  # steps 0-1, then gone
            series({**labels, **used_by("new-job-1")}, 20.0, 30.0, 35.0, first=1),  # steps 1-3
            # Another device, freed before the end of the window: nobody holds it now.
            series({**device(H100, 6), **used_by("short-job-1")}, 90.0, 90.0),
        ]
    )
    part = gpu_graph(metrics)
    assert users(part) == {(pod_id("new-job-1"), gpu(H100, "5")): "main"}
    assert pod_id("old-job-1") not in nodes_of(part)
    frame = gpu_series(metrics)
    assert values_of(frame, gpu(H100, "5"), "gpu_util") == [80.0, 70.0, 30.0, 35.0]
    assert values_of(frame, gpu(H100, "6"), "gpu_util") == [90.0, 90.0]


def test_series_that_cannot_be_placed_are_left_out_counted_in_one_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    no_machine = {"gpu": "0", "modelName": "NVIDIA L4"}
    no_device = {"Hostname": "gpu-l4-01", "modelName": "NVIDIA L4"}
    metrics = results(
        gpu_util=[series(no_machine, 5.0), series(no_device, 6.0), series(device(H100, 0), 7.0)],
        gpu_temperature=[series(no_machine, 40.0)],
    )
    with caplog.at_level(logging.WARNING, logger="collectors.gpu"):
        part = gpu_graph(metrics)
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and warnings[0].startswith("3 GPU series")
    assert {node.id for node in part.nodes} == {gpu(H100, "0"), node_id(NodeKind.MACHINE, H100)}
    frame = gpu_series(metrics)
    assert list(frame["entity"].cat.categories) == [gpu(H100, "0")]
    assert frame["value"].tolist() == [7.0]


# --- kube-state-metrics ------------------------------------------------------------------------


def test_requests_give_pods_whole_gpus_mig_slices_and_pending_when_unscheduled() -> None:
    requests = [
        InstantSample({"namespace": "ml", "pod": "sweep-x2", "resource": "nvidia_com_gpu"}, 4.0),
        InstantSample(
            {
                "namespace": "kubeflow-user",
                "pod": "bob-0",
                "node": A100,
                "resource": "nvidia_com_mig_1g_5gb",
            },
            1.0,
        ),
        InstantSample({"namespace": "ml", "pod": "mixed-0", "node": A100, "resource": "cpu"}, 8.0),
        InstantSample(
            {
                "namespace": "ml",
                "pod": "mixed-0",
                "node": A100,
                "resource": "nvidia_com_mig_2g_10gb",
            },
            2.0,
        ),
        InstantSample(
            {"namespace": "ml", "pod": "mixed-0", "node": A100, "resource": "nvidia_com_gpu"}, 1.0
        ),
    ]
    found = nodes_of(gpu_graph(results({"gpu_requests": requests})))
    assert found[pod_id("sweep-x2")].attrs == {
        "gpu_requested": 4,
        "mig_requested": 0,
        "mig_profile_requested": "",
        "node": "",
        "phase": "Pending",
    }
    assert found[pod_id("bob-0", "kubeflow-user")].attrs == {
        "gpu_requested": 0,
        "mig_requested": 1,
        "mig_profile_requested": "1g.5gb",
        "node": A100,
    }
    assert found[pod_id("mixed-0")].attrs == {
        "gpu_requested": 1,
        "mig_requested": 2,
        "mig_profile_requested": "2g.10gb",
        "node": A100,
    }


def test_requests_scraped_without_honor_labels_read_the_exported_labels() -> None:
    scraper = {"namespace": "monitoring", "pod": "kube-state-metrics-6c9", "node": "infra-1"}
    requests = [
        InstantSample(
            {
                **scraper,
                "exported_namespace": "ml",
                "exported_pod": "trainer-0",
                "exported_node": H100,
                "resource": "nvidia_com_gpu",
            },
            2.0,
        ),
        # Unscheduled: the pod has no node, so the scraper's own ``node`` is left standing.
        InstantSample(
            {
                **scraper,
                "exported_namespace": "ml",
                "exported_pod": "sweep-x2",
                "resource": "nvidia_com_gpu",
            },
            4.0,
        ),
    ]
    found = nodes_of(gpu_graph(results({"gpu_requests": requests})))
    assert {node.id for node in found.values()} == {pod_id("trainer-0"), pod_id("sweep-x2")}
    assert found[pod_id("trainer-0")].attrs["node"] == H100
    assert "phase" not in found[pod_id("trainer-0")].attrs
    assert (found[pod_id("sweep-x2")].attrs["node"], found[pod_id("sweep-x2")].attrs["phase"]) == (
        "",
        "Pending",
    )


def test_allocatable_lands_on_machines() -> None:
    def offered(resource: str, count: float, machine: str = A100) -> InstantSample:
        return InstantSample({"node": machine, "resource": resource}, count)

    allocatable = [
        offered("nvidia_com_gpu", 3.0),
        offered("nvidia_com_mig_1g_5gb", 2.0),
        offered("nvidia_com_mig_2g_10gb", 1.0),
        offered("nvidia_com_mig_3g_20gb", 1.0),
        offered("nvidia_com_gpu", 8.0, H100),
    ]
    found = nodes_of(gpu_graph(results({"gpu_allocatable": allocatable})))
    assert found[node_id(NodeKind.MACHINE, A100)].attrs == {
        "observed": False,
        "gpu_allocatable": 3,
        "mig_allocatable": 4,
    }
    assert found[node_id(NodeKind.MACHINE, H100)].attrs["mig_allocatable"] == 0
    assert not [node for node in found.values() if node.kind is NodeKind.GPU]


# --- the pipeline ------------------------------------------------------------------------------


def _cluster() -> ClusterObjects:
    machine: KubeObject = {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "name": A100,
            "labels": {
                "nvidia.com/gpu.product": "NVIDIA-A100-SXM4-40GB",
                "nvidia.com/gpu.count": "4",
            },
        },
        "status": {
            "capacity": {"nvidia.com/gpu": "3", "nvidia.com/mig-1g.5gb": "2"},
            "allocatable": {"nvidia.com/gpu": "3", "nvidia.com/mig-1g.5gb": "2"},
        },
    }
    job: KubeObject = {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": "trainer", "namespace": "ml"},
        "spec": {"template": {"spec": {"containers": [{"name": "train"}]}}},
    }
    pod: KubeObject = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": "trainer-x7k",
            "namespace": "ml",
            "ownerReferences": [{"kind": "Job", "name": "trainer", "controller": True}],
        },
        "spec": {
            "nodeName": A100,
            "containers": [{"name": "train", "resources": {"limits": {"nvidia.com/gpu": 1}}}],
        },
        "status": {"phase": "Running"},
    }
    return ClusterObjects([machine, job, pod])


def _metrics() -> MetricsResults:
    path = dict(
        zip(SERIES_LABELS, ("ml", "client", "ml", "api", "ml", "api-v1", "http"), strict=True)
    )
    ksm_says = {"node": A100, "resource": "nvidia_com_gpu"}
    return results(
        {
            "gpu_allocatable": [InstantSample(ksm_says, 99.0)],
            "gpu_requests": [
                InstantSample({**ksm_says, "namespace": "ml", "pod": "trainer-x7k"}, 7.0)
            ],
        },
        series_requests=[series({"reporter": "destination", **path}, 1.0, 2.0)],
        gpu_util=[
            series({**device(A100, 0), **used_by("trainer-x7k", container="train")}, 95.0, 97.0)
        ],
    )


def _snapshot() -> Snapshot:
    return build_snapshot(objects=_cluster(), metrics=_metrics(), sources=[], generator="test")


def test_the_pipeline_keeps_cluster_facts_and_adds_what_only_telemetry_knows() -> None:
    snapshot = _snapshot()
    machine = snapshot.node(node_id(NodeKind.MACHINE, A100))
    assert machine.attrs["observed"] is True
    assert (machine.attrs["gpu_allocatable"], machine.attrs["mig_allocatable"]) == (3, 2)
    assert machine.attrs["gpu_devices"] == 4
    assert sorted(n.id for n in snapshot.nodes(NodeKind.GPU)) == [
        gpu(A100, str(index)) for index in range(4)
    ]
    device_0 = snapshot.node(gpu(A100, "0"))
    assert device_0.attrs["gpu_model"] == "NVIDIA A100-SXM4-40GB"  # DCGM names the model
    assert device_0.attrs["gpu_product"] == "NVIDIA-A100-SXM4-40GB"  # and the cluster its label
    assert device_0.attrs["uuid"] == "GPU-gpu-a100-01-0"  # what only DCGM knows
    assert device_0.attrs["mig_enabled"] is False
    assert "uuid" not in snapshot.node(gpu(A100, "1")).attrs  # unseen by DCGM: unknown
    trainer = snapshot.node(pod_id("trainer-x7k"))
    assert (trainer.attrs["gpu_requested"], trainer.attrs["phase"]) == (1, "Running")
    edges = [(e.source, e.target, e.attrs) for e in snapshot.edges(EdgeKind.USES_GPU)]
    assert edges == [(pod_id("trainer-x7k"), gpu(A100, "0"), {"container": "train"})]
    assert snapshot.node(node_id(NodeKind.WORKLOAD, "trainer", "ml")).attrs["gpus"] == 1


def test_the_series_frame_holds_traffic_and_gpu_rows_with_the_fixed_schema() -> None:
    frame = _snapshot().series
    assert tuple(frame.columns) == SERIES_COLUMNS
    assert isinstance(frame["entity"].dtype, pd.CategoricalDtype)
    assert isinstance(frame["metric"].dtype, pd.CategoricalDtype)
    assert str(frame["timestamp"].dtype) == "datetime64[ns, UTC]"
    assert frame["value"].dtype == np.float64
    assert {"request_rate", "gpu_util", "gpu_xid"} <= set(frame["metric"].cat.categories)
    assert values_of(frame, gpu(A100, "0"), "gpu_util") == [95.0, 97.0]
    api = node_id(NodeKind.WORKLOAD, "api-v1", "ml")
    assert values_of(frame, api, "request_rate") == [1.0, 2.0]
    first = frame[frame["entity"] == gpu(A100, "0")]["timestamp"].min()
    assert first == pd.Timestamp(T0, unit="s", tz="UTC")


def test_gpu_series_survive_a_snapshot_file(tmp_path: Path) -> None:
    snapshot = _snapshot()
    path = tmp_path / "gpu.meshlens"
    save_snapshot(snapshot, path)
    loaded = load_snapshot(path)
    pd.testing.assert_frame_equal(loaded.series, snapshot.series)
    assert values_of(loaded.series, gpu(A100, "0"), "gpu_util") == [95.0, 97.0]
    mig_enabled: Any = loaded.node(gpu(A100, "0")).attrs["mig_enabled"]
    assert mig_enabled is False
    assert [e.attrs for e in loaded.edges(EdgeKind.USES_GPU)] == [{"container": "train"}]


def test_no_gpu_answers_no_gpu_part() -> None:
    metrics = _metrics()
    metrics.range = {"series_requests": metrics.range["series_requests"]}
    metrics.instant = {}
    snapshot = build_snapshot(objects=None, metrics=metrics, sources=[], generator="test")
    assert not list(snapshot.nodes(NodeKind.GPU))
    assert set(snapshot.series["metric"].unique()) == {"request_rate"}
