"""How allocated GPUs are used: idle devices, allocation against use, per-workload badges and
one device's series as a frame.

Attribution is what the snapshot holds at the end of its window (who holds each device now);
who held a device earlier is not kept, so a device's hours count from its current pod's creation
(or the window's start, if later).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

import pandas as pd

from collectors.gpu_queries import GPU_SERIES_METRICS
from collectors.kinds import NodeKind
from collectors.model import Snapshot
from dashboard.analysis.gpu_fleet import all_devices, gpu_user, int_attr, pod_created, window
from dashboard.analysis.gpu_types import (
    AllocationRow,
    GpuDevice,
    GpuMachine,
    GpuUser,
    IdleGpu,
    IdleRule,
    WorkloadGpus,
)
from dashboard.analysis.service_series import label

__all__ = ["allocation", "device_frame", "gpu_share", "idle_gpus", "owner_text", "workload_gpus"]

MIG_SLICES = 7
"""Compute slices of an A100 or H100: a ``3g.*`` instance is 3/7 of the GPU."""

DEFAULT_IDLE_RULE = IdleRule()
"""Under 5 % for at least 30 minutes."""

_COMPUTE_SLICES = re.compile(r"(\d+)g\.")


@dataclass(frozen=True, slots=True)
class _Share:
    """One holder's part of a row: ``weight`` GPUs for ``hours`` at ``util`` percent."""

    user: GpuUser
    weight: float
    devices: int
    hours: float
    util: float | None


def gpu_share(mig_profile: str) -> float:
    """The part of a GPU a device is: 1 for a whole GPU, N/7 for a MIG ``Ng.*`` instance.

    >>> gpu_share(""), round(gpu_share("3g.20gb"), 3)
    (1.0, 0.429)
    """
    if not mig_profile:
        return 1.0
    slices = _COMPUTE_SLICES.search(mig_profile)
    # A profile not read as Ng counts as the smallest slice: waste is never overstated.
    return int(slices.group(1)) / MIG_SLICES if slices else 1 / MIG_SLICES


def owner_text(snapshot: Snapshot, user: GpuUser) -> str:
    """The holder as people write it: ``StatefulSet team/alice``, else ``Pod team/alice-0``."""
    if user.workload and user.workload in snapshot.graph:
        kind = str(snapshot.node(user.workload).attrs.get("workload_kind", "")) or "Workload"
        return f"{kind} {label(user.workload)}"
    return f"Pod {label(user.pod)}"


def idle_gpus(
    snapshot: Snapshot,
    fleet: tuple[GpuMachine, ...],
    rule: IdleRule = DEFAULT_IDLE_RULE,
    *,
    end: datetime | None = None,
) -> list[IdleGpu]:
    """Assigned devices whose utilization stayed under the rule's threshold for at least its
    minutes up to ``end`` (the snapshot's end by default), longest idle first.

    The idle run is the trailing stretch of samples under the threshold; it starts at its first
    sample, or at the window's start (the pod's creation, if later) when the whole window is
    idle. Missing samples are skipped. A device without any sample in the run is not judged.
    """
    start, end = window(snapshot, None, end)
    held = _held(fleet)
    samples = _util_samples(snapshot.series, (device.id for device, _ in held), start, end)
    found: list[IdleGpu] = []
    for device, user in held:
        created = pod_created(snapshot, user.pod)
        run = _idle_run(samples.get(device.id), rule.threshold_pct, max(start, created or start))
        if run is None:
            continue
        since, util_max = run
        minutes = (end - since).total_seconds() / 60
        if minutes >= rule.min_minutes:
            owner = owner_text(snapshot, user)
            found.append(IdleGpu(device, user, owner, since, minutes, util_max,
                                 device.memory_used_mib))  # fmt: skip
    return sorted(found, key=lambda idle: (-idle.idle_minutes, idle.device.id))


def _idle_run(
    util: pd.Series | None, threshold: float, earliest: datetime
) -> tuple[datetime, float] | None:
    """Start and highest utilization of the trailing run under ``threshold``, not before
    ``earliest``; None when the last sample is busy or no sample is left."""
    if util is None:
        return None
    busy = util[util >= threshold]
    since = earliest
    if not busy.empty:
        after = util[util.index > busy.index[-1]]
        if after.empty:
            return None
        since = max(since, pd.Timestamp(after.index[0]).to_pydatetime())
    inside = util[util.index >= since]
    return (since, float(inside.max())) if not inside.empty else None


def allocation(
    snapshot: Snapshot,
    fleet: tuple[GpuMachine, ...],
    *,
    by: Literal["namespace", "workload"],
    start: datetime | None = None,
    end: datetime | None = None,
) -> list[AllocationRow]:
    """GPU-hours allocated and used per namespace or workload, most idle hours first.

    Each device held now counts from ``max(start, pod created)`` to ``end`` with its part of a
    GPU (:func:`gpu_share`) and its mean utilization over that span. Running pods that request
    GPUs but hold no device the metrics know count as allocated with unknown use: their hours
    add to ``gpu_hours_allocated`` and nothing to ``gpu_hours_used``.
    """
    if by not in ("namespace", "workload"):
        raise ValueError(f"by must be 'namespace' or 'workload', not {by!r}")
    start, end = window(snapshot, start, end)
    held = _held(fleet)
    samples = _util_samples(snapshot.series, (device.id for device, _ in held), start, end)
    shares = [
        _held_share(snapshot, device, user, samples.get(device.id), start, end)
        for device, user in held
    ]
    shares += _unseen_shares(snapshot, {user.pod for _, user in held}, start, end)
    groups: dict[str, list[_Share]] = defaultdict(list)
    for share in shares:
        key = share.user.namespace if by == "namespace" else share.user.workload or share.user.pod
        groups[key].append(share)
    rows = [_row(key, key if by == "namespace" else label(key), group)
            for key, group in groups.items()]  # fmt: skip
    return sorted(rows, key=lambda row: (-row.gpu_hours_idle, row.label))


def _held(fleet: tuple[GpuMachine, ...]) -> list[tuple[GpuDevice, GpuUser]]:
    return [(d, d.user) for d in all_devices(fleet).values() if d.user is not None]


def _held_share(
    snapshot: Snapshot,
    device: GpuDevice,
    user: GpuUser,
    util: pd.Series | None,
    start: datetime,
    end: datetime,
) -> _Share:
    begin = _span_start(snapshot, user.pod, start, end)
    during = util[util.index >= begin] if util is not None else None
    mean = float(during.mean()) if during is not None and not during.empty else None
    return _Share(user, gpu_share(device.mig_profile), 1, _hours(begin, end), mean)


def _unseen_shares(
    snapshot: Snapshot, holders: set[str], start: datetime, end: datetime
) -> list[_Share]:
    shares: list[_Share] = []
    for pod in snapshot.nodes(NodeKind.POD):
        attrs = pod.attrs
        if pod.id in holders or attrs.get("phase") != "Running":
            continue
        gpus, mig = int_attr(attrs.get("gpu_requested")), int_attr(attrs.get("mig_requested"))
        if gpus <= 0 and mig <= 0:
            continue
        weight = gpus + mig * gpu_share(str(attrs.get("mig_profile_requested", "")))
        begin = _span_start(snapshot, pod.id, start, end)
        user = gpu_user(snapshot, pod.id)
        shares.append(_Share(user, weight, gpus + mig, _hours(begin, end), None))
    return shares


def _row(key: str, text: str, shares: list[_Share]) -> AllocationRow:
    allocated = sum(share.weight * share.hours for share in shares)
    measured = [
        (share.weight * share.hours, share.util) for share in shares if share.util is not None
    ]
    used = sum(hours * util / 100 for hours, util in measured)
    measured_hours = sum(hours for hours, _ in measured)
    if measured_hours > 0:
        util_mean: float | None = used / measured_hours * 100
    else:  # no time to weigh by (pods created at the very end): a plain mean
        utils = [util for _, util in measured]
        util_mean = sum(utils) / len(utils) if utils else None
    return AllocationRow(
        key=key,
        label=text,
        gpus_allocated=sum(share.weight for share in shares),
        devices=sum(share.devices for share in shares),
        util_mean=util_mean,
        gpu_hours_allocated=allocated,
        gpu_hours_used=used,
    )


def workload_gpus(fleet: tuple[GpuMachine, ...]) -> dict[str, WorkloadGpus]:
    """The devices each workload holds now and their mean utilization over the window."""
    held: dict[str, list[GpuDevice]] = defaultdict(list)
    for device in all_devices(fleet).values():
        if device.user is not None and device.user.workload:
            held[device.user.workload].append(device)
    badges: dict[str, WorkloadGpus] = {}
    for workload, devices in sorted(held.items()):
        utils = [device.util_mean for device in devices if device.util_mean is not None]
        ids = tuple(sorted(device.id for device in devices))
        mean = sum(utils) / len(utils) if utils else None
        badges[workload] = WorkloadGpus(workload, len(devices), mean, ids)
    return badges


def device_frame(
    snapshot: Snapshot,
    device_id: str,
    *,
    start: datetime | None = None,
    end: datetime | None = None,
) -> pd.DataFrame:
    """One device's GPU series as a frame: UTC timestamp index, one column per metric present,
    in :data:`~collectors.gpu_queries.GPU_SERIES_METRICS` order."""
    start, end = window(snapshot, start, end)
    series = snapshot.series
    rows = series[series["metric"].isin(GPU_SERIES_METRICS) & (series["entity"] == device_id)]
    rows = rows[(rows["timestamp"] >= start) & (rows["timestamp"] <= end)]
    if rows.empty:
        return pd.DataFrame(index=pd.DatetimeIndex([], tz="UTC", name="timestamp"), dtype="float64")
    frame = rows.pivot_table(
        index="timestamp", columns="metric", values="value", aggfunc="max", observed=True
    )
    frame.columns = frame.columns.astype(str)
    frame.columns.name = None
    return frame[[metric for metric in GPU_SERIES_METRICS if metric in frame.columns]].astype(
        "float64"
    )


def _util_samples(
    series: pd.DataFrame, ids: Iterable[str], start: datetime, end: datetime
) -> dict[str, pd.Series]:
    """Known ``gpu_util`` samples of each device in ``[start, end]``, in time order."""
    rows = series[(series["metric"] == "gpu_util") & series["entity"].isin(list(ids))]
    rows = rows[(rows["timestamp"] >= start) & (rows["timestamp"] <= end)]
    rows = rows.dropna(subset=["value"])
    return {
        str(entity): group.set_index("timestamp")["value"].sort_index()
        for entity, group in rows.groupby(rows["entity"].astype(str))
    }


def _span_start(snapshot: Snapshot, pod: str, start: datetime, end: datetime) -> datetime:
    created = pod_created(snapshot, pod)
    return min(max(start, created or start), end)


def _hours(begin: datetime, end: datetime) -> float:
    return max(0.0, (end - begin).total_seconds() / 3600)
