"""Getting a snapshot for a command, with the failures people can fix as one-line errors."""

from __future__ import annotations

from collections.abc import Callable

import click

from collectors.cluster import KubernetesError
from collectors.model import Snapshot
from collectors.snapshot_io import SnapshotError
from collectors.sources.manifests import ManifestError
from collectors.sources.prometheus import PrometheusError
from dashboard.data import ConfigError, LiveSource, load_configured_snapshot
from dashboard.settings import Settings

USER_ERRORS = (SnapshotError, PrometheusError, KubernetesError, ConfigError, ManifestError)
"""Failures people can fix, whose message is one line: no traceback for them."""


def live_source(settings: Settings) -> LiveSource:
    """The live sources the settings name, connected (``ClickException`` when they cannot be)."""
    try:
        return LiveSource(settings)
    except USER_ERRORS as exc:
        raise click.ClickException(str(exc)) from None


def load(settings: Settings, collect: Callable[[], Snapshot] | None = None) -> Snapshot:
    """The snapshot: from ``collect`` when given, else as the settings say."""
    try:
        return collect() if collect is not None else load_configured_snapshot(settings)
    except USER_ERRORS as exc:
        raise click.ClickException(str(exc)) from None
