"""Where the dashboard gets its snapshot: the one place it asks the collectors for data."""

from __future__ import annotations

import logging
import os
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from collectors.cluster import ClusterObjects
from collectors.inventory import in_namespaces
from collectors.kinds import SourceState
from collectors.model import Snapshot, SourceStatus
from collectors.snapshot_io import load_snapshot
from collectors.sources.demo import demo_snapshot
from collectors.sources.manifests import load_manifests
from collectors.sources.objects import objects_snapshot
from collectors.sources.prometheus import PrometheusConfig, PrometheusMetrics, prometheus_snapshot
from dashboard.settings import PASSWORD_ENV, TOKEN_ENV, Settings

if TYPE_CHECKING:
    from collectors.sources.kubernetes import LiveCluster

log = logging.getLogger(__name__)

SERIES_POINTS = 240
"""Points per live series at most: a step of 15 s over an hour, coarser over longer history."""


class ConfigError(ValueError):
    """A setting that cannot be used (an unreadable token file...); one line for people."""


def load_configured_snapshot(settings: Settings) -> Snapshot:
    """Return the snapshot the settings name: live sources, a saved file, else the demo.

    Raises :class:`collectors.snapshot_io.SnapshotError` for an unreadable file,
    :class:`~collectors.sources.prometheus.PrometheusError` when Prometheus does not answer,
    :class:`~collectors.sources.kubernetes.KubernetesError` when the API server cannot be read,
    :class:`ConfigError` or :class:`~collectors.sources.manifests.ManifestError` for bad settings.
    """
    started = time.perf_counter()
    if settings.live:
        snapshot = LiveSource(settings).collect()
    elif settings.snapshot is not None:
        snapshot = load_snapshot(settings.snapshot)
    else:
        snapshot = demo_snapshot(seed=settings.demo_seed, workloads=settings.demo_workloads)
    log.info("snapshot ready in %.1f s: %s", time.perf_counter() - started, snapshot.meta.generator)
    return snapshot


def prometheus_config(settings: Settings) -> PrometheusConfig:
    """The Prometheus connection the settings describe, secrets read from their file or env."""
    if settings.prometheus is None:
        raise ConfigError("no Prometheus URL given (--prometheus)")
    token = _secret(settings.prometheus_token_file, TOKEN_ENV)
    auth = None
    if settings.prometheus_user:
        auth = (settings.prometheus_user, _secret(settings.prometheus_password_file, PASSWORD_ENV))
    return PrometheusConfig(
        settings.prometheus,
        bearer_token=token or None,
        basic_auth=auth,
        ca_file=settings.prometheus_ca_file,
        insecure=settings.prometheus_insecure,
        timeout_seconds=settings.prometheus_timeout,
        retries=settings.prometheus_retries,
        namespaces=settings.namespaces,
    )


def _secret(path: Path | None, env: str) -> str:
    if path is None:
        return os.environ.get(env, "").strip()
    try:
        return path.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or "not UTF-8 text"
        raise ConfigError(f"cannot read {path}: {reason}") from None


class LiveSource:
    """Cluster objects and Prometheus telemetry turned into snapshots, one per ``collect``.

    Either may be missing: telemetry alone gives the traffic graph, objects alone the deployed
    platform and its checks. Connections are set up once; manifests are read once, while an
    API server and Prometheus are asked again on every collection.
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.metrics = (
            PrometheusMetrics(prometheus_config(settings)) if settings.prometheus else None
        )
        self.cluster = _live_cluster(settings) if settings.live_cluster else None
        self._objects: ClusterObjects | None = None
        self._status: SourceStatus | None = None
        if settings.manifests is not None:
            self._objects = in_namespaces(load_manifests(settings.manifests), settings.namespaces)
            self._status = SourceStatus(
                "manifests",
                "cluster",
                SourceState.OK,
                f"{settings.manifests} (read once at start)",
                fetched_at=datetime.now(UTC),
            )

    @property
    def refreshes(self) -> bool:
        """Whether a new collection can bring new data (manifests alone never change)."""
        return self.metrics is not None or self.cluster is not None

    def collect(self) -> Snapshot:
        """Collect now (or at the ``at`` setting) and build the snapshot."""
        settings = self.settings
        objects, status = self._status_and_objects()
        end = settings.at or datetime.now(UTC)
        span = timedelta(seconds=settings.history_seconds)
        step = max(15, settings.history_seconds // SERIES_POINTS)
        if self.metrics is None:
            if objects is None or status is None:
                raise ConfigError("no live source given (--prometheus, --manifests, --kubeconfig)")
            return objects_snapshot(
                objects,
                status,
                end=end,
                span=span,
                step_seconds=step,
                rate_window_seconds=settings.window_seconds,
            )
        return prometheus_snapshot(
            self.metrics,
            end=end,
            span=span,
            step_seconds=step,
            rate_window_seconds=settings.window_seconds,
            objects=objects,
            cluster=status,
        )

    def _status_and_objects(self) -> tuple[ClusterObjects | None, SourceStatus | None]:
        if self.cluster is not None:
            return self.cluster.collect()
        return self._objects, self._status


def _live_cluster(settings: Settings) -> LiveCluster:
    # The kubernetes package takes over a second to import: only live cluster reads pay it.
    from collectors.sources.kubernetes import KubernetesConfig, LiveCluster

    return LiveCluster(
        KubernetesConfig(
            kubeconfig=settings.kubeconfig,
            context=settings.context,
            in_cluster=settings.in_cluster,
            namespaces=settings.namespaces,
        )
    )


@dataclass(frozen=True, slots=True)
class Staleness:
    """Why the snapshot served is old: the last collections failed."""

    since: datetime  # when the snapshot served was collected
    reason: str  # the last failure, one line
    failures: int  # collections failed in a row


class SnapshotProvider:
    """Holds the snapshot every browser session sees, and whether it is stale.

    One per app, injected (no module-level singleton) so tests and notebooks build their own.
    Live refresh replaces the snapshot from one place; pages only read it. ``version`` counts
    replacements, so browsers can tell a new snapshot from the one they drew.
    """

    def __init__(self, snapshot: Snapshot, *, refresh_seconds: int | None = None) -> None:
        self._lock = threading.Lock()
        self.snapshot = snapshot
        self.refresh_seconds = refresh_seconds  # None: a fixed snapshot, never re-collected
        self.version = 0
        self.collected_at = datetime.now(UTC)
        self.stale: Staleness | None = None

    def replace(self, snapshot: Snapshot) -> None:
        """Serve a freshly collected snapshot."""
        with self._lock:
            self.snapshot = snapshot
            self.version += 1
            self.collected_at = datetime.now(UTC)
            self.stale = None

    def failed(self, reason: str) -> None:
        """Keep serving the last good snapshot, marked stale with the reason."""
        with self._lock:
            failures = 1 if self.stale is None else self.stale.failures + 1
            self.stale = Staleness(self.collected_at, reason, failures)
