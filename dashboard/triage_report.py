"""What ``meshlens triage`` prints: the incidents, their suspects with evidence, whom they hurt
and what happened when, as text for people or JSON for tools. Pure."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from dashboard.analysis.triage import Triage, TriagedIncident, label
from dashboard.terminal import printable

__all__ = ["triage_json", "triage_text"]


def _hhmm(at: datetime) -> str:
    return f"{at:%H:%M}"


def _span(found: TriagedIncident) -> str:
    incident = found.incident
    if incident.end is None:
        return f"since {_hhmm(incident.start)} UTC, ongoing"
    minutes = round((incident.end - incident.start).total_seconds() / 60)
    return f"{_hhmm(incident.start)} to {_hhmm(incident.end)} UTC ({minutes} min)"


def incident_text(found: TriagedIncident, *, causes: int = 3, timeline: int = 12) -> list[str]:
    """The lines of one incident."""
    incident = found.incident
    lines = [
        f"{incident.severity.upper():8} {found.id}  {printable(found.title)}",
        f"         {_span(found)}; worst error ratio {incident.peak_error_ratio:.1%}, "
        f"worst p95 x{incident.peak_latency_factor:.1f} its baseline",
    ]
    if incident.entry_points:
        entries = ", ".join(printable(label(e)) for e in incident.entry_points)
        lines.append(f"         entry points affected: {entries}")
    lines.append("  suspected causes:")
    for rank, cause in enumerate(found.causes[:causes], start=1):
        lines.append(f"    {rank}. {printable(label(cause.node))}  (score {cause.score:.2f})")
        lines += [f"       - {printable(e.text)}" for e in cause.evidence]
    if found.impacted:
        impacted = ", ".join(
            f"{printable(label(node))} ({hops} hop{'s' * (hops != 1)})"
            for node, hops in found.impacted.items()
        )
        lines.append(f"  impacted upstream: {impacted}")
    lines.append("  timeline:")
    shown = found.timeline[:timeline]
    lines += [f"    {_hhmm(e.at)}  {e.kind:<10} {printable(e.text)}" for e in shown]
    if len(found.timeline) > timeline:
        lines.append(f"    ... {len(found.timeline) - timeline} more")
    return lines


def triage_text(report: Triage, *, limit: int = 10, causes: int = 3) -> str:
    """Every incident (newest first, at most ``limit``), then a one-line summary."""
    meta = report.analysis.snapshot.meta
    window = f"{meta.start:%Y-%m-%d %H:%M} to {meta.end:%H:%M} UTC"
    if not report.incidents:
        return f"No incidents in {window}: every service is within its baseline.\n"
    ongoing = sum(1 for i in report.incidents if i.incident.end is None)
    lines = [
        f"{len(report.incidents)} incident{'s' * (len(report.incidents) != 1)} in {window}, "
        f"{ongoing} ongoing (newest first)",
        "",
    ]
    for found in report.incidents[:limit]:
        lines += [*incident_text(found, causes=causes), ""]
    if len(report.incidents) > limit:
        lines.append(f"... {len(report.incidents) - limit} more (--limit)")
    return "\n".join(lines).rstrip("\n") + "\n"


def _incident_json(found: TriagedIncident) -> dict[str, Any]:
    incident = found.incident
    return {
        "id": found.id,
        "title": found.title,
        "severity": incident.severity,
        "start": incident.start.isoformat(),
        "end": incident.end.isoformat() if incident.end else None,
        "members": list(incident.actors),
        "entry_points": list(incident.entry_points),
        "peak_error_ratio": incident.peak_error_ratio,
        "peak_latency_factor": incident.peak_latency_factor,
        "causes": [
            {
                "node": c.node,
                "score": c.score,
                "evidence": [{"kind": e.kind, "text": e.text} for e in c.evidence],
            }
            for c in found.causes
        ],
        "impacted": found.impacted,
        "timeline": [
            {"at": e.at.isoformat(), "kind": e.kind, "node": e.node, "text": e.text}
            for e in found.timeline
        ],
    }


def triage_json(report: Triage) -> str:
    """Every incident with all its causes and timeline, as JSON."""
    meta = report.analysis.snapshot.meta
    body = {
        "window": {"start": meta.start.isoformat(), "end": meta.end.isoformat()},
        "incidents": [_incident_json(i) for i in report.incidents],
    }
    return json.dumps(body, indent=2) + "\n"
