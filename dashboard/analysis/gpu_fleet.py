"""The GPU fleet of a snapshot: machines, their devices and MIG instances, who holds each one
and what each did over the window.

Devices are the snapshot's GPU nodes; their readings come from the GPU series (one pass over the
frame, never one query per device), their users from the USES_GPU edges followed up the graph:
pod -> workload (OWNS) -> services (SELECTS), and pod -> pipeline step -> pipeline run.

>>> from collectors.model import Snapshot, SnapshotMeta
>>> from datetime import UTC, datetime
>>> now = datetime(2026, 1, 1, tzinfo=UTC)
>>> gpu_fleet(Snapshot(SnapshotMeta(now, now, 60, 60, now, "empty")))
()
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import datetime

import pandas as pd

from collectors.changes_context import moment
from collectors.ids import node_id, parse_node_id
from collectors.kinds import EdgeKind, NodeKind
from collectors.model import Node, Snapshot
from dashboard.analysis.gpu_types import GpuDevice, GpuMachine, GpuUser, XidEvent
from dashboard.analysis.gpu_xid import xid_events
from dashboard.analysis.service_series import label

__all__ = [
    "all_devices",
    "gpu_fleet",
    "gpu_user",
    "holder_label",
    "int_attr",
    "pod_created",
    "window",
]

_READ_METRICS = ("gpu_util", "gpu_memory_used", "gpu_temperature", "gpu_power", "gpu_xid")


@dataclass(frozen=True, slots=True)
class _Readings:
    """What the series say about every device over the window."""

    util_mean: dict[str, float]
    last: dict[tuple[str, str], float]  # (device, metric) -> last sample
    xids: dict[str, tuple[XidEvent, ...]]


def window(
    snapshot: Snapshot, start: datetime | None = None, end: datetime | None = None
) -> tuple[datetime, datetime]:
    """The window asked for, the snapshot's own where a bound is not given."""
    return start or snapshot.meta.start, end or snapshot.meta.end


def gpu_fleet(
    snapshot: Snapshot, *, start: datetime | None = None, end: datetime | None = None
) -> tuple[GpuMachine, ...]:
    """Every machine with GPU nodes, by name, with its devices in index order.

    Utilization is the mean over ``[start, end]`` (the snapshot's window by default); the other
    readings are the last sample in it. A MIG-enabled GPU lists its instances in ``slices``.
    """
    start, end = window(snapshot, start, end)
    gpus = list(snapshot.nodes(NodeKind.GPU))
    readings = _readings(snapshot.series, {gpu.id for gpu in gpus}, start, end)
    holders: dict[str, GpuUser] = {}
    for edge in snapshot.edges(EdgeKind.USES_GPU):
        container = str(edge.attrs.get("container", ""))
        holders.setdefault(edge.target, gpu_user(snapshot, edge.source, container))
    by_machine: dict[tuple[str, str], list[Node]] = defaultdict(list)
    for gpu in gpus:
        by_machine[(gpu.cluster, str(gpu.attrs.get("machine") or gpu.namespace))].append(gpu)
    machines = [
        _machine(snapshot, cluster, name, members, readings, holders)
        for (cluster, name), members in by_machine.items()
    ]
    return tuple(sorted(machines, key=lambda machine: (machine.name, machine.id)))


def all_devices(fleet: tuple[GpuMachine, ...]) -> dict[str, GpuDevice]:
    """Every whole GPU and MIG instance of the fleet, by GPU node id."""
    found: dict[str, GpuDevice] = {}
    for machine in fleet:
        for device in machine.devices:
            found[device.id] = device
            found.update((instance.id, instance) for instance in device.slices)
    return found


def gpu_user(snapshot: Snapshot, pod_id: str, container: str = "") -> GpuUser:
    """Who a pod is: its workload and the services selecting it, or its pipeline step and run.

    A pod the graph does not hold (GPU metrics without cluster objects) is known by its id only.
    """
    if pod_id not in snapshot.graph:
        return GpuUser(pod_id, namespace=_namespace_of(pod_id), container=container)
    workload = _owner(snapshot, pod_id, NodeKind.WORKLOAD)
    step = _owner(snapshot, pod_id, NodeKind.PIPELINE_STEP)
    services = tuple(
        sorted(
            source
            for source, _, key in snapshot.graph.in_edges(workload, keys=True)
            if key == EdgeKind.SELECTS.value and snapshot.node(source).kind is NodeKind.SERVICE
        )
        if workload
        else ()
    )
    return GpuUser(
        pod=pod_id,
        workload=workload,
        namespace=snapshot.node(pod_id).namespace,
        container=container,
        services=services,
        pipeline_step=step,
        pipeline_run=_owner(snapshot, step, NodeKind.PIPELINE_RUN) if step else "",
    )


def holder_label(user: GpuUser) -> str:
    """How people name who holds a device: the workload's ``namespace/name``, else the pod's."""
    return label(user.workload or user.pod)


def pod_created(snapshot: Snapshot, pod_id: str) -> datetime | None:
    """When a pod was created (its ``created`` attr), None when unknown or unreadable."""
    if pod_id not in snapshot.graph:
        return None
    return moment(snapshot.node(pod_id).attrs.get("created", ""))


def _owner(snapshot: Snapshot, child: str, kind: NodeKind) -> str:
    owners = sorted(
        source
        for source, _, key in snapshot.graph.in_edges(child, keys=True)
        if key == EdgeKind.OWNS.value and snapshot.node(source).kind is kind
    )
    return owners[0] if owners else ""


def _namespace_of(node: str) -> str:
    try:
        return parse_node_id(node)[2]
    except ValueError:
        return ""


def _readings(series: pd.DataFrame, ids: set[str], start: datetime, end: datetime) -> _Readings:
    rows = series[series["metric"].isin(_READ_METRICS) & series["entity"].isin(ids)]
    rows = rows[(rows["timestamp"] >= start) & (rows["timestamp"] <= end)]
    rows = rows.assign(entity=rows["entity"].astype(str), metric=rows["metric"].astype(str))
    rows = rows.sort_values("timestamp", kind="stable")
    known = rows.dropna(subset=["value"])
    util = known[known["metric"] == "gpu_util"].groupby("entity")["value"].mean()
    last = known.groupby(["entity", "metric"])["value"].last()
    xids = {
        str(entity): xid_events(str(entity), list(group["timestamp"]), list(group["value"]))
        for entity, group in rows[rows["metric"] == "gpu_xid"].groupby("entity")
    }
    return _Readings(
        util_mean={str(entity): float(value) for entity, value in util.items()},
        last={
            (str(entity), str(metric)): float(value)
            for entity, metric, value in zip(
                last.index.get_level_values(0), last.index.get_level_values(1), last, strict=True
            )
        },
        xids={entity: events for entity, events in xids.items() if events},
    )


def _machine(
    snapshot: Snapshot,
    cluster: str,
    name: str,
    gpus: list[Node],
    readings: _Readings,
    holders: dict[str, GpuUser],
) -> GpuMachine:
    machine_id = node_id(NodeKind.MACHINE, name, cluster=cluster)
    attrs = snapshot.node(machine_id).attrs if machine_id in snapshot.graph else {}
    product = str(attrs.get("gpu_product", ""))
    devices = {gpu.id: _device(gpu, name, product, readings, holders.get(gpu.id)) for gpu in gpus}
    instances: dict[str, list[GpuDevice]] = defaultdict(list)
    for device in devices.values():
        if device.parent:
            instances[device.parent].append(device)
    for parent, members in instances.items():
        whole = devices.get(parent) or GpuDevice(parent, name, members[0].index, members[0].model)
        ordered = tuple(sorted(members, key=lambda instance: (instance.mig_id or 0, instance.id)))
        devices[parent] = replace(whole, slices=ordered)
    wholes = sorted((d for d in devices.values() if not d.parent), key=lambda d: (d.index, d.id))
    models = [str(gpu.attrs.get("gpu_model", "")) for gpu in gpus]
    return GpuMachine(
        id=machine_id,
        name=name,
        product=next((model for model in models if model), product),
        devices=tuple(wholes),
        gpus_allocatable=_count(attrs.get("gpu_allocatable")),
        mig_allocatable=_count(attrs.get("mig_allocatable")),
    )


def _device(
    gpu: Node, machine: str, product: str, readings: _Readings, user: GpuUser | None
) -> GpuDevice:
    attrs = gpu.attrs
    profile = str(attrs.get("mig_profile", ""))
    memory_total = attrs.get("memory_total_mib")
    mig_id = attrs.get("mig_id")

    def last(metric: str) -> float | None:
        return readings.last.get((gpu.id, metric))

    return GpuDevice(
        id=gpu.id,
        machine=machine,
        index=_index(gpu),
        model=str(attrs.get("gpu_model", "")) or product,
        uuid=str(attrs.get("uuid", "")),
        mig_profile=profile,
        mig_id=int(mig_id) if profile and isinstance(mig_id, int | float) else None,
        parent=str(attrs.get("parent", "")) if profile else "",
        memory_total_mib=float(memory_total) if isinstance(memory_total, int | float) else None,
        user=user,
        util_mean=readings.util_mean.get(gpu.id),
        util_now=last("gpu_util"),
        memory_used_mib=last("gpu_memory_used"),
        temperature_c=last("gpu_temperature"),
        power_w=last("gpu_power"),
        xids=readings.xids.get(gpu.id, ()),
    )


def _index(gpu: Node) -> int:
    index = gpu.attrs.get("index")
    if isinstance(index, int | float) and not isinstance(index, bool):
        return int(index)
    head = gpu.name.split("/", 1)[0]  # "3" or "3/mig-13"
    return int(head) if head.isdigit() else 0


def int_attr(value: object) -> int:
    """A count read from a node attr: 0 when absent or not a number."""
    return _count(value) or 0


def _count(value: object) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return int(value)
