"""Where the dashboard gets its snapshot: the one place it asks the collectors for data."""

from __future__ import annotations

import logging
import time

from collectors.model import Snapshot
from collectors.snapshot_io import load_snapshot
from collectors.sources.demo import demo_snapshot
from dashboard.settings import Settings

log = logging.getLogger(__name__)


def load_configured_snapshot(settings: Settings) -> Snapshot:
    """Return the snapshot the settings name: a saved file, else the built-in demo platform.

    Raises :class:`collectors.snapshot_io.SnapshotError` for an unreadable file.
    """
    started = time.perf_counter()
    if settings.snapshot is not None:
        snapshot = load_snapshot(settings.snapshot)
    else:
        snapshot = demo_snapshot(seed=settings.demo_seed, workloads=settings.demo_workloads)
    log.info("snapshot ready in %.1f s: %s", time.perf_counter() - started, snapshot.meta.generator)
    return snapshot


class SnapshotProvider:
    """Holds the snapshot every browser session sees.

    One per app, injected (no module-level singleton) so tests and notebooks build their own.
    Live refresh replaces :attr:`snapshot` from one place; pages only read it.
    """

    def __init__(self, snapshot: Snapshot) -> None:
        self.snapshot = snapshot
