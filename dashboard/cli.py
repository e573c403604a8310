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
from dashboard.data import load_configured_snapshot
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


def _source_options(func: F) -> F:
    """Options that choose the snapshot: a saved file, or the demo platform and its scale."""
    for decorator in reversed(
        (
            _option("snapshot", type=click.Path(path_type=Path, dir_okay=False)),
            _option("demo_seed", type=int),
            _option("demo_workloads", type=click.IntRange(min=1)),
        )
    ):
        func = decorator(func)
    return func


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="meshlens")
@click.option("-v", "--verbose", count=True, help="More log output (-v info, -vv debug).")
def main(verbose: int) -> None:
    """meshlens: dependency and troubleshooting dashboard for Istio meshes and ML workloads.

    With no cluster configured, every command works on the built-in demo platform.
    """
    level = logging.WARNING - 10 * min(verbose, 2)
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")


@main.command()
@_option("host")
@_option("port", type=click.IntRange(1, 65535))
@_source_options
@click.option("--debug", is_flag=True, help="Dash debug mode (reloader, error overlay).")
def serve(
    host: str,
    port: int,
    snapshot: Path | None,
    demo_seed: int,
    demo_workloads: int | None,
    debug: bool,
) -> None:
    """Serve the dashboard (the demo platform unless --snapshot is given)."""
    from dashboard.app import create_app  # Dash is slow to import; only serve needs it

    settings = Settings(
        host=host, port=port, snapshot=snapshot, demo_seed=demo_seed, demo_workloads=demo_workloads
    )
    _check_can_listen(host, port)
    snap = _load(settings)
    app = create_app(settings, snap)
    click.echo(f"meshlens dashboard at {settings.url} ({snap.meta.generator}; Ctrl+C to stop)")
    app.run(host=host, port=port, debug=debug)


@main.group()
def snapshot() -> None:
    """Record snapshots: incident bundles anyone can open with serve --snapshot."""


@snapshot.command("save")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False, writable=True))
@_option("demo_seed", type=int)
@_option("demo_workloads", type=click.IntRange(min=1))
def snapshot_save(file: Path, demo_seed: int, demo_workloads: int | None) -> None:
    """Save a snapshot of the demo platform to FILE."""
    settings = Settings(demo_seed=demo_seed, demo_workloads=demo_workloads)
    snap = _load(settings)
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
def export(
    snapshot: Path | None, demo_seed: int, demo_workloads: int | None, fmt: str, output: Path | None
) -> None:
    """Export the dependency graph (nodes, edges, traffic) as JSON or DOT."""
    from dashboard.export import export_dot, export_json

    snap = _load(Settings(snapshot=snapshot, demo_seed=demo_seed, demo_workloads=demo_workloads))
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
@_option("demo_seed", type=int)
@_option("demo_workloads", type=click.IntRange(min=1))
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


def _load(settings: Settings) -> Snapshot:
    try:
        return load_configured_snapshot(settings)
    except SnapshotError as exc:
        raise click.ClickException(str(exc)) from None
