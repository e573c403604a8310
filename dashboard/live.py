"""Live mode: one background collection every refresh interval, shared by every browser.

A click never sends a query to Prometheus: pages read the provider's snapshot, and only the
refresher thread collects. When a collection fails the provider keeps the last good snapshot
and is marked stale; the next collection that succeeds clears it, with no restart.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from collectors.cluster import KubernetesError
from collectors.model import Snapshot
from collectors.sources.prometheus import PrometheusError
from dashboard.data import SnapshotProvider

__all__ = ["LiveRefresher"]

log = logging.getLogger(__name__)


class LiveRefresher:
    """Calls ``collect`` every ``interval_seconds`` on a daemon thread and feeds ``provider``."""

    def __init__(
        self,
        provider: SnapshotProvider,
        collect: Callable[[], Snapshot],
        interval_seconds: float,
    ) -> None:
        self.provider = provider
        self._collect = collect
        self.interval_seconds = interval_seconds
        self.attempts = 0  # collections started, for tests and logs
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def refresh(self) -> bool:
        """Collect once; on failure keep the last good snapshot, marked stale. True if fresh."""
        self.attempts += 1
        started = time.perf_counter()
        try:
            snapshot = self._collect()
        except Exception as error:  # the thread must outlive any failure
            reason = " ".join(str(error).split()) or type(error).__name__
            if not isinstance(error, (PrometheusError, KubernetesError)):  # a bug: trace it
                log.exception("collection %d failed unexpectedly", self.attempts)
            log.warning(
                "collection %d failed, serving the last good snapshot: %s", self.attempts, reason
            )
            self.provider.failed(reason)
            return False
        self.provider.replace(snapshot)
        log.info("collection %d done in %.1f s", self.attempts, time.perf_counter() - started)
        return True

    def start(self) -> None:
        """Start collecting in the background (the first collection after one interval)."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="meshlens-refresh", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        """Stop after the collection under way, if any."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def _run(self) -> None:
        next_at = time.monotonic() + self.interval_seconds
        while not self._stop.wait(max(0.0, next_at - time.monotonic())):
            self.refresh()
            # A fixed rhythm, but never a burst of catch-up collections after a slow one.
            next_at = max(next_at + self.interval_seconds, time.monotonic())
