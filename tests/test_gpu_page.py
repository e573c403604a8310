"""The GPU page on the demo, served in-process: what an engineer reads and where links go."""

from __future__ import annotations

import base64
import json
from typing import Any

import numpy as np
import pytest
from app_requests import components, refresh_page, render_page, text_of
from dash import Dash

from collectors.model import Snapshot
from dashboard.app import create_app
from dashboard.components.triage_state import topology_href
from dashboard.settings import Settings

A100 = "gpu:Kubernetes/gpu-a100-01"
PREDICTOR = "workload:Kubernetes/ml-platform/recommender-predictor"


@pytest.fixture(scope="module")
def demo_app(demo: Snapshot) -> Dash:
    return create_app(Settings(), demo)


def _rows(found: dict[str, dict[str, Any]], prefix: str) -> list[str]:
    """The text of rows ``<prefix>0``, ``<prefix>1``... as ``cell | cell | ...``."""
    rows = []
    for number in range(len(found)):
        row = found.get(f"{prefix}{number}")
        if row is None:
            break
        rows.append(" | ".join(text_of(cell) for cell in row["props"]["children"]))
    return rows


def test_the_page_shows_every_demo_gpu_the_idle_notebook_and_the_pending_pod(
    demo_app: Dash,
) -> None:
    found = components(render_page(demo_app, "/gpu"))
    assert text_of(found["gpu-summary"]) == (
        "16 GPUs on 3 nodes (4 MIG instances), 06:00 to 12:00 UTC: 12 devices in use, "
        "44% of their GPU-hours did work; 1 allocated but idle; 1 pod waiting for GPUs."
    )
    devices = _rows(found, "gpu-device-")
    assert len(devices) == 20  # 16 GPUs, and GPU 3 of the A100 split into 4 MIG instances
    labels = [row.split(" | ")[0] for row in devices]
    assert labels[:8] == [f"gpu-a100-01 GPU {i}" for i in range(4)] + [
        "gpu-a100-01 GPU 3 · MIG 3g.20gb #1",
        "gpu-a100-01 GPU 3 · MIG 2g.10gb #5",
        "gpu-a100-01 GPU 3 · MIG 1g.5gb #13",
        "gpu-a100-01 GPU 3 · MIG 1g.5gb #14",
    ]
    assert labels[8:] == [f"gpu-h100-01 GPU {i}" for i in range(8)] + [
        f"gpu-l4-01 GPU {i}" for i in range(4)
    ]
    users = {row.split(" | ")[0]: row.split(" | ")[2] for row in devices}
    assert users["gpu-a100-01 GPU 2"] == "kubeflow-user-example-com/alice"
    assert users["gpu-a100-01 GPU 3 · MIG 1g.5gb #13"] == "kubeflow-user-example-com/bob"
    assert users["gpu-h100-01 GPU 4"] == "ml-platform/llm-assistant-predictor"
    assert users["gpu-h100-01 GPU 7"] == "free"
    assert users["gpu-a100-01 GPU 3"] == "MIG: 4 instances"

    idle = _rows(found, "gpu-idle-")
    assert len(idle) == 1
    # Busy until 06:40 (its last activity), then under 1% to the end: 5 h 19 min 30 s.
    assert idle[0] == (
        "gpu-a100-01 GPU 2 | kubeflow-user-example-com/alice-0 | "
        "StatefulSet kubeflow-user-example-com/alice | kubeflow-user-example-com | 06:40 UTC | "
        "5 h 20 min | 0% | 9.8 GiB"
    )

    pending = _rows(found, "gpu-pending-")
    assert len(pending) == 1
    assert pending[0].startswith(
        "ml-platform/llm-finetune-sweep-pbrfw | 4 x NVIDIA-H100-80GB-HBM3 | 25 min | "
        "needs 4 NVIDIA-H100-80GB-HBM3 GPUs; gpu-h100-01 has 2 of 8 free "
        "(4 held by ml-platform/recommender-finetune, 2 by ml-platform/llm-assistant-predictor)"
    ), pending[0]
    assert "scheduler: 0/6 nodes are available: 1 Insufficient nvidia.com/gpu" in pending[0]

    # The grid draws a cell per whole GPU and per MIG instance, GPU 3 itself only as its frame.
    grid = found["gpu-grid"]["props"]["figure"]
    assert len(grid["data"][0]["customdata"]) == 15 + 4
    assert f"{A100}/2" in grid["data"][0]["customdata"]
    assert found["gpu-detail-none"]  # nothing open yet


def test_a_gpu_leads_to_its_pod_workload_and_service_on_topology(demo_app: Dash) -> None:
    found = components(render_page(demo_app, "/gpu", f"?gpu={A100}/0"))
    assert text_of(found["gpu-detail-title"]) == "gpu-a100-01 GPU 0"
    assert text_of(found["gpu-detail-pod"]).startswith(
        "pod ml-platform/recommender-predictor-6p8qxwb4bz-jzq2h (container kserve-container)"
    )
    link = found["gpu-workload-link"]["props"]
    assert link["href"] == topology_href(PREDICTOR, hops=1)
    service = found["gpu-service-link-0"]["props"]
    assert service["href"] == topology_href(
        "service:Kubernetes/ml-platform/recommender-predictor", hops=1
    )
    # Its history: memory climbs to its ceiling in the GPU-memory incident.
    series = found["gpu-series"]["props"]["figure"]
    memory = _array(next(trace for trace in series["data"] if trace["name"] == "used")["y"])
    assert memory[-1] == pytest.approx(40550 / 1024)
    assert memory[: len(memory) // 2].max() < 0.6 * 40


def test_a_pipeline_gpu_names_its_step_and_its_xid(demo_app: Dash) -> None:
    found = components(render_page(demo_app, "/gpu", f"?gpu={A100}/1"))
    assert "recommender-training-9g688" in text_of(found["gpu-detail-step"])
    assert text_of(found["gpu-detail-xid-0"]).startswith("XID 31 at 11:21 UTC: ")


def test_the_idle_notebook_says_since_when_and_what_it_holds(demo_app: Dash) -> None:
    found = components(render_page(demo_app, "/gpu", f"?gpu={A100}/2"))
    note = text_of(found["gpu-detail-idle"])
    assert note == "Idle since 06:40 UTC (5 h 20 min), at most 0% utilization, holding 9.8 GiB."


def test_hostile_values_get_one_line_notes_and_the_page_still_draws(demo_app: Dash) -> None:
    body = render_page(demo_app, "/gpu", "?gpu=%00<script>&idle=abc&by=x&window=-5m")
    found = components(body)
    notes = [text_of(found[key]) for key in sorted(found) if key.startswith("gpu-note-")]
    assert notes[:3] == [
        "ignored gpu '\\x00<script>': not a GPU id (pick one in the grid)",
        "ignored by 'x': expected namespace or workload",
        "ignored idle 'abc': expected a percentage above 0, up to 100",
    ]
    assert any("not understood" in note for note in notes[3:])
    assert "<script>" not in json.dumps(found["gpu-grid"])
    missing = components(render_page(demo_app, "/gpu", f"?gpu={A100}/9"))
    assert "is not in this snapshot" in text_of(missing["gpu-note-missing"])


def _refresh(app: Dash, trigger: str, value: Any, shown: dict[str, str]) -> dict[str, Any]:
    inputs = {
        "shell-snapshot-version": ("data", 1),
        "shell-window": ("value", ""),
        "gpu-grid": ("clickData", None),
        "gpu-by": ("value", "namespace"),
    }
    prop = inputs[trigger][0]
    inputs[trigger] = (prop, value)
    fired = [(key, p, v) for key, (p, v) in inputs.items()]
    return refresh_page(app, "gpu", fired, f"{trigger}.{prop}", shown)


def test_a_click_on_the_grid_opens_that_gpu_and_writes_the_url(demo_app: Dash) -> None:
    click = {"points": [{"customdata": f"{A100}/3/mig-13"}]}
    answer = _refresh(demo_app, "gpu-grid", click, {"by": "workload"})
    assert answer["gpu-query"]["data"] == {"by": "workload", "gpu": f"{A100}/3/mig-13"}
    found = components(json.dumps(answer["gpu-body"]["children"]))
    assert text_of(found["gpu-detail-title"]) == "gpu-a100-01 GPU 3 · MIG 1g.5gb #13"
    table = text_of(found["gpu-allocation-table"])
    assert "kubeflow-user-example-com/alice" in table  # per workload now


def test_the_allocation_switch_and_a_new_snapshot_keep_the_rest_of_the_query(
    demo_app: Dash,
) -> None:
    shown = {"gpu": f"{A100}/2", "idle": "10"}
    answer = _refresh(demo_app, "gpu-by", "workload", shown)
    assert answer["gpu-query"]["data"] == {**shown, "by": "workload"}
    back = _refresh(demo_app, "gpu-by", "namespace", {**shown, "by": "workload"})
    assert back["gpu-query"]["data"] == shown
    again = _refresh(demo_app, "shell-snapshot-version", 2, shown)
    assert again["gpu-query"]["data"] == shown
    found = components(json.dumps(again["gpu-body"]["children"]))
    assert text_of(found["gpu-detail-title"]) == "gpu-a100-01 GPU 2"


def test_topology_badges_workloads_holding_gpus(demo_app: Dash) -> None:
    graph = components(render_page(demo_app, "/topology", "?ns=ml-platform"))["topology-graph"]
    elements = {
        element["data"]["id"]: element["data"]
        for element in graph["props"]["elements"]
        if element.get("group") == "nodes"
    }
    finetune = elements["workload:Kubernetes/ml-platform/recommender-finetune"]
    assert finetune["gpu"].startswith("GPU 4 · ")
    assert finetune["caption"].endswith(finetune["gpu"])
    assert elements[PREDICTOR]["gpu"].startswith("GPU 1 · ")
    assert (
        "gpu" not in elements["workload:Kubernetes/ml-platform/minio"]
        or not elements["workload:Kubernetes/ml-platform/minio"]["gpu"]
    )


def _array(value: Any) -> np.ndarray:
    """A figure's numbers as sent to the browser: a list, or Plotly's typed-array encoding."""
    if isinstance(value, dict):
        return np.frombuffer(base64.b64decode(value["bdata"]), dtype=value["dtype"])
    return np.asarray(value, dtype=float)


def test_the_topology_panel_lists_a_workloads_gpus_with_links_back(demo_app: Dash) -> None:
    llm = "workload:Kubernetes/ml-platform/llm-assistant-predictor"
    found = components(render_page(demo_app, "/topology", f"?selected={llm}"))
    gpus = found["topology-panel-gpus"]["props"]["children"]
    links = [item["props"]["children"]["props"] for item in gpus]
    assert [(link["children"], link["href"]) for link in links] == [
        (f"gpu-h100-01 GPU {i}", f"/gpu?gpu=gpu%3AKubernetes%2Fgpu-h100-01%2F{i}") for i in (4, 5)
    ]
