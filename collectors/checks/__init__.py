"""Troubleshooting checks: cluster objects and the snapshot built from them in, findings out.

>>> findings = run_checks(objects.items, snapshot)  # doctest: +SKIP
>>> [f.code for f in findings if f.severity is Severity.ERROR]  # doctest: +SKIP
['POD001', 'IST002']

Each check lives in the module of what it looks at (:mod:`.pods`, :mod:`.workloads`,
:mod:`.services`, :mod:`.machines`, :mod:`.istio_routes`, :mod:`.istio_security`) and has a
stable code, a severity, a title and a hint; ``docs/checks.md`` lists them all. Checks run on
what the snapshot already holds and never call the network. Pure: nothing is modified.
"""

from __future__ import annotations

from collections.abc import Sequence

# Importing the check modules registers their checks.
from collectors.checks import (  # noqa: F401
    istio_routes,
    istio_security,
    machines,
    pods,
    services,
    workloads,
)
from collectors.checks._base import CHECKS, Check, CheckContext
from collectors.cluster import KubeObject
from collectors.inventory._objects import name_of, namespace_of
from collectors.kinds import NodeFlag, Severity
from collectors.model import Finding, Snapshot

__all__ = ["CHECKS", "SEVERITY_ORDER", "Check", "all_checks", "flag_findings", "run_checks"]

SEVERITY_ORDER = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}
"""Rank of each severity, worst first."""


def all_checks() -> list[Check]:
    """Every check, sorted by code."""
    return sorted(CHECKS, key=lambda known: known.code)


def run_checks(items: Sequence[KubeObject], snapshot: Snapshot) -> list[Finding]:
    """Run every check; findings come errors first, then by code, namespace and name."""
    context = CheckContext(items, snapshot)
    findings = []
    for known in CHECKS:
        for hit in known.run(context):
            findings.append(
                Finding(
                    code=known.code,
                    severity=known.severity,
                    kind=str(hit.obj.get("kind", "")),
                    namespace=namespace_of(hit.obj),
                    name=name_of(hit.obj),
                    message=hit.message,
                    hint=hit.hint or known.hint,
                    node=hit.node,
                )
            )
    findings.sort(key=lambda f: (SEVERITY_ORDER[f.severity], f.code, f.namespace, f.name))
    return findings


def flag_findings(snapshot: Snapshot, findings: Sequence[Finding]) -> None:
    """Mark the nodes findings are drawn on: CHECK_ERROR, or CHECK_WARNING when no error."""
    worst: dict[str, Severity] = {}
    for finding in findings:
        if not finding.node or finding.node not in snapshot.graph:
            continue
        known = worst.get(finding.node)
        if known is None or SEVERITY_ORDER[finding.severity] < SEVERITY_ORDER[known]:
            worst[finding.node] = finding.severity
    for node_id, severity in worst.items():
        if severity is Severity.ERROR:
            snapshot.node(node_id).flags.add(NodeFlag.CHECK_ERROR)
        elif severity is Severity.WARNING:
            snapshot.node(node_id).flags.add(NodeFlag.CHECK_WARNING)
