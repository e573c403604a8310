"""The served snapshot's triage, hotspots and service frames, computed once per snapshot.

The analysis takes about half a second on the demo: a :class:`SnapshotCache` runs it once per
snapshot, not once per click.
"""

from __future__ import annotations

from collectors.model import Snapshot
from dashboard.analysis.hotspots import Hotspot, hotspots
from dashboard.analysis.service_series import ServiceFrames, service_frames
from dashboard.analysis.triage import Triage, triage
from dashboard.components.snapshot_cache import SnapshotCache, app_cache

__all__ = ["CACHE_KEY", "TriageCache", "triage_cache"]

CACHE_KEY = "MESHLENS_TRIAGE"
"""Where the app's :class:`TriageCache` is kept in ``app.server.config``."""


class TriageCache(SnapshotCache):
    """Per-snapshot results for the Triage page; thread-safe, shared by every session."""

    def triage(self, snapshot: Snapshot) -> Triage:
        """Every incident of ``snapshot`` with its causes (``dashboard.analysis.triage``)."""
        return self.get(snapshot, "triage", lambda: triage(snapshot))

    def hotspots(self, snapshot: Snapshot, *, at: int | None = None) -> list[Hotspot]:
        """The entities furthest from their baseline at slot ``at`` (None: the last)."""
        return self.get(
            snapshot, ("hotspots", at), lambda: hotspots(self.triage(snapshot).analysis, at=at)
        )

    def service_frames(self, snapshot: Snapshot) -> ServiceFrames:
        """Per-service error ratio and p95 frames, for the heatmaps."""
        resolution = _resolution(self.triage(snapshot))
        return self.get(
            snapshot, "service_frames", lambda: service_frames(snapshot, resolution=resolution)
        )


def _resolution(report: Triage) -> str:
    """The analysis' slot length, so heatmap columns line up with incident onsets."""
    times = report.analysis.times
    if len(times) < 2:
        return "1min"
    return f"{int((times[1] - times[0]).total_seconds())}s"


def triage_cache() -> TriageCache:
    """The cache of the app serving the current request, made on first use."""
    return app_cache(CACHE_KEY, TriageCache)
