"""The GPU page's analysis of the served snapshot, computed once per snapshot and window.

The fleet reads every GPU series once (a fraction of a second on the demo); clicks on the grid
and links between devices then only pick from cached results.
"""

from __future__ import annotations

from collectors.model import Snapshot
from dashboard.analysis.gpu_fleet import gpu_fleet
from dashboard.analysis.gpu_pending import pending_gpu_pods
from dashboard.analysis.gpu_types import (
    AllocationRow,
    GpuMachine,
    IdleGpu,
    IdleRule,
    PendingGpuPod,
    WorkloadGpus,
)
from dashboard.analysis.gpu_usage import allocation, idle_gpus, workload_gpus
from dashboard.components.gpu_state import Grouping
from dashboard.components.snapshot_cache import SnapshotCache, app_cache
from dashboard.topology.window import TimeWindow, window_bounds

__all__ = ["CACHE_KEY", "GpuCache", "gpu_cache"]

CACHE_KEY = "MESHLENS_GPU"


class GpuCache(SnapshotCache):
    """Per-snapshot GPU results; thread-safe, shared by every session."""

    def fleet(self, snapshot: Snapshot, window: TimeWindow | None) -> tuple[GpuMachine, ...]:
        """Machines and devices with their readings over ``window`` (None: the snapshot)."""
        return self.get(
            snapshot,
            ("fleet", window),
            lambda: gpu_fleet(snapshot, **window_bounds(window)),
        )

    def idle(self, snapshot: Snapshot, window: TimeWindow | None, rule: IdleRule) -> list[IdleGpu]:
        """The waste list up to the window's end."""
        fleet = self.fleet(snapshot, window)
        end = None if window is None else window.end
        return self.get(
            snapshot, ("idle", window, rule), lambda: idle_gpus(snapshot, fleet, rule, end=end)
        )

    def allocation(
        self, snapshot: Snapshot, window: TimeWindow | None, by: Grouping
    ) -> list[AllocationRow]:
        """Allocation against use per namespace or workload."""
        fleet = self.fleet(snapshot, window)
        return self.get(
            snapshot,
            ("allocation", window, by),
            lambda: allocation(snapshot, fleet, by=by, **window_bounds(window)),
        )

    def pending(self, snapshot: Snapshot) -> list[PendingGpuPod]:
        """Pods waiting for GPUs now."""
        return self.get(
            snapshot, "pending", lambda: pending_gpu_pods(snapshot, self.fleet(snapshot, None))
        )

    def workloads(self, snapshot: Snapshot, window: TimeWindow | None) -> dict[str, WorkloadGpus]:
        """Per workload, its devices and their mean utilization (Topology's badges)."""
        return self.get(
            snapshot, ("workloads", window), lambda: workload_gpus(self.fleet(snapshot, window))
        )


def gpu_cache() -> GpuCache:
    """The cache of the app serving the current request, made on first use."""
    return app_cache(CACHE_KEY, GpuCache)
