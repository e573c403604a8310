"""KServe InferenceServices: the model they serve and the workload that serves it."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from collectors.cluster import KubeObject
from collectors.inventory._objects import (
    PartBuilder,
    annotations_of,
    condition_status,
    container_gpus,
    mapping,
    name_of,
    namespace_of,
    sequence,
    text,
)
from collectors.inventory.artifacts import add_artifact
from collectors.kinds import EdgeKind, NodeFlag, NodeKind
from collectors.model import Node, Scalar

KSERVE_GROUP = "serving.kserve.io"
ISVC_LABEL = "serving.kserve.io/inferenceservice"


def is_kserve(obj: KubeObject) -> bool:
    """Whether an object is a KServe InferenceService."""
    return obj.get("kind") == "InferenceService" and text(obj.get("apiVersion")).startswith(
        f"{KSERVE_GROUP}/"
    )


def predictor_model(predictor: Mapping[str, Any]) -> tuple[str, str, Mapping[str, Any]]:
    """Return ``(storage URI, model format, model spec)`` of a predictor, ``""`` when absent.

    Handles ``predictor.model`` (v1beta1 with ``modelFormat``), the older framework keys
    (``predictor.sklearn.storageUri``) and custom containers that set ``STORAGE_URI``.
    """
    model = mapping(predictor.get("model"))
    if model:
        model_format = text(mapping(model.get("modelFormat")).get("name"))
        return text(model.get("storageUri")), model_format, model
    for framework, spec in predictor.items():
        if isinstance(spec, Mapping) and "storageUri" in spec:
            return text(spec.get("storageUri")), str(framework), spec
    for container in sequence(predictor.get("containers")):
        for variable in sequence(mapping(container).get("env")):
            if text(mapping(variable).get("name")) == "STORAGE_URI":
                return text(mapping(variable).get("value")), "", {}
    return "", "", {}


def add_inference_services(
    builder: PartBuilder, objects: Iterable[KubeObject], workloads: Sequence[Node]
) -> None:
    """Add INFERENCE_SERVICE nodes, SERVES edges to their predictor workloads and from models.

    The predictor workload is the Deployment KServe names ``<isvc>-predictor`` (raw mode) or
    any workload whose pods carry ``serving.kserve.io/inferenceservice=<isvc>`` and are not
    a transformer or explainer (Knative revisions: ``<isvc>-predictor-00001-deployment``).
    """
    for obj in objects:
        if not is_kserve(obj) or not name_of(obj):
            continue
        name, namespace = name_of(obj), namespace_of(obj)
        predictor = mapping(mapping(obj.get("spec")).get("predictor"))
        uri, model_format, model = predictor_model(predictor)
        status = mapping(obj.get("status"))
        gpus = container_gpus(model) + sum(
            container_gpus(mapping(c)) for c in sequence(predictor.get("containers"))
        )
        attrs: dict[str, Scalar] = {
            "storage_uri": uri,
            "model_format": model_format,
            "runtime": text(model.get("runtime")),
            "url": text(status.get("url")),
            "deployment_mode": annotations_of(obj).get("serving.kserve.io/deploymentMode", ""),
            "gpu_requested": gpus,
            **model_status(status),
        }
        ready = condition_status(obj, "Ready")
        if ready is not None:
            attrs["ready"] = ready
        node = builder.node(NodeKind.INFERENCE_SERVICE, name, namespace, attrs=attrs)
        if ready is False:
            node.flags.add(NodeFlag.NOT_READY)
        for workload in workloads:
            if workload.namespace == namespace and _serves(workload, name):
                builder.edge(node.id, workload.id, EdgeKind.SERVES)
        if uri:
            artifact = add_artifact(builder, uri)
            builder.edge(artifact.id, node.id, EdgeKind.SERVES)


def model_status(status: Mapping[str, Any]) -> dict[str, str]:
    """What KServe reports about loading the model and the service's conditions, as text.

    ``model_state`` and ``target_model_state`` come from ``modelStatus.states`` (``Loaded``,
    ``FailedToLoad``...), ``transition`` from ``modelStatus.transitionStatus``,
    ``model_failure`` is ``lastFailureInfo`` as "reason: message", and
    ``conditions_failing`` names each condition whose status is not ``True`` as
    "Type: reason: message", joined by "; ". Each is one line, ``""`` when unreported.

    >>> failing = {"type": "Ready", "status": "False", "reason": "RevisionMissing"}
    >>> model_status({"conditions": [failing]})["conditions_failing"]
    'Ready: RevisionMissing'
    """
    model = mapping(status.get("modelStatus"))
    states = mapping(model.get("states"))
    failure = mapping(model.get("lastFailureInfo"))
    failing = [
        _joined(mapping(c), ("type", "reason", "message"))
        for c in sequence(status.get("conditions"))
        if text(mapping(c).get("status")) != "True"
    ]
    return {
        "model_state": _one_line(text(states.get("activeModelState"))),
        "target_model_state": _one_line(text(states.get("targetModelState"))),
        "transition": _one_line(text(model.get("transitionStatus"))),
        "model_failure": _joined(failure, ("reason", "message")),
        "conditions_failing": "; ".join(part for part in failing if part),
    }


def _joined(fields: Mapping[str, Any], keys: tuple[str, ...]) -> str:
    parts = (_one_line(text(fields.get(key))) for key in keys)
    return ": ".join(part for part in parts if part)


def _one_line(value: str) -> str:
    return " ".join(value.split())


def _serves(workload: Node, isvc: str) -> bool:
    if workload.name == f"{isvc}-predictor":
        return True
    component = workload.labels.get("component", "predictor")
    return workload.labels.get(ISVC_LABEL) == isvc and component == "predictor"
