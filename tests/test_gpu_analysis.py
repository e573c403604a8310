"""The GPU page's analysis: the fleet and who holds what, allocation against use, waiting pods
and XID events, on hand-built fleets shaped like the demo's."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest
from gpu_graphs import A100, H100, L4, NAN, Fleet, per_minute

from collectors.ids import node_id
from collectors.kinds import NodeKind
from collectors.model import Snapshot
from dashboard.analysis.gpu_fleet import all_devices, gpu_fleet, gpu_user
from dashboard.analysis.gpu_pending import pending_gpu_pods
from dashboard.analysis.gpu_types import GpuUser, XidEvent
from dashboard.analysis.gpu_usage import allocation, device_frame, workload_gpus
from dashboard.analysis.gpu_xid import XID_MEANINGS, xid_events

ML = "ml-platform"
USER_NS = "kubeflow-user-example-com"


def demo_like() -> tuple[Fleet, Snapshot]:
    """The demo's three GPU machines and who holds what at the end of a 6-hour window."""
    fleet = Fleet()
    h100 = fleet.machine("gpu-h100-01", 8, product=H100)
    # Added out of name order: the fleet sorts machines by name.
    l4 = fleet.machine("gpu-l4-01", 4, product=L4, dcgm_model=False)
    a100 = fleet.machine("gpu-a100-01", 4, allocatable=3, mig_allocatable=4)
    mig = {gi: fleet.mig(a100[3], gi, p) for gi, p in ((14, "1g.5gb"), (1, "3g.20gb"),
                                                       (13, "1g.5gb"), (5, "2g.10gb"))}  # fmt: skip

    def holder(name: str, pod: str, namespace: str, kind: str, *gpus: str) -> str:
        owner = fleet.workload(name, namespace, kind=kind)
        pod_id = fleet.pod(pod, namespace, owner=owner)
        container = "kserve-container" if name.endswith("-predictor") else "main"
        for gpu in gpus:
            fleet.assign(pod_id, gpu, container)
        return pod_id

    holder("recommender-finetune", "recommender-finetune-q8x2z", ML, "Job", *h100[:4])
    holder("llm-assistant-predictor", "llm-assistant-predictor-5c7d-9kx2p", ML, "Deployment",
           *h100[4:6])  # fmt: skip
    predictor = node_id(NodeKind.WORKLOAD, "llm-assistant-predictor", ML)
    fleet.service("llm-assistant-predictor", ML, predictor)
    holder("recommender-predictor", "recommender-predictor-6f9b-2xk8d", ML, "Deployment", a100[0])
    train = holder("recommender-training-nightly", "recommender-training-nightly-3141", ML,
                   "Workflow", a100[1])  # fmt: skip
    fleet.pipeline_step("recommender-training-nightly", "recommender-training-nightly-3141", ML,
                        train)  # fmt: skip
    holder("alice", "alice-0", USER_NS, "StatefulSet", a100[2])
    holder("feature-embedder", "feature-embedder-7d9f-abcde", ML, "Deployment", mig[1])
    holder("bob", "bob-0", USER_NS, "StatefulSet", mig[13])
    holder("fraud-detector-predictor", "fraud-detector-predictor-0001-x", ML, "Deployment", l4[0])

    fleet.util(h100[0], per_minute((180, 80.0), (181, 100.0)))
    fleet.series(h100[0], "gpu_memory_used", [float(minute) for minute in range(361)])
    fleet.series(h100[0], "gpu_temperature", per_minute((360, 60.0), (1, 71.0)))
    fleet.series(h100[0], "gpu_power", per_minute((359, 400.0), (1, 650.0), (1, NAN)))
    fleet.series(h100[5], "gpu_xid", per_minute((100, 0.0), (30, 63.0), (231, 0.0)))
    return fleet, fleet.build()


# The fleet -----------------------------------------------------------------------------------


def test_machines_by_name_devices_by_index_and_mig_instances_under_their_gpu() -> None:
    _, snapshot = demo_like()
    fleet = gpu_fleet(snapshot)

    assert [machine.name for machine in fleet] == ["gpu-a100-01", "gpu-h100-01", "gpu-l4-01"]
    a100, h100, _ = fleet
    assert [device.index for device in h100.devices] == list(range(8))
    gpu3 = a100.devices[3]
    assert [(s.mig_id, s.mig_profile) for s in gpu3.slices] == [
        (1, "3g.20gb"),
        (5, "2g.10gb"),
        (13, "1g.5gb"),
        (14, "1g.5gb"),
    ]
    assert {s.parent for s in gpu3.slices} == {gpu3.id}
    assert gpu3.slices[2].label == "gpu-a100-01 GPU 3 · MIG 1g.5gb #13"
    assert len(all_devices(fleet)) == 8 + 4 + 4 + 4
    assert all_devices(fleet)[gpu3.slices[0].id] == gpu3.slices[0]


def test_product_prefers_dcgm_model_names_and_allocatable_comes_from_the_node() -> None:
    _, snapshot = demo_like()
    a100, h100, l4 = gpu_fleet(snapshot)

    assert (a100.product, h100.product) == ("NVIDIA A100-SXM4-40GB", "NVIDIA H100 80GB HBM3")
    assert l4.product == "NVIDIA-L4"  # no DCGM model yet: the node's label
    assert l4.devices[0].model == "NVIDIA-L4"
    assert h100.devices[0].memory_total_mib == 81559.0
    assert h100.devices[0].uuid == "GPU-gpu-h100-01-0"
    assert (a100.gpus_allocatable, a100.mig_allocatable) == (3, 4)
    assert (h100.gpus_allocatable, h100.mig_allocatable) == (8, None)


def test_readings_are_the_window_mean_and_its_last_samples() -> None:
    fleet, snapshot = demo_like()
    gpu0 = gpu_fleet(snapshot)[1].devices[0]

    assert gpu0.util_mean == pytest.approx((180 * 80 + 181 * 100) / 361)
    assert (gpu0.util_now, gpu0.memory_used_mib) == (100.0, 360.0)
    assert gpu0.temperature_c == 71.0
    assert gpu0.power_w == 650.0  # the last known sample: the final one is missing

    earlier = gpu_fleet(snapshot, start=fleet.at(100), end=fleet.at(150))[1].devices[0]
    assert (earlier.util_mean, earlier.util_now, earlier.memory_used_mib) == (80.0, 80.0, 150.0)
    late = gpu_fleet(snapshot, start=fleet.at(180))[1].devices[0]
    assert late.util_mean == 100.0

    free = gpu_fleet(snapshot)[1].devices[7]
    assert (free.user, free.util_mean, free.util_now, free.memory_used_mib) == (None,) * 4


def test_xid_errors_show_on_their_device_within_the_window() -> None:
    fleet, snapshot = demo_like()
    gpu5 = gpu_fleet(snapshot)[1].devices[5]

    assert gpu5.xids == (XidEvent(fleet.at(100), gpu5.id, 63, XID_MEANINGS[63]),)
    assert gpu_fleet(snapshot, start=fleet.at(200))[1].devices[5].xids == ()


# Who holds what ------------------------------------------------------------------------------


def test_a_gpu_leads_to_its_pod_workload_and_the_services_selecting_it() -> None:
    _, snapshot = demo_like()
    gpu4 = gpu_fleet(snapshot)[1].devices[4]

    assert gpu4.user == GpuUser(
        pod=node_id(NodeKind.POD, "llm-assistant-predictor-5c7d-9kx2p", ML),
        workload=node_id(NodeKind.WORKLOAD, "llm-assistant-predictor", ML),
        namespace=ML,
        container="kserve-container",
        services=(node_id(NodeKind.SERVICE, "llm-assistant-predictor", ML),),
    )


def test_a_gpu_leads_to_the_pipeline_step_and_run_that_hold_it() -> None:
    _, snapshot = demo_like()
    user = gpu_fleet(snapshot)[0].devices[1].user

    assert user is not None
    assert user.pipeline_step == node_id(
        NodeKind.PIPELINE_STEP, "recommender-training-nightly-3141", ML
    )
    assert user.pipeline_run == node_id(NodeKind.PIPELINE_RUN, "recommender-training-nightly", ML)
    assert user.workload == node_id(NodeKind.WORKLOAD, "recommender-training-nightly", ML)
    assert user.services == ()


def test_a_mig_instance_has_its_own_user_and_free_instances_none() -> None:
    _, snapshot = demo_like()
    slices = gpu_fleet(snapshot)[0].devices[3].slices

    assert [s.user.pod.rsplit("/", 1)[-1] if s.user else None for s in slices] == [
        "feature-embedder-7d9f-abcde",
        None,
        "bob-0",
        None,
    ]
    assert gpu_fleet(snapshot)[0].devices[3].user is None


def test_a_pod_the_graph_does_not_hold_is_known_by_its_id() -> None:
    _, snapshot = demo_like()
    pod = node_id(NodeKind.POD, "ghost-0", "ml")
    assert gpu_user(snapshot, pod, "trainer") == GpuUser(pod, namespace="ml", container="trainer")


# Allocation against use ----------------------------------------------------------------------


def allocation_fleet() -> tuple[Fleet, Snapshot]:
    """Six hours: a finetune job on 2 GPUs at 90 %, an embedder on a 3g slice for the last
    3 hours at 40 %, an idle notebook at 0.5 %, a solver on a GPU DCGM does not report, a
    pending pod and free devices that do not count."""
    fleet = Fleet()
    gpus = fleet.machine("gpu-a100-01", 4, product=A100)
    embedder_slice, free_slice = fleet.mig(gpus[3], 1, "3g.20gb"), fleet.mig(gpus[3], 13, "1g.5gb")
    finetune = fleet.pod("finetune-0", ML, owner=fleet.workload("finetune", ML, kind="Job"))
    embedder = fleet.pod("embedder-0", ML, owner=fleet.workload("embedder", ML),
                         created=fleet.at(180))  # fmt: skip
    alice = fleet.workload("alice", USER_NS, kind="StatefulSet")
    fleet.assign(finetune, gpus[0])
    fleet.assign(finetune, gpus[1])
    fleet.assign(embedder, embedder_slice)
    fleet.assign(fleet.pod("alice-0", USER_NS, owner=alice), gpus[2])
    fleet.pod("solver-0", "team-x", owner=fleet.workload("solver", "team-x"), gpus=1)
    fleet.pod("waiting-0", "team-x", phase="Pending", gpus=2)
    for gpu in gpus[:2]:
        fleet.util(gpu, [90.0] * 361)
    fleet.util(embedder_slice, per_minute((180, 0.0), (181, 40.0)))
    fleet.util(gpus[2], [0.5] * 361)
    fleet.util(free_slice, [0.0] * 361)
    return fleet, fleet.build()


def test_allocation_by_namespace_counts_hours_shares_and_use() -> None:
    _, snapshot = allocation_fleet()
    rows = allocation(snapshot, gpu_fleet(snapshot), by="namespace")

    assert [row.key for row in rows] == ["team-x", USER_NS, ML]
    solver, notebook, platform = rows
    assert (solver.gpus_allocated, solver.devices, solver.util_mean) == (1.0, 1, None)
    assert (solver.gpu_hours_allocated, solver.gpu_hours_used) == (6.0, 0.0)
    assert notebook.gpu_hours_allocated == 6.0
    assert notebook.gpu_hours_used == pytest.approx(0.03)
    assert notebook.gpu_hours_idle == pytest.approx(5.97)
    # 2 GPUs x 6 h at 90 %, and 3/7 of a GPU x 3 h (since the embedder's creation) at 40 %.
    assert platform.label == ML
    assert platform.devices == 3
    assert platform.gpus_allocated == pytest.approx(2 + 3 / 7)
    assert platform.gpu_hours_allocated == pytest.approx(12 + 9 / 7)
    assert platform.gpu_hours_used == pytest.approx(10.8 + 9 / 7 * 0.4)
    assert platform.util_mean == pytest.approx((10.8 + 9 / 7 * 0.4) / (12 + 9 / 7) * 100)


def test_allocation_by_workload_ranks_the_most_idle_hours_first() -> None:
    _, snapshot = allocation_fleet()
    rows = allocation(snapshot, gpu_fleet(snapshot), by="workload")

    assert [row.label for row in rows] == [
        "team-x/solver",
        f"{USER_NS}/alice",
        f"{ML}/finetune",
        f"{ML}/embedder",
    ]
    assert rows[0].key == node_id(NodeKind.WORKLOAD, "solver", "team-x")
    assert [round(row.gpu_hours_idle, 4) for row in rows] == [6.0, 5.97, 1.2, round(27 / 35, 4)]
    assert rows[3].util_mean == pytest.approx(40.0)


def test_allocation_over_a_shorter_window_and_an_unknown_grouping() -> None:
    fleet, snapshot = allocation_fleet()
    rows = allocation(snapshot, gpu_fleet(snapshot), by="namespace", start=fleet.at(300))
    assert {row.key: row.gpu_hours_allocated for row in rows} == pytest.approx(
        {"team-x": 1.0, USER_NS: 1.0, ML: 2 + 3 / 7}
    )
    with pytest.raises(ValueError, match="namespace"):
        allocation(snapshot, gpu_fleet(snapshot), by="team")  # type: ignore[arg-type]


def test_workload_badges_count_devices_and_their_mean_use() -> None:
    _, snapshot = allocation_fleet()
    badges = workload_gpus(gpu_fleet(snapshot))

    finetune = node_id(NodeKind.WORKLOAD, "finetune", ML)
    embedder = node_id(NodeKind.WORKLOAD, "embedder", ML)
    assert set(badges) == {finetune, embedder, node_id(NodeKind.WORKLOAD, "alice", USER_NS)}
    assert (badges[finetune].devices, badges[finetune].util_mean) == (2, 90.0)
    assert badges[finetune].device_ids == (
        node_id(NodeKind.GPU, "0", "gpu-a100-01"),
        node_id(NodeKind.GPU, "1", "gpu-a100-01"),
    )
    assert badges[embedder].util_mean == pytest.approx(181 * 40 / 361)


def test_device_frame_has_one_column_per_metric_in_the_contract_order() -> None:
    fleet = Fleet(minutes=61)
    gpu = fleet.machine("gpu-l4-01", 1, product=L4)[0]
    fleet.series(gpu, "gpu_temperature", [50.0] * 61)
    fleet.series(gpu, "gpu_memory_used", [100.0] * 61)
    fleet.util(gpu, [10.0] * 61)
    fleet.series(gpu, "gpu_util", [30.0], first=60)  # two series met at the last step
    snapshot = fleet.build()

    frame = device_frame(snapshot, gpu)
    assert list(frame.columns) == ["gpu_util", "gpu_memory_used", "gpu_temperature"]
    assert isinstance(frame.index, pd.DatetimeIndex) and str(frame.index.tz) == "UTC"
    assert len(frame) == 61
    assert frame["gpu_util"].iloc[-1] == 30.0
    assert len(device_frame(snapshot, gpu, start=fleet.at(50), end=fleet.at(59))) == 10
    empty = device_frame(snapshot, node_id(NodeKind.GPU, "9", "gpu-l4-01"))
    assert empty.empty and isinstance(empty.index, pd.DatetimeIndex)


# Waiting pods --------------------------------------------------------------------------------

MESSAGE = "0/9 nodes are available: 1 Insufficient nvidia.com/gpu, 8 node(s) didn't match."


def pending_fleet() -> tuple[Fleet, Snapshot]:
    fleet, _ = demo_like()
    sweep = fleet.workload("llm-finetune-sweep", ML, kind="Job")
    fleet.pod("llm-finetune-sweep-x7k2p", ML, owner=sweep, phase="Pending", gpus=4,
              product="NVIDIA-H100-80GB-HBM3", created=fleet.at(335), message=MESSAGE)  # fmt: skip
    fleet.pod("b200-trial-0", ML, phase="Pending", gpus=1, product="NVIDIA-B200",
              created=fleet.at(350))  # fmt: skip
    fleet.pod("carol-0", USER_NS, phase="Pending", mig=1, mig_profile="1g.5gb",
              product="NVIDIA-A100-SXM4-40GB", created=fleet.at(300))  # fmt: skip
    fleet.pod("anything-0", ML, phase="Pending", gpus=1, created=fleet.at(100))
    fleet.pod("huge-slice-0", ML, phase="Pending", mig=2, mig_profile="7g.40gb",
              created=fleet.at(359))  # fmt: skip
    fleet.pod("cpu-only-0", ML, phase="Pending")
    fleet.pod("running-0", ML, gpus=1)
    return fleet, fleet.build()


def test_pending_pods_longest_waiting_first_with_what_they_ask() -> None:
    fleet, snapshot = pending_fleet()
    pending = pending_gpu_pods(snapshot, gpu_fleet(snapshot))

    assert [pod.name for pod in pending] == [
        "anything-0",
        "carol-0",
        "llm-finetune-sweep-x7k2p",
        "b200-trial-0",
        "huge-slice-0",
    ]
    sweep = pending[2]
    assert sweep.pod == node_id(NodeKind.POD, "llm-finetune-sweep-x7k2p", ML)
    assert sweep.workload == node_id(NodeKind.WORKLOAD, "llm-finetune-sweep", ML)
    assert (sweep.gpus, sweep.mig, sweep.product) == (4, "", "NVIDIA-H100-80GB-HBM3")
    assert sweep.since == fleet.end - timedelta(minutes=25)
    assert sweep.scheduler_message == MESSAGE
    assert (pending[1].gpus, pending[1].mig) == (0, "1g.5gb x 1")


def test_why_names_who_holds_the_gpus_a_pod_waits_for() -> None:
    _, snapshot = pending_fleet()
    why = {pod.name: (pod.why, pod.free_matching) for pod in
           pending_gpu_pods(snapshot, gpu_fleet(snapshot))}  # fmt: skip

    assert why["llm-finetune-sweep-x7k2p"] == (
        "needs 4 NVIDIA-H100-80GB-HBM3 GPUs; gpu-h100-01 has 2 of 8 free "
        "(4 held by ml-platform/recommender-finetune, 2 by ml-platform/llm-assistant-predictor)",
        2,
    )
    assert why["b200-trial-0"] == ("no node offers NVIDIA-B200 GPUs", 0)
    assert why["huge-slice-0"] == ("no node offers MIG 7g.40gb instances", 0)
    assert why["carol-0"] == (
        "needs 1 NVIDIA-A100-SXM4-40GB MIG 1g.5gb instance; gpu-a100-01 has 1 of 2 free "
        f"(1 held by {USER_NS}/bob); enough are free on gpu-a100-01: see the scheduler's message",
        1,
    )
    # Any GPU will do; the MIG-split GPU 3 is not offered whole.
    assert why["anything-0"] == (
        "needs 1 GPU; gpu-a100-01 has 0 of 3 free (1 held by kubeflow-user-example-com/alice, "
        "1 by ml-platform/recommender-predictor, 1 by ml-platform/recommender-training-nightly)"
        "; gpu-h100-01 has 2 of 8 free (4 held by ml-platform/recommender-finetune, "
        "2 by ml-platform/llm-assistant-predictor); gpu-l4-01 has 3 of 4 free "
        "(1 held by ml-platform/fraud-detector-predictor); enough are free on gpu-h100-01, "
        "gpu-l4-01: see the scheduler's message",
        5,
    )


# XID events ----------------------------------------------------------------------------------


def test_an_xid_event_is_where_the_gauge_turns_to_a_new_code() -> None:
    t0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
    times = [t0 + timedelta(minutes=m) for m in range(10)]
    values = [0.0, 63.0, 63.0, 0.0, 63.0, NAN, 63.0, 31.0, 31.0, 999.0]

    events = xid_events("gpu:Kubernetes/gpu-1/0", times, values)

    assert [(e.at, e.code) for e in events] == [
        (times[1], 63),
        (times[4], 63),  # cleared to 0 in between: a new error
        (times[7], 31),
        (times[9], 999),
    ]
    assert events[0].meaning == XID_MEANINGS[63]
    assert events[-1].meaning == ""  # a code the catalogue does not know


def test_a_code_held_from_the_first_sample_and_naive_or_pandas_times() -> None:
    times = pd.date_range("2026-03-02 08:00", periods=3, freq="1min")  # naive: read as UTC
    [event] = xid_events("gpu:Kubernetes/gpu-1/0", times, [79.0, 79.0, 79.0])
    assert event.at == datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
    assert type(event.at) is datetime
    assert "fallen off the bus" in event.meaning
    assert xid_events("gpu:Kubernetes/gpu-1/0", times, [0.0, NAN, 0.0]) == ()


def test_the_xid_catalogue_explains_the_codes_people_meet() -> None:
    expected = {13, 31, 43, 45, 48, 61, 62, 63, 64, 74, 79, 92, 94, 95, 119, 120}
    assert expected <= set(XID_MEANINGS)
    assert all(meaning and "\n" not in meaning for meaning in XID_MEANINGS.values())
