"""Hand-built GPU fleets as snapshots, for the GPU analysis tests.

A :class:`Fleet` holds a window of one-minute samples ending at :data:`END` and grows a
snapshot the way the collectors would: machine and GPU nodes (whole GPUs and MIG instances),
workloads, pods, services and pipeline steps, USES_GPU edges and GPU series. Tests read like the
scenario they describe::

    fleet = Fleet(minutes=341)
    gpus = fleet.machine("gpu-a100-01", gpus=4)
    alice = fleet.workload("alice", "team", kind="StatefulSet")
    fleet.assign(fleet.pod("alice-0", "team", owner=alice), gpus[2])
    fleet.util(gpus[2], per_minute((40, 35.0), (301, 0.5)))
    snapshot = fleet.build()
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import pandas as pd

from collectors.ids import node_id
from collectors.kinds import EdgeKind, NodeKind
from collectors.model import Edge, Node, Scalar, Snapshot, SnapshotMeta

END = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
A100 = ("NVIDIA-A100-SXM4-40GB", "NVIDIA A100-SXM4-40GB", 40960.0)
H100 = ("NVIDIA-H100-80GB-HBM3", "NVIDIA H100 80GB HBM3", 81559.0)
L4 = ("NVIDIA-L4", "NVIDIA L4", 23034.0)
NAN = float("nan")


def per_minute(*runs: tuple[int, float]) -> list[float]:
    """One value a minute: ``per_minute((40, 35.0), (301, 0.5))`` is 40 x 35 then 301 x 0.5."""
    return [value for count, value in runs for _ in range(count)]


class Fleet:
    """A snapshot under construction: a window of ``minutes`` one-minute samples up to ``end``."""

    def __init__(self, *, minutes: int = 361, end: datetime = END) -> None:
        self.start = end - timedelta(minutes=minutes - 1)
        self.end = end
        self.snapshot = Snapshot(SnapshotMeta(self.start, end, 60, 600, end, "gpu test fleet"))
        self._rows: list[tuple[str, str, datetime, float]] = []

    def at(self, minute: int) -> datetime:
        """Wall time of a minute of the window (0 is its start)."""
        return self.start + timedelta(minutes=minute)

    def machine(
        self,
        name: str,
        gpus: int = 4,
        *,
        product: tuple[str, str, float] = A100,
        dcgm_model: bool = True,
        allocatable: int | None = None,
        mig_allocatable: int | None = None,
    ) -> list[str]:
        """A Kubernetes node with ``gpus`` devices of ``product`` (label, DCGM name, MiB);
        ``dcgm_model=False`` leaves the devices' model empty, as before any DCGM sample."""
        label, model, memory = product
        attrs: dict[str, Scalar] = {"gpu_product": label, "gpu_devices": gpus, "observed": True}
        attrs |= {
            "gpu_capacity": gpus,
            "gpu_allocatable": gpus if allocatable is None else allocatable,
        }
        if mig_allocatable is not None:
            attrs["mig_allocatable"] = mig_allocatable
        self._add(Node(node_id(NodeKind.MACHINE, name), NodeKind.MACHINE, name, attrs=attrs))
        ids = []
        for index in range(gpus):
            gpu = node_id(NodeKind.GPU, str(index), name)
            self._add(Node(gpu, NodeKind.GPU, str(index), name, attrs={
                "machine": name, "index": index, "gpu_model": model if dcgm_model else "",
                "uuid": f"GPU-{name}-{index}", "memory_total_mib": memory, "mig_enabled": False,
            }))  # fmt: skip
            ids.append(gpu)
        return ids

    def mig(self, gpu: str, gi_id: int, profile: str) -> str:
        """A MIG instance of ``gpu`` (which becomes MIG-enabled), e.g. ``1g.5gb`` GI 13."""
        parent = self.snapshot.node(gpu)
        parent.attrs["mig_enabled"] = True
        name = f"{parent.name}/mig-{gi_id}"
        attrs = {**parent.attrs, "mig_profile": profile, "mig_id": gi_id, "parent": gpu}
        attrs["memory_total_mib"] = float(profile.split(".")[1].removesuffix("gb")) * 1024
        instance = node_id(NodeKind.GPU, name, parent.namespace)
        self._add(Node(instance, NodeKind.GPU, name, parent.namespace, attrs=attrs))
        return instance

    def workload(self, name: str, namespace: str, *, kind: str = "Deployment") -> str:
        """A workload node of ``kind`` (Deployment, StatefulSet, Job ...)."""
        workload = node_id(NodeKind.WORKLOAD, name, namespace)
        self._add(Node(workload, NodeKind.WORKLOAD, name, namespace, attrs={"workload_kind": kind}))
        return workload

    def service(self, name: str, namespace: str, *workloads: str) -> str:
        """A service selecting ``workloads``."""
        service = node_id(NodeKind.SERVICE, name, namespace)
        self._add(Node(service, NodeKind.SERVICE, name, namespace))
        for workload in workloads:
            self.snapshot.add_edge(Edge(service, workload, EdgeKind.SELECTS))
        return service

    def pod(
        self,
        name: str,
        namespace: str,
        *,
        owner: str = "",
        phase: str = "Running",
        node: str = "",
        gpus: int = 0,
        mig: int = 0,
        mig_profile: str = "",
        product: str = "",
        created: datetime | None = None,
        message: str = "",
    ) -> str:
        """A pod, owned by ``owner`` when given, created a day before the window by default."""
        pod = node_id(NodeKind.POD, name, namespace)
        born = created or self.start - timedelta(days=1)
        kind = str(self.snapshot.node(owner).attrs["workload_kind"]) if owner else "Pod"
        self._add(Node(pod, NodeKind.POD, name, namespace, attrs={
            "phase": phase, "node": node, "gpu_requested": gpus, "mig_requested": mig,
            "mig_profile_requested": mig_profile, "gpu_product_wanted": product,
            "scheduling_message": message, "created": born.isoformat().replace("+00:00", "Z"),
            "workload_kind": kind,
        }))  # fmt: skip
        if owner:
            self.snapshot.add_edge(Edge(owner, pod, EdgeKind.OWNS))
        return pod

    def pipeline_step(self, run: str, step: str, namespace: str, pod: str) -> tuple[str, str]:
        """A pipeline run whose step ran ``pod``; returns (run id, step id)."""
        run_id = node_id(NodeKind.PIPELINE_RUN, run, namespace)
        step_id = node_id(NodeKind.PIPELINE_STEP, step, namespace)
        if run_id not in self.snapshot.graph:
            self._add(Node(run_id, NodeKind.PIPELINE_RUN, run, namespace))
        self._add(Node(step_id, NodeKind.PIPELINE_STEP, step, namespace, attrs={"run": run}))
        self.snapshot.add_edge(Edge(run_id, step_id, EdgeKind.OWNS))
        self.snapshot.add_edge(Edge(step_id, pod, EdgeKind.OWNS))
        return run_id, step_id

    def assign(self, pod: str, gpu: str, container: str = "main") -> None:
        """``pod`` holds ``gpu`` at the end of the window."""
        self.snapshot.add_edge(Edge(pod, gpu, EdgeKind.USES_GPU, attrs={"container": container}))

    def series(self, entity: str, metric: str, values: Sequence[float], *, first: int = 0) -> None:
        """Samples of one metric, a minute apart from minute ``first``."""
        self._rows += [(entity, metric, self.at(first + i), v) for i, v in enumerate(values)]

    def util(self, gpu: str, values: Sequence[float], *, first: int = 0) -> None:
        """``gpu_util`` samples (percent)."""
        self.series(gpu, "gpu_util", values, first=first)

    def build(self) -> Snapshot:
        """The snapshot, its series in the model's long format."""
        frame = pd.DataFrame(self._rows, columns=["entity", "metric", "timestamp", "value"])
        frame["entity"] = frame["entity"].astype("category")
        frame["metric"] = frame["metric"].astype("category")
        frame["timestamp"] = pd.to_datetime(frame["timestamp"], utc=True).astype(
            "datetime64[ns, UTC]"
        )
        frame["value"] = frame["value"].astype("float64")
        self.snapshot.series = frame
        return self.snapshot

    def _add(self, node: Node) -> None:
        self.snapshot.add_node(node)
