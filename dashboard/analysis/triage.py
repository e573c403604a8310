"""Triage of a snapshot: what is wrong, where it most likely started, what it affects, and
what changed, for every incident. The one entry point the page, the CLI and notebooks call.

>>> from collectors.sources.demo import demo_snapshot
>>> report = triage(demo_snapshot())  # doctest: +SKIP
>>> report.incidents[0].title  # doctest: +SKIP
'boutique/adservice: errors'
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np

from collectors.model import Incident as GroundTruth
from collectors.model import Snapshot
from dashboard.analysis.detection import Analysis, analyse
from dashboard.analysis.incidents import Incident, find_incidents
from dashboard.analysis.rootcause import Candidate, rank_causes
from dashboard.analysis.service_series import label

__all__ = [
    "TimelineEntry",
    "Triage",
    "TriagedIncident",
    "label",
    "match_truth",
    "rank_by_error_z",
    "triage",
]

SIGNAL_WORDS = {"error_ratio": "errors", "p95_ms": "latency", "requests": "traffic drop"}
TIMELINE_BEFORE = timedelta(minutes=30)
Z_STD_FLOOR = 0.001


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    """One line of an incident's timeline."""

    at: datetime
    kind: str  # "onset", "end", or a change kind ("rollout", "restart", "config"...)
    node: str
    text: str
    warning: bool = False


@dataclass
class TriagedIncident:
    """An incident with its ranked causes, whom it hurts, and its timeline."""

    incident: Incident
    causes: list[Candidate]
    impacted: dict[str, int]  # anomalous callers of the top cause, with their distance
    timeline: list[TimelineEntry] = field(default_factory=list)

    @property
    def id(self) -> str:
        """Stable id: start minute and the top suspect."""
        top = self.causes[0].node if self.causes else self.incident.actors[0]
        return f"{self.incident.start:%Y%m%dT%H%M}-{top.rsplit('/', 1)[-1]}"

    @property
    def title(self) -> str:
        """``suspect: errors, latency`` in one line."""
        top = self.causes[0].node if self.causes else self.incident.actors[0]
        signals = sorted({s for m in self.incident.members for s in m.signals})
        return f"{label(top)}: {', '.join(SIGNAL_WORDS[s] for s in signals)}"

    @property
    def nodes(self) -> set[str]:
        """The incident's subgraph: members, suspects and entry points."""
        return {
            *self.incident.actors,
            *(c.node for c in self.causes),
            *self.incident.entry_points,
        }


@dataclass
class Triage:
    """Every incident in a snapshot, most recent first."""

    analysis: Analysis
    incidents: list[TriagedIncident]

    def find(self, incident_id: str) -> TriagedIncident | None:
        """The incident with this id, if it is still in the window."""
        return next((i for i in self.incidents if i.id == incident_id), None)


def _timeline(
    analysis: Analysis, incident: Incident, causes: list[Candidate]
) -> list[TimelineEntry]:
    entries = [
        TimelineEntry(
            analysis.time(m.first),
            "onset",
            m.actor,
            f"{label(m.actor)}: {', '.join(SIGNAL_WORDS[s] for s in m.signals)} anomalous",
        )
        for m in incident.members
    ]
    if incident.end is not None:
        entries.append(TimelineEntry(incident.end, "end", "", "back to baseline"))
    involved = {
        alias
        for actor in (*incident.actors, *(c.node for c in causes))
        for alias in analysis.graph.aliases(actor)
    }
    end = incident.end or analysis.snapshot.meta.end
    for change in analysis.snapshot.changes:
        last = change.last or change.at
        if (
            change.node in involved
            and change.at <= end
            and last >= incident.start - TIMELINE_BEFORE
        ):
            entries.append(TimelineEntry(change.at, change.kind.value, change.node,
                                         f"{change.object}: {change.message}",
                                         change.warning))  # fmt: skip
    return sorted(entries, key=lambda e: (e.at, e.kind != "onset", e.text))


def triage(snapshot: Snapshot, *, analysis: Analysis | None = None) -> Triage:
    """Detect incidents in ``snapshot`` and rank the causes of each."""
    analysis = analysis or analyse(snapshot)
    found: list[TriagedIncident] = []
    for incident in find_incidents(analysis):
        causes = rank_causes(analysis, incident)
        top = causes[0].node if causes else incident.actors[0]
        members = set(incident.actors)
        impacted = {a: d for a, d in analysis.graph.upstream(top, hops=len(members) + 1).items()
                    if a in members or a in incident.entry_points}  # fmt: skip
        found.append(TriagedIncident(incident, causes, impacted,
                                     _timeline(analysis, incident, causes)))  # fmt: skip
    return Triage(analysis, found)


def match_truth(report: Triage, truth: GroundTruth) -> TriagedIncident | None:
    """The detected incident that stands for an injected one: overlapping it in time and
    naming its root cause among members or suspects; the best ranked such one."""
    stop = truth.end or report.analysis.snapshot.meta.end
    overlapping = [
        i
        for i in report.incidents
        if i.incident.start <= stop + timedelta(minutes=5)
        and (i.incident.end or stop) >= truth.start - timedelta(minutes=5)
        and truth.root_cause in {*i.incident.actors, *(c.node for c in i.causes)}
    ]

    def rank(candidate: TriagedIncident) -> int:
        names = [c.node for c in candidate.causes]
        return names.index(truth.root_cause) if truth.root_cause in names else len(names)

    return min(overlapping, key=lambda i: (rank(i), i.incident.start), default=None)


def rank_by_error_z(analysis: Analysis, first: int, last: int) -> list[str]:
    """The baseline ranking (N-sigma on error ratio, as in RCAEval): actors by the largest
    |z-score| of their error ratio between slots ``first`` and ``last``, z taken against the
    mean and standard deviation before ``first`` (floored at 0.1 percentage point, so a series
    that was exactly flat does not divide by zero)."""
    ratio = analysis.actor_values("error_ratio")
    normal = ratio[: max(1, first)]
    with warnings.catch_warnings(), np.errstate(invalid="ignore", divide="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)  # columns never seen: all NaN
        mean = np.nanmean(normal, axis=0)
        std = np.maximum(np.nan_to_num(np.nanstd(normal, axis=0)), Z_STD_FLOOR)
        z = np.abs(ratio[first : last + 1] - np.nan_to_num(mean)) / std
    best = np.nan_to_num(np.nanmax(np.where(np.isnan(z), -1.0, z), axis=0, initial=-1.0), nan=-1)
    actors = analysis.signals.actors
    order = sorted(range(len(actors)), key=lambda i: (-best[i], actors[i]))
    return [actors[i] for i in order if best[i] > 0]
