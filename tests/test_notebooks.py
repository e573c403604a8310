"""Every notebook in notebooks/ runs headless, top to bottom, without errors."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import nbformat
import pytest
from nbclient import NotebookClient

from tests_paths import REPO

NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))
PLOTLY = "application/vnd.plotly.v1+json"


@functools.cache
def _executed(path: Path) -> Any:
    """The notebook at ``path`` after running it in a fresh kernel (once per test session)."""
    notebook = nbformat.read(path, as_version=4)
    NotebookClient(
        notebook,
        timeout=300,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    ).execute()
    return notebook


def _outputs(notebook: Any) -> list[Any]:
    return [o for cell in notebook.cells if cell.cell_type == "code" for o in cell.outputs]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_runs(path: Path) -> None:
    outputs = _outputs(_executed(path))
    assert not [o for o in outputs if o.output_type == "error"]
    assert any(o.output_type in ("stream", "execute_result") for o in outputs)


def test_topology_notebook_is_stored_clean() -> None:
    stored = nbformat.read(REPO / "notebooks" / "topology.ipynb", as_version=4)
    code = [cell for cell in stored.cells if cell.cell_type == "code"]
    assert code and all(not c.outputs and c.execution_count is None for c in code)


def test_topology_notebook_draws_figures_tables_and_the_inline_app() -> None:
    notebook = _executed(REPO / "notebooks" / "topology.ipynb")
    outputs = _outputs(notebook)
    figures = [o.data[PLOTLY] for o in outputs if PLOTLY in o.get("data", {})]
    titles = [figure["layout"]["title"]["text"] for figure in figures]
    assert [title.split(" · ")[0] for title in titles] == [
        "workload graph",
        "app graph",
        "workload graph",  # focused on reviews-v2
        "workload graph",  # the bad rollout's window
    ]
    assert titles[2].startswith("workload graph · 3 nodes · 2 edges")
    assert titles[3].endswith("traffic over 07:00\u201307:30 UTC")
    tables = [o.data["text/plain"] for o in outputs if "text/html" in o.get("data", {})]
    assert any("reviews-v2 -> ratings-v1" in table and "failure" in table for table in tables)
    app = notebook.cells[-1].outputs
    frames = [
        o.data["text/html"] for o in app if "<iframe" in o.get("data", {}).get("text/html", "")
    ]
    assert len(frames) == 1 and 'src="http://127.0.0.1:' in frames[0]


def test_triage_notebook_finds_every_injected_incident_and_ranks_its_cause_first() -> None:
    notebook = _executed(REPO / "notebooks" / "triage.ipynb")
    tables = [o.data["text/plain"] for o in _outputs(notebook) if "text/plain" in o.get("data", {})]
    checked = next(table for table in tables if "true cause" in table)
    rows = [line for line in checked.splitlines()[1:] if line.strip()]
    assert len(rows) == 5
    assert "not detected" not in checked
    assert all(line.split()[-1] == "1" for line in rows), checked
    figures = [o.data[PLOTLY] for o in _outputs(notebook) if PLOTLY in o.get("data", {})]
    assert figures and figures[-1]["data"][0]["type"] == "heatmap"


def test_gpu_notebook_shows_the_fleet_the_idle_notebook_and_the_waiting_pod() -> None:
    notebook = _executed(REPO / "notebooks" / "gpu.ipynb")
    outputs = _outputs(notebook)
    tables = [o.data["text/plain"] for o in outputs if "text/html" in o.get("data", {})]
    devices = next(table for table in tables if "held by" in table)
    assert len(devices.splitlines()) == 1 + 20  # header, 16 GPUs and 4 MIG instances
    idle = next(table for table in tables if "idle since" in table)
    assert idle.splitlines()[1].split()[1:5] == [
        "gpu-a100-01",
        "GPU",
        "2",
        "kubeflow-user-example-com/alice-0",
    ]
    assert len(idle.splitlines()) == 2
    waiting = next(table for table in tables if "asks for" in table)
    assert "ml-platform/llm-finetune-sweep-pbrfw" in waiting and "4 x NVIDIA-H100" in waiting
    figures = [o.data[PLOTLY] for o in outputs if PLOTLY in o.get("data", {})]
    grid = figures[0]
    assert len(grid["data"][0]["customdata"]) == 19  # a cell per GPU, MIG instances inside
    titles = [(f["layout"].get("title") or {}).get("text") for f in figures]
    assert "gpu-a100-01 GPU 0 over time" in titles  # the model server whose memory fills


def test_lineage_notebook_traces_a_model_server_to_its_run_and_dataset() -> None:
    notebook = _executed(REPO / "notebooks" / "lineage.ipynb")
    outputs = _outputs(notebook)
    printed = "".join(o.text for o in outputs if o.output_type == "stream")
    assert "7 pipeline runs, 3 model servers, 4 models, 13 datasets" in printed
    assert (
        "ml-platform/recommender comes from pipeline run recommender-training 2026-11-23 14:23, "
        "reading datasets s3://datalake/events/clickstream/dt=2026-11-22, "
        "s3://datalake/catalog/products." in printed
    )
    # The run that ran out of GPU memory is found by its message, and its failed step named.
    assert (
        "llm-assistant-finetune 2026-11-24 09:28: Failed, failed at train: Error (exit code 1)"
        in (printed)
    )
    tables = [o.data["text/plain"] for o in outputs if "text/html" in o.get("data", {})]
    runs = next(table for table in tables if "failed step" in table)
    assert len([line for line in runs.splitlines()[1:] if line.strip()]) == 7
    oom_steps = next(t for t in tables if "llm-assistant-finetune-jn8bf-train" in t)
    assert "gpu-h100-01" in oom_steps and "Failed" in oom_steps
    figures = [o.data[PLOTLY] for o in outputs if PLOTLY in o.get("data", {})]
    titles = [figure["layout"]["title"]["text"] for figure in figures]
    assert titles == [
        "Lineage of ml-platform/recommender",
        "Run recommender-training 2026-11-23 14:23: Succeeded",
        "Run llm-assistant-finetune 2026-11-24 09:28: Failed",
        "Downstream of the clickstream dataset",
    ]
