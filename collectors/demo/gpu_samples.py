"""The GPU gauges a Prometheus holds: DCGM exporter and kube-state-metrics samples, labelled.

Each series is stored as Prometheus keeps it after the scrape: with the ``honor_labels: false``
of the GPU operator's Helm chart (the default :class:`GpuLabelStyle`), the exporter's own pod
is ``pod``/``namespace``/``container`` and the pod using the device arrives as
``exported_pod``/``exported_namespace``/``exported_container``; a free device has no
``exported_*``. kube-state-metrics is scraped with ``honor_labels: true`` (the
kube-prometheus-stack default). Other styles exist for tests of the label variants.

A device whose holder changes inside the window is two series: the free one until the pod
started, the pod's one from then on.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

import numpy as np
import numpy.typing as npt

from collectors.cluster import KubeObject
from collectors.demo.faults_records import GpuPressure
from collectors.demo.gpu_fleet import MIG_RESOURCE, Device, Holder, assign, fleet_devices
from collectors.demo.gpu_telemetry import (
    GPU_FIELDS,
    INSTANCE_FIELDS,
    WHOLE_FIELDS,
    DeviceTelemetry,
    Floats,
    device_telemetry,
)
from collectors.demo.kube import Namer
from collectors.demo.names import GPU_OPERATOR
from collectors.demo.timeline import Timeline

EXPORTER = "nvidia-dcgm-exporter"
EXPORTER_PORT = 9400
KSM_JOB = "kube-state-metrics"
KSM_INSTANCE = "kube-state-metrics.monitoring.svc:8080"
KSM_POD = ("monitoring", "kube-state-metrics-7d9c8b6f5d-q7x2m", "kube-state-metrics",
           "cpu-pool-01")  # fmt: skip
"""kube-state-metrics' own namespace, pod, container and node (target labels)."""
REQUESTS = "kube_pod_container_resource_requests"
ALLOCATABLE = "kube_node_status_allocatable"


@dataclass(frozen=True, slots=True)
class GpuLabelStyle:
    """How the GPU series are labelled: which exporter version, which scrape configuration.

    ``hostname_label``: ``Hostname`` (dcgm-exporter before 4.x) or ``hostname`` (newer).
    ``honor_labels``: DCGM scraped with ``honor_labels: true``: the pod using a device arrives as
    ``pod``/``namespace``/``container``, and a free device has no pod labels at all.
    ``ksm_honor_labels``: ``False`` renames kube-state-metrics' ``namespace``/``pod``/
    ``container``/``node`` to ``exported_*`` and adds its own pod's as target labels.
    """

    hostname_label: Literal["Hostname", "hostname"] = "Hostname"
    honor_labels: bool = False
    ksm_honor_labels: bool = True


@dataclass(frozen=True, slots=True)
class GaugeSeries:
    """One stored series: its labels and one value per scrape from scrape ``first`` on."""

    metric: str
    labels: dict[str, str]  # without empty values; ``instance`` and ``job`` kept apart
    first: int  # index of its first scrape on the timeline
    values: Floats
    instance: str
    job: str

    def timestamps(self, times: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
        """Unix seconds of its samples, given every scrape time of the timeline."""
        return times[self.first : self.first + len(self.values)]


@dataclass
class GaugeSamples:
    """The GPU gauges of a demo: every scrape time, and the series sampled at them."""

    times: npt.NDArray[np.int64] = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    series: list[GaugeSeries] = field(default_factory=list)


def resource_label(resource: str) -> str:
    """kube-state-metrics' ``resource`` label value: ``nvidia.com/mig-1g.5gb`` ->
    ``nvidia_com_mig_1g_5gb``."""
    return re.sub(r"[^a-zA-Z0-9_]", "_", resource)


def _is_gpu_resource(resource: str) -> bool:
    return resource == "nvidia.com/gpu" or resource.startswith(MIG_RESOURCE)


def _device_labels(device: Device, uuid: str, style: GpuLabelStyle) -> dict[str, str]:
    labels = {
        "gpu": str(device.index),
        "UUID": uuid,
        "pci_bus_id": f"00000000:00:{4 + device.index:02X}.0",
        "device": f"nvidia{device.index}",
        "modelName": device.model.name,
        style.hostname_label: device.machine,
    }
    if device.mig is not None:
        labels["GPU_I_PROFILE"] = device.mig.profile
        labels["GPU_I_ID"] = str(device.mig.instance_id)
    return labels


def _pod_labels(holder: Holder | None, exporter: str, style: GpuLabelStyle) -> dict[str, str]:
    if style.honor_labels:
        if holder is None:
            return {}
        return {"pod": holder.pod, "namespace": holder.namespace, "container": holder.container}
    labels = {"pod": exporter, "namespace": GPU_OPERATOR, "container": EXPORTER}
    if holder is not None:
        labels |= {"exported_pod": holder.pod, "exported_namespace": holder.namespace,
                   "exported_container": holder.container}  # fmt: skip
    return labels


def _segments(entry: DeviceTelemetry, samples: int) -> Iterator[tuple[Holder | None, int, int]]:
    """(holder, first, stop) scrape ranges: free until the holder came, held from then on."""
    holder = entry.holder if not entry.device.mig_enabled else None
    since = min(max(entry.since, 0), samples) if holder is not None else samples
    if since > 0:
        yield None, 0, since
    if since < samples:
        yield holder, since, samples


def dcgm_series(
    telemetry: list[DeviceTelemetry],
    uuids: dict[tuple[str, int], str],
    exporters: dict[str, tuple[str, str]],
    samples: int,
    style: GpuLabelStyle,
) -> list[GaugeSeries]:
    """The exporter's series of every device on a machine that runs one (node -> pod, ip)."""
    found = []
    for entry in telemetry:
        device = entry.device
        if device.machine not in exporters:
            continue
        exporter, ip = exporters[device.machine]
        base = _device_labels(device, uuids[(device.machine, device.index)], style)
        fields = (
            GPU_FIELDS if device.mig_enabled else INSTANCE_FIELDS if device.mig else WHOLE_FIELDS
        )
        for holder, first, stop in _segments(entry, samples):
            labels = base | _pod_labels(holder, exporter, style)
            for metric in fields:
                values = entry.fields[metric][first:stop]
                found.append(
                    GaugeSeries(metric, labels, first, values, f"{ip}:{EXPORTER_PORT}", EXPORTER)
                )
    return found


def _ksm_labels(labels: dict[str, str], style: GpuLabelStyle) -> dict[str, str]:
    labels = {k: v for k, v in labels.items() if v}
    if style.ksm_honor_labels:
        return labels
    renamed = {f"exported_{k}" if k in ("namespace", "pod", "container", "node") else k: v
               for k, v in labels.items()}  # fmt: skip
    namespace, pod, container, node = KSM_POD
    return renamed | {"namespace": namespace, "pod": pod, "container": container, "node": node}


def ksm_series(
    items: Iterable[KubeObject], times: npt.NDArray[np.int64], style: GpuLabelStyle
) -> list[GaugeSeries]:
    """GPU and MIG requests of every pod (from its creation) and what GPU nodes offer."""
    found = []
    samples = len(times)
    for obj in items:
        meta = obj["metadata"]
        if obj["kind"] == "Pod":
            created = datetime.fromisoformat(meta["creationTimestamp"]).timestamp()
            first = int(np.searchsorted(times, created))
            for container in obj["spec"]["containers"]:
                requests = container.get("resources", {}).get("requests", {})
                for resource, count in requests.items():
                    if not _is_gpu_resource(resource) or first >= samples:
                        continue
                    labels = {"namespace": meta["namespace"], "pod": meta["name"],
                              "uid": meta["uid"], "container": container["name"],
                              "node": obj["spec"].get("nodeName", ""),
                              "resource": resource_label(resource), "unit": "integer"}  # fmt: skip
                    values = np.full(samples - first, float(count))
                    found.append(GaugeSeries(REQUESTS, _ksm_labels(labels, style), first, values,
                                             KSM_INSTANCE, KSM_JOB))  # fmt: skip
        elif obj["kind"] == "Node":
            for resource, count in obj["status"].get("allocatable", {}).items():
                if _is_gpu_resource(resource):
                    labels = {"node": meta["name"], "resource": resource_label(resource),
                              "unit": "integer"}  # fmt: skip
                    values = np.full(samples, float(count))
                    found.append(GaugeSeries(ALLOCATABLE, _ksm_labels(labels, style), 0, values,
                                             KSM_INSTANCE, KSM_JOB))  # fmt: skip
    return found


def _exporters(items: Iterable[KubeObject]) -> dict[str, tuple[str, str]]:
    return {
        pod["spec"]["nodeName"]: (pod["metadata"]["name"], pod["status"]["podIP"])
        for pod in items
        if pod["kind"] == "Pod"
        and pod["metadata"].get("namespace") == GPU_OPERATOR
        and pod["metadata"].get("labels", {}).get("app") == EXPORTER
        and pod["spec"].get("nodeName")
    }


def gpu_gauges(
    items: list[KubeObject],
    timeline: Timeline,
    pressure: list[GpuPressure],
    rates: dict[str, Floats],
    rng: np.random.Generator,
    style: GpuLabelStyle | None = None,
) -> GaugeSamples:
    """Every GPU gauge of the fleet in ``items`` at every scrape of ``timeline``.

    ``pressure`` fills the memory of its workloads' devices; ``rates`` (requests per second
    served, by workload key) drive the model servers' load. ``rng`` draws the devices' UUIDs,
    then their noise.
    """
    style = style or GpuLabelStyle()
    devices = fleet_devices(o for o in items if o["kind"] == "Node")
    held = assign(devices, items)
    namer = Namer(rng)
    uuids = {(d.machine, d.index): f"GPU-{namer.uid()}" for d in devices if d.mig is None}
    telemetry = device_telemetry(devices, held, timeline, pressure, rates, rng)
    times = timeline.times()
    series = dcgm_series(telemetry, uuids, _exporters(items), timeline.samples, style)
    series += ksm_series(items, times, style)
    return GaugeSamples(times, series)
