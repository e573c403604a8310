"""Pods: which workload owns each one, and the facts about it people troubleshoot with."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from collectors.cluster import KubeObject
from collectors.inventory._objects import (
    annotations_of,
    condition_status,
    controller_of,
    integer,
    labels_of,
    mapping,
    name_of,
    namespace_of,
    pod_spec_gpus,
    sequence,
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
    if owner.kind == "ReplicaSet":
        replicaset = controllers.get(("ReplicaSet", namespace, owner.name))
        if replicaset is not None:
            parent = controller_of(replicaset)
            if parent is None:
                return Owner("ReplicaSet", owner.name)
            return Owner(parent.kind, parent.name, replicaset=owner.name)
        template_hash = labels_of(pod).get("pod-template-hash", "")
        if template_hash and owner.name.endswith(f"-{template_hash}"):
            deployment = owner.name.removesuffix(f"-{template_hash}")
            return Owner("Deployment", deployment, replicaset=owner.name)
        return Owner("ReplicaSet", owner.name)
    if owner.kind == "Job":
        job = controllers.get(("Job", namespace, owner.name))
        if job is not None:
            parent = controller_of(job)
            if parent is None:
                return Owner("Job", owner.name)
            return Owner(parent.kind, parent.name, job=owner.name)
        scheduled = _CRONJOB_JOB_NAME.match(owner.name)
        if scheduled:
            return Owner("CronJob", scheduled.group(1), job=owner.name)
        return Owner("Job", owner.name)
    return Owner(owner.kind, owner.name)


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


def pod_facts(pod: KubeObject, owner: Owner, controllers: ControllerIndex) -> dict[str, Scalar]:
    """Return the attributes of a pod node."""
    spec = mapping(pod.get("spec"))
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
