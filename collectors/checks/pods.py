"""Checks on pods: containers that crash, cannot start, run out of memory, or never get a node."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from collectors.checks._base import CheckContext, Hit, check
from collectors.cluster import KubeObject
from collectors.inventory._objects import (
    GPU_RESOURCE,
    condition_status,
    integer,
    mapping,
    name_of,
    namespace_of,
    pod_spec_gpus,
    sequence,
    text,
)
from collectors.kinds import Severity

MANY_RESTARTS = 5
"""Restarts of one container after which a pod that is up now still deserves a look."""

_PULL_FAILURES = frozenset({"ImagePullBackOff", "ErrImagePull", "InvalidImageName"})


def _statuses(pod: KubeObject) -> Iterator[Mapping[str, Any]]:
    status = mapping(pod.get("status"))
    for key in ("initContainerStatuses", "containerStatuses"):
        for entry in sequence(status.get(key)):
            yield mapping(entry)


def _waiting(container: Mapping[str, Any]) -> Mapping[str, Any]:
    return mapping(mapping(container.get("state")).get("waiting"))


def _terminated(container: Mapping[str, Any], state: str) -> Mapping[str, Any]:
    return mapping(mapping(container.get(state)).get("terminated"))


def _crash_looping(pod: KubeObject) -> bool:
    return any(_waiting(c).get("reason") == "CrashLoopBackOff" for c in _statuses(pod))


@check(
    "POD001",
    Severity.ERROR,
    "Container in CrashLoopBackOff",
    hint="Read the previous run's log: kubectl logs --previous POD -c CONTAINER",
)
def crash_loop(context: CheckContext) -> Iterator[Hit]:
    """A container keeps exiting and Kubernetes waits longer before each restart."""
    for pod in context.of_kind("Pod"):
        for container in _statuses(pod):
            if _waiting(container).get("reason") != "CrashLoopBackOff":
                continue
            last = _terminated(container, "lastState")
            why = text(last.get("reason")) or "an error"
            code = text(last.get("exitCode"))
            exit_text = f" (exit code {code})" if code else ""
            message = (
                f"container {text(container.get('name'))} crash-loops: "
                f"{integer(container.get('restartCount'))} restarts, last exit {why}{exit_text}"
            )
            yield Hit(pod, message, context.node_of(pod))


@check(
    "POD002",
    Severity.ERROR,
    "Container image cannot be pulled",
    hint="Check the image name and tag, and that the pod's pull secret can read the registry",
)
def image_pull(context: CheckContext) -> Iterator[Hit]:
    """ImagePullBackOff, ErrImagePull or InvalidImageName: the container never starts."""
    for pod in context.of_kind("Pod"):
        for container in _statuses(pod):
            waiting = _waiting(container)
            reason = text(waiting.get("reason"))
            if reason not in _PULL_FAILURES:
                continue
            image = text(container.get("image"))
            detail = text(waiting.get("message")).splitlines()[:1]
            message = f"container {text(container.get('name'))} cannot pull {image}: {reason}"
            if detail:
                message += f" ({detail[0][:160]})"
            yield Hit(pod, message, context.node_of(pod))


@check(
    "POD003",
    Severity.ERROR,
    "Container killed for running out of memory (OOMKilled)",
    hint="Raise the container's memory limit or find what grows: kubectl top pod --containers",
)
def oom_killed(context: CheckContext) -> Iterator[Hit]:
    """The kernel killed a container at its memory limit, now or on its last run."""
    for pod in context.of_kind("Pod"):
        limits = _memory_limits(pod)
        for container in _statuses(pod):
            if not any(
                _terminated(container, state).get("reason") == "OOMKilled"
                for state in ("state", "lastState")
            ):
                continue
            name = text(container.get("name"))
            limit = limits.get(name, "")
            at = f" at its {limit} memory limit" if limit else ""
            message = f"container {name} was OOMKilled{at}"
            yield Hit(pod, message, context.node_of(pod))


def _memory_limits(pod: KubeObject) -> dict[str, str]:
    spec = mapping(pod.get("spec"))
    limits: dict[str, str] = {}
    for key in ("initContainers", "containers"):
        for container in sequence(spec.get(key)):
            resources = mapping(mapping(container).get("resources"))
            memory = text(mapping(resources.get("limits")).get("memory"))
            if memory:
                limits[text(mapping(container).get("name"))] = memory
    return limits


@check(
    "POD004",
    Severity.WARNING,
    f"Container restarted {MANY_RESTARTS} times or more",
    hint="Look at why it last stopped: kubectl describe pod POD (Last State)",
)
def many_restarts(context: CheckContext) -> Iterator[Hit]:
    """A container that is up now but has restarted often: it will likely go down again.

    A crash-looping pod is POD001's; it is not reported twice.
    """
    for pod in context.of_kind("Pod"):
        if _crash_looping(pod):
            continue
        for container in _statuses(pod):
            restarts = integer(container.get("restartCount"))
            if restarts < MANY_RESTARTS:
                continue
            reason = text(_terminated(container, "lastState").get("reason"))
            why = f", last stopped by {reason}" if reason else ""
            message = f"container {text(container.get('name'))} restarted {restarts} times{why}"
            yield Hit(pod, message, context.node_of(pod))


@check(
    "POD005",
    Severity.ERROR,
    "Pod Pending: no node can take it (unschedulable)",
    hint="Free or add capacity, or relax the pod's requests, node selector or tolerations",
)
def unschedulable(context: CheckContext) -> Iterator[Hit]:
    """The scheduler found no node: too few CPUs, memory or GPUs, or selectors and taints."""
    scheduler_says = _failed_scheduling_events(context)
    for pod in context.of_kind("Pod"):
        if text(mapping(pod.get("status")).get("phase")) != "Pending":
            continue
        reason = _unschedulable_message(pod)
        if reason is None:
            continue
        reason = reason or scheduler_says.get((namespace_of(pod), name_of(pod)), "")
        gpus = pod_spec_gpus(mapping(pod.get("spec")))
        hint = ""
        if gpus and GPU_RESOURCE in reason:
            message = f"Pending: no node has {gpus} free {GPU_RESOURCE}"
            hint = "Wait for GPUs to free up, or add GPU nodes; see the GPU page for who holds them"
            message += f" ({reason})" if reason else ""
        else:
            message = f"Pending, unschedulable: {reason or 'the scheduler gave no reason'}"
        yield Hit(pod, message, context.node_of(pod), hint)


def _unschedulable_message(pod: KubeObject) -> str | None:
    """The scheduler's message when the pod is marked unschedulable, else ``None``."""
    for entry in sequence(mapping(pod.get("status")).get("conditions")):
        condition = mapping(entry)
        if (
            condition.get("type") == "PodScheduled"
            and text(condition.get("status")) == "False"
            and text(condition.get("reason")) == "Unschedulable"
        ):
            return " ".join(text(condition.get("message")).split())
    return None


def _failed_scheduling_events(context: CheckContext) -> dict[tuple[str, str], str]:
    said: dict[tuple[str, str], str] = {}
    for event in context.of_kind("Event"):
        involved = mapping(event.get("involvedObject"))
        if event.get("reason") == "FailedScheduling" and involved.get("kind") == "Pod":
            key = (text(involved.get("namespace")), text(involved.get("name")))
            said[key] = " ".join(text(event.get("message")).split())
    return said


@check(
    "POD006",
    Severity.WARNING,
    "Pod running but not ready",
    hint="Its readiness probe fails: kubectl describe pod POD shows the probe's last answer",
)
def not_ready(context: CheckContext) -> Iterator[Hit]:
    """A running pod whose containers are up but not ready: its Service sends it no traffic.

    Crash-looping pods are POD001's.
    """
    for pod in context.of_kind("Pod"):
        status = mapping(pod.get("status"))
        if text(status.get("phase")) != "Running" or _crash_looping(pod):
            continue
        if condition_status(pod, "Ready") is not False:
            continue
        waiting = [text(c.get("name")) for c in _statuses(pod) if c.get("ready") is False]
        which = f": {', '.join(waiting)} not ready" if waiting else ""
        yield Hit(pod, f"running but not ready{which}", context.node_of(pod))


@check(
    "POD007",
    Severity.WARNING,
    "Pod evicted or failed",
    hint="Evicted pods show node pressure; describe the node and the pod for the reason",
)
def failed(context: CheckContext) -> Iterator[Hit]:
    """A pod that ended in phase Failed (Evicted, or a bare pod whose containers failed).

    Pods of Jobs are left to the Job's own check (WKL005): a failed attempt is normal there.
    """
    for pod in context.of_kind("Pod"):
        status = mapping(pod.get("status"))
        if text(status.get("phase")) != "Failed":
            continue
        owners = sequence(mapping(pod.get("metadata")).get("ownerReferences"))
        if any(mapping(owner).get("kind") == "Job" for owner in owners):
            continue
        reason = text(status.get("reason")) or "Failed"
        said = " ".join(text(status.get("message")).split())
        yield Hit(pod, f"{reason}: {said[:160]}" if said else reason, context.node_of(pod))
