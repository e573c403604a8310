"""What the GPU views are made of: devices and machines, attribution, waste and waiting pods.

Plain frozen dataclasses, built by :mod:`dashboard.analysis.gpu_fleet` and friends from a
:class:`~collectors.model.Snapshot`, and read by the GPU page, its figures and the notebook.
Utilization is always a percentage (a MIG instance's is 100 x its graphics-engine activity),
memory is in MiB, times are timezone-aware UTC.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

__all__ = [
    "AllocationRow",
    "GpuDevice",
    "GpuMachine",
    "GpuUser",
    "IdleGpu",
    "IdleRule",
    "PendingGpuPod",
    "WorkloadGpus",
    "XidEvent",
]


@dataclass(frozen=True, slots=True)
class XidEvent:
    """An XID error a GPU reported: when it first showed, its code and what the code means."""

    at: datetime
    device: str  # GPU node id
    code: int
    meaning: str  # one line, from NVIDIA's XID catalogue ("" when the code is not known)


@dataclass(frozen=True, slots=True)
class GpuUser:
    """Who holds a device, followed up the graph: pod -> workload -> services, pipeline step.

    Ids are graph node ids ("" when the link is unknown, as without cluster access).
    """

    pod: str
    workload: str = ""
    namespace: str = ""
    container: str = ""
    services: tuple[str, ...] = ()
    pipeline_step: str = ""
    pipeline_run: str = ""


@dataclass(frozen=True, slots=True)
class GpuDevice:
    """One whole GPU, or one MIG instance of a GPU (``mig_profile`` set, ``parent`` its GPU)."""

    id: str  # GPU node id
    machine: str  # Kubernetes node name
    index: int  # DCGM ``gpu``: the device's position on its machine
    model: str  # "NVIDIA H100 80GB HBM3"
    uuid: str = ""
    mig_profile: str = ""  # "3g.20gb"; "" for a whole GPU
    mig_id: int | None = None  # DCGM ``GPU_I_ID``
    parent: str = ""  # a MIG instance's GPU id
    memory_total_mib: float | None = None
    user: GpuUser | None = None  # None: nothing is assigned to it now
    util_mean: float | None = None  # over the window; None without samples
    util_now: float | None = None  # the last sample
    memory_used_mib: float | None = None  # the last sample
    temperature_c: float | None = None
    power_w: float | None = None
    xids: tuple[XidEvent, ...] = ()
    slices: tuple[GpuDevice, ...] = ()  # a MIG-enabled GPU's instances, by ``mig_id``

    @property
    def label(self) -> str:
        """How people name it: ``gpu-a100-01 GPU 3`` or ``gpu-a100-01 GPU 3 · MIG 1g.5gb #13``."""
        name = f"{self.machine} GPU {self.index}"
        return f"{name} · MIG {self.mig_profile} #{self.mig_id}" if self.mig_profile else name


@dataclass(frozen=True, slots=True)
class GpuMachine:
    """A Kubernetes node with GPUs, and its devices in index order."""

    id: str  # machine node id
    name: str
    product: str  # the GPU model
    devices: tuple[GpuDevice, ...]
    gpus_allocatable: int | None = None  # whole GPUs the node offers pods (None: unknown)
    mig_allocatable: int | None = None  # MIG instances it offers


@dataclass(frozen=True, slots=True)
class AllocationRow:
    """Allocation against use for one namespace or workload over the window.

    ``gpus_allocated`` counts a MIG instance as its share of a GPU's compute (3g = 3/7);
    ``util_mean`` is the mean utilization of the devices it holds; ``gpu_hours_idle`` is what
    was allocated and not used: allocated GPU-hours x (1 - utilization).
    """

    key: str  # namespace name or workload node id
    label: str
    gpus_allocated: float
    devices: int  # devices (whole GPUs and MIG instances) it holds
    util_mean: float | None
    gpu_hours_allocated: float
    gpu_hours_used: float

    @property
    def gpu_hours_idle(self) -> float:
        """Allocated GPU-hours that did no work."""
        return max(0.0, self.gpu_hours_allocated - self.gpu_hours_used)


@dataclass(frozen=True, slots=True)
class IdleRule:
    """When an allocated device counts as idle: under ``threshold_pct`` utilization for at least
    ``min_minutes``, up to the end of the window."""

    threshold_pct: float = 5.0
    min_minutes: float = 30.0


@dataclass(frozen=True, slots=True)
class IdleGpu:
    """An allocated device that did no work: the waste list's row."""

    device: GpuDevice
    user: GpuUser
    owner: str  # the workload as people write it: "StatefulSet team/alice"
    idle_since: datetime
    idle_minutes: float
    util_max: float  # the highest utilization while idle
    memory_used_mib: float | None  # memory it still holds


@dataclass(frozen=True, slots=True)
class PendingGpuPod:
    """A pod waiting for GPUs, and why."""

    pod: str  # pod node id
    name: str
    namespace: str
    workload: str  # workload node id, "" unknown
    gpus: int  # whole GPUs requested
    mig: str = ""  # "1g.5gb x 2" when it asks for MIG instances
    product: str = ""  # the GPU model its node selector asks for, "" any
    since: datetime | None = None
    scheduler_message: str = ""  # the scheduler's own words, one line
    why: str = ""  # meshlens's explanation from the fleet: who holds the GPUs it wants
    free_matching: int = 0  # free GPUs on nodes that match its selector


@dataclass(frozen=True, slots=True)
class WorkloadGpus:
    """A workload's GPUs, for its badge on Topology."""

    workload: str
    devices: int
    util_mean: float | None
    device_ids: tuple[str, ...] = field(default_factory=tuple)
