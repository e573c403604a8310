"""``meshlens check``: the troubleshooting checks on the command line, for people and CI."""

from __future__ import annotations

import sys
from typing import Any

import click

from collectors.checks import all_checks
from collectors.kinds import SourceState
from collectors.model import Severity
from dashboard.check_report import at_least, checks_text, report_json, report_text
from dashboard.cli_load import USER_ERRORS
from dashboard.cli_options import live_options, settings_from, source_options
from dashboard.data import load_configured_snapshot

_SEVERITIES = click.Choice([severity.value for severity in Severity])


class SourceUnreadable(click.ClickException):
    """The objects could not be read: exit 2, so CI tells it from findings (exit 1)."""

    exit_code = 2


@click.command()
@source_options
@live_options
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="text for people; json for pipelines (every finding, whatever --show says).",
)
@click.option(
    "--show",
    type=_SEVERITIES,
    default="info",
    show_default=True,
    help="Print findings at least this severe.",
)
@click.option(
    "--fail-on",
    type=click.Choice(["error", "warning", "never"]),
    default="error",
    show_default=True,
    help="Exit 1 when there is a finding at least this severe.",
)
@click.option("--list", "list_checks", is_flag=True, help="List every check and exit.")
def check(fmt: str, show: str, fail_on: str, list_checks: bool, **options: Any) -> None:
    """Run the troubleshooting checks and print what they find.

    On cluster objects from --manifests DIR or an API server (--kubeconfig/--context,
    --in-cluster), with --prometheus for the checks that need traffic; on a --snapshot file;
    else on the demo platform. Exit status: 0 when nothing reaches --fail-on, 1 when
    something does, 2 when the objects cannot be read. docs/checks.md explains every check.
    """
    checks = all_checks()
    if list_checks:
        click.echo(checks_text(checks), nl=False)
        return
    settings = settings_from(**options)
    try:
        snapshot = load_configured_snapshot(settings)
    except USER_ERRORS as exc:
        raise SourceUnreadable(str(exc)) from None
    for source in snapshot.meta.sources:
        if source.kind == "cluster" and source.state is not SourceState.OK:
            click.echo(f"note: {source.name}: {source.detail}", err=True)
            for missing in source.missing:
                click.echo(f"note: {source.name} did not read {missing}", err=True)
    findings = snapshot.findings
    if fmt == "json":
        sys.stdout.write(report_json(findings, snapshot.meta.sources))
    else:
        sys.stdout.write(report_text(at_least(findings, Severity(show)), len(checks)))
    if fail_on != "never" and at_least(findings, Severity(fail_on)):
        sys.exit(1)
