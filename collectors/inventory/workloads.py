"""Workload and pod nodes, the ownership chain between them, and their health flags.

Workloads are the controllers people deploy (Deployment, StatefulSet, DaemonSet, Job, CronJob),
plus whatever pods name as their owner when that object was not read, plus pods with no
controller at all. ReplicaSets and a CronJob's Jobs are not nodes: their pods roll up to the
Deployment or CronJob, as Istio telemetry does, and the pod keeps the intermediate name.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from collectors.cluster import KubeObject
from collectors.ids import node_id
from collectors.inventory._objects import (
    PartBuilder,
    annotations_of,
    canonical_app,
    controller_of,
    images_of,
    integer,
    labels_of,
    mapping,
    name_of,
    namespace_of,
    pod_spec_gpus,
    text,
)
from collectors.inventory.namespaces import MeshMode
from collectors.inventory.pods import (
    ControllerIndex,
    Owner,
    has_sidecar,
    pod_facts,
    pod_flags,
    resolve_owner,
    sidecar_opt,
)
from collectors.kinds import EdgeKind, NodeFlag, NodeKind
from collectors.model import Node, Scalar

WORKLOAD_KINDS = ("Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob")
CONTROLLER_KINDS = (*WORKLOAD_KINDS, "ReplicaSet")
BATCH_KINDS = frozenset({"Job", "CronJob"})
"""Workloads that finish by design: never DEAD or NOT_READY for having no ready pods."""

ENTRY_POINT_LABELS = {"istio": "ingressgateway"}
GATEWAY_API_LABEL = "gateway.networking.k8s.io/gateway-name"  # Istio-deployed Gateway API pods

# Labels that differ per pod or per rollout; a workload built from its pods leaves them out.
_PER_POD_LABELS = frozenset(
    {
        "pod-template-hash",
        "controller-revision-hash",
        "statefulset.kubernetes.io/pod-name",
        "apps.kubernetes.io/pod-index",
        "controller-uid",
        "job-name",
        "batch.kubernetes.io/controller-uid",
        "batch.kubernetes.io/job-name",
        "batch.kubernetes.io/job-completion-index",
    }
)


@dataclass(slots=True)
class _Workload:
    node: Node
    desired: int | None  # None: not known (a DaemonSet without status)
    ready: int | None  # None: no status was read
    sidecar_opt: str
    from_pods: bool = False  # the controller was not read: only its pods tell its state
    pods: list[tuple[Node, bool]] = field(default_factory=list)  # (pod node, has sidecar)

    @property
    def kind(self) -> str:
        return str(self.node.attrs["workload_kind"])


def pod_template(obj: KubeObject) -> Mapping[str, Any]:
    """Return the pod template of a controller (the pod itself for a bare pod)."""
    spec = mapping(obj.get("spec"))
    if obj.get("kind") == "CronJob":
        return mapping(mapping(mapping(spec.get("jobTemplate")).get("spec")).get("template"))
    if obj.get("kind") == "Pod":
        return obj
    return mapping(spec.get("template"))


def add_workloads(
    builder: PartBuilder,
    objects: Sequence[KubeObject],
    meshes: Mapping[str, MeshMode],
) -> list[Node]:
    """Add workload and pod nodes with OWNS and RUNS_ON edges; return the workload nodes."""
    controllers: ControllerIndex = {
        (str(obj["kind"]), namespace_of(obj), name_of(obj)): obj
        for obj in objects
        if obj.get("kind") in CONTROLLER_KINDS and name_of(obj)
    }
    workloads: dict[tuple[str, str, str], _Workload] = {}
    for (kind, namespace, name), obj in controllers.items():
        if _is_workload_object(obj):
            workloads[(kind, namespace, name)] = _from_controller(builder, obj)
    pods = [obj for obj in objects if obj.get("kind") == "Pod" and name_of(obj)]
    owned: list[tuple[KubeObject, Owner, _Workload]] = []
    for pod in pods:
        owner = resolve_owner(pod, controllers)
        key = (owner.kind, namespace_of(pod), owner.name)
        if key not in workloads:
            workloads[key] = _from_pod(builder, pod, owner)
        owned.append((pod, owner, workloads[key]))
    for pod, owner, workload in owned:
        pod_node = _add_pod(builder, pod, owner, controllers, workload)
        workload.pods.append((pod_node, has_sidecar(mapping(pod.get("spec")))))
    for workload in workloads.values():
        _flag(workload, meshes.get(workload.node.namespace, MeshMode()), pods_listed=bool(pods))
    return [workload.node for workload in workloads.values()]


def _is_workload_object(obj: KubeObject) -> bool:
    owner = controller_of(obj)
    if obj.get("kind") == "ReplicaSet":
        return owner is None
    return not (obj.get("kind") == "Job" and owner is not None and owner.kind == "CronJob")


def _from_controller(builder: PartBuilder, obj: KubeObject) -> _Workload:
    kind, name, namespace = str(obj["kind"]), name_of(obj), namespace_of(obj)
    template = pod_template(obj)
    spec = mapping(obj.get("spec"))
    status = mapping(obj.get("status"))
    desired, ready = _replicas(kind, spec, status)
    attrs: dict[str, Scalar] = {
        "workload_kind": kind,
        "images": images_of(mapping(template.get("spec"))),
        "gpus_per_pod": pod_spec_gpus(mapping(template.get("spec"))),
    }
    if desired is not None:
        attrs["replicas"] = desired
    if ready is not None:
        attrs["ready_replicas"] = ready
    revision = annotations_of(obj).get("deployment.kubernetes.io/revision")
    if revision:
        attrs["revision"] = revision
    if kind == "Job":
        for key in ("active", "succeeded", "failed"):
            attrs[key] = integer(status.get(key))
    if kind == "CronJob":
        attrs["schedule"] = text(spec.get("schedule"))
        attrs["suspended"] = spec.get("suspend") is True
        attrs["last_schedule"] = text(status.get("lastScheduleTime"))
    labels = labels_of(template)
    app, version = canonical_app(labels, name)
    node = builder.node(
        NodeKind.WORKLOAD, name, namespace, labels=labels, attrs=attrs, app=app, version=version
    )
    return _Workload(node, desired, ready, sidecar_opt(template))


def _replicas(
    kind: str, spec: Mapping[str, Any], status: Mapping[str, Any]
) -> tuple[int | None, int | None]:
    # An empty status is what `kubectl create --dry-run -o yaml` writes: nothing observed yet.
    observed = bool(status)
    if kind in ("Deployment", "StatefulSet", "ReplicaSet"):
        desired = integer(spec.get("replicas"), default=1)
        return desired, integer(status.get("readyReplicas")) if observed else None
    if kind == "DaemonSet" and observed:
        return integer(status.get("desiredNumberScheduled")), integer(status.get("numberReady"))
    return None, None


def _from_pod(builder: PartBuilder, pod: KubeObject, owner: Owner) -> _Workload:
    """Build the workload a pod names but that was not read (or the pod itself if bare)."""
    labels = {k: v for k, v in labels_of(pod).items() if k not in _PER_POD_LABELS}
    spec = mapping(pod.get("spec"))
    attrs: dict[str, Scalar] = {
        "workload_kind": owner.kind,
        "images": images_of(spec),
        "gpus_per_pod": pod_spec_gpus(spec),
    }
    app, version = canonical_app(labels, owner.name)
    node = builder.node(
        NodeKind.WORKLOAD,
        owner.name,
        namespace_of(pod),
        labels=labels,
        attrs=attrs,
        app=app,
        version=version,
    )
    return _Workload(node, None, None, sidecar_opt(pod), from_pods=True)


def _add_pod(
    builder: PartBuilder,
    pod: KubeObject,
    owner: Owner,
    controllers: ControllerIndex,
    workload: _Workload,
) -> Node:
    labels = labels_of(pod)
    app, version = canonical_app(labels, owner.name)
    facts = pod_facts(pod, owner, controllers)
    node = builder.node(
        NodeKind.POD,
        name_of(pod),
        namespace_of(pod),
        labels=labels,
        attrs=facts,
        app=app,
        version=version,
    )
    node.flags |= pod_flags(pod)
    builder.edge(workload.node.id, node.id, EdgeKind.OWNS)
    machine = str(facts["node"])
    if machine:
        machine_id = node_id(NodeKind.MACHINE, machine, cluster=builder.cluster)
        if machine_id not in builder.nodes:
            builder.node(NodeKind.MACHINE, machine, attrs={"observed": False})
        builder.edge(node.id, machine_id, EdgeKind.RUNS_ON)
    return node


def _flag(workload: _Workload, mesh: MeshMode, *, pods_listed: bool) -> None:
    node = workload.node
    pods = [pod for pod, _ in workload.pods]
    live = [pod for pod in pods if pod.attrs.get("phase") in ("Pending", "Running", "Unknown")]
    desired, ready = workload.desired, workload.ready
    if workload.from_pods:
        # No controller status: the pods are all there is, and only those with a status count.
        observed = any(pod.attrs.get("phase") for pod in pods)
        node.attrs["replicas"] = len(live) if observed else len(pods)
        if observed:
            desired, ready = len(live), sum(1 for pod in live if pod.attrs.get("ready") is True)
            node.attrs["ready_replicas"] = ready
    if workload.kind not in BATCH_KINDS and desired:
        dead = ready == 0 if ready is not None else pods_listed and not pods
        if dead:
            node.flags.add(NodeFlag.DEAD)
        elif (ready is not None and ready < desired) or any(
            NodeFlag.NOT_READY in pod.flags for pod in live
        ):
            node.flags.add(NodeFlag.NOT_READY)
    if any(NodeFlag.RESTARTING in pod.flags for pod in pods):
        node.flags.add(NodeFlag.RESTARTING)
    if _missing_sidecar(workload, mesh):
        node.flags.add(NodeFlag.MISSING_SIDECAR)
    if ENTRY_POINT_LABELS.items() <= node.labels.items() or GATEWAY_API_LABEL in node.labels:
        node.flags.add(NodeFlag.ENTRY_POINT)


def _missing_sidecar(workload: _Workload, mesh: MeshMode) -> bool:
    """A sidecar-mode namespace's workload that opted out or whose pods came up without one.

    A pod labelled ``sidecar.istio.io/inject=true`` expects a proxy in any namespace.
    Ambient namespaces expect none.
    """
    if mesh.sidecar and workload.sidecar_opt == "false":
        return True
    expected = (mesh.sidecar and workload.sidecar_opt != "false") or workload.sidecar_opt == "true"
    return expected and any(not sidecar for _, sidecar in workload.pods)
