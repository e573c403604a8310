"""The ``meshlens`` command line: a thin layer that builds things and hands them on.

Every option also reads an environment variable (``MESHLENS_<NAME>``, see docs/settings.md).
Errors people can fix (a broken snapshot file, a port in use) print one line and exit non-zero;
tracebacks are for bugs only.
"""

from __future__ import annotations

import logging
import socket
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from collectors.model import Snapshot
from collectors.snapshot_io import SnapshotError, save_snapshot
from collectors.sources.manifests import ManifestError
from collectors.sources.prometheus import PrometheusError
from dashboard.cli_types import Duration, Moment
from dashboard.data import ConfigError, LiveSource, load_configured_snapshot
from dashboard.settings import SETTINGS_BY_NAME, Settings

F = TypeVar("F", bound=Callable[..., Any])


def _option(name: str, **kwargs: Any) -> Callable[[F], F]:
    """A click option declared from its :data:`SETTINGS` entry (flag, env var, default, help)."""
    setting = SETTINGS_BY_NAME[name]
    return click.option(
        setting.flag,
        name,
        envvar=setting.env,
        default=setting.default,
        show_default=setting.default is not None,
        show_envvar=True,
        help=setting.help,
        **kwargs,
    )


_FILE = click.Path(path_type=Path, dir_okay=False)


def _options(*decorators: Callable[[F], F]) -> Callable[[F], F]:
    def apply(func: F) -> F:
        for decorator in reversed(decorators):
            func = decorator(func)
        return func

    return apply


_demo_options = _options(
    _option("demo_seed", type=int),
    _option("demo_workloads", type=click.IntRange(min=1)),
)
_source_options = _options(_option("snapshot", type=_FILE), _demo_options)
"""Options that choose the snapshot: a saved file, or the demo platform and its scale."""

_prometheus_options = _options(
    _option("prometheus", metavar="URL"),
    _option("prometheus_token_file", type=_FILE),
    _option("prometheus_user"),
    _option("prometheus_password_file", type=_FILE),
    _option("prometheus_ca_file", type=_FILE),
    _option("prometheus_insecure", is_flag=True),
    _option("prometheus_timeout", type=click.FloatRange(min=0.1)),
    _option("prometheus_retries", type=click.IntRange(min=0, max=10)),
    _option("namespace", multiple=True),
    _option("manifests", type=click.Path(path_type=Path)),
    _option("window", type=Duration()),
    _option("history", type=Duration()),
)
"""Options of the live source: where Prometheus is, how to reach it, what to ask."""


def _settings(**options: Any) -> Settings:
    """Settings from a command's options (the CLI names differ from the fields in a few places)."""
    renamed = {
        "namespace": "namespaces",
        "window": "window_seconds",
        "history": "history_seconds",
        "refresh": "refresh_seconds",
    }
    fields = {renamed.get(name, name): value for name, value in options.items()}
    fields["namespaces"] = tuple(fields.get("namespaces") or ())
    if fields.get("prometheus") is not None and fields.get("snapshot") is not None:
        raise click.UsageError("choose one source: --snapshot FILE or --prometheus URL")
    return Settings(**fields)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="meshlens")
@click.option("-v", "--verbose", count=True, help="More log output (-v info, -vv debug).")
def main(verbose: int) -> None:
    """meshlens: dependency and troubleshooting dashboard for Istio meshes and ML workloads.

    With no cluster configured, every command works on the built-in demo platform.
    """
    level = logging.WARNING - 10 * min(verbose, 2)
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if verbose < 2:  # urllib3 warns of every retry with the whole query URL: noise below -vv
        logging.getLogger("urllib3").setLevel(logging.ERROR)


@main.command()
@_option("host")
@_option("port", type=click.IntRange(1, 65535))
@_source_options
@_prometheus_options
@_option("refresh", type=click.IntRange(min=0))
@click.option("--debug", is_flag=True, help="Dash debug mode (reloader, error overlay).")
def serve(debug: bool, **options: Any) -> None:
    """Serve the dashboard: live from --prometheus, a --snapshot file, or the demo platform.

    Live, it re-collects every --refresh seconds (0: never) in the background; when Prometheus
    stops answering it keeps serving the last good data under a "metrics stale" banner and
    recovers by itself.
    """
    from dashboard.app import create_app  # Dash is slow to import; only serve needs it

    settings = _settings(**options)
    _check_can_listen(settings.host, settings.port)
    collect = _live_source(settings).collect if settings.prometheus else None
    snap = _load(settings, collect)
    app = create_app(settings, snap, collect=collect)
    how = snap.meta.generator
    if collect is not None and settings.refresh_seconds:
        how += f", re-collected every {settings.refresh_seconds} s"
    click.echo(f"meshlens dashboard at {settings.url} ({how}; Ctrl+C to stop)")
    app.run(host=settings.host, port=settings.port, debug=debug)


@main.group()
def snapshot() -> None:
    """Record snapshots: incident bundles anyone can open with serve --snapshot."""


@snapshot.command("save")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False, writable=True))
@_demo_options
@_prometheus_options
@_option("at", type=Moment())
def snapshot_save(file: Path, **options: Any) -> None:
    """Save a snapshot to FILE: live from --prometheus, else the demo platform.

    meshlens serve --snapshot FILE replays it anywhere, with no access to the cluster.
    """
    snap = _load(_settings(**options))
    try:
        save_snapshot(snap, file)
    except SnapshotError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(
        f"saved {file}: {snap.graph.number_of_nodes()} nodes, "
        f"{snap.graph.number_of_edges()} edges, {len(snap.incidents)} incidents"
    )


@main.command()
@_source_options
@_prometheus_options
@_option("at", type=Moment())
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["json", "dot"]),
    default="json",
    show_default=True,
    help="json: schema in docs/export-format.md; dot: Graphviz.",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Write here instead of standard output.",
)
def export(fmt: str, output: Path | None, **options: Any) -> None:
    """Export the dependency graph (nodes, edges, traffic) as JSON or DOT.

    From --prometheus (e.g. --at 2026-11-24T12:00Z --window 10m), a --snapshot file, or the demo.
    """
    from dashboard.export import export_dot, export_json

    snap = _load(_settings(**options))
    text = export_json(snap) if fmt == "json" else export_dot(snap)
    if output is None:
        sys.stdout.write(text)
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise click.ClickException(f"cannot write {output}: {exc.strerror or exc}") from None


@main.command()
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False, writable=True))
@_demo_options
@click.option(
    "--minutes",
    type=click.IntRange(min=1),
    default=None,
    help="Only the last N minutes of the demo's window (default: all of it).",
)
@click.option(
    "--every",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Keep one scrape in N (the demo scrapes every 15 s).",
)
def openmetrics(
    file: Path, demo_seed: int, demo_workloads: int | None, minutes: int | None, every: int
) -> None:
    """Write the demo's raw Istio counters to FILE as OpenMetrics text.

    Backfill a real Prometheus with them:
    promtool tsdb create-blocks-from openmetrics FILE DIR. Istio label sets make each sample
    about 1 kB: the whole default demo is about 4.8 GB; --minutes 20 is about 280 MB.
    """
    from collectors.demo import generate_demo
    from collectors.demo.openmetrics import write_openmetrics

    demo = generate_demo(seed=demo_seed, workloads=demo_workloads)
    since = None if minutes is None else int(demo.streams.times[-1]) - 60 * minutes
    try:
        with file.open("w", encoding="utf-8") as out:
            samples = write_openmetrics(demo.streams, out, every=every, since=since)
    except OSError as exc:
        raise click.ClickException(f"cannot write {file}: {exc.strerror or exc}") from None
    click.echo(f"wrote {file}: {samples} samples of the demo's Istio counters")


def _check_can_listen(host: str, port: int) -> None:
    """Fail with one line before loading anything when the address is taken.

    The development server would otherwise print several lines of its own and exit.
    """
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        family, kind, proto, _, address = infos[0]
        with socket.socket(family, kind, proto) as probe:
            probe.bind(address)
    except OSError as exc:
        raise click.ClickException(
            f"cannot listen on {host}:{port}: {exc.strerror or exc}"
        ) from None


_USER_ERRORS = (SnapshotError, PrometheusError, ConfigError, ManifestError)
"""Failures people can fix, whose message is one line: no traceback for them."""


def _live_source(settings: Settings) -> LiveSource:
    try:
        return LiveSource(settings)
    except _USER_ERRORS as exc:
        raise click.ClickException(str(exc)) from None


def _load(settings: Settings, collect: Callable[[], Snapshot] | None = None) -> Snapshot:
    try:
        return collect() if collect is not None else load_configured_snapshot(settings)
    except _USER_ERRORS as exc:
        raise click.ClickException(str(exc)) from None
