"""``meshlens diff``: what changed between two snapshot files, or two times of one snapshot."""

from __future__ import annotations

import sys
from datetime import datetime, timedelta
from pathlib import Path

import click

from collectors.model import Snapshot
from collectors.snapshot_io import SnapshotError, load_snapshot
from dashboard.analysis.diff import diff_snapshots, diff_times
from dashboard.analysis.diff_report import diff_json, diff_text
from dashboard.cli_types import Duration, Moment

DEFAULT_WINDOW = "5m"


class InputUnreadable(click.ClickException):
    """A snapshot file cannot be read: exit 2, as for usage errors, never a traceback."""

    exit_code = 2


def _load(path: Path) -> Snapshot:
    try:
        return load_snapshot(path)
    except SnapshotError as exc:
        raise InputUnreadable(str(exc)) from None


@click.command()
@click.argument("files", nargs=-1, type=click.Path(path_type=Path), metavar="[A B]")
@click.option(
    "--snapshot",
    type=click.Path(path_type=Path),
    metavar="FILE",
    help="Compare two times of this snapshot file (default: the demo platform).",
)
@click.option(
    "--from", "start", type=Moment(), help="The earlier time: 2026-11-24T06:30Z or Unix seconds."
)
@click.option("--to", "end", type=Moment(), help="The later time.")
@click.option(
    "--window",
    type=Duration(),
    help=f"How long before each time is averaged (default {DEFAULT_WINDOW}).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="text for people; json for pipelines (with node and edge ids).",
)
@click.option(
    "--limit",
    type=click.IntRange(min=0),
    default=20,
    show_default=True,
    help="Show at most N items per section (0: all); counts are always complete.",
)
def diff(
    files: tuple[Path, ...],
    snapshot: Path | None,
    start: datetime | None,
    end: datetime | None,
    window: int | None,
    fmt: str,
    limit: int,
) -> None:
    """Say what changed: call edges that came or went, error, latency and traffic
    jumps, rollouts, pods, Istio config, check findings and the cluster's recorded events.

    \b
      meshlens diff A B                                   two snapshot files
      meshlens diff --snapshot FILE --from T1 --to T2     two times of one snapshot

    Two files: B is compared with A, each with its traffic over its own rate window. Two
    times: the traffic averaged over --window before each time (without --snapshot, on the
    demo platform), and the changes the snapshot recorded in between. Times are ISO 8601
    (UTC unless they carry an offset) or Unix seconds. Exit status: 0 with a report (or "No
    differences"), 2 when a file cannot be read or the options do not fit together.
    docs/diff.md explains the thresholds.
    """
    if files:
        if len(files) != 2:
            raise click.UsageError("give two snapshot files, A and B, or --from and --to")
        if snapshot is not None or start is not None or end is not None or window is not None:
            raise click.UsageError(
                "two files are compared as they are: --snapshot, --from, --to and --window "
                "are for two times of one snapshot"
            )
        result = diff_snapshots(_load(files[0]), _load(files[1]))
    else:
        if start is None or end is None:
            raise click.UsageError("give two snapshot files, A and B, or --from and --to")
        if start >= end:
            raise click.UsageError("--from must be earlier than --to")
        seconds = window or Duration().convert(DEFAULT_WINDOW, None, None)
        source = _load(snapshot) if snapshot is not None else _demo()
        result = diff_times(source, start, end, window=timedelta(seconds=seconds))
    shown = limit or None
    sys.stdout.write(
        diff_json(result, limit=shown) if fmt == "json" else diff_text(result, limit=shown)
    )


def _demo() -> Snapshot:
    from collectors.sources.demo import demo_snapshot  # built only when no file is given

    return demo_snapshot()
