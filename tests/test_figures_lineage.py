"""Lineage pictures and words: the run DAG, the walk in columns, the sentence behind a model."""

from __future__ import annotations

from lineage_graphs import failed_runs_lab, served_chain

from dashboard.analysis.lineage_runs import run_dag
from dashboard.analysis.lineage_walk import behind_text, lineage
from dashboard.figures.lineage_graph import dag_elements, lineage_elements, phase_colour
from dashboard.figures.lineage_plotly import dag_figure, lineage_figure

RED, GREEN = "#c9190b", "#3e8635"


def test_a_run_dag_colours_steps_by_phase_and_says_how_long_they_took() -> None:
    lab, ids = failed_runs_lab()
    dag = run_dag(lab.snapshot, ids["retried"])
    assert dag is not None
    elements = dag_elements(dag)
    nodes = {e["data"]["id"]: e for e in elements if "source" not in e["data"]}
    assert nodes[ids["first"]]["data"]["label"] == "fit\nFailed · 10 min"
    assert nodes[ids["second"]]["data"]["colour"] == RED
    assert nodes[ids["prep"]]["data"]["colour"] == GREEN
    # prep runs before both attempts, so it is drawn left of them.
    assert nodes[ids["prep"]]["position"]["x"] < nodes[ids["first"]]["position"]["x"]
    edges = {(e["data"]["source"], e["data"]["target"]) for e in elements if "source" in e["data"]}
    assert edges == {(ids["prep"], ids["first"]), (ids["prep"], ids["second"])}
    figure = dag_figure(dag)
    assert list(figure.data[0].marker.color) == [GREEN, RED, RED]
    assert len(figure.layout.annotations) == 2
    assert figure.layout.title.text == "Run fit: Failed"


def test_the_walk_is_drawn_upstream_left_and_downstream_right_with_steps_boxed_by_run() -> None:
    lab, ids = served_chain()
    walk = lineage(lab.snapshot, ids["isvc"])
    assert walk is not None
    elements = lineage_elements(walk, {ids["run"]: "nightly"})
    by_id = {e["data"]["id"]: e for e in elements if "source" not in e["data"]}
    assert by_id[ids["run"]]["data"]["label"] == "nightly"
    assert by_id[ids["train"]]["data"]["parent"] == ids["run"]
    assert "focus" in by_id[ids["isvc"]]["classes"].split()
    x = {key: by_id[ids[key]]["position"]["x"] for key in ("clicks", "model", "isvc", "frontend")}
    assert x["clicks"] < x["model"] < x["isvc"] < x["frontend"]
    calls = [e for e in elements if e["data"].get("kind") == "calls"]
    assert [(e["data"]["source"], e["data"]["target"]) for e in calls] == [
        (ids["predictor"], ids["frontend"])
    ]
    figure = lineage_figure(walk)
    assert len(figure.data[0].x) == len(walk.nodes) == 8
    assert len(figure.layout.annotations) == len(walk.edges) == 7


def test_the_sentence_behind_a_model_server_names_its_run_and_dataset() -> None:
    lab, ids = served_chain()
    walk = lineage(lab.snapshot, ids["isvc"])
    assert walk is not None
    assert behind_text(lab.snapshot, walk) == (
        "ml/reco comes from pipeline run nightly, reading dataset s3://lake/clicks."
    )
    dataset = lineage(lab.snapshot, ids["clicks"])
    assert dataset is not None
    assert behind_text(lab.snapshot, dataset) == (
        "s3://lake/clicks: nothing upstream of it is in this snapshot; 8 steps, artifacts and "
        "servers are downstream."
    )


def test_unknown_phases_are_pale_not_a_colour_that_means_something() -> None:
    assert phase_colour("Omitted") == phase_colour("") == "#d2d2d2"
