"""Machine nodes for Kubernetes Nodes, and one GPU node per physical device they hold."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from collectors.cluster import KubeObject
from collectors.inventory._objects import (
    GPU_PRODUCT_LABEL,
    GPU_RESOURCE,
    PartBuilder,
    condition_status,
    integer,
    labels_of,
    mapping,
    mig_resources,
    name_of,
    quantity,
    sequence,
)
from collectors.kinds import NodeFlag, NodeKind
from collectors.model import Scalar

GPU_COUNT_LABEL = "nvidia.com/gpu.count"  # GPU feature discovery: physical devices


def _resources(resources: Mapping[str, Any], suffix: str) -> dict[str, Scalar]:
    cpu = quantity(resources.get("cpu"))
    memory = quantity(resources.get("memory"))
    gpus = quantity(resources.get(GPU_RESOURCE))
    return {
        f"cpu_{suffix}": cpu if cpu is not None else 0.0,  # cores
        f"memory_{suffix}": round(memory) if memory is not None else 0,  # bytes
        f"gpu_{suffix}": int(gpus) if gpus is not None else 0,
        f"mig_{suffix}": sum(mig_resources(resources).values()),
    }


def _gpu_devices(labels: Mapping[str, str], capacity: int) -> int:
    # A GPU in MIG mode (mixed strategy) is offered as nvidia.com/mig-* slices, not as an
    # nvidia.com/gpu: only the discovery label still counts it.
    counted = integer(labels.get(GPU_COUNT_LABEL), -1)
    return counted if counted >= 0 else capacity


def add_machines(builder: PartBuilder, objects: Iterable[KubeObject]) -> None:
    """Add a MACHINE node per Node object and a GPU node per physical NVIDIA device.

    Devices are counted by GPU feature discovery's ``nvidia.com/gpu.count`` label, else by the
    ``nvidia.com/gpu`` capacity (``gpu_devices``); MIG slices offered are ``mig_capacity`` and
    ``mig_allocatable``. GPU ids are ``node_id(GPU, "<index>", namespace=<machine>)``: the index
    is the device's position on its machine (DCGM's ``gpu`` label), so later GPU metrics land
    on these nodes.
    """
    for obj in objects:
        if obj.get("kind") != "Node" or not name_of(obj):
            continue
        machine, labels = name_of(obj), labels_of(obj)
        status = mapping(obj.get("status"))
        spec = mapping(obj.get("spec"))
        ready = condition_status(obj, "Ready")
        attrs: dict[str, Scalar] = {
            **_resources(mapping(status.get("capacity")), "capacity"),
            **_resources(mapping(status.get("allocatable")), "allocatable"),
            "gpu_product": labels.get(GPU_PRODUCT_LABEL, ""),
            "taints": len(sequence(spec.get("taints"))),
            "unschedulable": spec.get("unschedulable") is True,
            "zone": labels.get("topology.kubernetes.io/zone", ""),
            "instance_type": labels.get("node.kubernetes.io/instance-type", ""),
            "observed": True,
        }
        attrs["gpu_devices"] = _gpu_devices(labels, int(attrs["gpu_capacity"]))
        if ready is not None:
            attrs["ready"] = ready
        node = builder.node(NodeKind.MACHINE, machine, labels=labels, attrs=attrs)
        if ready is False:
            node.flags.add(NodeFlag.NOT_READY)
        for index in range(int(attrs["gpu_devices"])):
            builder.node(
                NodeKind.GPU,
                str(index),
                machine,
                attrs={"gpu_product": attrs["gpu_product"], "machine": machine, "index": index},
            )
