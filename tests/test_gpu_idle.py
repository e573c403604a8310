"""The idle rule: which held GPUs did no work, since when, and for how long.

Samples are a minute apart and an idle run starts at its first sample under the threshold, so
N idle samples after a busy one span N - 1 minutes.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from gpu_graphs import NAN, Fleet, per_minute

from collectors.model import Snapshot
from dashboard.analysis.gpu_fleet import gpu_fleet
from dashboard.analysis.gpu_types import IdleGpu, IdleRule
from dashboard.analysis.gpu_usage import idle_gpus

USER_NS = "kubeflow-user-example-com"


def one_notebook(
    util: list[float], *, minutes: int = 341, created: datetime | None = None
) -> tuple[Fleet, str]:
    """gpu-a100-01 GPU 2 held by notebook alice-0 (StatefulSet alice) with these samples."""
    fleet = Fleet(minutes=minutes)
    gpu = fleet.machine("gpu-a100-01")[2]
    alice = fleet.workload("alice", USER_NS, kind="StatefulSet")
    fleet.assign(fleet.pod("alice-0", USER_NS, owner=alice, created=created), gpu)
    fleet.util(gpu, util)
    fleet.series(gpu, "gpu_memory_used", [9800.0] * minutes)
    return fleet, gpu


def idle_of(snapshot: Snapshot, rule: IdleRule | None = None) -> list[IdleGpu]:
    return idle_gpus(snapshot, gpu_fleet(snapshot), rule or IdleRule())


def test_a_notebook_idle_five_hours_after_forty_active_minutes() -> None:
    fleet, gpu = one_notebook(per_minute((40, 35.0), (301, 0.5)))

    [idle] = idle_of(fleet.build())

    assert idle.device.id == gpu
    assert idle.idle_since == fleet.at(40)
    assert idle.idle_minutes == 300.0
    assert idle.owner == f"StatefulSet {USER_NS}/alice"
    assert idle.user.pod.endswith("/alice-0")
    assert idle.util_max == 0.5
    assert idle.memory_used_mib == 9800.0


def test_a_device_busy_at_the_end_is_not_idle() -> None:
    fleet, _ = one_notebook(per_minute((340, 0.0), (1, 50.0)))
    assert idle_of(fleet.build()) == []


def test_a_dip_shorter_than_the_rule_is_not_idle_and_one_as_long_is() -> None:
    short, _ = one_notebook(per_minute((311, 60.0), (30, 1.0)))  # 29 minutes under 5 %
    assert idle_of(short.build()) == []

    long_enough, _ = one_notebook(per_minute((310, 60.0), (31, 1.0)))  # 30 minutes
    [idle] = idle_of(long_enough.build())
    assert idle.idle_minutes == 30.0

    # A dip in the middle of busy work is not idle either.
    middle, _ = one_notebook(per_minute((100, 60.0), (120, 0.0), (121, 60.0)))
    assert idle_of(middle.build()) == []


def test_missing_samples_neither_break_nor_extend_an_idle_run() -> None:
    gap_inside, _ = one_notebook(per_minute((100, 50.0), (100, 1.0), (20, NAN), (121, 1.0)))
    [idle] = idle_of(gap_inside.build())
    assert idle.idle_since == gap_inside.at(100)
    assert idle.idle_minutes == 240.0

    # The gap right after the busy stretch does not count as idle time.
    gap_before, _ = one_notebook(per_minute((300, 50.0), (10, NAN), (31, 1.0)))
    [idle] = idle_of(gap_before.build())
    assert idle.idle_since == gap_before.at(310)
    assert idle.idle_minutes == 30.0

    # Nothing but gaps after busy work: nothing shows it idle.
    only_gaps, _ = one_notebook(per_minute((300, 50.0), (41, NAN)))
    assert idle_of(only_gaps.build()) == []


def test_exactly_at_the_threshold_is_not_under_it() -> None:
    at_threshold, _ = one_notebook([5.0] * 341)
    assert idle_of(at_threshold.build()) == []

    just_under, _ = one_notebook([4.99] * 341)
    [idle] = idle_of(just_under.build())
    assert idle.idle_since == just_under.start  # idle for the whole window
    assert idle.idle_minutes == 340.0
    assert idle.util_max == 4.99

    assert idle_of(at_threshold.build(), IdleRule(threshold_pct=5.01)) != []


def test_an_idle_run_covering_the_window_starts_when_the_pod_was_created() -> None:
    clock = Fleet(minutes=341)  # the same window as one_notebook's, to name its minutes
    # Before its creation another pod worked on the device; that is not this pod's idleness.
    reused, _ = one_notebook(per_minute((100, 80.0), (241, 0.0)), created=clock.at(100))
    [idle] = idle_of(reused.build())
    assert (idle.idle_since, idle.idle_minutes) == (clock.at(100), 240.0)

    quiet, _ = one_notebook([0.0] * 341, created=clock.at(300))
    [idle] = idle_of(quiet.build())
    assert (idle.idle_since, idle.idle_minutes) == (clock.at(300), 40.0)

    too_new, _ = one_notebook([0.0] * 341, created=clock.at(320))
    assert idle_of(too_new.build()) == []


def test_a_free_device_is_never_idle() -> None:
    fleet = Fleet(minutes=341)
    gpus = fleet.machine("gpu-l4-01")
    for gpu in gpus:
        fleet.util(gpu, [0.0] * 341)
    assert idle_of(fleet.build()) == []


def test_a_device_without_samples_is_not_judged() -> None:
    fleet = Fleet(minutes=341)
    gpu = fleet.machine("gpu-l4-01")[0]
    fleet.assign(fleet.pod("fraud-0", "ml"), gpu)
    assert idle_of(fleet.build()) == []


def test_a_mig_instance_is_idle_on_its_own_while_its_sibling_works() -> None:
    fleet = Fleet(minutes=341)
    gpu3 = fleet.machine("gpu-a100-01")[3]
    embedder_slice, bob_slice = fleet.mig(gpu3, 1, "3g.20gb"), fleet.mig(gpu3, 13, "1g.5gb")
    embedder = fleet.workload("feature-embedder", "ml-platform")
    bob = fleet.workload("bob", USER_NS, kind="StatefulSet")
    fleet.assign(fleet.pod("feature-embedder-7d9f-abcde", "ml-platform", owner=embedder),
                 embedder_slice)  # fmt: skip
    fleet.assign(fleet.pod("bob-0", USER_NS, owner=bob), bob_slice)
    fleet.util(embedder_slice, [60.0] * 341)
    fleet.util(bob_slice, per_minute((41, 30.0), (300, 2.0)))
    fleet.util(gpu3, [60.0 * 3 / 4] * 341)  # the GPU's own: compute-weighted mean of its slices

    [idle] = idle_of(fleet.build())

    assert idle.device.id == bob_slice
    assert idle.device.label == "gpu-a100-01 GPU 3 · MIG 1g.5gb #13"
    assert idle.owner == f"StatefulSet {USER_NS}/bob"
    assert idle.idle_since == fleet.at(41)
    assert idle.idle_minutes == 299.0


def test_longest_idle_comes_first_and_the_rule_and_end_are_honoured() -> None:
    fleet = Fleet(minutes=341)
    gpus = fleet.machine("gpu-a100-01")
    for index, busy_minutes in ((0, 200), (1, 40), (2, 100)):
        fleet.assign(fleet.pod(f"nb-{index}", USER_NS), gpus[index])
        fleet.util(gpus[index], per_minute((busy_minutes, 90.0), (341 - busy_minutes, 0.0)))
    snapshot = fleet.build()

    assert [idle.idle_minutes for idle in idle_of(snapshot)] == [300.0, 240.0, 140.0]
    assert idle_of(snapshot)[0].owner == f"Pod {USER_NS}/nb-1"
    assert len(idle_of(snapshot, IdleRule(min_minutes=200))) == 2

    earlier = idle_gpus(snapshot, gpu_fleet(snapshot), end=fleet.at(150))
    # At minute 150 the notebook on GPU 0 was still busy, GPU 2's had been idle 50 minutes.
    assert [(idle.device.id, idle.idle_minutes) for idle in earlier] == [
        (gpus[1], 110.0),
        (gpus[2], 50.0),
    ]
    assert earlier[0].idle_since == fleet.end - timedelta(minutes=300)
