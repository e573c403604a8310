"""Lineage analysis on hand-built graphs: walks, artifact roles, runs and their DAGs."""

from __future__ import annotations

from lineage_graphs import Lab, failed_runs_lab, served_chain

from collectors.kinds import EdgeKind, NodeKind
from dashboard.analysis.lineage_runs import run_dag, runs
from dashboard.analysis.lineage_types import Role
from dashboard.analysis.lineage_walk import lineage, starting_points


def test_a_model_server_walks_up_to_its_dataset_and_down_to_its_callers() -> None:
    lab, ids = served_chain()
    walk = lineage(lab.snapshot, ids["isvc"])
    assert walk is not None
    distances = {n.id: n.distance for n in walk.nodes}
    assert distances == {
        ids["clicks"]: -5,
        ids["ingest"]: -4,
        ids["events"]: -3,
        ids["train"]: -2,
        ids["model"]: -1,
        ids["isvc"]: 0,
        ids["predictor"]: 1,
        ids["frontend"]: 2,
    }
    # Upstream follows what steps read: the metrics file train wrote is not the model's past.
    assert ids["metrics"] not in distances
    assert [n.id for n in walk.nodes][:2] == [ids["clicks"], ids["ingest"]]
    roles = {n.id: n.role for n in walk.nodes}
    assert roles[ids["clicks"]] is Role.DATASET
    assert roles[ids["events"]] is Role.ARTIFACT
    assert roles[ids["model"]] is Role.MODEL
    assert roles[ids["frontend"]] is Role.CALLER
    assert roles[ids["predictor"]] is Role.WORKLOAD
    assert walk.runs == (ids["run"],)
    assert {(e.source, e.target, e.kind) for e in walk.edges} == {
        (ids["clicks"], ids["ingest"], EdgeKind.CONSUMES),
        (ids["ingest"], ids["events"], EdgeKind.PRODUCES),
        (ids["events"], ids["train"], EdgeKind.CONSUMES),
        (ids["train"], ids["model"], EdgeKind.PRODUCES),
        (ids["model"], ids["isvc"], EdgeKind.SERVES),
        (ids["isvc"], ids["predictor"], EdgeKind.SERVES),
        (ids["predictor"], ids["frontend"], EdgeKind.CALLS),
    }
    train = next(n for n in walk.nodes if n.id == ids["train"])
    assert (train.label, train.detail, train.run) == ("train", "Succeeded · nightly", ids["run"])


def test_a_dataset_walks_down_to_the_workload_serving_its_model() -> None:
    lab, ids = served_chain()
    walk = lineage(lab.snapshot, ids["clicks"])
    assert walk is not None
    down = {n.id: n.distance for n in walk.nodes}
    assert down[ids["isvc"]] == 5 and down[ids["predictor"]] == 6 and down[ids["frontend"]] == 7
    # Downstream of train, its metrics are its outputs too.
    assert down[ids["metrics"]] == 4
    assert min(down.values()) == 0


def test_a_serving_workload_is_a_starting_point_and_a_plain_one_is_not() -> None:
    lab, ids = served_chain()
    walk = lineage(lab.snapshot, ids["predictor"])
    assert walk is not None and {n.id for n in walk.nodes if n.distance == -6} == {ids["clicks"]}
    assert lineage(lab.snapshot, ids["frontend"]) is None
    assert lineage(lab.snapshot, "workload:Kubernetes/ml/nothing") is None


def test_a_file_served_from_a_folder_a_step_wrote_leads_to_the_step_without_its_siblings() -> None:
    lab = Lab()
    run = lab.node(NodeKind.PIPELINE_RUN, "fit-1", phase="Succeeded")
    fit = lab.step(run, "fit-1-1", display_name="fit")
    folder = lab.artifact("s3://ml/models/fraud")
    served = lab.artifact("s3://ml/models/fraud/model.bst")
    sibling = lab.artifact("s3://ml/models/fraud/notes.txt")
    isvc = lab.node(NodeKind.INFERENCE_SERVICE, "fraud")
    lab.edge(fit, folder, EdgeKind.PRODUCES, "output")
    lab.edge(folder, served, EdgeKind.CONTAINS)
    lab.edge(folder, sibling, EdgeKind.CONTAINS)
    lab.edge(served, isvc, EdgeKind.SERVES)
    walk = lineage(lab.snapshot, isvc)
    assert walk is not None
    assert {n.id: n.distance for n in walk.nodes} == {isvc: 0, served: -1, folder: -2, fit: -3}
    assert {(e.source, e.target, e.kind) for e in walk.edges} >= {
        (folder, served, EdgeKind.CONTAINS),
        (fit, folder, EdgeKind.PRODUCES),
    }


def test_starting_points_are_datasets_models_and_model_servers_not_metadata() -> None:
    lab, ids = served_chain()
    points = starting_points(lab.snapshot)
    assert points[Role.DATASET] == [(ids["clicks"], "s3://lake/clicks")]
    assert points[Role.MODEL] == [(ids["model"], "s3://ml/train-abc/train/model")]
    assert points[Role.MODEL_SERVER] == [(ids["isvc"], "ml/reco")]


def test_runs_are_newest_first_with_their_failed_step_and_durations() -> None:
    lab, _ = failed_runs_lab()
    rows = runs(lab.snapshot)
    assert [r.name for r in rows] == ["fit-now", "big", "fit-recovered", "fit-retried", "queued"]
    by_name = {r.name: r for r in rows}
    retried = by_name["fit-retried"]
    # Both attempts of fit failed; the first failure is the one that sank the run.
    assert (retried.failed_step, retried.failed_message) == ("fit", "CUDA out of memory")
    assert (retried.duration_s, retried.steps, retried.title) == (40 * 60, 3, "fit")
    assert by_name["fit-recovered"].failed_step == ""  # its retry succeeded
    assert by_name["fit-now"].duration_s == 60 * 60  # running: to the snapshot's end
    offloaded = by_name["big"]
    assert offloaded.steps is None
    assert offloaded.steps_note.startswith("step status offloaded to Argo's database")
    assert by_name["queued"].started is None and by_name["queued"].steps_note == (
        "no step status yet"
    )


def test_a_run_message_stands_in_when_no_step_says_why() -> None:
    lab = Lab()
    lab.node(NodeKind.PIPELINE_RUN, "w", phase="Error", message="pod deleted", steps=0)
    assert runs(lab.snapshot)[0].failed_message == "pod deleted"


def test_a_run_dag_orders_steps_and_knows_their_pods_machines_and_gpus() -> None:
    lab, ids = failed_runs_lab()
    dag = run_dag(lab.snapshot, ids["retried"])
    assert dag is not None
    assert [s.id for s in dag.steps] == [ids["prep"], ids["first"], ids["second"]]
    assert dag.edges == ((ids["prep"], ids["first"]), (ids["prep"], ids["second"]))
    assert [s.duration_s for s in dag.steps] == [600, 600, 1200]
    running = run_dag(lab.snapshot, ids["running"])
    assert running is not None
    (step,) = running.steps
    assert (step.pod, step.pod_phase, step.machine, step.gpus_requested) == (
        ids["pod"],
        "Running",
        "gpu-1",
        1,
    )
    assert step.gpu_devices == (ids["gpu"],)
    assert step.duration_s == 30 * 60
    assert run_dag(lab.snapshot, ids["pod"]) is None
    assert run_dag(lab.snapshot, "pipeline_run:Kubernetes/ml/gone") is None


def test_a_failing_model_server_says_why_on_the_walk() -> None:
    lab, ids = served_chain()
    lab.snapshot.node(ids["isvc"]).attrs.update(
        ready=False,
        model_state="FailedToLoad",
        model_failure="ModelLoadFailed: no such key",
        conditions_failing="PredictorReady: False: model failed to load",
    )
    walk = lineage(lab.snapshot, ids["model"])
    assert walk is not None
    server = next(n for n in walk.nodes if n.id == ids["isvc"])
    assert server.failed
    assert server.detail == (
        "not ready, model FailedToLoad, ModelLoadFailed: no such key, "
        "PredictorReady: False: model failed to load"
    )
