"""The GPU page's figures and URL state: what a person sees and can share."""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
import pytest
from gpu_graphs import H100, Fleet, per_minute

from dashboard.analysis.gpu_fleet import gpu_fleet
from dashboard.analysis.gpu_types import AllocationRow, IdleRule, XidEvent
from dashboard.analysis.gpu_usage import device_frame
from dashboard.components.gpu_state import gpu_href, parse_gpu_query, query_values
from dashboard.figures.gpu_charts import NO_SAMPLES_TEXT, allocation_figure, gpu_series_figure
from dashboard.figures.gpu_grid import EMPTY_TEXT, IDLE_OUTLINE, gpu_grid_figure, util_colour


def _fleet() -> Fleet:
    fleet = Fleet(minutes=61)
    a100 = fleet.machine("gpu-a100-01", gpus=2)
    h100 = fleet.machine("gpu-h100-01", gpus=1, product=H100)
    trainer = fleet.workload("trainer", "ml", kind="Job")
    fleet.assign(fleet.pod("trainer-x", "ml", owner=trainer), h100[0])
    fleet.util(h100[0], per_minute((61, 90.0)))
    fleet.series(h100[0], "gpu_memory_used", per_minute((61, 40960.0)))
    small = fleet.mig(a100[1], 1, "3g.20gb")
    fleet.mig(a100[1], 13, "1g.5gb")
    notebook = fleet.workload("alice", "team", kind="StatefulSet")
    fleet.assign(fleet.pod("alice-0", "team", owner=notebook), small)
    fleet.util(small, per_minute((61, 0.0)))
    return fleet


def _cells(figure: object) -> dict[str, tuple[float, float]]:
    """Device id -> (x centre, y) of every cell the grid draws."""
    trace = figure.data[0]  # type: ignore[attr-defined]
    return {device: (x, y) for device, x, y in zip(trace.customdata, trace.x, trace.y, strict=True)}


def test_the_grid_has_a_cell_per_gpu_and_mig_instances_inside_their_gpu() -> None:
    snapshot = _fleet().build()
    machines = gpu_fleet(snapshot)
    figure = gpu_grid_figure(machines)
    cells = _cells(figure)
    gpu = "gpu:Kubernetes/gpu-a100-01/{}"
    assert set(cells) == {
        gpu.format(0),
        gpu.format("1/mig-1"),
        gpu.format("1/mig-13"),
        "gpu:Kubernetes/gpu-h100-01/0",
    }
    # Rows follow the machines (a100 first); the 3g instance is 3/7 of GPU 1's cell, the 1g 1/7.
    assert cells[gpu.format(0)][1] < cells["gpu:Kubernetes/gpu-h100-01/0"][1]
    left = 1 - 0.92 / 2
    assert cells[gpu.format("1/mig-1")][0] == pytest.approx(left + 0.92 * 3 / 7 / 2)
    assert cells[gpu.format("1/mig-13")][0] == pytest.approx(left + 0.92 * 3 / 7 + 0.92 / 7 / 2)
    texts = dict(zip(figure.data[0].customdata, figure.data[0].text, strict=True))
    assert texts[gpu.format(0)] == "free"
    assert texts["gpu:Kubernetes/gpu-h100-01/0"].startswith("90%<br><sup>40/80 GiB")
    assert texts[gpu.format("1/mig-1")] == "3g<br>0%"
    hovers = dict(zip(figure.data[0].customdata, figure.data[0].hovertext, strict=True))
    assert "pod team/alice-0" in hovers[gpu.format("1/mig-1")]
    assert "workload team/alice" in hovers[gpu.format("1/mig-1")]
    assert "free: no pod assigned" in hovers[gpu.format(0)]


def test_idle_devices_are_outlined_in_red_and_the_scale_runs_pale_to_dark() -> None:
    snapshot = _fleet().build()
    idle = "gpu:Kubernetes/gpu-a100-01/1/mig-1"
    figure = gpu_grid_figure(gpu_fleet(snapshot), idle={idle})
    red = [s for s in figure.layout.shapes if s.line.color == IDLE_OUTLINE]
    assert len(red) == 1 and red[0].line.width == 3
    # The outlined shape is the 3g instance's: the left 3/7 of GPU 1's cell.
    assert red[0].x0 == pytest.approx(1 - 0.46) and red[0].x1 == pytest.approx(
        1 - 0.46 + 0.92 * 3 / 7
    )
    assert util_colour(0.0) == "rgb(238, 243, 248)" and util_colour(100.0) == "rgb(11, 58, 110)"


def test_an_empty_fleet_says_so() -> None:
    figure = gpu_grid_figure(())
    assert figure.layout.annotations[0].text == EMPTY_TEXT


def test_the_series_chart_marks_each_xid_and_the_memory_ceiling() -> None:
    fleet = _fleet()
    gpu = "gpu:Kubernetes/gpu-h100-01/0"
    fleet.series(gpu, "gpu_temperature", per_minute((61, 65.0)))
    fleet.series(gpu, "gpu_power", per_minute((61, 610.5)))
    snapshot = fleet.build()
    frame = device_frame(snapshot, gpu)
    xid = XidEvent(fleet.at(30), gpu, 63, "row remapping recorded")
    figure = gpu_series_figure(frame, title="h100 GPU 0", memory_total_mib=81559.0, xids=[xid])
    names = [trace.name for trace in figure.data]
    assert names == ["utilization", "used", "temperature", "power"]
    assert list(figure.data[1].y[:1]) == [40.0]  # GiB
    marks = [a for a in figure.layout.annotations if a.text == "XID 63"]
    assert len(marks) == 1 and marks[0].hovertext == "row remapping recorded"
    assert any("80 GiB total" in (a.text or "") for a in figure.layout.annotations)
    lines = [s for s in figure.layout.shapes if s.type == "line"]
    # The XID crosses all four panels at 11:30; the ceiling is on the memory panel only.
    assert sorted(str(s.x0) for s in lines if s.line.color == "#c9190b") == [str(fleet.at(30))] * 4
    assert len(lines) == 5


def test_a_device_without_samples_says_so() -> None:
    empty = pd.DataFrame(index=pd.DatetimeIndex([], tz="UTC"))
    figure = gpu_series_figure(empty)
    assert [a.text for a in figure.layout.annotations][-1] == NO_SAMPLES_TEXT


def test_allocation_bars_split_allocated_hours_into_used_and_idle() -> None:
    rows = [
        AllocationRow("team", "team", 1.0, 1, 2.0, 6.0, 0.12),
        AllocationRow("ml", "ml", 4.0, 4, 90.0, 24.0, 21.6),
    ]
    figure = allocation_figure(rows)
    used, idle = figure.data
    assert list(used.y) == ["team", "ml"]
    assert list(used.x) == [0.12, 21.6]
    assert list(idle.x) == pytest.approx([5.88, 2.4])
    assert figure.layout.barmode == "stack"


def test_the_url_state_reads_hostile_values_with_one_line_each() -> None:
    query, problems = parse_gpu_query(
        {
            "gpu": "workload:Kubernetes/ml/x",
            "by": ["namespace", "<script>"],
            "idle": "nan",
            "idle_for": "99999d",
            "window": "1h",
        }
    )
    assert (query.gpu, query.by, query.rule, query.window) == ("", "namespace", IdleRule(), "1h")
    assert problems == [
        "ignored gpu 'workload:Kubernetes/ml/x': not a GPU id (pick one in the grid)",
        "ignored by '<script>': expected namespace or workload",
        "ignored idle 'nan': expected a percentage above 0, up to 100",
        "ignored idle_for '99999d': expected a duration such as 30m or 2h",
    ]


def test_links_keep_the_rest_of_the_query_and_leave_out_defaults() -> None:
    query, problems = parse_gpu_query({"by": "workload", "idle": "10", "idle_for": "2h"})
    assert not problems
    assert query.rule == IdleRule(10.0, 120.0)
    assert query_values(query) == {"by": "workload", "idle": "10", "idle_for": "120m"}
    href = gpu_href(query, "gpu:Kubernetes/gpu-a100-01/2")
    assert href == ("/gpu?gpu=gpu%3AKubernetes%2Fgpu-a100-01%2F2&by=workload&idle=10&idle_for=120m")
    again, _ = parse_gpu_query({"idle_for": "120m", "idle": "10"})
    assert again.rule == query.rule
    assert timedelta(minutes=again.rule.min_minutes) == timedelta(hours=2)
