"""Checks on Nodes (machines): not ready, under pressure, cordoned, or hiding their GPUs."""

from __future__ import annotations

from collections.abc import Iterator

from collectors.checks._base import CheckContext, Hit, check
from collectors.inventory._objects import (
    GPU_RESOURCE,
    condition_status,
    mapping,
    quantity,
    text,
)
from collectors.kinds import Severity

_PRESSURES = ("MemoryPressure", "DiskPressure", "PIDPressure")


@check(
    "NOD001",
    Severity.ERROR,
    "Node not ready",
    hint="The kubelet stopped reporting: kubectl describe node NODE, then its kubelet's log",
)
def node_not_ready(context: CheckContext) -> Iterator[Hit]:
    """Pods on it are being evicted or are unreachable; nothing new lands there."""
    for machine in context.of_kind("Node"):
        if condition_status(machine, "Ready") is not False:
            continue
        yield Hit(
            machine, "Ready=False: the kubelet reports the node unhealthy", context.node_of(machine)
        )


@check(
    "NOD002",
    Severity.WARNING,
    "Node under memory, disk or PID pressure",
    hint="The kubelet evicts pods to relieve it: find the pods using most of that resource",
)
def node_pressure(context: CheckContext) -> Iterator[Hit]:
    """A pressure condition is True: evictions follow and new pods are refused."""
    for machine in context.of_kind("Node"):
        under = [kind for kind in _PRESSURES if condition_status(machine, kind) is True]
        if under:
            yield Hit(machine, f"under {', '.join(under)}", context.node_of(machine))


@check(
    "NOD003",
    Severity.WARNING,
    "GPU node offers none of its GPUs",
    hint="The NVIDIA device plugin is down or marked the GPUs unhealthy: check its pod on the node",
)
def gpus_not_allocatable(context: CheckContext) -> Iterator[Hit]:
    """Capacity lists GPUs but fewer are allocatable: pods asking for them stay Pending."""
    for machine in context.of_kind("Node"):
        status = mapping(machine.get("status"))
        capacity = quantity(mapping(status.get("capacity")).get(GPU_RESOURCE)) or 0
        allocatable = quantity(mapping(status.get("allocatable")).get(GPU_RESOURCE)) or 0
        if capacity > 0 and allocatable < capacity:
            message = f"{allocatable:g} of {capacity:g} {GPU_RESOURCE} allocatable"
            yield Hit(machine, message, context.node_of(machine))


@check(
    "NOD004",
    Severity.INFO,
    "Node cordoned",
    hint="Uncordon it when maintenance is over: kubectl uncordon NODE",
)
def node_cordoned(context: CheckContext) -> Iterator[Hit]:
    """spec.unschedulable: no new pods land there (drains and maintenance do this)."""
    for machine in context.of_kind("Node"):
        if mapping(machine.get("spec")).get("unschedulable") is True:
            taints = [
                text(mapping(taint).get("key"))
                for taint in mapping(machine.get("spec")).get("taints") or []
                if isinstance(taint, dict)
            ]
            why = f" (taints: {', '.join(taints)})" if taints else ""
            yield Hit(
                machine, f"cordoned: no new pods are scheduled here{why}", context.node_of(machine)
            )
