"""Argo Workflows (and the Kubeflow Pipelines runs compiled to them): runs, steps, artifacts."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from typing import Any

from collectors.cluster import KubeObject
from collectors.ids import node_id
from collectors.inventory._objects import (
    PartBuilder,
    annotations_of,
    labels_of,
    mapping,
    metadata,
    name_of,
    namespace_of,
    sequence,
    text,
)
from collectors.inventory.argo_nodes import (
    Entry,
    parent_map,
    pod_steps,
    read_node_map,
    step_order,
    step_parameters,
    step_role,
    step_task,
)
from collectors.inventory.artifacts import (
    add_artifact,
    argo_artifact_uri,
    names_a_destination,
    parameter_uri,
)
from collectors.kinds import EdgeKind, NodeKind
from collectors.model import Node, Scalar

log = logging.getLogger(__name__)

ARGO_GROUP = "argoproj.io"
KFP_RUN_ID_LABEL = "pipeline/runid"
KFP_RUN_NAME_ANNOTATION = "pipelines.kubeflow.org/run_name"
KFP_PIPELINE_SPEC_ANNOTATION = "pipelines.kubeflow.org/pipeline_spec"
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

    Steps are the ``Pod`` entries of the node map (see :mod:`.argo_nodes`), read from
    ``status.nodes`` or ``status.compressedNodes``; a step's id name is its Argo node id,
    unique within the namespace. PRECEDES edges order the steps as the run's DAG does.
    Workflows without a name (compiled, never submitted) are skipped. When the node map is
    offloaded to Argo's database or cannot be decoded, ``nodes_status`` says so and the run
    has no steps here (and no ``steps`` count: unknown, not zero).
    """
    pods = _pods_by_argo_node(objects, builder.cluster)
    for obj in objects:
        if not is_argo_workflow(obj) or not name_of(obj):
            continue
        name, namespace = name_of(obj), namespace_of(obj)
        status = mapping(obj.get("status"))
        node_map = read_node_map(status)
        if node_map.status == "unreadable":
            log.warning("workflow %s/%s: steps not read: %s", namespace, name, node_map.error)
        steps = pod_steps(node_map.nodes)
        attrs: dict[str, Scalar] = {
            # The controller labels the phase too; some stored workflows keep only the label.
            "phase": text(status.get("phase")) or labels_of(obj).get(ARGO_PHASE_LABEL, ""),
            "started": text(status.get("startedAt")),
            "finished": text(status.get("finishedAt")),
            "message": text(status.get("message")),
            "kfp_run_id": labels_of(obj).get(KFP_RUN_ID_LABEL, ""),
            "run_name": annotations_of(obj).get(KFP_RUN_NAME_ANNOTATION, ""),
            "pipeline": pipeline_name(obj),
            "progress": text(status.get("progress")),
            "nodes_status": node_map.status,
            "nodes_error": node_map.error,
        }
        if node_map.read:
            attrs["steps"] = len(steps)
            attrs["failed_steps"] = sum(
                s.get("phase") in ("Failed", "Error") for s in steps.values()
            )
        run = builder.node(NodeKind.PIPELINE_RUN, name, namespace, attrs=attrs)
        repository = mapping(mapping(status.get("artifactRepositoryRef")).get("artifactRepository"))
        parents = parent_map(node_map.nodes)
        added: dict[str, Node] = {}
        for argo_id, entry in steps.items():
            step = _add_step(builder, argo_id, entry, run)
            step.attrs["task"] = step_task(node_map.nodes, argo_id, parents)
            added[argo_id] = step
            _link_artifacts(builder, step, entry, repository)
            _link_parameters(builder, step, step_parameters(obj, node_map.nodes, argo_id))
            pod = pods.get((namespace, name, argo_id))
            if pod is not None and pod in builder.nodes:
                builder.edge(step.id, pod, EdgeKind.OWNS)
        for before, after in sorted(step_order(node_map.nodes)):
            builder.edge(added[before].id, added[after].id, EdgeKind.PRECEDES)


def pipeline_name(obj: KubeObject) -> str:
    """The pipeline a run is of: KFP v1's pipeline spec name, else the generateName stem.

    >>> pipeline_name({"metadata": {"generateName": "xgboost-training-"}})
    'xgboost-training'
    """
    spec_text = annotations_of(obj).get(KFP_PIPELINE_SPEC_ANNOTATION, "")
    try:
        spec = json.loads(spec_text) if spec_text else {}
    except ValueError:
        spec = {}
    named = text(mapping(spec).get("name"))
    return named or text(metadata(obj).get("generateName")).removesuffix("-")


def _add_step(builder: PartBuilder, argo_id: str, entry: Entry, run: Node) -> Node:
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
            "role": step_role(entry),
        },
    )
    builder.edge(run.id, step.id, EdgeKind.OWNS)
    return step


def _link_artifacts(
    builder: PartBuilder, step: Node, entry: Entry, repository: Mapping[str, Any]
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


def _link_parameters(builder: PartBuilder, step: Node, parameters: Mapping[str, str]) -> None:
    """Parameters holding storage URIs: the data KFP v1 steps pass one another by location."""
    for name, value in parameters.items():
        uri = parameter_uri(value)
        if not uri:
            continue
        node = add_artifact(builder, uri)
        if names_a_destination(name):
            builder.edge(step.id, node.id, EdgeKind.PRODUCES, {"name": name})
        else:
            builder.edge(node.id, step.id, EdgeKind.CONSUMES, {"name": name})


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
