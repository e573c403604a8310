"""Enrichment step: how many GPU devices each workload's pods hold.

A workload that owns pods with ``USES_GPU`` edges gets ``gpus`` (int): the devices its pods
hold at the end of the window, whole GPUs and MIG instances alike, each counted once. How much
of them it used is the GPU views' business (they read the series); this only joins pods to
their workloads, which the views would otherwise do for every device.

Workloads whose pods hold nothing are left alone: no ``USES_GPU`` edge can mean "no GPU" or
"no DCGM exporter", and this step does not guess which.
"""

from __future__ import annotations

from collectors.kinds import EdgeKind, NodeKind
from collectors.model import Snapshot

__all__ = ["count_workload_gpus"]


def count_workload_gpus(snapshot: Snapshot) -> None:
    """Set ``gpus`` on every workload owning pods that hold GPU devices."""
    devices: dict[str, set[str]] = {}
    for edge in snapshot.edges(EdgeKind.USES_GPU):
        devices.setdefault(edge.source, set()).add(edge.target)
    if not devices:
        return
    held: dict[str, set[str]] = {}
    for owner, pod, key in snapshot.graph.in_edges(list(devices), keys=True):
        if key == EdgeKind.OWNS.value and snapshot.node(owner).kind is NodeKind.WORKLOAD:
            held.setdefault(owner, set()).update(devices[pod])
    for workload, gpus in held.items():
        snapshot.node(workload).attrs["gpus"] = len(gpus)
