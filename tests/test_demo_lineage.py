"""The demo's ML pipeline runs as the lineage views read them from the snapshot graph.

Seven Kubeflow Pipelines runs (Argo Workflows) in ``ml-platform``: the run each model server
loads its model from, an older recommender run nobody serves now, the fraud detector's
training killed for host memory, the LLM fine-tuning that ran out of GPU memory, and the
recommender's nightly run training now. Expectations are the demo's facts (seed 7, ending
2026-11-24 12:00 UTC), worked out by hand from how the demo builds its runs.
"""

from __future__ import annotations

import itertools
import uuid
from typing import Any

import pytest

from collectors.cluster import KubeObject
from collectors.demo import DemoData, generate_demo
from collectors.demo.gpu_objects import unschedulable_message
from collectors.ids import node_id
from collectors.kinds import EdgeKind, NodeKind
from collectors.model import Node, Snapshot

ML = "ml-platform"
H100 = "gpu-h100-01"
RUNS = {
    # name: (pipeline, phase, run_name annotation, progress)
    "recommender-training-jt5qq": (
        "recommender-training", "Succeeded", "recommender-training 2026-11-23 14:23", "5/5"),
    "recommender-training-xkvrb": (
        "recommender-training", "Succeeded", "recommender-training 2026-11-22 12:33", "5/5"),
    "recommender-training-9g688": (
        "recommender-training", "Running", "recommender-training 2026-11-24 11:08", "2/3"),
    "fraud-detector-training-7vmnb": (
        "fraud-detector-training", "Succeeded", "fraud-detector-training 2026-11-21 11:03", "5/5"),
    "fraud-detector-training-b86vw": (
        "fraud-detector-training", "Failed", "fraud-detector-training 2026-11-20 10:28", "2/3"),
    "llm-assistant-finetune-cg6v6": (
        "llm-assistant-finetune", "Succeeded", "llm-assistant-finetune 2026-11-18 10:24", "5/5"),
    "llm-assistant-finetune-jn8bf": (
        "llm-assistant-finetune", "Failed", "llm-assistant-finetune 2026-11-24 09:28", "2/3"),
}  # fmt: skip
SERVED = {
    # model server: (its served run, the datasets ``ingest`` and ``features`` read)
    "recommender": ("recommender-training-jt5qq", "s3://datalake/events/clickstream/dt=2026-11-22",
                    "s3://datalake/catalog/products"),
    "fraud-detector": ("fraud-detector-training-7vmnb",
                       "gs://payments-exports/transactions/month=2026-11", ""),
    "llm-assistant": ("llm-assistant-finetune-cg6v6", "s3://datalake/support/tickets-corpus/v3",
                      ""),
}  # fmt: skip
CUDA_OOM = (
    "torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 4.00 GiB. GPU 0 has a total "
    "capacity of 79.19 GiB of which 1.56 GiB is free."
)


def model_uri(pipeline: str, attempt: str) -> str:
    """Where a run's ``train`` step wrote its model: the run id is a UUID5 of the attempt."""
    run = uuid.uuid5(uuid.NAMESPACE_URL, f"https://meshlens.example/demo/{pipeline}/{attempt}")
    return f"s3://mlpipeline/v2/artifacts/{pipeline}/{run}/train/model"


@pytest.fixture(scope="module")
def data() -> DemoData:
    return generate_demo()


def _into(snapshot: Snapshot, target: str, kind: EdgeKind) -> list[str]:
    return sorted(e.source for e in snapshot.edges(kind) if e.target == target)


def _out_of(snapshot: Snapshot, source: str, kind: EdgeKind) -> list[str]:
    return sorted(e.target for e in snapshot.edges(kind) if e.source == source)


def _artifact(uri: str) -> str:
    return node_id(NodeKind.ARTIFACT, uri)


def _step(snapshot: Snapshot, run: str, task: str) -> Node:
    run_id = node_id(NodeKind.PIPELINE_RUN, run, ML)
    (found,) = [
        snapshot.node(s)
        for s in _out_of(snapshot, run_id, EdgeKind.OWNS)
        if snapshot.node(s).attrs["display_name"] == task
    ]
    return found


def _producer(snapshot: Snapshot, artifact: str) -> Node:
    (step,) = _into(snapshot, artifact, EdgeKind.PRODUCES)
    return snapshot.node(step)


def test_the_runs_by_pipeline_with_their_phase_and_progress(demo: Snapshot) -> None:
    found = {
        run.name: (
            run.attrs["pipeline"],
            run.attrs["phase"],
            run.attrs["run_name"],
            run.attrs["progress"],
        )
        for run in demo.nodes(NodeKind.PIPELINE_RUN)
    }
    assert found == RUNS
    assert {run.namespace for run in demo.nodes(NodeKind.PIPELINE_RUN)} == {ML}
    steps = {run.name: (run.attrs["steps"], run.attrs["failed_steps"])
             for run in demo.nodes(NodeKind.PIPELINE_RUN)}  # fmt: skip
    # Finished runs ran all five steps; the others stopped at (or are still at) ``train``.
    assert steps == {name: (5, 0) if phase == "Succeeded" else (3, int(phase == "Failed"))
                     for name, (_, phase, _, _) in RUNS.items()}  # fmt: skip
    failed = {run.name: run.attrs["message"] for run in demo.nodes(NodeKind.PIPELINE_RUN)
              if run.attrs["phase"] == "Failed"}  # fmt: skip
    for name, message in failed.items():
        assert message == f"child '{_step(demo, name, 'train').name}' failed"


def test_each_model_server_traces_back_to_what_its_served_run_read(demo: Snapshot) -> None:
    for server, (run, dataset, catalog) in SERVED.items():
        predictor = node_id(NodeKind.WORKLOAD, f"{server}-predictor", ML)
        (isvc,) = _into(demo, predictor, EdgeKind.SERVES)
        assert isvc == node_id(NodeKind.INFERENCE_SERVICE, server, ML)
        pipeline = RUNS[run][0]
        model = _artifact(model_uri(pipeline, "served"))
        assert _into(demo, isvc, EdgeKind.SERVES) == [model]
        assert demo.node(isvc).attrs["storage_uri"] == model_uri(pipeline, "served")
        train = _producer(demo, model)
        assert (train.attrs["task"], train.attrs["run"]) == ("train", run)
        (features_out,) = _into(demo, train.id, EdgeKind.CONSUMES)
        features = _producer(demo, features_out)
        assert (features.attrs["task"], features.attrs["run"]) == ("features", run)
        read = _into(demo, features.id, EdgeKind.CONSUMES)
        fanned_in = [_artifact(catalog)] if catalog else []  # the recommender reads the catalog
        ingested = [a for a in read if a not in fanned_in]
        assert set(fanned_in) <= set(read)
        (ingested_id,) = ingested
        ingest = _producer(demo, ingested_id)
        assert (ingest.attrs["task"], ingest.attrs["run"]) == ("ingest", run)
        assert _into(demo, ingest.id, EdgeKind.CONSUMES) == [_artifact(dataset)]
        for outside in filter(None, (dataset, catalog)):  # read, never written by a step
            assert _into(demo, _artifact(outside), EdgeKind.PRODUCES) == []
        # Edge names are the artifacts' names in the steps.
        names = {e.attrs["name"] for e in demo.edges(EdgeKind.CONSUMES) if e.target == ingest.id}
        assert len(names) == 1 and names <= {"clickstream", "transactions", "support-tickets"}


def test_the_catalog_feeds_every_recommender_run_and_each_day_its_clicks(demo: Snapshot) -> None:
    readers = _out_of(demo, _artifact("s3://datalake/catalog/products"), EdgeKind.CONSUMES)
    runs = sorted(str(demo.node(step).attrs["run"]) for step in readers)
    assert runs == sorted(name for name, spec in RUNS.items() if spec[0] == "recommender-training")
    for run, day in (("recommender-training-xkvrb", "2026-11-21"),
                     ("recommender-training-9g688", "2026-11-23")):  # fmt: skip
        (ingest,) = _out_of(demo, _artifact(f"s3://datalake/events/clickstream/dt={day}"),
                            EdgeKind.CONSUMES)  # fmt: skip
        assert demo.node(ingest).attrs["run"] == run


def test_the_older_recommender_model_is_served_by_nobody(demo: Snapshot) -> None:
    older = _artifact(model_uri("recommender-training", "previous"))
    assert _producer(demo, older).attrs["run"] == "recommender-training-xkvrb"
    assert _out_of(demo, older, EdgeKind.SERVES) == []
    # What was trained from it, evaluated and registered, still read it.
    readers = {str(demo.node(s).attrs["task"]) for s in _out_of(demo, older, EdgeKind.CONSUMES)}
    assert readers == {"evaluate", "register-model"}


def _uses_gpu(snapshot: Snapshot, pod: str) -> list[str]:
    return _out_of(snapshot, pod, EdgeKind.USES_GPU)


@pytest.mark.parametrize(
    ("run", "machine", "exit_code", "message", "gpus"),
    [
        ("llm-assistant-finetune-jn8bf", H100, "1", f"Error (exit code 1): {CUDA_OOM}", 2),
        ("fraud-detector-training-b86vw", "gpu-l4-01", "137", "OOMKilled (exit code 137)", 1),
    ],
)
def test_a_failed_train_step_keeps_its_pod_which_holds_no_gpu(
    demo: Snapshot, run: str, machine: str, exit_code: str, message: str, gpus: int
) -> None:
    train = _step(demo, run, "train")
    assert train.attrs["phase"] == "Failed"
    assert str(train.attrs["message"]).startswith(message)
    assert (train.attrs["exit_code"], train.attrs["host"]) == (exit_code, machine)
    (pod_id,) = [p for p in _out_of(demo, train.id, EdgeKind.OWNS)]
    pod = demo.node(pod_id)
    assert pod.kind is NodeKind.POD
    assert pod.name == f"{run}-train-{train.name.rsplit('-', 1)[1]}"
    assert (pod.attrs["phase"], pod.attrs["node"], pod.attrs["gpu_requested"]) == (
        "Failed", machine, gpus)  # fmt: skip
    assert _uses_gpu(demo, pod_id) == []
    # The steps before it succeeded and their pods were collected (podGC OnPodSuccess).
    for task in ("ingest", "features"):
        step = _step(demo, run, task)
        assert step.attrs["phase"] == "Succeeded"
        assert _out_of(demo, step.id, EdgeKind.OWNS) == []


def test_the_nightly_train_step_holds_its_a100(demo: Snapshot) -> None:
    train = _step(demo, "recommender-training-9g688", "train")
    assert (train.attrs["phase"], train.attrs["host"]) == ("Running", "gpu-a100-01")
    (pod,) = _out_of(demo, train.id, EdgeKind.OWNS)
    assert demo.node(pod).attrs["phase"] == "Running"
    (gpu,) = _uses_gpu(demo, pod)
    assert gpu == node_id(NodeKind.GPU, "1", "gpu-a100-01")  # GPU 1, as section 5 places it


def test_steps_precede_one_another_only_as_far_as_the_run_got(demo: Snapshot) -> None:
    order = ["ingest", "features", "train", "evaluate", "register-model"]
    for run, (_, phase, _, _) in RUNS.items():
        ran = order if phase == "Succeeded" else order[:3]
        steps = [_step(demo, run, task).id for task in ran]
        for before, after in itertools.pairwise(steps):
            assert _out_of(demo, before, EdgeKind.PRECEDES) == [after]
        assert _out_of(demo, steps[-1], EdgeKind.PRECEDES) == []


def _pods_of_steps(data: DemoData) -> dict[str, KubeObject]:
    return {
        p["metadata"]["labels"]["workflows.argoproj.io/workflow"]: p
        for p in data.objects.of_kind("Pod")
        if "workflows.argoproj.io/workflow" in p["metadata"]["labels"]
    }


def test_workflows_and_their_kept_pods_are_shaped_as_argo_and_kfp_leave_them(
    data: DemoData,
) -> None:
    flows = {f["metadata"]["name"]: f for f in data.objects.of_kind("Workflow")}
    assert flows.keys() == RUNS.keys()
    for flow in flows.values():
        assert flow["spec"]["podGC"] == {"strategy": "OnPodSuccess"}
        assert flow["metadata"]["generateName"] == f"{RUNS[flow['metadata']['name']][0]}-"
    pods = _pods_of_steps(data)
    # Only steps that did not succeed have a pod: the running one and the two failed ones.
    assert sorted(pods) == sorted(n for n, spec in RUNS.items() if spec[1] != "Succeeded")
    for name, pod in pods.items():
        labels = pod["metadata"]["labels"]
        assert labels["pipelines.kubeflow.org/v2_component"] == "true"
        assert labels["pipeline/runid"] == flows[name]["metadata"]["labels"]["pipeline/runid"]
        node = flows[name]["status"]["nodes"][
            pod["metadata"]["annotations"]["workflows.argoproj.io/node-id"]
        ]
        assert node["displayName"] == "train"
        assert pod["spec"]["restartPolicy"] == "Never"
        failed = RUNS[name][1] == "Failed"
        assert labels["workflows.argoproj.io/completed"] == ("true" if failed else "false")
        assert pod["status"]["phase"] == ("Failed" if failed else "Running")
        (main,) = pod["status"]["containerStatuses"]
        if not failed:
            assert "running" in main["state"]
            continue
        ended: dict[str, Any] = main["state"]["terminated"]
        # Argo words the step's message from the main container's termination.
        said = f"{ended['reason']} (exit code {ended['exitCode']})"
        expected = f"{said}: {ended['message']}" if "message" in ended else said
        assert node["message"] == expected
        assert ended["finishedAt"] == node["finishedAt"]
        ready = next(c for c in pod["status"]["conditions"] if c["type"] == "Ready")
        assert (ready["status"], ready["reason"]) == ("False", "PodCompleted")
    oom = pods["llm-assistant-finetune-jn8bf"]["status"]["containerStatuses"][0]["state"]
    assert (oom["terminated"]["reason"], oom["terminated"]["exitCode"]) == ("Error", 1)
    assert oom["terminated"]["message"].startswith(CUDA_OOM)


def _gpu_node(name: str) -> KubeObject:
    return {
        "kind": "Node",
        "metadata": {"name": name, "labels": {"nvidia.com/gpu.product": "NVIDIA-H100-80GB-HBM3"}},
        "status": {"allocatable": {"nvidia.com/gpu": "8"}},
    }


def _gpu_pod(node: str, gpus: int, phase: str) -> KubeObject:
    return {
        "kind": "Pod",
        "metadata": {"name": f"{node}-{phase}"},
        "spec": {"nodeName": node, "containers": [
            {"name": "main", "resources": {"requests": {"nvidia.com/gpu": str(gpus)}}}]},
        "status": {"phase": phase},
    }  # fmt: skip


def test_the_scheduler_gives_no_thought_to_a_failed_pods_gpus() -> None:
    asking = {
        "nodeSelector": {"nvidia.com/gpu.product": "NVIDIA-H100-80GB-HBM3"},
        "containers": [{"resources": {"requests": {"nvidia.com/gpu": "4"}}}],
    }
    objects = [_gpu_node("busy"), _gpu_node("spent"),
               _gpu_pod("busy", 6, "Running"), _gpu_pod("spent", 8, "Failed")]  # fmt: skip
    # Only "busy" is short: "spent" has all eight free once its pod failed.
    assert unschedulable_message(objects, asking).startswith(
        "0/2 nodes are available: 1 Insufficient nvidia.com/gpu."
    )
