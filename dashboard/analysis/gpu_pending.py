"""Pods waiting for GPUs, and why, in meshlens's words: which nodes offer what they ask for and
who holds those devices now.

The scheduler's own message says how many nodes failed which filter; it does not say who has
the GPUs. The fleet does, so each waiting pod gets one line such as ``needs 4
NVIDIA-H100-80GB-HBM3 GPUs; gpu-h100-01 has 2 of 8 free (4 held by ml-platform/finetune, 2 by
ml-platform/predictor)``.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass

from collectors.kinds import NodeKind
from collectors.model import Node, Snapshot
from dashboard.analysis.gpu_fleet import gpu_user, holder_label, int_attr, pod_created
from dashboard.analysis.gpu_types import GpuDevice, GpuMachine, PendingGpuPod

__all__ = ["pending_gpu_pods", "same_product"]


@dataclass(frozen=True, slots=True)
class _Want:
    """What a waiting pod asks for: whole GPUs, or else MIG instances of one profile."""

    gpus: int
    mig: int
    profile: str
    product: str

    @property
    def count(self) -> int:
        return self.gpus if self.gpus > 0 else self.mig

    def offered_by(self, device: GpuDevice) -> bool:
        if self.gpus > 0:  # a GPU split into MIG instances is not offered whole
            return not device.mig_profile and not device.slices
        return bool(device.mig_profile) and self.profile in ("", device.mig_profile)

    def kind(self, count: int) -> str:
        """``NVIDIA-L4 GPU``, ``MIG 1g.5gb instances``: what it asks for, in ``count``'s number."""
        one = count == 1
        if self.gpus > 0:
            what = "GPU" if one else "GPUs"
        else:
            what = " ".join(filter(None, ("MIG", self.profile, "instance" if one else "instances")))
        return f"{self.product} {what}" if self.product else what


def same_product(a: str, b: str) -> bool:
    """Whether two GPU model names are the same model, written with dashes (the node label
    ``nvidia.com/gpu.product``) or spaces (DCGM's ``modelName``).

    >>> same_product("NVIDIA-H100-80GB-HBM3", "NVIDIA H100 80GB HBM3")
    True
    """
    return _normalised(a) == _normalised(b)


def _normalised(product: str) -> str:
    return " ".join(product.replace("-", " ").replace("_", " ").lower().split())


def pending_gpu_pods(snapshot: Snapshot, fleet: tuple[GpuMachine, ...]) -> list[PendingGpuPod]:
    """Pending pods asking for GPUs or MIG instances, longest waiting first."""
    found: list[PendingGpuPod] = []
    for pod in snapshot.nodes(NodeKind.POD):
        want = _want(pod)
        if pod.attrs.get("phase") != "Pending" or want is None:
            continue
        offers = _offers(snapshot, fleet, want)
        found.append(
            PendingGpuPod(
                pod=pod.id,
                name=pod.name,
                namespace=pod.namespace,
                workload=gpu_user(snapshot, pod.id).workload,
                gpus=want.gpus,
                mig=f"{want.profile or 'MIG'} x {want.mig}" if want.mig > 0 else "",
                product=want.product,
                since=pod_created(snapshot, pod.id),
                scheduler_message=str(pod.attrs.get("scheduling_message", "")),
                why=_why(want, offers),
                free_matching=sum(len(_free(devices)) for _, devices in offers),
            )
        )
    return sorted(found, key=_waiting_longest)


def _waiting_longest(pod: PendingGpuPod) -> tuple[float, str, str]:
    since = pod.since.timestamp() if pod.since is not None else math.inf
    return since, pod.namespace, pod.name


def _want(pod: Node) -> _Want | None:
    gpus, mig = int_attr(pod.attrs.get("gpu_requested")), int_attr(pod.attrs.get("mig_requested"))
    if gpus <= 0 and mig <= 0:
        return None
    profile = str(pod.attrs.get("mig_profile_requested", ""))
    return _Want(gpus, mig, profile, str(pod.attrs.get("gpu_product_wanted", "")))


def _offers(
    snapshot: Snapshot, fleet: tuple[GpuMachine, ...], want: _Want
) -> list[tuple[GpuMachine, list[GpuDevice]]]:
    """Machines of the wanted product with devices of the wanted kind, and those devices."""
    offers: list[tuple[GpuMachine, list[GpuDevice]]] = []
    for machine in fleet:
        if want.product and not any(
            same_product(want.product, name) for name in _product_names(snapshot, machine)
        ):
            continue
        devices = [d for whole in machine.devices for d in (whole, *whole.slices)]
        offered = [device for device in devices if want.offered_by(device)]
        if offered:
            offers.append((machine, offered))
    return offers


def _product_names(snapshot: Snapshot, machine: GpuMachine) -> tuple[str, str]:
    """The machine's model as DCGM names it and as its node label does."""
    attrs = snapshot.node(machine.id).attrs if machine.id in snapshot.graph else {}
    return machine.product, str(attrs.get("gpu_product", ""))


def _free(devices: list[GpuDevice]) -> list[GpuDevice]:
    return [device for device in devices if device.user is None]


def _why(want: _Want, offers: list[tuple[GpuMachine, list[GpuDevice]]]) -> str:
    if not offers:
        return f"no node offers {want.kind(2)}"
    parts = [_machine_part(machine, devices) for machine, devices in offers]
    text = f"needs {want.count} {want.kind(want.count)}; {'; '.join(parts)}"
    roomy = [machine.name for machine, devices in offers if len(_free(devices)) >= want.count]
    if roomy:
        # Enough devices are free: GPUs are not what keeps it waiting.
        text += f"; enough are free on {', '.join(roomy)}: see the scheduler's message"
    return text


def _machine_part(machine: GpuMachine, devices: list[GpuDevice]) -> str:
    held = Counter(holder_label(d.user) for d in devices if d.user is not None)
    ranked = sorted(held.items(), key=lambda item: (-item[1], item[0]))
    holders = ", ".join(
        f"{count} held by {who}" if i == 0 else f"{count} by {who}"
        for i, (who, count) in enumerate(ranked)
    )
    free = len(devices) - sum(held.values())
    text = f"{machine.name} has {free} of {len(devices)} free"
    return f"{text} ({holders})" if holders else text
