"""What ``meshlens check`` prints: findings as text for people or JSON for pipelines. Pure."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence

from collectors.checks import SEVERITY_ORDER, Check
from collectors.model import Finding, Severity, SourceStatus
from dashboard.terminal import printable


def at_least(findings: Sequence[Finding], severity: Severity) -> list[Finding]:
    """The findings as severe as ``severity`` or more."""
    return [f for f in findings if SEVERITY_ORDER[f.severity] <= SEVERITY_ORDER[severity]]


def summary_line(findings: Sequence[Finding], checks: int) -> str:
    """``2 errors, 5 warnings, 0 info on 6 objects (34 checks)``."""
    counts = Counter(f.severity for f in findings)
    objects = len({(f.kind, f.namespace, f.name) for f in findings})
    errors = counts[Severity.ERROR]
    warnings = counts[Severity.WARNING]
    return (
        f"{errors} error{'s' * (errors != 1)}, {warnings} warning{'s' * (warnings != 1)}, "
        f"{counts[Severity.INFO]} info on {objects} object{'s' * (objects != 1)} "
        f"({checks} checks)"
    )


def report_text(findings: Sequence[Finding], checks: int) -> str:
    """One block per finding (severity, code, object; message; hint), then the summary."""
    lines = []
    for finding in findings:
        lines.append(
            f"{finding.severity.value.upper():<8} {finding.code}  {printable(finding.object)}"
        )
        lines.append(f"         {printable(finding.message)}")
        lines.append(f"         hint: {finding.hint}")
    lines.append(summary_line(findings, checks))
    return "\n".join(lines) + "\n"


def report_json(findings: Sequence[Finding], sources: Sequence[SourceStatus]) -> str:
    """The findings and what each source could not read, as one JSON document."""
    body = {
        "findings": [
            {
                "code": f.code,
                "severity": f.severity.value,
                "kind": f.kind,
                "namespace": f.namespace,
                "name": f.name,
                "message": f.message,
                "hint": f.hint,
            }
            for f in findings
        ],
        "sources": [
            {
                "name": s.name,
                "kind": s.kind,
                "state": s.state.value,
                "detail": s.detail,
                "missing": s.missing,
            }
            for s in sources
        ],
    }
    return json.dumps(body, indent=2) + "\n"


def checks_text(checks: Sequence[Check]) -> str:
    """The list of checks: code, severity, title."""
    return "".join(f"{c.code}  {c.severity.value:<8} {c.title}\n" for c in checks)
