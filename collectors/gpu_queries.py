"""The fixed set of GPU queries: NVIDIA's DCGM exporter and kube-state-metrics, declared as data.

As for Istio (:mod:`collectors.istio_queries`), the number of queries does not grow with the
fleet: one range query per DCGM field, grouped by every label that identifies a device (or MIG
instance) and the pod using it, and two instant queries of kube-state-metrics for GPU requests
and allocatable GPUs. The live source renders them to PromQL; the demo answers the same
declarations from its own samples.

Label variants are kept, not chosen, here: the grouping names both ``Hostname`` (dcgm-exporter
before 4.x) and ``hostname`` (newer), and both ``pod`` and ``exported_pod`` (what Prometheus
renames the exporter's ``pod`` to when it scrapes with ``honor_labels: false``, the Helm chart's
default); grouping by a label a series lacks is harmless. :mod:`collectors.gpu_labels` decides
which of them names the machine and the pod.

    >>> DCGM_QUERIES[0].promql()[:48]
    'max by (gpu, UUID, modelName, Hostname, hostname'
    >>> KSM_ALLOCATABLE.promql()[-76:]
    '(kube_node_status_allocatable{resource=~"nvidia_com_gpu|nvidia_com_mig_.+"})'
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = [
    "ALL_GPU_QUERIES",
    "DCGM_LABELS",
    "DCGM_QUERIES",
    "GPU_SERIES_METRICS",
    "KSM_ALLOCATABLE",
    "KSM_LABELS",
    "KSM_QUERIES",
    "KSM_REQUESTS",
    "GpuQuery",
]

DCGM_LABELS: tuple[str, ...] = (
    "gpu",  # the device's index on its machine
    "UUID",
    "modelName",
    "Hostname",
    "hostname",
    "GPU_I_PROFILE",  # MIG instance profile (1g.5gb ...), absent on whole GPUs
    "GPU_I_ID",  # MIG instance id on its GPU
    "pod",
    "namespace",
    "container",
    "exported_pod",
    "exported_namespace",
    "exported_container",
)
"""Labels that identify a device or MIG instance and the pod it is assigned to."""

KSM_LABELS: tuple[str, ...] = (
    "namespace",
    "pod",
    "node",
    "resource",
    "exported_namespace",
    "exported_pod",
    "exported_node",
)
"""kube-state-metrics labels the GPU queries keep (``exported_*`` when it is scraped without
``honor_labels``)."""

GPU_RESOURCES = "nvidia_com_gpu|nvidia_com_mig_.+"
"""kube-state-metrics' ``resource`` label of whole GPUs and MIG slices (``nvidia.com/gpu``,
``nvidia.com/mig-1g.5gb``: dots, dashes and slashes become underscores)."""


@dataclass(frozen=True, slots=True)
class GpuQuery:
    """One GPU query of the fixed set.

    DCGM fields are gauges read as they are (``max by (labels) (field)``): the value at each step
    is the latest sample, as a Grafana panel shows it. kube-state-metrics ones are summed.
    ``series_metric`` names the snapshot series a DCGM field feeds; ``scale`` turns the field's
    unit into the series' unit.
    """

    key: str
    metric: str
    aggregation: Literal["max", "sum"]
    group_by: tuple[str, ...]
    is_range: bool
    series_metric: str = ""
    matcher: str = ""  # PromQL label matchers, already rendered

    def promql(self) -> str:
        """Render to PromQL. Gauges are read as they are at each step: no rate window."""
        selector = f"{self.metric}{{{self.matcher}}}" if self.matcher else self.metric
        return f"{self.aggregation} by ({', '.join(self.group_by)}) ({selector})"


def _dcgm(field: str, series_metric: str) -> GpuQuery:
    return GpuQuery(
        f"gpu_{series_metric.removeprefix('gpu_')}",
        field,
        "max",
        DCGM_LABELS,
        is_range=True,
        series_metric=series_metric,
    )


DCGM_QUERIES: tuple[GpuQuery, ...] = (
    _dcgm("DCGM_FI_DEV_GPU_UTIL", "gpu_util"),  # percent; not reported for MIG instances
    _dcgm("DCGM_FI_DEV_FB_USED", "gpu_memory_used"),  # MiB
    _dcgm("DCGM_FI_DEV_FB_FREE", "gpu_memory_free"),  # MiB
    _dcgm("DCGM_FI_DEV_GPU_TEMP", "gpu_temperature"),  # degrees C
    _dcgm("DCGM_FI_DEV_POWER_USAGE", "gpu_power"),  # W
    _dcgm("DCGM_FI_DEV_SM_CLOCK", "gpu_sm_clock"),  # MHz
    _dcgm("DCGM_FI_DEV_XID_ERRORS", "gpu_xid"),  # the last XID error's code, 0 for none
    _dcgm("DCGM_FI_PROF_GR_ENGINE_ACTIVE", "gpu_engine_active"),  # 0-1 ratio, MIG too
    _dcgm("DCGM_FI_PROF_DRAM_ACTIVE", "gpu_dram_active"),  # 0-1 ratio
    _dcgm("DCGM_FI_PROF_PIPE_TENSOR_ACTIVE", "gpu_tensor_active"),  # 0-1 ratio
)
"""One range query per DCGM field, in the order of :data:`GPU_SERIES_METRICS`."""

KSM_REQUESTS = GpuQuery(
    "gpu_requests",
    "kube_pod_container_resource_requests",
    "sum",
    KSM_LABELS,
    is_range=False,
    matcher=f'resource=~"{GPU_RESOURCES}"',
)
"""GPUs (and MIG slices) each pod requests; ``node`` is empty while the pod is unscheduled."""

KSM_ALLOCATABLE = GpuQuery(
    "gpu_allocatable",
    "kube_node_status_allocatable",
    "sum",
    KSM_LABELS,
    is_range=False,
    matcher=f'resource=~"{GPU_RESOURCES}"',
)
"""GPUs (and MIG slices) each node offers to pods."""

KSM_QUERIES: tuple[GpuQuery, ...] = (KSM_REQUESTS, KSM_ALLOCATABLE)

ALL_GPU_QUERIES: dict[str, GpuQuery] = {q.key: q for q in (*DCGM_QUERIES, *KSM_QUERIES)}

GPU_SERIES_METRICS: tuple[str, ...] = tuple(q.series_metric for q in DCGM_QUERIES)
"""Series metric names of GPU entities. ``gpu_util`` is a percentage on every entity: on a MIG
instance (which DCGM gives no ``GPU_UTIL``) it is 100 x ``gpu_engine_active``."""
