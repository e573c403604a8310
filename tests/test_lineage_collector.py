"""The collector side of pipeline lineage: node maps (plain, compressed, offloaded), step order,
KFP task names and roles, artifacts from parameters, folders containing files, KServe status."""

from __future__ import annotations

import base64
import copy
import gzip
import json
import logging
import zlib
from pathlib import Path
from typing import Any

import pytest

from collectors.cluster import ClusterObjects, KubeObject
from collectors.ids import node_id
from collectors.inventory import inventory_graph
from collectors.inventory.argo_nodes import inflate_nodes
from collectors.inventory.artifacts import names_a_destination, parameter_uri
from collectors.kinds import EdgeKind, NodeKind
from collectors.model import GraphPart, Node
from collectors.sources.manifests import ManifestError, load_manifests


class Lineage:
    """A graph part read for lineage: steps by display name, edges as name pairs."""

    def __init__(self, part: GraphPart) -> None:
        self.part = part
        self.nodes = {node.id: node for node in part.nodes}

    def of(self, kind: NodeKind) -> list[Node]:
        return [node for node in self.part.nodes if node.kind is kind]

    def run(self, name: str, namespace: str = "default") -> Node:
        return self.nodes[node_id(NodeKind.PIPELINE_RUN, name, namespace)]

    def step(self, display_name: str) -> Node:
        found = [
            s for s in self.of(NodeKind.PIPELINE_STEP) if s.attrs["display_name"] == display_name
        ]
        assert len(found) == 1, display_name
        return found[0]

    def label(self, node_id_: str) -> str:
        node = self.nodes[node_id_]
        return str(node.attrs["display_name"]) if node.kind is NodeKind.PIPELINE_STEP else node.name

    def pairs(self, kind: EdgeKind) -> set[tuple[str, str]]:
        return {
            (self.label(e.source), self.label(e.target)) for e in self.part.edges if e.kind is kind
        }


def read(*objects: KubeObject) -> Lineage:
    return Lineage(inventory_graph(ClusterObjects(list(objects))))


def read_file(path: Path) -> Lineage:
    return Lineage(inventory_graph(load_manifests(path)))


def the_workflow(path: Path) -> KubeObject:
    (found,) = [o for o in load_manifests(path).items if o.get("kind") == "Workflow"]
    return found


# --- every fixture file --------------------------------------------------------------------

# file -> (run, steps, failed steps, pipeline); None: the file holds no submitted run.
RUNS: dict[str, tuple[str, int, int, str] | None] = {
    "argo/dag-disable-fail-fast.yaml": (
        "dag-disable-fail-fast-r6xdc",
        6,
        2,
        "dag-disable-fail-fast",
    ),
    "argo/dag-exhausted-retries-xfail.yaml": ("retry-with-dags", 3, 2, ""),
    "argo/dag_retry_succeeded.yaml": ("dag-with-retries-4wkh8", 3, 2, "dag-with-retries"),
    "argo/steps-failed-retries.yaml": ("failed-retries-tjjsc", 4, 4, "failed-retries"),
    "kfp/artifacts_simple.yaml": None,  # compiled, never submitted: no name
    "kfp/xgboost-training-run-v1.json": ("xgboost-training-gzkm9", 7, 1, "xgboost-training"),
}
SERVICES = ("kserve/sklearn-v2.yaml", "kserve/torchserve-gpu.yaml")  # one InferenceService each


def test_every_lineage_fixture_file_is_listed_here(fixtures_dir: Path) -> None:
    on_disk = {
        f"{folder}/{path.name}"
        for folder in ("argo", "kfp", "kserve")
        for path in (fixtures_dir / folder).iterdir()
    }
    assert on_disk == set(RUNS) | set(SERVICES)


@pytest.mark.parametrize("file", sorted(RUNS))
def test_each_workflow_file_reads_as_its_run_and_steps(fixtures_dir: Path, file: str) -> None:
    g = read_file(fixtures_dir / file)
    expected = RUNS[file]
    if expected is None:
        assert g.of(NodeKind.PIPELINE_RUN) == [] and g.of(NodeKind.PIPELINE_STEP) == []
        return
    name, steps, failed, pipeline = expected
    run = g.run(name)
    assert (run.attrs["steps"], run.attrs["failed_steps"]) == (steps, failed)
    assert (run.attrs["pipeline"], run.attrs["nodes_status"], run.attrs["nodes_error"]) == (
        pipeline,
        "nodes",
        "",
    )
    assert len(g.of(NodeKind.PIPELINE_STEP)) == steps


def test_each_kserve_file_reads_as_its_inference_service(
    fixtures_dir: Path, tmp_path: Path
) -> None:
    sklearn = read_file(fixtures_dir / "kserve" / "sklearn-v2.yaml")
    assert [s.name for s in sklearn.of(NodeKind.INFERENCE_SERVICE)] == ["sklearn-irisv2"]
    # The published torchserve sample has an `image: {username}/...` placeholder: the loader
    # says where, and with the placeholder filled in (as its instructions say) it reads.
    with pytest.raises(ManifestError, match=r"torchserve-gpu\.yaml:8: invalid YAML"):
        load_manifests(fixtures_dir / "kserve" / "torchserve-gpu.yaml")
    sample = (fixtures_dir / "kserve" / "torchserve-gpu.yaml").read_text()
    (tmp_path / "torchserve.yaml").write_text(sample.replace("{username}", "example"))
    torchserve = read_file(tmp_path / "torchserve.yaml")
    assert [s.name for s in torchserve.of(NodeKind.INFERENCE_SERVICE)] == ["torchserve-custom-gpu"]


# --- step order ----------------------------------------------------------------------------

XGBOOST_CHAIN = {
    ("createcluster", "analyze"),
    ("analyze", "transform"),
    ("transform", "train"),
    ("train", "batchpredict"),
    ("batchpredict", "confusionmatrix"),
}  # the spec's six step groups, one step each; the onExit deletecluster follows none

# Derived by hand from each spec: which task depends on which, and who retried.
ORDER = {
    # A; B and C depend on A; D on B; E on D. C(0) and C(1) are attempts of C.
    "argo/dag-disable-fail-fast.yaml": {
        ("A", "B(0)"),
        ("A", "C(0)"),
        ("A", "C(1)"),
        ("B(0)", "D"),
        ("D", "E"),
    },
    # success1 -> sub-dag1 (a DAG holding the retried task fail) -> success2 (omitted, no pod).
    "argo/dag-exhausted-retries-xfail.yaml": {
        ("success1(0)", "fail(0)"),
        ("success1(0)", "fail(1)"),
    },
    "argo/dag_retry_succeeded.yaml": set(),  # one task, three attempts: none waits for another
    "argo/steps-failed-retries.yaml": set(),  # one step group: fail and delayed-fail in parallel
    "kfp/xgboost-training-run-v1.json": XGBOOST_CHAIN,
}


@pytest.mark.parametrize("file", sorted(ORDER))
def test_steps_precede_what_waits_for_them(fixtures_dir: Path, file: str) -> None:
    assert read_file(fixtures_dir / file).pairs(EdgeKind.PRECEDES) == ORDER[file]


def test_attempts_of_a_retried_task_share_its_task_name(fixtures_dir: Path) -> None:
    retried = read_file(fixtures_dir / "argo" / "dag_retry_succeeded.yaml")
    tasks = {s.attrs["display_name"]: s.attrs["task"] for s in retried.of(NodeKind.PIPELINE_STEP)}
    assert tasks == {"step1(0)": "step1", "step1(1)": "step1", "step1(2)": "step1"}
    fail_fast = read_file(fixtures_dir / "argo" / "dag-disable-fail-fast.yaml")
    assert fail_fast.step("C(1)").attrs["task"] == "C"
    assert fail_fast.step("A").attrs["task"] == "A"


# --- compressed, offloaded, unreadable node maps -----------------------------------------


def compressed(workflow: KubeObject) -> KubeObject:
    """The workflow as Argo stores a large one: its node map gzipped and base64-encoded."""
    packed = copy.deepcopy(workflow)
    nodes = packed["status"].pop("nodes")
    packed["status"]["compressedNodes"] = base64.b64encode(
        gzip.compress(json.dumps(nodes).encode())
    ).decode()
    return packed


def facts(g: Lineage) -> tuple[Any, ...]:
    steps = {s.name: s.attrs for s in g.of(NodeKind.PIPELINE_STEP)}
    artifacts = {a.name: a.attrs for a in g.of(NodeKind.ARTIFACT)}
    edges = {(e.kind, e.source, e.target, tuple(sorted(e.attrs.items()))) for e in g.part.edges}
    runs = {
        r.name: {k: v for k, v in r.attrs.items() if k != "nodes_status"}
        for r in g.of(NodeKind.PIPELINE_RUN)
    }
    return steps, artifacts, edges, runs


@pytest.mark.parametrize(
    "file",
    [
        "argo/dag_retry_succeeded.yaml",
        "argo/dag-exhausted-retries-xfail.yaml",
        "argo/dag-disable-fail-fast.yaml",
        "kfp/xgboost-training-run-v1.json",
    ],
)
def test_a_compressed_node_map_reads_as_the_plain_one(fixtures_dir: Path, file: str) -> None:
    plain = the_workflow(fixtures_dir / file)
    g_plain, g_packed = read(plain), read(compressed(plain))
    assert facts(g_packed) == facts(g_plain)
    assert g_plain.of(NodeKind.PIPELINE_STEP)  # the comparison is not between two empties
    (run,) = g_packed.of(NodeKind.PIPELINE_RUN)
    assert (run.attrs["nodes_status"], run.attrs["nodes_error"]) == ("compressed", "")


def workflow(name: str, status: dict[str, Any], **spec: Any) -> KubeObject:
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Workflow",
        "metadata": {"name": name, "namespace": "ml", "generateName": "fraud-training-"},
        "spec": {"entrypoint": "main", "templates": [], **spec},
        "status": status,
    }


def encoded(raw: bytes, *, gzipped: bool = True) -> str:
    return base64.b64encode(gzip.compress(raw) if gzipped else raw).decode()


@pytest.mark.parametrize(
    ("value", "why"),
    [
        ("H4sIAAAAAAAA...", "compressedNodes is not base64: "),
        (encoded(b'{"w": {"type": "Pod"}}', gzipped=False), "compressedNodes is not gzip data: "),
        (encoded(b'{"w": {"type": "Pod"}}')[:24], "compressedNodes is cut short"),
        (encoded(b'{"w": {"type": '), "compressedNodes is not JSON: "),
        (encoded(b'[{"type": "Pod"}]'), "compressedNodes holds a JSON list, not a map"),
        (encoded(b"[" * 100_000 + b"]" * 100_000), "compressedNodes is not JSON: "),
        (12345, "compressedNodes is not a string"),
    ],
)
def test_an_undecodable_node_map_is_unreadable_and_says_why(
    value: object, why: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="collectors.inventory.pipelines"):
        g = read(workflow("fraud-training-x1", {"phase": "Running", "compressedNodes": value}))
    run = g.run("fraud-training-x1", "ml")
    assert run.attrs["nodes_status"] == "unreadable"
    assert str(run.attrs["nodes_error"]).startswith(why)
    assert "\n" not in str(run.attrs["nodes_error"])
    assert "steps" not in run.attrs and "failed_steps" not in run.attrs
    assert g.of(NodeKind.PIPELINE_STEP) == []
    (record,) = caplog.records
    assert "ml/fraud-training-x1" in record.getMessage() and why in record.getMessage()
    assert record.exc_info is None


def test_a_gzip_bomb_is_refused_without_inflating_it() -> None:
    deflater = zlib.compressobj(wbits=16 + zlib.MAX_WBITS)
    chunk = b" " * 2**20
    bomb = deflater.compress(b'{"w": "') + b"".join(deflater.compress(chunk) for _ in range(65))
    bomb += deflater.compress(b'"}') + deflater.flush()
    assert len(bomb) < 2**20  # small on the wire, 65 MiB inflated
    g = read(workflow("big", {"compressedNodes": base64.b64encode(bomb).decode()}))
    run = g.run("big", "ml")
    assert run.attrs["nodes_status"] == "unreadable"
    assert run.attrs["nodes_error"] == "compressedNodes inflates to more than 64 MiB; not read"


def test_the_inflate_limit_is_exact() -> None:
    raw = b'{"w": {"type": "Pod"}}'
    assert inflate_nodes(encoded(raw), limit=len(raw)) == {"w": {"type": "Pod"}}
    with pytest.raises(ValueError, match=f"more than {len(raw) - 1:,} bytes"):
        inflate_nodes(encoded(raw), limit=len(raw) - 1)


def test_offloaded_and_absent_node_maps_have_no_step_count() -> None:
    offloaded = read(workflow("off", {"phase": "Running", "offloadNodeStatusVersion": "fnv:1"}))
    run = offloaded.run("off", "ml")
    assert (run.attrs["nodes_status"], run.attrs["nodes_error"]) == ("offloaded", "")
    assert "steps" not in run.attrs and offloaded.of(NodeKind.PIPELINE_STEP) == []
    queued = read(workflow("queued", {})).run("queued", "ml")
    assert queued.attrs["nodes_status"] == "none" and "steps" not in queued.attrs
    assert queued.attrs["pipeline"] == "fraud-training"
    assert queued.attrs["progress"] == ""


def test_a_run_names_its_pipeline_and_progress() -> None:
    spec = json.dumps({"name": "Fraud detector training", "description": "nightly"})
    kfp_v1 = workflow("r1", {"phase": "Running", "progress": "3/5"})
    kfp_v1["metadata"]["annotations"] = {"pipelines.kubeflow.org/pipeline_spec": spec}
    broken = workflow("r2", {})
    broken["metadata"]["annotations"] = {"pipelines.kubeflow.org/pipeline_spec": "{not json"}
    unnamed = workflow("r3", {})
    del unnamed["metadata"]["generateName"]
    g = read(kfp_v1, broken, unnamed)
    assert g.run("r1", "ml").attrs["pipeline"] == "Fraud detector training"
    assert g.run("r1", "ml").attrs["progress"] == "3/5"
    assert g.run("r2", "ml").attrs["pipeline"] == "fraud-training"  # from generateName
    assert g.run("r3", "ml").attrs["pipeline"] == ""


# --- Kubeflow Pipelines ----------------------------------------------------------------------


def kfp_v2_nodes() -> dict[str, dict[str, Any]]:
    """A KFP v2 run's node map as Argo records it (templates as in kfp/artifacts_simple.yaml).

    The root DAG runs ``double`` then ``add``; each task is a driver pod, then an executor DAG
    (``system-container-executor``) holding the pod that runs the user's code; ``add``'s code
    failed once and was retried, and Argo linked only the last attempt on to ``push``.
    """

    def entry(
        kind: str, display: str, template: str, boundary: str, *children: str
    ) -> dict[str, Any]:
        fields = {"displayName": display, "templateName": template, "boundaryID": boundary}
        return {"type": kind, **fields, "children": list(children), "phase": "Succeeded"}

    nodes = {
        "m": entry("DAG", "m", "entrypoint", "", "m-1"),
        "m-1": entry("Pod", "root-driver", "system-dag-driver", "m", "m-2"),
        "m-2": entry("DAG", "root", "root", "m", "m-3"),
        "m-3": entry("Pod", "double-driver", "system-container-driver", "m-2", "m-4"),
        "m-4": entry("DAG", "double", "system-container-executor", "m-2", "m-5"),
        "m-5": entry("Pod", "executor", "system-container-impl", "m-4", "m-6"),
        "m-6": entry("Pod", "add-driver", "system-container-driver", "m-2", "m-7"),
        "m-7": entry("DAG", "add", "system-container-executor", "m-2", "m-8"),
        "m-8": entry("Retry", "executor", "system-container-impl", "m-7", "m-9", "m-10"),
        "m-9": entry("Pod", "executor(0)", "system-container-impl", "m-7"),
        "m-10": entry("Pod", "executor(1)", "system-container-impl", "m-7", "m-11"),
        "m-11": entry("Pod", "push-driver", "system-container-driver", "m-2"),
    }
    nodes["m-9"]["phase"] = "Failed"
    return nodes


def test_kfp_v2_executors_take_their_task_name_and_drivers_are_marked() -> None:
    g = read(workflow("math-pipeline-x7k2p", {"phase": "Succeeded", "nodes": kfp_v2_nodes()}))
    steps = {s.name: (s.attrs["task"], s.attrs["role"]) for s in g.of(NodeKind.PIPELINE_STEP)}
    assert steps == {
        "m-1": ("root-driver", "driver"),
        "m-3": ("double-driver", "driver"),
        "m-5": ("double", ""),
        "m-6": ("add-driver", "driver"),
        "m-9": ("add", ""),
        "m-10": ("add", ""),
        "m-11": ("push-driver", "driver"),
    }
    by_id = {(s.name, t.name) for s, t in _ends(g, EdgeKind.PRECEDES)}
    assert by_id == {
        ("m-1", "m-3"),
        ("m-3", "m-5"),
        ("m-5", "m-6"),
        ("m-6", "m-9"),
        ("m-6", "m-10"),
        ("m-9", "m-11"),  # every attempt precedes what follows the task
        ("m-10", "m-11"),
    }  # and no attempt precedes another


def test_a_nested_steps_template_is_entered_at_its_first_group() -> None:
    # Argo before 2.3 listed every step group among a Steps entry's children (as the xgboost
    # run's root does); the groups after the first follow the previous group's pods.
    nodes = {
        "s": {"type": "Steps", "children": ["s-a"]},
        "s-a": {"type": "Pod", "displayName": "a", "children": ["s-sub"]},
        "s-sub": {"type": "Steps", "children": ["s-g0", "s-g1"]},
        "s-g0": {"type": "StepGroup", "children": ["s-b"]},
        "s-b": {"type": "Pod", "displayName": "b", "children": ["s-g1"]},
        "s-g1": {"type": "StepGroup", "children": ["s-c"]},
        "s-c": {"type": "Pod", "displayName": "c"},
    }
    assert read(workflow("s", {"nodes": nodes})).pairs(EdgeKind.PRECEDES) == {
        ("a", "b"),
        ("b", "c"),
    }


def _ends(g: Lineage, kind: EdgeKind) -> list[tuple[Node, Node]]:
    return [(g.nodes[e.source], g.nodes[e.target]) for e in g.part.edges if e.kind is kind]


GS_RUN = "gs://sample-xgbbost-cm-output/xgboost-training-gzkm9"
PLAYGROUND = "gs://ml-pipeline-playground"


def test_xgboost_lineage_runs_from_the_raw_csv_to_the_model(fixtures_dir: Path) -> None:
    g = read_file(fixtures_dir / "kfp" / "xgboost-training-run-v1.json")
    produces = {(s, a) for s, a in g.pairs(EdgeKind.PRODUCES) if a.startswith("gs://")}
    assert produces == {
        ("createcluster", f"{GS_RUN}/staging"),
        ("analyze", f"{GS_RUN}/analysis"),
        ("transform", f"{GS_RUN}/transform"),
        ("train", f"{GS_RUN}/model"),
        ("batchpredict", f"{GS_RUN}/batchpredict"),
        ("confusionmatrix", f"{GS_RUN}/confusionmatrix"),
    }
    jar = f"{PLAYGROUND}/xgboost4j-example-0.8-SNAPSHOT-jar-with-dependencies.jar"
    consumes = {(s, a) for a, s in g.pairs(EdgeKind.CONSUMES)}
    assert consumes == {
        ("analyze", f"{PLAYGROUND}/newsgroup/train.csv"),
        ("analyze", f"{PLAYGROUND}/newsgroup/schema.json"),
        ("transform", f"{PLAYGROUND}/newsgroup/train.csv"),
        ("transform", f"{PLAYGROUND}/newsgroup/eval.csv"),
        ("transform", f"{GS_RUN}/analysis"),
        ("train", f"{GS_RUN}/transform/train"),  # "part-*" read as its folder
        ("train", f"{GS_RUN}/transform/eval"),
        ("train", f"{GS_RUN}/analysis"),
        ("train", jar),
        ("train", f"{PLAYGROUND}/trainconfcla.json"),  # the value ends in a space
        ("batchpredict", f"{GS_RUN}/transform/eval"),
        ("batchpredict", f"{GS_RUN}/model"),
        ("batchpredict", f"{GS_RUN}/analysis"),
        ("batchpredict", jar),
        ("confusionmatrix", f"{GS_RUN}/analysis"),
        ("confusionmatrix", f"{GS_RUN}/batchpredict"),  # ".../batchpredict/part-*.csv"
    }
    assert g.pairs(EdgeKind.CONTAINS) == {
        (f"{GS_RUN}/transform", f"{GS_RUN}/transform/train"),
        (f"{GS_RUN}/transform", f"{GS_RUN}/transform/eval"),
    }
    names = {
        (g.label(e.source), e.attrs["name"]) for e in g.part.edges if e.kind is EdgeKind.PRODUCES
    }
    assert ("train", "output") in names and ("train", "mlpipeline-ui-metadata") in names
    # Walking up from the model: what it was made from that no step of the run wrote.
    assert sources_of(g, f"{GS_RUN}/model") == {
        f"{PLAYGROUND}/newsgroup/train.csv",
        f"{PLAYGROUND}/newsgroup/eval.csv",
        f"{PLAYGROUND}/newsgroup/schema.json",
        f"{PLAYGROUND}/trainconfcla.json",
        jar,
    }


def sources_of(g: Lineage, uri: str) -> set[str]:
    """Artifacts upstream of one (through steps and containing folders) that nothing made."""
    upstream = (EdgeKind.PRODUCES, EdgeKind.CONSUMES, EdgeKind.CONTAINS)
    into: dict[str, set[str]] = {}
    for edge in g.part.edges:
        if edge.kind in upstream:
            into.setdefault(edge.target, set()).add(edge.source)
    seen, waiting = set(), [node_id(NodeKind.ARTIFACT, uri)]
    while waiting:
        current = waiting.pop()
        if current not in seen:
            seen.add(current)
            waiting.extend(into.get(current, ()))
    return {g.nodes[n].name for n in seen if g.nodes[n].kind is NodeKind.ARTIFACT and n not in into}


def test_a_parameter_missing_from_the_node_is_read_from_the_spec_if_it_resolves() -> None:
    nodes = {
        "p": {"type": "DAG", "templateName": "main", "children": ["p-1"],
              "inputs": {"parameters": [{"name": "root", "value": "s3://lake/runs"}]}},
        "p-1": {"type": "Pod", "displayName": "fit", "boundaryID": "p", "templateName": "fit",
                "inputs": {"parameters": [{"name": "data", "value": "s3://lake/events"}]}},
    }  # fmt: skip
    call = {"name": "fit", "template": "fit", "arguments": {"parameters": [
        {"name": "data", "value": "s3://elsewhere/ignored"},  # the node's own value wins
        {"name": "output", "value": "{{inputs.parameters.root}}/{{workflow.name}}/model"},
        {"name": "out_report", "value": "{{tasks.prep.outputs.parameters.uri}}/report"},
    ]}}  # fmt: skip
    templates = [{"name": "main", "dag": {"tasks": [call]}}]
    g = read(workflow("fit-1", {"nodes": nodes}, templates=templates))
    assert g.pairs(EdgeKind.PRODUCES) == {("fit", "s3://lake/runs/fit-1/model")}
    assert g.pairs(EdgeKind.CONSUMES) == {("s3://lake/events", "fit")}


def isvc(name: str, predictor: dict[str, Any], status: dict[str, Any] | None = None) -> KubeObject:
    return {
        "apiVersion": "serving.kserve.io/v1beta1",
        "kind": "InferenceService",
        "metadata": {"name": name, "namespace": "ml"},
        "spec": {"predictor": predictor},
        "status": status or {},
    }


def test_a_minio_pipeline_root_meets_the_s3_storage_uri_that_serves_it() -> None:
    model = "mlpipeline/v2/artifacts/fraud-training/1b7c/train/model"
    nodes = {"t-1": {"type": "Pod", "displayName": "train", "inputs": {"parameters": [
        {"name": "output_model", "value": f"minio://{model}/"},
        {"name": "dataset", "value": "minio://datalake/fraud/2026-11"},
        {"name": "endpoint", "value": "https://minio.kubeflow:9000/datalake"},  # not data
    ]}}}  # fmt: skip
    served = isvc(
        "fraud", {"model": {"modelFormat": {"name": "xgboost"}, "storageUri": f"s3://{model}"}}
    )
    g = read(workflow("t", {"nodes": nodes}), served)
    assert {a.name for a in g.of(NodeKind.ARTIFACT)} == {
        f"s3://{model}",
        "s3://datalake/fraud/2026-11",
    }
    artifact = g.nodes[node_id(NodeKind.ARTIFACT, f"s3://{model}")]
    assert artifact.attrs["original_uri"] == f"minio://{model}"
    assert g.pairs(EdgeKind.PRODUCES) == {("train", f"s3://{model}")}
    assert (f"s3://{model}", "fraud") in g.pairs(EdgeKind.SERVES)
    dataset = g.nodes[node_id(NodeKind.ARTIFACT, "s3://datalake/fraud/2026-11")]
    assert dataset.attrs["original_uri"] == "minio://datalake/fraud/2026-11"


def test_an_artifact_links_only_to_the_nearest_folder_it_lies_in() -> None:
    uris = [
        "s3://b/models",
        "s3://b/models/fraud",
        "s3://b/models/fraud/model.bst",
        "s3://b/models/fraud-v2",  # shares a prefix with .../fraud, lies in .../models
        "s3://c/models/fraud/model.bst",  # another bucket
        "gs://b/models/fraud/model.bst",  # another scheme
    ]
    g = read(*(isvc(f"m{i}", {"sklearn": {"storageUri": uri}}) for i, uri in enumerate(uris)))
    assert g.pairs(EdgeKind.CONTAINS) == {
        ("s3://b/models", "s3://b/models/fraud"),
        ("s3://b/models/fraud", "s3://b/models/fraud/model.bst"),
        ("s3://b/models", "s3://b/models/fraud-v2"),
    }


@pytest.mark.parametrize(
    ("value", "uri"),
    [
        ("gs://out/run/transform/train/part-*", "gs://out/run/transform/train"),
        ("s3://out/run/predictions/part-*.csv", "s3://out/run/predictions"),
        ("gs://bucket/part-*", "gs://bucket"),
        (" hdfs://namenode/warehouse/events/ ", "hdfs://namenode/warehouse/events/"),
        ("abfs://lake@acct.dfs.core.windows.net/raw", "abfs://lake@acct.dfs.core.windows.net/raw"),
        ("{{inputs.parameters.output}}/model", ""),
        ("gs://out/{{workflow.name}}/model", ""),
        ("https://storage.googleapis.com/b/model", ""),
        ("news_label", ""),
        ("gs://", ""),
        ("gs://a/x gs://a/y", ""),
    ],
)
def test_which_parameter_values_name_stored_data(value: str, uri: str) -> None:
    assert parameter_uri(value) == uri


@pytest.mark.parametrize(
    ("name", "writes"),
    [
        ("output", True), ("output_path", True), ("model-output", True), ("outDir", True),
        ("out_dataset", True), ("staging", True), ("train", False), ("model", False),
        ("analysis", False), ("checkout_dir", False), ("layout", False), ("predictions", False),
    ],
)  # fmt: skip
def test_which_parameter_names_are_destinations(name: str, writes: bool) -> None:
    assert names_a_destination(name) is writes


# --- KServe ----------------------------------------------------------------------------------


def test_kserve_reports_a_model_that_failed_to_load() -> None:
    status = {
        "url": "http://fraud.ml.example.com",
        "conditions": [
            {"type": "IngressReady", "status": "True"},
            {"type": "PredictorReady", "status": "False", "reason": "ModelLoadFailed",
             "message": "failed to load\n  model.bst: xgboost version mismatch"},
            {"type": "Ready", "status": "Unknown", "reason": "PredictorNotReady"},
        ],
        "modelStatus": {
            "states": {"activeModelState": "FailedToLoad", "targetModelState": "Loaded"},
            "transitionStatus": "BlockedByFailedLoad",
            "lastFailureInfo": {"reason": "ModelLoadFailed", "message": "xgboost version\nmismatch",
                                "exitCode": 1},
        },
    }  # fmt: skip
    g = read(isvc("fraud", {"model": {"storageUri": "s3://models/fraud"}}, status))
    (fraud,) = g.of(NodeKind.INFERENCE_SERVICE)
    assert {k: fraud.attrs[k] for k in ("model_state", "target_model_state", "transition")} == {
        "model_state": "FailedToLoad",
        "target_model_state": "Loaded",
        "transition": "BlockedByFailedLoad",
    }
    assert fraud.attrs["model_failure"] == "ModelLoadFailed: xgboost version mismatch"
    assert fraud.attrs["conditions_failing"] == (
        "PredictorReady: ModelLoadFailed: failed to load model.bst: xgboost version mismatch; "
        "Ready: PredictorNotReady"
    )
    assert fraud.attrs["ready"] is False


def test_kserve_healthy_and_unreported_status_leave_the_fields_empty() -> None:
    healthy = {
        "conditions": [{"type": "Ready", "status": "True"}],
        "modelStatus": {"states": {"activeModelState": "Loaded", "targetModelState": "Loaded"},
                        "transitionStatus": "UpToDate"},
    }  # fmt: skip
    g = read(
        isvc(
            "new",
            {"model": {"modelFormat": {"name": "sklearn"}, "storageUri": "gs://m/iris"}},
            healthy,
        ),
        isvc("old", {"sklearn": {"storageUri": "gs://m/iris-v1/"}}),
    )
    new = g.nodes[node_id(NodeKind.INFERENCE_SERVICE, "new", "ml")]
    old = g.nodes[node_id(NodeKind.INFERENCE_SERVICE, "old", "ml")]
    assert (new.attrs["model_state"], new.attrs["transition"]) == ("Loaded", "UpToDate")
    assert (new.attrs["model_failure"], new.attrs["conditions_failing"]) == ("", "")
    # Both forms of storageUri: predictor.model and the older predictor.<framework>.
    assert (new.attrs["storage_uri"], new.attrs["model_format"]) == ("gs://m/iris", "sklearn")
    assert (old.attrs["storage_uri"], old.attrs["model_format"]) == ("gs://m/iris-v1/", "sklearn")
    assert g.pairs(EdgeKind.SERVES) == {("gs://m/iris", "new"), ("gs://m/iris-v1", "old")}
    assert all(old.attrs[k] == "" for k in ("model_state", "transition", "conditions_failing"))
    assert "ready" not in old.attrs
