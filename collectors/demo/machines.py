"""The demo's machines: a CPU pool sized to the platform and three GPU nodes, and where pods go.

The A100 node runs one of its GPUs in MIG mode with the GPU operator's mixed strategy: the
device plugin offers that GPU's instances as ``nvidia.com/mig-<profile>`` resources and only
the other GPUs as ``nvidia.com/gpu``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from collectors.cluster import KubeObject
from collectors.demo.kube import Namer, condition, metadata
from collectors.demo.names import A100, H100, L4
from collectors.demo.spec import Platform, Workload

PODS_PER_CPU_NODE = 30
GPU_TAINT = {"key": "nvidia.com/gpu", "value": "present", "effect": "NoSchedule"}


@dataclass(frozen=True, slots=True)
class MigInstance:
    """One MIG GPU instance: its profile (``1g.5gb``), DCGM's ``GPU_I_ID`` and its memory."""

    profile: str
    instance_id: int
    memory_mib: int

    @property
    def slices(self) -> int:
        """Compute slices of the seven on an A100 or H100 (the ``3`` of ``3g.20gb``)."""
        return int(self.profile.split("g.", 1)[0])


@dataclass(frozen=True, slots=True)
class MigGpu:
    """A GPU in MIG mode and the instances it is split into."""

    index: int
    instances: tuple[MigInstance, ...]


@dataclass(frozen=True, slots=True)
class MachineType:
    """What a node offers."""

    instance_type: str
    cpu: int
    memory_gi: int
    gpus: int = 0
    gpu_product: str = ""
    gpu_memory_mib: int = 0
    gpu_family: str = ""
    mig: tuple[MigGpu, ...] = ()  # GPUs in MIG mode (mixed strategy)

    def mig_resources(self) -> dict[str, int]:
        """``nvidia.com/mig-<profile>`` resources the device plugin offers, by profile."""
        found: dict[str, int] = {}
        for gpu in self.mig:
            for instance in gpu.instances:
                name = f"nvidia.com/mig-{instance.profile}"
                found[name] = found.get(name, 0) + 1
        return found


# An A100-40GB split 3g.20gb + 2g.10gb + 2 x 1g.5gb; GPU instance ids as nvidia-smi assigns them.
A100_MIG = MigGpu(
    3,
    (
        MigInstance("3g.20gb", 1, 19968),
        MigInstance("2g.10gb", 5, 9856),
        MigInstance("1g.5gb", 13, 4864),
        MigInstance("1g.5gb", 14, 4864),
    ),
)
CPU_MACHINE = MachineType("n2-standard-16", 16, 64)
GPU_MACHINES = {
    H100: MachineType("a3-highgpu-8g", 208, 1872, 8, H100, 81559, "hopper"),
    A100: MachineType("a2-highgpu-4g", 48, 340, 4, A100, 40960, "ampere", (A100_MIG,)),
    L4: MachineType("g2-standard-48", 48, 192, 4, L4, 23034, "ada-lovelace"),
}
GPU_NODE_NAMES = {H100: "gpu-h100-01", A100: "gpu-a100-01", L4: "gpu-l4-01"}
ZONES = ("us-central1-a", "us-central1-b", "us-central1-c")


@dataclass
class Placement:
    """Chooses nodes for pods: GPU pods by product, the rest round-robin over the CPU pool."""

    cpu_nodes: list[str]
    node_ips: dict[str, str] = field(default_factory=dict)
    _next: int = 0

    def place(self, workload: Workload) -> str:
        """The node for the next pod of ``workload``."""
        if workload.gpu_product in GPU_NODE_NAMES:
            return GPU_NODE_NAMES[workload.gpu_product]
        node = self.cpu_nodes[self._next % len(self.cpu_nodes)]
        self._next += 1
        return node

    @staticmethod
    def gpu_nodes() -> list[str]:
        """Every GPU node, for DaemonSets that run on all of them."""
        return list(GPU_NODE_NAMES.values())


def _node(
    name: str, machine: MachineType, zone: str, ip: str, created: datetime, uid: str
) -> KubeObject:
    labels = {
        "kubernetes.io/arch": "amd64",
        "kubernetes.io/hostname": name,
        "kubernetes.io/os": "linux",
        "node.kubernetes.io/instance-type": machine.instance_type,
        "topology.kubernetes.io/region": "us-central1",
        "topology.kubernetes.io/zone": zone,
    }
    resources = {
        "cpu": str(machine.cpu),
        "memory": f"{machine.memory_gi * 1024 * 1024}Ki",
        "pods": "110",
        "ephemeral-storage": "203070420Ki",
    }
    allocatable = {**resources, "cpu": f"{machine.cpu * 1000 - 240}m"}
    spec: dict[str, Any] = {}
    if machine.gpus:
        labels.update(
            {
                "nvidia.com/gpu.present": "true",
                "nvidia.com/gpu.product": machine.gpu_product,
                "nvidia.com/gpu.count": str(machine.gpus),
                "nvidia.com/gpu.memory": str(machine.gpu_memory_mib),
                "nvidia.com/gpu.family": machine.gpu_family,
                "nvidia.com/cuda.driver.major": "550",
            }
        )
        whole = machine.gpus - len(machine.mig)
        resources["nvidia.com/gpu"] = allocatable["nvidia.com/gpu"] = str(whole)
        if machine.mig:
            labels["nvidia.com/mig.capable"] = "true"
            labels["nvidia.com/mig.strategy"] = "mixed"
            for resource, count in machine.mig_resources().items():
                resources[resource] = allocatable[resource] = str(count)
        spec["taints"] = [dict(GPU_TAINT)]
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": metadata(name, "", uid, created, labels=labels),
        "spec": spec,
        "status": {
            "capacity": resources,
            "allocatable": allocatable,
            "conditions": [
                condition("MemoryPressure", False, created, "KubeletHasSufficientMemory"),
                condition("DiskPressure", False, created, "KubeletHasNoDiskPressure"),
                condition("PIDPressure", False, created, "KubeletHasSufficientPID"),
                condition(
                    "Ready", True, created, "KubeletReady", "kubelet is posting ready status"
                ),
            ],
            "addresses": [
                {"type": "InternalIP", "address": ip},
                {"type": "Hostname", "address": name},
            ],
            "nodeInfo": {
                "architecture": "amd64",
                "containerRuntimeVersion": "containerd://1.7.24",
                "kernelVersion": "6.1.112+",
                "kubeProxyVersion": "v1.31.4",
                "kubeletVersion": "v1.31.4",
                "operatingSystem": "linux",
                "osImage": "Ubuntu 22.04.5 LTS",
            },
        },
    }


def build_machines(
    platform: Platform, namer: Namer, now: datetime
) -> tuple[list[KubeObject], Placement]:
    """Node objects, and the placement that puts pods on them."""
    cpu_pods = sum(
        w.replicas
        for w in platform.workloads.values()
        if w.gpu_product not in GPU_NODE_NAMES and w.gpu_product != "*"
    )
    count = max(3, math.ceil(cpu_pods / PODS_PER_CPU_NODE))
    width = max(2, len(str(count)))
    nodes: list[KubeObject] = []
    placement = Placement([f"cpu-pool-{i + 1:0{width}d}" for i in range(count)])
    machines = [(name, CPU_MACHINE) for name in placement.cpu_nodes]
    machines += [(GPU_NODE_NAMES[product], GPU_MACHINES[product]) for product in GPU_NODE_NAMES]
    for i, (name, machine) in enumerate(machines):
        ip = f"10.128.{i // 250}.{i % 250 + 2}"
        placement.node_ips[name] = ip
        created = namer.age(now, 20, 90)
        nodes.append(_node(name, machine, ZONES[i % len(ZONES)], ip, created, namer.uid()))
    return nodes, placement
