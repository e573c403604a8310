"""The demo's GPU fleet: every device and MIG instance on the GPU nodes, and which pod holds it.

Devices come from the Node objects (``nvidia.com/gpu.count``, and the MIG layout of a node
running the mixed strategy); holders from the pods scheduled there and what they request
(``nvidia.com/gpu``, ``nvidia.com/mig-<profile>``). The device plugin hands out the lowest
free devices, so who gets which one depends on who came first: :data:`FIRST_FIT_ORDER` is that
history for the demo's workloads, and any other pod comes after them, oldest first.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from collectors.cluster import KubeObject
from collectors.demo.machines import GPU_MACHINES, MigInstance
from collectors.demo.names import A100, H100, L4

MIG_RESOURCE = "nvidia.com/mig-"
NOTEBOOK_ACTIVITY = "notebooks.kubeflow.org/last-activity"

FIRST_FIT_ORDER = (
    "recommender-finetune",
    "llm-assistant-predictor",
    "recommender-predictor",
    "recommender-training",
    "alice",
    "feature-embedder",
    "bob",
    "fraud-detector-predictor",
)
"""Workloads in the order their pods got their devices (the layout the views are checked on)."""


@dataclass(frozen=True, slots=True)
class GpuModel:
    """What DCGM calls a product and how it draws power and clocks."""

    name: str  # DCGM's modelName
    idle_watts: float
    max_watts: float
    idle_mhz: int
    max_mhz: int
    hot_celsius: float  # temperature at full power


GPU_MODELS = {
    H100: GpuModel("NVIDIA H100 80GB HBM3", 70.0, 700.0, 345, 1980, 76.0),
    A100: GpuModel("NVIDIA A100-SXM4-40GB", 55.0, 400.0, 210, 1410, 71.0),
    L4: GpuModel("NVIDIA L4", 16.0, 72.0, 210, 2040, 68.0),
}


@dataclass(frozen=True, slots=True)
class Device:
    """A whole GPU, a GPU in MIG mode (``mig_enabled``) or one MIG instance (``mig`` set)."""

    machine: str
    product: str
    index: int
    memory_mib: int
    mig: MigInstance | None = None
    mig_enabled: bool = False

    @property
    def model(self) -> GpuModel:
        """The product's DCGM name and power/clock figures."""
        return GPU_MODELS[self.product]

    @property
    def holdable(self) -> bool:
        """Whether a pod can be given it: a whole GPU not in MIG mode, or a MIG instance."""
        return not self.mig_enabled


@dataclass(frozen=True, slots=True)
class Holder:
    """A pod holding a device: who it is, since when, and what it is (its owning workload)."""

    namespace: str
    pod: str
    container: str
    workload: str  # Deployment, StatefulSet or Job name; a pipeline step's pipeline
    started: float  # Unix seconds
    last_activity: float | None = None  # a notebook's last kernel activity

    @property
    def key(self) -> str:
        """``namespace/workload``, as the scenario names workloads."""
        return f"{self.namespace}/{self.workload}"


@dataclass(frozen=True, slots=True)
class GpuRequest:
    """What one pod asks the device plugin for."""

    pod: KubeObject
    container: str
    whole: int
    mig: tuple[str, ...]  # one profile per instance asked for

    @property
    def node(self) -> str:
        """The node it is scheduled on ("" while pending)."""
        return str(self.pod["spec"].get("nodeName", ""))


def fleet_devices(nodes: Iterable[KubeObject]) -> list[Device]:
    """Every GPU of the GPU nodes, each MIG-mode GPU followed by its instances."""
    found = []
    for node in nodes:
        labels = node["metadata"].get("labels", {})
        product = labels.get("nvidia.com/gpu.product", "")
        if product not in GPU_MACHINES or product not in GPU_MODELS:
            continue
        machine = GPU_MACHINES[product]
        name = node["metadata"]["name"]
        mixed = labels.get("nvidia.com/mig.strategy") == "mixed"
        split = {gpu.index: gpu.instances for gpu in machine.mig} if mixed else {}
        for index in range(int(labels.get("nvidia.com/gpu.count", machine.gpus))):
            memory = machine.gpu_memory_mib
            found.append(Device(name, product, index, memory, mig_enabled=index in split))
            instances = sorted(split.get(index, ()), key=lambda i: i.instance_id)
            found += [Device(name, product, index, i.memory_mib, i) for i in instances]
    return found


def gpu_requests(pod: KubeObject) -> GpuRequest | None:
    """The GPUs and MIG instances a pod's containers request, if any."""
    whole, mig, container = 0, [], ""
    for spec in pod["spec"]["containers"]:
        requests = spec.get("resources", {}).get("requests", {})
        count = int(requests.get("nvidia.com/gpu", 0))
        profiles = [
            name.removeprefix(MIG_RESOURCE)
            for name, value in requests.items()
            if name.startswith(MIG_RESOURCE)
            for _ in range(int(value))
        ]
        if (count or profiles) and not container:
            container = spec["name"]
        whole += count
        mig += profiles
    if not container:
        return None
    return GpuRequest(pod, container, whole, tuple(mig))


def _seconds(moment: str) -> float:
    return datetime.fromisoformat(moment).timestamp()


def _owner(obj: KubeObject, by_uid: dict[str, KubeObject]) -> KubeObject | None:
    refs = obj["metadata"].get("ownerReferences", [])
    return by_uid.get(refs[0]["uid"]) if refs else None


def _holder(request: GpuRequest, by_uid: dict[str, KubeObject]) -> Holder:
    meta = request.pod["metadata"]
    owner = _owner(request.pod, by_uid)
    workload, activity = meta["name"], None
    if owner is not None:
        parent = _owner(owner, by_uid)
        if owner["kind"] == "ReplicaSet" and parent is not None:
            owner = parent
        elif parent is not None and parent["kind"] == "Notebook":
            stamp = parent["metadata"].get("annotations", {}).get(NOTEBOOK_ACTIVITY)
            activity = _seconds(stamp) if stamp else None
        # A pipeline step's Workflow is named after its pipeline (its generateName).
        generated = owner["metadata"].get("generateName", "").rstrip("-")
        workload = generated or owner["metadata"]["name"]
    started = request.pod["status"].get("startTime") or meta["creationTimestamp"]
    return Holder(
        meta["namespace"], meta["name"], request.container, workload, _seconds(started), activity
    )


def assign(devices: list[Device], items: Iterable[KubeObject]) -> dict[Device, Holder]:
    """Who holds each device at the end: lowest free devices, in :data:`FIRST_FIT_ORDER`."""
    objects = list(items)
    by_uid = {o["metadata"]["uid"]: o for o in objects if "uid" in o["metadata"]}
    requests = [
        (request, _holder(request, by_uid))
        for pod in objects
        if pod["kind"] == "Pod" and pod["status"].get("phase") == "Running"
        for request in [gpu_requests(pod)]
        if request is not None and request.node
    ]

    def rank(entry: tuple[GpuRequest, Holder]) -> tuple[int, float, str]:
        holder = entry[1]
        known = holder.workload in FIRST_FIT_ORDER
        order = FIRST_FIT_ORDER.index(holder.workload) if known else len(FIRST_FIT_ORDER)
        return order, holder.started, holder.pod

    held: dict[Device, Holder] = {}
    for request, holder in sorted(requests, key=rank):
        free = [d for d in devices if d.machine == request.node and d.holdable and d not in held]
        whole = [d for d in free if d.mig is None][: request.whole]
        taken = list(whole)
        for profile in request.mig:
            instance = next(
                (d for d in free if d.mig and d.mig.profile == profile and d not in taken), None
            )
            if instance is not None:
                taken.append(instance)
        held.update(dict.fromkeys(taken, holder))
    return held
