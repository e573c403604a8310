"""Pods: which workload owns each one, and the facts about it people troubleshoot with."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from collectors.cluster import KubeObject
from collectors.inventory._objects import (
    GPU_PRODUCT_LABEL,
    OwnerRef,
    annotations_of,
    condition_status,
    controller_of,
    integer,
    labels_of,
    mapping,
    metadata,
    name_of,
    namespace_of,
    pod_spec_gpus,
    pod_spec_mig,
    sequence,
    string_map,
    text,
)
from collectors.kinds import NodeFlag
from collectors.model import Scalar

SIDECAR_CONTAINER = "istio-proxy"
RESTARTING_AT = 3
"""Restarts of one container from which a pod counts as restarting (crash-looping)."""

ControllerIndex = Mapping[tuple[str, str, str], KubeObject]
"""Controllers (Deployment, ReplicaSet, Job, ...) by (kind, namespace, name)."""

# Istio names the workload of a CronJob's pods by trimming the Job's schedule suffix.
_CRONJOB_JOB_NAME = re.compile(r"^(.+)-\d{8,10}$")


@dataclass(frozen=True, slots=True)
class Owner:
    """The workload a pod belongs to, and the intermediate controller it came through."""

    kind: str  # Deployment, StatefulSet, DaemonSet, Job, CronJob, Pod (no controller), ...
    name: str
    replicaset: str = ""
    job: str = ""


def resolve_owner(pod: KubeObject, controllers: ControllerIndex) -> Owner:
    """Follow Pod -> ReplicaSet -> Deployment and Pod -> Job -> CronJob to the workload.

    When the intermediate controller was not read, the names tell: a ReplicaSet is named
    ``<deployment>-<pod-template-hash>`` and a CronJob's Job ``<cronjob>-<minutes>``, the same
    rules Istio uses to name ``source_workload``, so both sources land on one node.
    """
    namespace = namespace_of(pod)
    owner = controller_of(pod)
    if owner is None or owner.kind == "Node":  # mirror pods of static manifests
        return Owner("Pod", name_of(pod))
    if owner.kind not in _INTERMEDIATE:
        return Owner(owner.kind, owner.name)
    read = controllers.get((owner.kind, namespace, owner.name))
    parent = controller_of(read) if read is not None else _INTERMEDIATE[owner.kind](pod, owner.name)
    if parent is None:
        return Owner(owner.kind, owner.name)
    via = {"replicaset": owner.name} if owner.kind == "ReplicaSet" else {"job": owner.name}
    return Owner(parent.kind, parent.name, **via)


def _deployment_by_name(pod: KubeObject, replicaset: str) -> OwnerRef | None:
    template_hash = labels_of(pod).get("pod-template-hash", "")
    if template_hash and replicaset.endswith(f"-{template_hash}"):
        return OwnerRef("Deployment", replicaset.removesuffix(f"-{template_hash}"))
    return None


def _cronjob_by_name(_pod: KubeObject, job: str) -> OwnerRef | None:
    scheduled = _CRONJOB_JOB_NAME.match(job)
    return OwnerRef("CronJob", scheduled.group(1)) if scheduled else None


_INTERMEDIATE: dict[str, Callable[[KubeObject, str], OwnerRef | None]] = {
    "ReplicaSet": _deployment_by_name,
    "Job": _cronjob_by_name,
}
"""Controllers between a pod and its workload, and how to name the workload when the
intermediate object itself was not read."""


def has_sidecar(spec: Mapping[str, Any]) -> bool:
    """Whether a pod spec has Istio's proxy, as a container or as a native sidecar."""
    containers = [*sequence(spec.get("containers")), *sequence(spec.get("initContainers"))]
    return any(text(mapping(c).get("name")) == SIDECAR_CONTAINER for c in containers)


def sidecar_opt(obj: Mapping[str, Any]) -> str:
    """Return ``sidecar.istio.io/inject`` ("true"/"false"/"") from labels, else annotations."""
    key = "sidecar.istio.io/inject"
    value = labels_of(obj).get(key) or annotations_of(obj).get(key, "")
    return value.strip().lower()


def _statuses(pod: KubeObject) -> list[Mapping[str, Any]]:
    status = mapping(pod.get("status"))
    return [
        mapping(entry)
        for entry in (
            *sequence(status.get("initContainerStatuses")),
            *sequence(status.get("containerStatuses")),
        )
    ]


def scheduling_message(pod: KubeObject) -> str:
    """The scheduler's message while it cannot place the pod (``PodScheduled`` False), on one
    line; ``""`` otherwise."""
    for item in sequence(mapping(pod.get("status")).get("conditions")):
        entry = mapping(item)
        if entry.get("type") == "PodScheduled" and text(entry.get("status")) == "False":
            return " ".join(text(entry.get("message")).split())
    return ""


def pod_facts(pod: KubeObject, owner: Owner, controllers: ControllerIndex) -> dict[str, Scalar]:
    """Return the attributes of a pod node."""
    spec = mapping(pod.get("spec"))
    mig = pod_spec_mig(spec)
    status = mapping(pod.get("status"))
    statuses = _statuses(pod)
    most_restarted = max(statuses, key=lambda s: integer(s.get("restartCount")), default={})
    last_terminated = mapping(mapping(most_restarted.get("lastState")).get("terminated"))
    waiting = [
        text(mapping(mapping(s.get("state")).get("waiting")).get("reason")) for s in statuses
    ]
    facts: dict[str, Scalar] = {
        "phase": text(status.get("phase")),
        "ready": condition_status(pod, "Ready") is True,
        "restarts": sum(integer(s.get("restartCount")) for s in statuses),
        "last_termination_reason": text(last_terminated.get("reason")),
        "waiting_reason": next((reason for reason in waiting if reason), ""),
        "node": text(spec.get("nodeName")),
        "sidecar": has_sidecar(spec),
        "gpu_requested": pod_spec_gpus(spec),
        "mig_requested": sum(mig.values()),
        "mig_profile_requested": ",".join(sorted(p for p, count in mig.items() if count)),
        "gpu_product_wanted": string_map(spec.get("nodeSelector")).get(GPU_PRODUCT_LABEL, ""),
        "scheduling_message": scheduling_message(pod),
        "created": text(metadata(pod).get("creationTimestamp")),
        "workload_kind": owner.kind,
    }
    if owner.replicaset:
        facts["replicaset"] = owner.replicaset
        replicaset = controllers.get(("ReplicaSet", namespace_of(pod), owner.replicaset))
        revision = annotations_of(replicaset or {}).get("deployment.kubernetes.io/revision", "")
        if revision:
            facts["revision"] = revision
    if owner.job:
        facts["job"] = owner.job
    if owner.kind in ("StatefulSet", "DaemonSet"):
        facts["revision"] = labels_of(pod).get("controller-revision-hash", "")
    return facts


def pod_flags(pod: KubeObject) -> set[NodeFlag]:
    """Return NOT_READY for a live pod that is not ready and RESTARTING for a crash-looping one.

    Pods without a reported status (manifests as written) get neither: nothing is known.
    """
    flags: set[NodeFlag] = set()
    phase = text(mapping(pod.get("status")).get("phase"))
    if phase in ("Pending", "Running", "Unknown") and condition_status(pod, "Ready") is not True:
        flags.add(NodeFlag.NOT_READY)
    if any(integer(s.get("restartCount")) >= RESTARTING_AT for s in _statuses(pod)):
        flags.add(NodeFlag.RESTARTING)
    return flags
