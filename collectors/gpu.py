"""GPU transform: DCGM exporter and kube-state-metrics answers -> GPU devices, their users.

From the DCGM range answers (placed on devices by :mod:`collectors.gpu_series`):

- a GPU node per whole GPU and per MIG instance seen, with ``machine``, ``index``,
  ``gpu_model`` (DCGM's ``modelName``), ``uuid``, ``mig_enabled``, ``memory_total_mib`` (used +
  free at the last sample, when both are known) and, on a MIG instance, ``mig_profile``,
  ``mig_id`` and ``parent`` (its GPU's id). A MIG instance's GPU is a node even when DCGM
  reports nothing for it;
- a machine node per machine, ``observed=False`` (the cluster's own Node wins in the merge);
- a ``USES_GPU`` edge (attr ``container``) from each pod to the device it holds at the end of
  the window: its series has a sample at the last timestamp of the answers. A pod that used the
  device earlier in the window and left gets no edge.

From kube-state-metrics' instant answers, what the cluster objects would say when they are not
read: pod nodes with ``gpu_requested``, ``mig_requested``, ``mig_profile_requested``, ``node``
(``""`` unscheduled, then ``phase="Pending"``), and ``gpu_allocatable`` / ``mig_allocatable``
on machine nodes.

:func:`gpu_series` (the devices over time) lives in :mod:`collectors.gpu_series` and is
re-exported here beside :func:`gpu_graph`.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field

import numpy as np

from collectors.gpu_labels import ksm_label, renamed_labels, resource_profile
from collectors.gpu_queries import ALL_GPU_QUERIES, KSM_ALLOCATABLE, KSM_REQUESTS
from collectors.gpu_series import Device, PlacedSeries, gpu_series, memory_totals, place_series
from collectors.ids import node_id
from collectors.kinds import EdgeKind, NodeKind
from collectors.model import Edge, GraphPart, Node, Scalar
from collectors.prom import InstantSample, MetricsResults

__all__ = ["gpu_graph", "gpu_series", "has_gpu_metrics"]

log = logging.getLogger(__name__)


def has_gpu_metrics(metrics: MetricsResults) -> bool:
    """Whether any GPU query was answered in this collection (even with no series)."""
    return any(key in ALL_GPU_QUERIES for key in (*metrics.range, *metrics.instant))


def gpu_graph(metrics: MetricsResults) -> GraphPart:
    """Build GPU devices, machines, pods and USES_GPU edges from the GPU answers (see above).

    >>> from datetime import UTC, datetime
    >>> now = datetime(2024, 1, 1, tzinfo=UTC)
    >>> gpu_graph(MetricsResults(now, 60, now, now, 15)).nodes
    []
    """
    placement = place_series(metrics)
    if placement.skipped:
        log.warning(
            "%d GPU series name no machine (Hostname/hostname) or no device (gpu): left out",
            placement.skipped,
        )
    nodes: dict[str, Node] = {}
    _add_devices(nodes, placement.series)
    edges = _assignments(nodes, placement.series)
    _add_requests(nodes, _answer(metrics, KSM_REQUESTS.key))
    _add_allocatable(nodes, _answer(metrics, KSM_ALLOCATABLE.key))
    return GraphPart(
        nodes=sorted(nodes.values(), key=lambda node: node.id),
        edges=sorted(edges, key=lambda edge: edge.id),
    )


def _answer(metrics: MetricsResults, key: str) -> list[InstantSample]:
    return [] if key in metrics.failed else metrics.instant.get(key, [])


def _node(
    nodes: dict[str, Node], kind: NodeKind, name: str, namespace: str = "", **attrs: Scalar
) -> Node:
    """The node under that id, created with ``attrs`` when new."""
    identifier = node_id(kind, name, namespace)
    found = nodes.get(identifier)
    if found is None:
        found = Node(identifier, kind, name, namespace, attrs=dict(attrs))
        nodes[identifier] = found
    return found


def _machine(nodes: dict[str, Node], machine: str) -> Node:
    return _node(nodes, NodeKind.MACHINE, machine, observed=False)


def _add_devices(nodes: dict[str, Node], placed: tuple[PlacedSeries, ...]) -> None:
    for piece in placed:
        device, labels = piece.device, piece.series.labels
        _machine(nodes, device.machine)
        held = [_device_node(nodes, device)]
        if device.parent is not None:
            parent = _device_node(nodes, device.parent)
            parent.attrs["mig_enabled"] = True
            held.append(parent)  # MIG series carry their GPU's model and UUID
        for gpu in held:
            for attr, label in (("gpu_model", "modelName"), ("uuid", "UUID")):
                if not gpu.attrs[attr] and labels.get(label):
                    gpu.attrs[attr] = labels[label]
    for identifier, total in memory_totals(placed).items():
        nodes[identifier].attrs["memory_total_mib"] = total


def _device_node(nodes: dict[str, Node], device: Device) -> Node:
    found = nodes.get(device.id)
    if found is not None:
        return found
    attrs: dict[str, Scalar] = {
        "machine": device.machine,
        "index": device.index,
        "gpu_model": "",
        "uuid": "",
        "mig_enabled": device.mig is not None,
    }
    if device.mig is not None and device.parent is not None:
        attrs |= {
            "mig_profile": device.mig.profile,
            "mig_id": device.mig.instance_id,
            "parent": device.parent.id,
        }
    found = Node(device.id, NodeKind.GPU, device.name, device.machine, attrs=attrs)
    nodes[device.id] = found
    return found


def _assignments(nodes: dict[str, Node], placed: tuple[PlacedSeries, ...]) -> list[Edge]:
    """USES_GPU edges for the pods holding a device at the last timestamp of the answers."""
    ends = [_last_sample(piece) for piece in placed]
    last = max((end for end in ends if end is not None), default=None)
    edges: dict[tuple[str, str], Edge] = {}
    for piece, end in zip(placed, ends, strict=True):
        if piece.pod is None or end != last:
            continue
        pod = _node(nodes, NodeKind.POD, piece.pod.pod, piece.pod.namespace)
        target = piece.device.id
        edges.setdefault(
            (pod.id, target),
            Edge(pod.id, target, EdgeKind.USES_GPU, attrs={"container": piece.pod.container}),
        )
    return list(edges.values())


def _last_sample(piece: PlacedSeries) -> int | None:
    stamps = np.asarray(piece.series.timestamps, np.int64)[np.isfinite(piece.series.values)]
    return int(stamps.max()) if len(stamps) else None


def _count(sample: InstantSample) -> int:
    return round(sample.value) if math.isfinite(sample.value) else 0


def _add_requests(nodes: dict[str, Node], answer: list[InstantSample]) -> None:
    renamed = renamed_labels(sample.labels for sample in answer)
    requests: dict[tuple[str, str], _Request] = {}
    for sample in answer:
        labels = sample.labels
        profile = resource_profile(ksm_label(labels, "resource", renamed=renamed))
        namespace = ksm_label(labels, "namespace", renamed=renamed)
        pod = ksm_label(labels, "pod", renamed=renamed)
        if profile is None or not pod or not namespace:
            continue
        request = requests.setdefault((namespace, pod), _Request())
        request.node = request.node or ksm_label(labels, "node", renamed=renamed)
        request.add(profile, _count(sample))
    for (namespace, pod), request in requests.items():
        node = _node(nodes, NodeKind.POD, pod, namespace)
        node.attrs |= request.attrs()


@dataclass(slots=True)
class _Request:
    """What one pod asks for, summed over its containers and resources."""

    node: str = ""
    gpus: int = 0
    mig: dict[str, int] = field(default_factory=dict)

    def add(self, profile: str, count: int) -> None:
        if profile:
            self.mig[profile] = self.mig.get(profile, 0) + count
        else:
            self.gpus += count

    def attrs(self) -> dict[str, Scalar]:
        found: dict[str, Scalar] = {
            "gpu_requested": self.gpus,
            "mig_requested": sum(self.mig.values()),
            "mig_profile_requested": ",".join(sorted(p for p, n in self.mig.items() if n)),
            "node": self.node,
        }
        if not self.node:
            found["phase"] = "Pending"
        return found


def _add_allocatable(nodes: dict[str, Node], answer: list[InstantSample]) -> None:
    renamed = renamed_labels(sample.labels for sample in answer)
    offered: dict[str, tuple[int, int]] = {}
    for sample in answer:
        labels = sample.labels
        profile = resource_profile(ksm_label(labels, "resource", renamed=renamed))
        machine = ksm_label(labels, "node", renamed=renamed)
        if profile is None or not machine:
            continue
        gpus, mig = offered.get(machine, (0, 0))
        count = _count(sample)
        offered[machine] = (gpus, mig + count) if profile else (gpus + count, mig)
    for machine, (gpus, mig) in offered.items():
        _machine(nodes, machine).attrs |= {"gpu_allocatable": gpus, "mig_allocatable": mig}
