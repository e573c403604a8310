"""The Lineage page on the demo, served in-process: what an engineer reads and where links go."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import pytest
from app_requests import components, refresh_page, render_page, text_of
from dash import Dash

from collectors.cluster import ClusterObjects
from collectors.model import Snapshot
from collectors.pipeline import build_snapshot
from dashboard.app import create_app
from dashboard.settings import Settings

NS = "ml-platform"
RECOMMENDER = f"inference_service:Kubernetes/{NS}/recommender"
OOM_RUN = f"pipeline_run:Kubernetes/{NS}/llm-assistant-finetune-jn8bf"
SERVED_RUN = f"pipeline_run:Kubernetes/{NS}/recommender-training-jt5qq"
CLICKS = "artifact:Kubernetes//s3://datalake/events/clickstream/dt=2026-11-22"


@pytest.fixture(scope="module")
def demo_app(demo: Snapshot) -> Dash:
    return create_app(Settings(), demo)


def _page(app: Dash, **query: str) -> dict[str, dict[str, Any]]:
    return components(render_page(app, "/lineage", f"?{urlencode(query)}" if query else ""))


def _said(node: Any) -> str:
    """A component's text as read on screen: pieces joined, runs of spaces as one."""
    return " ".join(text_of(node).split())


def _rows(found: dict[str, dict[str, Any]], prefix: str) -> list[str]:
    """The text of rows ``<prefix>0``, ``<prefix>1``... as ``cell | cell | ...``."""
    rows = []
    while (row := found.get(f"{prefix}{len(rows)}")) is not None:
        rows.append(" | ".join(_said(cell) for cell in row["props"]["children"]))
    return rows


def test_the_page_lists_every_run_newest_first_with_what_failed_it(demo_app: Dash) -> None:
    found = _page(demo_app)
    assert text_of(found["lineage-summary"]) == (
        "7 pipeline runs: 2 failed, 1 running, 4 succeeded · 3 model servers · 4 models · "
        "13 datasets."
    )
    runs = _rows(found, "lineage-run-")
    assert [row.split(" | ")[:3] for row in runs] == [
        ["recommender-training 2026-11-24 11:08", "recommender-training", "Running"],
        ["llm-assistant-finetune 2026-11-24 09:28", "llm-assistant-finetune", "Failed"],
        ["recommender-training 2026-11-23 14:23", "recommender-training", "Succeeded"],
        ["recommender-training 2026-11-22 12:33", "recommender-training", "Succeeded"],
        ["fraud-detector-training 2026-11-21 11:03", "fraud-detector-training", "Succeeded"],
        ["fraud-detector-training 2026-11-20 10:28", "fraud-detector-training", "Failed"],
        ["llm-assistant-finetune 2026-11-18 10:24", "llm-assistant-finetune", "Succeeded"],
    ]
    # The running run is timed to the snapshot's end (12:00): 52 minutes so far, 3 steps.
    assert runs[0].split(" | ")[3:6] == ["2026-11-24 11:08 UTC", "52 min", "3"]
    oom = runs[1].split(" | ")
    assert oom[6] == "train"
    assert oom[7].startswith("Error (exit code 1): torch.OutOfMemoryError: CUDA out of memory.")
    assert runs[5].split(" | ")[6:] == ["train", "OOMKilled (exit code 137)"]
    link = found["lineage-run-link-1"]["props"]
    assert link["href"] == f"/lineage?{urlencode({'run': OOM_RUN})}"
    assert "lineage-behind" not in found and "lineage-hint" in found


def test_a_model_server_leads_to_its_run_and_datasets_and_into_the_mesh(demo_app: Dash) -> None:
    found = _page(demo_app, node=RECOMMENDER)
    assert text_of(found["lineage-behind"]) == (
        f"{NS}/recommender comes from pipeline run recommender-training 2026-11-23 14:23, "
        "reading datasets s3://datalake/events/clickstream/dt=2026-11-22, "
        "s3://datalake/catalog/products."
    )
    hops = _rows(found, "lineage-hop-")
    ways = [row.split(" | ")[:3] for row in hops]
    assert ways[0] == ["7 up", "dataset", "s3://datalake/events/clickstream/dt=2026-11-22"]
    assert ["2 up", "step", "train"] in ways
    assert ["here", "model server", f"{NS}/recommender"] in ways
    assert ways[-2:] == [
        ["1 down", "workload", f"{NS}/recommender-predictor"],
        ["2 down", "caller", "boutique/recommendationservice"],
    ]
    train = next(n for n, way in enumerate(ways) if way[2] == "train")
    assert found[f"lineage-hop-run-{train}"]["props"]["href"] == (
        f"/lineage?{urlencode({'run': SERVED_RUN, 'node': RECOMMENDER})}"
    )
    mesh = found[f"lineage-hop-link-{len(hops) - 1}"]["props"]["href"]
    assert mesh.startswith("/topology?focus=workload%3AKubernetes%2Fboutique%2Frecommendation")
    graph = found["lineage-graph"]["props"]["elements"]
    assert {e["data"]["id"] for e in graph if e.get("classes") == "run"} == {SERVED_RUN}


def test_a_dataset_walks_down_to_every_model_made_of_it(demo_app: Dash) -> None:
    found = _page(demo_app, node="artifact:Kubernetes//s3://datalake/catalog/products")
    names = {row.split(" | ")[2] for row in _rows(found, "lineage-hop-")}
    # All three recommender runs read the catalog; only one of their models is served.
    assert f"{NS}/recommender" in names
    models = [n for n in names if n.endswith("/train/model")]
    assert len(models) == 2  # the served run's and the older run's; the nightly is training
    assert text_of(found["lineage-behind"]).startswith(
        "s3://datalake/catalog/products: nothing upstream of it is in this snapshot"
    )


def test_the_run_that_ran_out_of_gpu_memory_shows_its_step_pod_machine_and_gpus(
    demo_app: Dash,
) -> None:
    found = _page(demo_app, run=OOM_RUN)
    facts = text_of(found["lineage-run-facts"])
    assert facts.startswith("Failed · started 2026-11-24 09:28 UTC · took ")
    assert f"Workflow {NS}/llm-assistant-finetune-jn8bf" in facts
    failure = _said(found["lineage-failure-0"])
    assert failure.startswith(
        "train (Failed, exit code 1): Error (exit code 1): torch.OutOfMemoryError: CUDA out of "
        "memory. Tried to allocate 4.00 GiB."
    )
    steps = _rows(found, "lineage-step-")
    assert [row.split(" | ")[:2] for row in steps] == [
        ["ingest", "Succeeded"],
        ["features", "Succeeded"],
        ["train", "Failed"],
    ]
    train = steps[2].split(" | ")
    assert train[4:7] == [
        "gpu-h100-01",
        f"{NS}/llm-assistant-finetune-jn8bf-train-3583191870 (Failed)",
        "2 requested",
    ]
    assert steps[0].split(" | ")[5] == "gone"  # podGC deleted the pods of steps that succeeded
    dag = found["lineage-dag"]["props"]["elements"]
    colours = {e["data"]["label"].split("\n")[0]: e["data"]["colour"] for e in dag
               if "source" not in e["data"]}  # fmt: skip
    assert colours == {"ingest": "#3e8635", "features": "#3e8635", "train": "#c9190b"}
    assert len([e for e in dag if "source" in e["data"]]) == 2


def test_the_running_step_shows_the_gpu_it_holds_with_a_link_to_it(demo_app: Dash) -> None:
    found = _page(demo_app, run=f"pipeline_run:Kubernetes/{NS}/recommender-training-9g688")
    train = _rows(found, "lineage-step-")[2].split(" | ")
    assert train[:2] == ["train", "Running"]
    assert train[6] == "gpu-a100-01 GPU 1 (1 requested)"
    assert "lineage-failures" in found and not text_of(found["lineage-failures"])


def test_hostile_and_unknown_query_values_get_one_line_each(demo_app: Dash) -> None:
    found = _page(demo_app, run="%00<script>", node="gpu:Kubernetes/x/1")
    notes = [text_of(found[k]) for k in sorted(found) if k.startswith("lineage-note-")]
    assert notes == [
        "ignored run '%00<script>': not a pipeline run id",
        "ignored node 'gpu:Kubernetes/x/1': not a dataset, model, step or model server id",
    ]
    gone = _page(demo_app, run=f"pipeline_run:Kubernetes/{NS}/gone", node=CLICKS + "x")
    notes = [text_of(gone[k]) for k in sorted(gone) if k.startswith("lineage-note-")]
    assert notes[0] == (
        f"Run pipeline_run:Kubernetes/{NS}/gone is not in this snapshot: pick one in the list."
    )
    assert notes[1].endswith("is not in this snapshot's lineage: pick a dataset, model or model "
                             "server.")  # fmt: skip
    assert _rows(gone, "lineage-run-")  # the runs are still listed


def _pick(app: Dash, picked: str | None, shown: dict[str, str]) -> dict[str, Any]:
    inputs = [("shell-snapshot-version", "data", 1), ("lineage-pick", "value", picked)]
    return refresh_page(app, "lineage", inputs, "lineage-pick.value", shown)


def test_picking_in_the_explorer_walks_from_there_and_keeps_the_open_run(demo_app: Dash) -> None:
    answer = _pick(demo_app, RECOMMENDER, {"run": OOM_RUN})
    assert answer["lineage-query"]["data"] == {"run": OOM_RUN, "node": RECOMMENDER}
    found = components(json.dumps(answer["lineage-body"]["children"]))
    assert text_of(found["lineage-behind"]).startswith(f"{NS}/recommender comes from")
    assert "lineage-failure-0" in found  # the open run stays open
    cleared = _pick(demo_app, None, {"run": OOM_RUN, "node": RECOMMENDER})
    assert cleared["lineage-query"]["data"] == {"run": OOM_RUN}
    # A picker redrawn with what the URL already says changes nothing.
    assert _pick(demo_app, RECOMMENDER, {"node": RECOMMENDER}) == {}


def test_topology_links_a_model_server_to_where_its_model_came_from(demo_app: Dash) -> None:
    predictor = f"workload:Kubernetes/{NS}/recommender-predictor"
    body = render_page(demo_app, "/topology", f"?{urlencode({'selected': predictor})}")
    found = components(body)
    assert _said(found["topology-panel-models"]).startswith(f"{NS}/recommender serves s3://")
    assert found["topology-panel-lineage-0"]["props"]["href"] == (
        f"/lineage?{urlencode({'node': RECOMMENDER})}"
    )


def test_offloaded_and_unreadable_step_status_are_said_not_shown_as_empty() -> None:
    end = datetime(2026, 11, 24, 12, tzinfo=UTC)
    flows = [
        {
            "apiVersion": "argoproj.io/v1alpha1",
            "kind": "Workflow",
            "metadata": {"name": name, "namespace": "ml"},
            "status": {"phase": "Running", "startedAt": "2026-11-24T11:00:00Z", **status},
        }
        for name, status in (
            ("huge", {"offloadNodeStatusVersion": "fnv:3340129416"}),
            ("broken", {"compressedNodes": "not base64 at all!"}),
        )
    ]
    snapshot = build_snapshot(
        objects=ClusterObjects(flows),
        metrics=None,
        sources=[],
        generator="test",
        window=(end - timedelta(hours=1), end, 60, 300),
    )
    app = create_app(Settings(), snapshot)
    runs = _rows(_page(app), "lineage-run-")
    steps = {row.split(" | ")[0]: row.split(" | ")[5] for row in runs}
    assert (
        steps["huge"] == "step status offloaded to Argo's database: not available from the cluster"
    )
    assert steps["broken"].startswith("compressed step status could not be read: ")
    opened = _page(app, run="pipeline_run:Kubernetes/ml/huge")
    assert text_of(opened["lineage-steps-unavailable"]) == (
        "Steps not shown: step status offloaded to Argo's database: not available from the cluster."
    )
    assert "lineage-dag" not in opened
