"""The served snapshot's triage, hotspots and service frames, computed once per snapshot.

Every request of the Triage page reads the same snapshot until a new one is collected, so the
analysis (about half a second on the demo) runs once per snapshot, not once per click. Entries
are keyed on the snapshot object itself and die with it; the cache lives in the Flask app's
config, so two apps (or two tests) never share one.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar, cast

import flask

from collectors.model import Snapshot
from dashboard.analysis.hotspots import Hotspot, hotspots
from dashboard.analysis.service_series import ServiceFrames, service_frames
from dashboard.analysis.triage import Triage, triage

__all__ = ["CACHE_KEY", "TriageCache", "triage_cache"]

CACHE_KEY = "MESHLENS_TRIAGE"
"""Where the app's :class:`TriageCache` is kept in ``app.server.config``."""

_T = TypeVar("_T")


class TriageCache:
    """Per-snapshot results for the Triage page; thread-safe, shared by every session."""

    def __init__(self, *, snapshots: int = 2) -> None:
        self._snapshots = snapshots
        # Re-entrant: hotspots are computed from the triage's analysis, itself cached.
        self._lock = threading.RLock()
        self._entries: OrderedDict[int, tuple[Snapshot, dict[Hashable, Any]]] = OrderedDict()

    def _get(self, snapshot: Snapshot, key: Hashable, make: Callable[[], _T]) -> _T:
        # One lock around the work too: two requests arriving together after a new snapshot
        # must not both run the analysis.
        with self._lock:
            entry = self._entries.get(id(snapshot))
            # id() can be reused by a new object once the old one is gone: check identity.
            if entry is None or entry[0] is not snapshot:
                entry = (snapshot, {})
                self._entries[id(snapshot)] = entry
                while len(self._entries) > self._snapshots:
                    self._entries.popitem(last=False)
            self._entries.move_to_end(id(snapshot))
            results = entry[1]
            if key not in results:
                results[key] = make()
            value: _T = results[key]
            return value

    def triage(self, snapshot: Snapshot) -> Triage:
        """Every incident of ``snapshot`` with its causes (``dashboard.analysis.triage``)."""
        return self._get(snapshot, "triage", lambda: triage(snapshot))

    def hotspots(self, snapshot: Snapshot, *, at: int | None = None) -> list[Hotspot]:
        """The entities furthest from their baseline at slot ``at`` (None: the last)."""
        return self._get(
            snapshot, ("hotspots", at), lambda: hotspots(self.triage(snapshot).analysis, at=at)
        )

    def service_frames(self, snapshot: Snapshot) -> ServiceFrames:
        """Per-service error ratio and p95 frames, for the heatmaps."""
        resolution = _resolution(self.triage(snapshot))
        return self._get(
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
    config = flask.current_app.config
    cache = config.get(CACHE_KEY)
    if cache is None:
        # setdefault: two first requests at once still end up with one cache.
        cache = config.setdefault(CACHE_KEY, TriageCache())
    return cast(TriageCache, cache)
