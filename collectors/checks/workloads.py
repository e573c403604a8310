"""Checks on controllers: replicas that are not there, autoscalers at their ceiling, failed jobs,
and workloads running outside the mesh in a mesh namespace."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from collectors.checks._base import CheckContext, Hit, check
from collectors.cluster import KubeObject
from collectors.inventory._objects import integer, mapping, sequence, text
from collectors.kinds import NodeFlag, NodeKind, Severity


def _observed(obj: KubeObject) -> Mapping[str, Any] | None:
    """The status, or ``None`` for an object as written (nothing observed yet)."""
    status = mapping(obj.get("status"))
    return status or None


def _desired(obj: KubeObject) -> int:
    return integer(mapping(obj.get("spec")).get("replicas"), default=1)


@check(
    "WKL001",
    Severity.ERROR,
    "Deployment with no available replica",
    hint="Its pods do not start or never get ready: see the pod findings and its events",
)
def no_replica_available(context: CheckContext) -> Iterator[Hit]:
    """Every replica is down: the service behind it answers nothing."""
    for deployment in context.of_kind("Deployment"):
        status = _observed(deployment)
        desired = _desired(deployment)
        if status is None or desired == 0 or integer(status.get("availableReplicas")) > 0:
            continue
        message = f"0 of {desired} replicas available"
        yield Hit(deployment, message, context.node_of(deployment))


@check(
    "WKL002",
    Severity.WARNING,
    "Deployment with unavailable replicas",
    hint="A rollout in progress, or pods that fail: kubectl rollout status deployment NAME",
)
def some_replicas_unavailable(context: CheckContext) -> Iterator[Hit]:
    """Some replicas are missing: less capacity than asked for, or a stuck rollout."""
    for deployment in context.of_kind("Deployment"):
        status = _observed(deployment)
        if status is None:
            continue
        desired = _desired(deployment)
        available = integer(status.get("availableReplicas"))
        unavailable = max(integer(status.get("unavailableReplicas")), desired - available)
        if available == 0 or unavailable <= 0:
            continue
        message = f"{unavailable} of {desired} replicas unavailable ({available} available)"
        yield Hit(deployment, message, context.node_of(deployment))


@check(
    "WKL003",
    Severity.WARNING,
    "StatefulSet or DaemonSet not fully ready",
    hint="Pods stuck on one ordinal or one node: kubectl get pods -o wide for this workload",
)
def set_not_ready(context: CheckContext) -> Iterator[Hit]:
    """A StatefulSet with fewer ready replicas than asked, or a DaemonSet missing nodes."""
    for workload in context.of_kind("StatefulSet", "DaemonSet"):
        status = _observed(workload)
        if status is None:
            continue
        if workload.get("kind") == "StatefulSet":
            desired, ready = _desired(workload), integer(status.get("readyReplicas"))
            what = "replicas"
        else:
            desired = integer(status.get("desiredNumberScheduled"))
            ready = integer(status.get("numberReady"))
            what = "nodes' pods"
        if ready >= desired:
            continue
        yield Hit(workload, f"{ready} of {desired} {what} ready", context.node_of(workload))


def _scale_target(context: CheckContext, hpa: KubeObject) -> str:
    target = mapping(mapping(hpa.get("spec")).get("scaleTargetRef"))
    name = text(target.get("name"))
    namespace = text(mapping(hpa.get("metadata")).get("namespace")) or "default"
    return context.node(NodeKind.WORKLOAD, name, namespace) if name else ""


def _hpa_condition(hpa: KubeObject, kind: str) -> Mapping[str, Any]:
    for entry in sequence(mapping(hpa.get("status")).get("conditions")):
        if mapping(entry).get("type") == kind:
            return mapping(entry)
    return {}


@check(
    "WKL004",
    Severity.WARNING,
    "HorizontalPodAutoscaler pinned at its maximum",
    hint="Load is above what maxReplicas allows: raise it, or find why each pod does less",
)
def hpa_at_max(context: CheckContext) -> Iterator[Hit]:
    """The autoscaler wants more replicas than it may run: latency climbs from here."""
    for hpa in context.of_kind("HorizontalPodAutoscaler"):
        status = _observed(hpa)
        maximum = integer(mapping(hpa.get("spec")).get("maxReplicas"))
        if status is None or maximum <= 0:
            continue
        current = integer(status.get("currentReplicas"))
        limited = _hpa_condition(hpa, "ScalingLimited")
        too_many = limited.get("status") == "True" and limited.get("reason") == "TooManyReplicas"
        if current < maximum or not (too_many or integer(status.get("desiredReplicas")) >= maximum):
            continue
        target = text(mapping(mapping(hpa.get("spec")).get("scaleTargetRef")).get("name"))
        message = f"{target or 'its target'} runs {current} of at most {maximum} replicas"
        if too_many:
            message += " and wants more"
        yield Hit(hpa, message, _scale_target(context, hpa))


@check(
    "WKL005",
    Severity.WARNING,
    "HorizontalPodAutoscaler cannot scale (no metrics)",
    hint="The metrics it scales on are not served: check metrics-server or the metrics adapter",
)
def hpa_inactive(context: CheckContext) -> Iterator[Hit]:
    """ScalingActive=False: the autoscaler is blind and holds the replica count where it is."""
    for hpa in context.of_kind("HorizontalPodAutoscaler"):
        active = _hpa_condition(hpa, "ScalingActive")
        if active.get("status") != "False":
            continue
        said = " ".join(text(active.get("message")).split())
        reason = text(active.get("reason")) or "ScalingActive=False"
        message = f"cannot scale: {reason}" + (f": {said[:160]}" if said else "")
        yield Hit(hpa, message, _scale_target(context, hpa))


@check(
    "WKL006",
    Severity.ERROR,
    "Job failed",
    hint="Read the failed pod's log; the Job gave up after backoffLimit retries",
)
def job_failed(context: CheckContext) -> Iterator[Hit]:
    """A Job marked Failed (backoff limit or deadline reached): its work was not done."""
    for job in context.of_kind("Job"):
        condition = next(
            (
                mapping(entry)
                for entry in sequence(mapping(job.get("status")).get("conditions"))
                if mapping(entry).get("type") == "Failed" and mapping(entry).get("status") == "True"
            ),
            None,
        )
        if condition is None:
            continue
        reason = text(condition.get("reason")) or "Failed"
        failed = integer(mapping(job.get("status")).get("failed"))
        message = f"failed ({reason}) after {failed} failed pod(s)"
        node = context.node_of(job) or _cronjob_node(context, job)
        yield Hit(job, message, node)


def _cronjob_node(context: CheckContext, job: KubeObject) -> str:
    """A CronJob's Job is drawn as its CronJob (as telemetry names it)."""
    for owner in sequence(mapping(job.get("metadata")).get("ownerReferences")):
        if mapping(owner).get("kind") == "CronJob":
            namespace = text(mapping(job.get("metadata")).get("namespace")) or "default"
            return context.node(NodeKind.WORKLOAD, text(mapping(owner).get("name")), namespace)
    return ""


@check(
    "WKL007",
    Severity.WARNING,
    "Workload without the Istio sidecar in a mesh namespace",
    hint="Restart it so the injector adds the proxy (kubectl rollout restart), or remove the "
    "sidecar.istio.io/inject=false opt-out",
)
def missing_sidecar(context: CheckContext) -> Iterator[Hit]:
    """Its traffic has no telemetry, no mTLS and no routing rules: a blind spot in the mesh."""
    for node in context.snapshot.nodes(NodeKind.WORKLOAD):
        if NodeFlag.MISSING_SIDECAR not in node.flags:
            continue
        kind = str(node.attrs.get("workload_kind") or "Workload")
        obj: KubeObject = {
            "kind": kind,
            "metadata": {"name": node.name, "namespace": node.namespace},
        }
        mesh = "a mesh namespace" if node.namespace in context.mesh_namespaces else "the mesh"
        message = f"runs without the istio-proxy sidecar in {mesh}"
        yield Hit(obj, message, node.id)
