"""Argo Workflows (and the Kubeflow Pipelines runs compiled to them): runs, steps, artifacts."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from collectors.cluster import KubeObject
from collectors.ids import node_id
from collectors.inventory._objects import (
    PartBuilder,
    annotations_of,
    labels_of,
    mapping,
    name_of,
    namespace_of,
    sequence,
    text,
)
from collectors.inventory.artifacts import add_artifact, argo_artifact_uri
from collectors.kinds import EdgeKind, NodeKind
from collectors.model import Node, Scalar

ARGO_GROUP = "argoproj.io"
KFP_RUN_ID_LABEL = "pipeline/runid"
KFP_RUN_NAME_ANNOTATION = "pipelines.kubeflow.org/run_name"
ARGO_NODE_ID_ANNOTATION = "workflows.argoproj.io/node-id"
ARGO_WORKFLOW_LABEL = "workflows.argoproj.io/workflow"
ARGO_PHASE_LABEL = "workflows.argoproj.io/phase"


def is_argo_workflow(obj: KubeObject) -> bool:
    """Whether an object is an Argo Workflow."""
    api_version = text(obj.get("apiVersion"))
    return obj.get("kind") == "Workflow" and (
        not api_version or api_version.startswith(f"{ARGO_GROUP}/")
    )


def add_pipeline_runs(builder: PartBuilder, objects: Sequence[KubeObject]) -> None:
    """Add a PIPELINE_RUN per Workflow, a PIPELINE_STEP per pod it ran, and their artifacts.

    Steps are the ``Pod`` entries of ``status.nodes`` (DAG, retry and group entries only
    structure them); a step's id name is its Argo node id, unique within the namespace.
    Workflows without a name (compiled, never submitted) are skipped. When the node map was
    compressed or offloaded to a database, the run says so in ``nodes_status`` and has no
    steps here.
    """
    pods = _pods_by_argo_node(objects, builder.cluster)
    for obj in objects:
        if not is_argo_workflow(obj) or not name_of(obj):
            continue
        name, namespace = name_of(obj), namespace_of(obj)
        status = mapping(obj.get("status"))
        nodes = mapping(status.get("nodes"))
        steps = {key: mapping(entry) for key, entry in nodes.items() if _is_pod_step(entry)}
        attrs: dict[str, Scalar] = {
            # The controller labels the phase too; some stored workflows keep only the label.
            "phase": text(status.get("phase")) or labels_of(obj).get(ARGO_PHASE_LABEL, ""),
            "started": text(status.get("startedAt")),
            "finished": text(status.get("finishedAt")),
            "message": text(status.get("message")),
            "kfp_run_id": labels_of(obj).get(KFP_RUN_ID_LABEL, ""),
            "run_name": annotations_of(obj).get(KFP_RUN_NAME_ANNOTATION, ""),
        }
        if status.get("compressedNodes"):
            attrs["nodes_status"] = "compressed"
        elif status.get("offloadNodeStatusVersion"):
            attrs["nodes_status"] = "offloaded"
        else:
            attrs["steps"] = len(steps)
            attrs["failed_steps"] = sum(
                s.get("phase") in ("Failed", "Error") for s in steps.values()
            )
        run = builder.node(NodeKind.PIPELINE_RUN, name, namespace, attrs=attrs)
        if "nodes_status" in attrs:
            continue
        repository = mapping(mapping(status.get("artifactRepositoryRef")).get("artifactRepository"))
        for argo_id, entry in steps.items():
            step = _add_step(builder, str(argo_id), entry, run)
            _link_artifacts(builder, step, entry, repository)
            pod = pods.get((namespace, name, str(argo_id)))
            if pod is not None and pod in builder.nodes:
                builder.edge(step.id, pod, EdgeKind.OWNS)


def _is_pod_step(entry: Any) -> bool:
    return isinstance(entry, Mapping) and entry.get("type") == "Pod"


def _add_step(builder: PartBuilder, argo_id: str, entry: Mapping[str, Any], run: Node) -> Node:
    outputs = mapping(entry.get("outputs"))
    step = builder.node(
        NodeKind.PIPELINE_STEP,
        argo_id,
        run.namespace,
        attrs={
            "display_name": text(entry.get("displayName")),
            "phase": text(entry.get("phase")),
            "message": text(entry.get("message")),
            "template": text(entry.get("templateName")),
            "started": text(entry.get("startedAt")),
            "finished": text(entry.get("finishedAt")),
            "host": text(entry.get("hostNodeName")),
            "exit_code": text(outputs.get("exitCode")),
            "run": run.name,
        },
    )
    builder.edge(run.id, step.id, EdgeKind.OWNS)
    return step


def _link_artifacts(
    builder: PartBuilder, step: Node, entry: Mapping[str, Any], repository: Mapping[str, Any]
) -> None:
    for direction in ("inputs", "outputs"):
        for item in sequence(mapping(entry.get(direction)).get("artifacts")):
            artifact = mapping(item)
            uri = argo_artifact_uri(artifact, repository)
            if not uri:
                continue
            node = add_artifact(builder, uri)
            if artifact.get("archiveLogs") is True or text(artifact.get("name")) == "main-logs":
                node.attrs["logs"] = True  # a step's own log, not data: views may hide it
            edge_attrs: dict[str, Scalar] = {"name": text(artifact.get("name"))}
            if direction == "outputs":
                builder.edge(step.id, node.id, EdgeKind.PRODUCES, edge_attrs)
            else:
                builder.edge(node.id, step.id, EdgeKind.CONSUMES, edge_attrs)


def _pods_by_argo_node(
    objects: Sequence[KubeObject], cluster: str
) -> dict[tuple[str, str, str], str]:
    """Map (namespace, workflow, Argo node id) to the id of the pod that ran the step."""
    found: dict[tuple[str, str, str], str] = {}
    for obj in objects:
        if obj.get("kind") != "Pod" or not name_of(obj):
            continue
        argo_id = annotations_of(obj).get(ARGO_NODE_ID_ANNOTATION, "")
        workflow = labels_of(obj).get(ARGO_WORKFLOW_LABEL, "")
        if argo_id and workflow:
            namespace = namespace_of(obj)
            found[(namespace, workflow, argo_id)] = node_id(
                NodeKind.POD, name_of(obj), namespace, cluster
            )
    return found
