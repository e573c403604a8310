"""Machine nodes for Kubernetes Nodes, and one GPU node per device they advertise."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from collectors.cluster import KubeObject
from collectors.inventory._objects import (
    GPU_RESOURCE,
    PartBuilder,
    condition_status,
    labels_of,
    mapping,
    name_of,
    quantity,
    sequence,
)
from collectors.kinds import NodeFlag, NodeKind
from collectors.model import Scalar

GPU_PRODUCT_LABEL = "nvidia.com/gpu.product"  # set by GPU feature discovery


def _resources(resources: Mapping[str, Any], suffix: str) -> dict[str, Scalar]:
    cpu = quantity(resources.get("cpu"))
    memory = quantity(resources.get("memory"))
    gpus = quantity(resources.get(GPU_RESOURCE))
    return {
        f"cpu_{suffix}": cpu if cpu is not None else 0.0,  # cores
        f"memory_{suffix}": round(memory) if memory is not None else 0,  # bytes
        f"gpu_{suffix}": int(gpus) if gpus is not None else 0,
    }


def add_machines(builder: PartBuilder, objects: Iterable[KubeObject]) -> None:
    """Add a MACHINE node per Node object and a GPU node per advertised NVIDIA device.

    GPU ids are ``node_id(GPU, "<index>", namespace=<machine>)``: the index is the device's
    position on its machine (DCGM's ``gpu`` label), so later GPU metrics land on these nodes.
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
        if ready is not None:
            attrs["ready"] = ready
        node = builder.node(NodeKind.MACHINE, machine, labels=labels, attrs=attrs)
        if ready is False:
            node.flags.add(NodeFlag.NOT_READY)
        for index in range(int(attrs["gpu_capacity"])):
            builder.node(
                NodeKind.GPU,
                str(index),
                machine,
                attrs={"gpu_model": attrs["gpu_product"], "machine": machine, "index": index},
            )
