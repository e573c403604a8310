"""``meshlens triage``: what is wrong, where it most likely started, and what changed."""

from __future__ import annotations

import sys
from typing import Any

import click

from dashboard.analysis.triage import triage as analyse_triage
from dashboard.cli_load import load
from dashboard.cli_options import live_options, settings_from, source_options
from dashboard.triage_report import incident_text, triage_json, triage_text


@click.command()
@source_options
@live_options
@click.option(
    "--incident", "incident_id", default="", help="Print only this incident (an id it printed)."
)
@click.option("--limit", type=click.IntRange(min=1), default=10, show_default=True,
              help="Print at most this many incidents, newest first.")  # fmt: skip
@click.option("--causes", type=click.IntRange(min=1, max=5), default=3, show_default=True,
              help="Suspected causes per incident.")  # fmt: skip
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="text for people; json for tools (everything).")  # fmt: skip
def triage(incident_id: str, limit: int, causes: int, fmt: str, **options: Any) -> None:
    """Print the incidents in the window with their suspected causes and evidence.

    From a --snapshot file, live sources (--prometheus URL with --kubeconfig/--context,
    --in-cluster or --manifests DIR for the cluster objects that show rollouts and
    restarts), or the demo. docs/triage.md explains how causes are ranked.
    """
    report = analyse_triage(load(settings_from(**options)))
    if incident_id:
        found = report.find(incident_id)
        if found is None:
            known = ", ".join(i.id for i in report.incidents[:5]) or "none"
            raise click.ClickException(
                f"no incident {incident_id!r} in this window (known: {known})"
            )
        click.echo("\n".join(incident_text(found, causes=causes, timeline=50)))
        return
    sys.stdout.write(
        triage_json(report) if fmt == "json" else triage_text(report, limit=limit, causes=causes)
    )
