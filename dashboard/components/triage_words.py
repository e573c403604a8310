"""How the Triage page words an incident: when, how long, how bad. Pure, and worded as
``meshlens triage`` prints it (``dashboard.triage_report``), so page and report agree.

>>> hops_text(1), hops_text(3)
('1 hop', '3 hops')
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from dashboard.analysis.incidents import Incident
from dashboard.analysis.triage import TriagedIncident, label

__all__ = [
    "SEVERITY_COLOURS",
    "count_text",
    "entry_text",
    "hops_text",
    "peaks_text",
    "span_text",
]

SEVERITY_COLOURS: Mapping[str, str] = {
    "critical": "danger",
    "major": "warning",
    "minor": "secondary",
}
"""Bootstrap colours of the incident severity badges."""


def _minutes(start: datetime, end: datetime) -> int:
    return round((end - start).total_seconds() / 60)


def span_text(incident: Incident, snapshot_end: datetime) -> str:
    """``since 11:10 UTC, ongoing (50 min)`` or ``07:59 to 09:09 UTC (70 min)``."""
    if incident.end is None:
        minutes = _minutes(incident.start, snapshot_end)
        return f"since {incident.start:%H:%M} UTC, ongoing ({minutes} min)"
    minutes = _minutes(incident.start, incident.end)
    return f"{incident.start:%H:%M} to {incident.end:%H:%M} UTC ({minutes} min)"


def peaks_text(incident: Incident) -> str:
    """``worst error ratio 30.1%, worst p95 x1.0 its baseline``."""
    return (
        f"worst error ratio {incident.peak_error_ratio:.1%}, "
        f"worst p95 x{incident.peak_latency_factor:.1f} its baseline"
    )


def hops_text(hops: int) -> str:
    """``1 hop``, ``2 hops``."""
    return f"{hops} hop{'s' * (hops != 1)}"


def count_text(shown: Sequence[TriagedIncident], where: str) -> str:
    """``5 incidents in 06:00 to 12:00 UTC, 3 ongoing (newest first)``."""
    ongoing = sum(1 for found in shown if found.incident.end is None)
    plural = "s" * (len(shown) != 1)
    return f"{len(shown)} incident{plural} in {where}, {ongoing} ongoing (newest first)"


def entry_text(entry_points: Sequence[str]) -> str:
    """``entry points affected: istio-system/istio-ingressgateway`` ("" when none)."""
    if not entry_points:
        return ""
    return "entry points affected: " + ", ".join(label(entry) for entry in entry_points)
