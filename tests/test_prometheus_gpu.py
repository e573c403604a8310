"""The GPU view from a real Prometheus holding the demo's DCGM and kube-state-metrics samples.

The demo path answers the fixed GPU queries from its own samples; the live path sends them to
Debian's Prometheus, backfilled by promtool with the same samples (the last two hours, see
``tests/prometheus_server.py``). With the same cluster objects, both must give the same GPU page:
devices, who holds them, their numbers, the waste list and the pods waiting.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from prometheus_server import GPU_HISTORY_SECONDS, BackfilledDemo

from collectors.kinds import NodeKind, SourceState
from collectors.model import Snapshot, SourceStatus
from collectors.sources.prometheus import PrometheusConfig, PrometheusMetrics, prometheus_snapshot
from dashboard.analysis.gpu_fleet import all_devices, gpu_fleet
from dashboard.analysis.gpu_pending import pending_gpu_pods
from dashboard.analysis.gpu_types import GpuMachine
from dashboard.analysis.gpu_usage import allocation, idle_gpus


@pytest.fixture(scope="module")
def live(backfilled_demo: BackfilledDemo) -> Snapshot:
    source = PrometheusMetrics(PrometheusConfig(backfilled_demo.url))
    cluster = SourceStatus("demo", "cluster", SourceState.OK, "the demo's objects")
    return prometheus_snapshot(
        source,
        end=backfilled_demo.demo.metrics.evaluated_at,
        span=timedelta(seconds=GPU_HISTORY_SECONDS),
        step_seconds=15,  # the demo's scrape interval: every sample is read back
        objects=backfilled_demo.demo.objects,
        cluster=cluster,
    )


@pytest.fixture(scope="module")
def fleets(live: Snapshot, demo: Snapshot) -> tuple[tuple[GpuMachine, ...], ...]:
    window = {"start": live.meta.start, "end": live.meta.end}
    return gpu_fleet(live), gpu_fleet(demo, **window)


def test_the_live_fleet_is_the_demo_fleet_device_by_device(
    live: Snapshot, fleets: tuple[tuple[GpuMachine, ...], ...]
) -> None:
    live_fleet, demo_fleet = fleets
    assert len(list(live.nodes(NodeKind.GPU))) == 20  # 16 GPUs and 4 MIG instances
    live_devices, demo_devices = all_devices(live_fleet), all_devices(demo_fleet)
    assert sorted(live_devices) == sorted(demo_devices)
    assert [m.name for m in live_fleet] == ["gpu-a100-01", "gpu-h100-01", "gpu-l4-01"]
    for device_id, shown in demo_devices.items():
        got = live_devices[device_id]
        assert (got.model, got.uuid, got.mig_profile, got.user) == (
            shown.model,
            shown.uuid,
            shown.mig_profile,
            shown.user,
        ), device_id
        for field in ("util_now", "memory_used_mib", "temperature_c", "power_w"):
            assert getattr(got, field) == getattr(shown, field), (device_id, field)
        assert got.util_mean == pytest.approx(shown.util_mean, abs=1e-9), device_id
        assert got.memory_total_mib == shown.memory_total_mib, device_id
        assert [(x.at, x.code) for x in got.xids] == [(x.at, x.code) for x in shown.xids]
    train = live_devices["gpu:Kubernetes/gpu-a100-01/1"]
    assert [x.code for x in train.xids] == [31]
    assert train.user is not None and train.user.pipeline_step


def test_the_live_waste_list_waiting_pods_and_allocation_match_the_demo(
    live: Snapshot, demo: Snapshot, fleets: tuple[tuple[GpuMachine, ...], ...]
) -> None:
    live_fleet, demo_fleet = fleets
    live_idle = idle_gpus(live, live_fleet)
    demo_idle = idle_gpus(demo, demo_fleet, end=live.meta.end)
    assert [(i.device.id, i.owner, i.idle_minutes) for i in live_idle] == [
        ("gpu:Kubernetes/gpu-a100-01/2", "StatefulSet kubeflow-user-example-com/alice", 120.0)
    ]
    assert [(i.device.id, i.owner) for i in demo_idle] == [
        (i.device.id, i.owner) for i in live_idle
    ]
    assert pending_gpu_pods(live, live_fleet) == pending_gpu_pods(demo, demo_fleet)
    window = {"start": live.meta.start, "end": live.meta.end}
    live_rows = allocation(live, live_fleet, by="workload")
    demo_rows = allocation(demo, demo_fleet, by="workload", **window)
    assert [(r.key, r.devices) for r in live_rows] == [(r.key, r.devices) for r in demo_rows]
    for got, shown in zip(live_rows, demo_rows, strict=True):
        assert got.gpu_hours_used == pytest.approx(shown.gpu_hours_used, rel=1e-9), got.key
