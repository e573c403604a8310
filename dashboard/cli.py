"""The ``meshlens`` command line: a thin layer that builds things and hands them on.

Every option also reads an environment variable (``MESHLENS_<NAME>``, see docs/settings.md).
Errors people can fix (a broken snapshot file, a port in use) print one line and exit non-zero;
tracebacks are for bugs only.
"""

from __future__ import annotations

import logging
import socket
import sys
from pathlib import Path
from typing import Any

import click

from collectors.snapshot_io import SnapshotError, save_snapshot
from dashboard.cli_check import check
from dashboard.cli_diff import diff
from dashboard.cli_load import live_source, load
from dashboard.cli_options import (
    demo_options,
    live_options,
    option,
    settings_from,
    source_options,
)
from dashboard.cli_triage import triage
from dashboard.cli_types import Moment


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
@option("host")
@option("port", type=click.IntRange(1, 65535))
@source_options
@live_options
@option("refresh", type=click.IntRange(min=0))
@click.option("--debug", is_flag=True, help="Dash debug mode (reloader, error overlay).")
def serve(debug: bool, **options: Any) -> None:
    """Serve the dashboard: live sources, a --snapshot file, or the demo platform.

    Live sources are Prometheus (--prometheus) and cluster objects (--manifests, or an API
    server through --kubeconfig/--context/--in-cluster). It re-collects every --refresh
    seconds (0: never) in the background; when a source stops answering it keeps serving the
    last good data under a "stale" banner and recovers by itself.
    """
    from dashboard.app import create_app  # Dash is slow to import; only serve needs it

    settings = settings_from(**options)
    _check_can_listen(settings.host, settings.port)
    source = live_source(settings) if settings.live else None
    collect = source.collect if source is not None and source.refreshes else None
    snap = load(settings, source.collect if source is not None else None)
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
@demo_options
@live_options
@option("at", type=Moment())
def snapshot_save(file: Path, **options: Any) -> None:
    """Save a snapshot to FILE: from live sources, else the demo platform.

    meshlens serve --snapshot FILE replays it anywhere, with no access to the cluster.
    """
    snap = load(settings_from(**options))
    try:
        save_snapshot(snap, file)
    except SnapshotError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(
        f"saved {file}: {snap.graph.number_of_nodes()} nodes, "
        f"{snap.graph.number_of_edges()} edges, {len(snap.incidents)} incidents"
    )


@main.command()
@source_options
@live_options
@option("at", type=Moment())
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

    From live sources (e.g. --prometheus URL --at 2026-11-24T12:00Z --window 10m), a --snapshot
    file, or the demo.
    """
    from dashboard.export import export_dot, export_json

    snap = load(settings_from(**options))
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
@demo_options
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
    """Write the demo's raw Istio counters and its DCGM exporter and kube-state-metrics GPU
    gauges to FILE as OpenMetrics text.

    Backfill a real Prometheus with them:
    promtool tsdb create-blocks-from openmetrics FILE DIR. Istio label sets make each sample
    about 1 kB: the whole default demo is about 4.8 GB; --minutes 20 is about 280 MB.
    """
    from collectors.demo import generate_demo
    from collectors.demo.openmetrics import write_gauges, write_openmetrics

    demo = generate_demo(seed=demo_seed, workloads=demo_workloads)
    since = None if minutes is None else int(demo.streams.times[-1]) - 60 * minutes
    try:
        with file.open("w", encoding="utf-8") as out:
            samples = write_openmetrics(demo.streams, out, every=every, since=since, eof=False)
            gauges = write_gauges(demo.gauges, out, every=every, since=since)
    except OSError as exc:
        raise click.ClickException(f"cannot write {file}: {exc.strerror or exc}") from None
    click.echo(
        f"wrote {file}: {samples} samples of the demo's Istio counters, {gauges} of its GPU gauges"
    )


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


main.add_command(check)
main.add_command(diff)
main.add_command(triage)
