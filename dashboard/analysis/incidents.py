"""Incidents: anomalies grouped in time and along the call graph.

Each actor's episodes (of any signal) that overlap in time become one actor episode. Two actor
episodes belong to the same incident when their actors call one another, their times overlap
(give or take ``slack`` slots) and they began within ``onset_slack`` slots of each other:
errors and latency travel along calls within minutes, while a second failure that starts an
hour into a long one, next to it, is a second incident.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import networkx as nx
import numpy as np

from dashboard.analysis.anomaly import Episode
from dashboard.analysis.detection import Analysis

__all__ = ["ActorEpisode", "Incident", "find_incidents"]

SEVERITIES = ("critical", "major", "minor")


@dataclass(frozen=True, slots=True)
class ActorEpisode:
    """An actor's overlapping anomalies: the signals that were off and for how long."""

    actor: str
    first: int
    last: int
    ongoing: bool
    episodes: tuple[Episode, ...]

    @property
    def signals(self) -> tuple[str, ...]:
        """The anomalous signals, in a fixed order."""
        return tuple(sorted({e.signal for e in self.episodes}))


@dataclass(frozen=True, slots=True)
class Incident:
    """Anomalous actors that belong together; the unit an on-call engineer works on."""

    id: str
    start: datetime
    end: datetime | None  # None: still going on at the end of the window
    first: int  # slot of the start
    last: int  # slot of the last anomalous point
    members: tuple[ActorEpisode, ...]  # earliest first
    entry_points: tuple[str, ...]  # entry points whose users feel it
    severity: str  # "critical", "major" or "minor"
    peak_error_ratio: float  # worst error ratio among the members
    peak_latency_factor: float  # worst p95 over its baseline among the members

    @property
    def actors(self) -> tuple[str, ...]:
        """The anomalous actors."""
        return tuple(m.actor for m in self.members)


def _actor_episodes(analysis: Analysis, slack: int) -> list[ActorEpisode]:
    by_actor: dict[int, list[Episode]] = {}
    for episode in analysis.actor_episodes:
        by_actor.setdefault(episode.column, []).append(episode)
    merged: list[ActorEpisode] = []
    for column, found in sorted(by_actor.items()):
        found.sort(key=lambda e: e.first)
        group = [found[0]]
        for episode in found[1:]:
            if episode.first <= max(e.last for e in group) + slack:
                group.append(episode)
            else:
                merged.append(_merge(analysis.signals.actors[column], group))
                group = [episode]
        merged.append(_merge(analysis.signals.actors[column], group))
    return merged


def _merge(actor: str, group: list[Episode]) -> ActorEpisode:
    return ActorEpisode(
        actor,
        min(e.first for e in group),
        max(e.last for e in group),
        any(e.ongoing for e in group),
        tuple(sorted(group, key=lambda e: (e.first, e.signal))),
    )


def _overlap(a: ActorEpisode, b: ActorEpisode, slack: int) -> bool:
    return a.first <= b.last + slack and b.first <= a.last + slack


def _severity(peak_error: float, peak_latency: float, entries: int) -> str:
    if peak_error >= 0.1 and entries:
        return "critical"
    if peak_error >= 0.05 or peak_latency >= 3.0:
        return "major"
    return "minor"


def _peaks(members: Iterable[ActorEpisode]) -> tuple[float, float]:
    error, latency = 0.0, 1.0
    for member in members:
        for episode in member.episodes:
            if episode.signal == "error_ratio":
                error = max(error, episode.peak_value)
            elif episode.signal == "p95_ms" and episode.baseline > 0:
                latency = max(latency, episode.peak_value / episode.baseline)
    return error, latency


def find_incidents(analysis: Analysis, *, slack: int = 5, onset_slack: int = 15) -> list[Incident]:
    """Group the analysis' anomalies into incidents, most recent first."""
    members = _actor_episodes(analysis, slack)
    linked = nx.Graph()
    linked.add_nodes_from(range(len(members)))
    calls = analysis.graph.graph
    for i, a in enumerate(members):
        for j in range(i + 1, len(members)):
            b = members[j]
            adjacent = calls.has_edge(a.actor, b.actor) or calls.has_edge(b.actor, a.actor)
            together = abs(a.first - b.first) <= onset_slack and _overlap(a, b, slack)
            if adjacent and together:
                linked.add_edge(i, j)
    incidents: list[Incident] = []
    for component in nx.connected_components(linked):
        group = sorted((members[i] for i in component), key=lambda m: (m.first, m.actor))
        incidents.append(_incident(analysis, group))
    incidents.sort(key=lambda incident: (incident.start, incident.id), reverse=True)
    return incidents


def _incident(analysis: Analysis, group: list[ActorEpisode]) -> Incident:
    first = min(m.first for m in group)
    last = max(m.last for m in group)
    ongoing = any(m.ongoing for m in group)
    entries: set[str] = set()
    graph = analysis.graph
    for member in group:
        entries.update(graph.focus_entries(member.actor))
    error, latency = _peaks(group)
    start = analysis.time(first)
    actors = {m.actor for m in group}
    # Named after the earliest member that calls no other member: where it most likely began.
    deepest = [m for m in group if not actors & set(graph.callees(m.actor)) - {m.actor}]
    name = (deepest or group)[0].actor.rsplit("/", 1)[-1]
    return Incident(
        id=f"{start:%Y%m%dT%H%M}-{name}",
        start=start,
        end=None if ongoing else analysis.time(last),
        first=first,
        last=last,
        members=tuple(group),
        entry_points=tuple(sorted(entries)),
        severity=_severity(error, latency, len(entries)),
        peak_error_ratio=float(np.round(error, 6)),
        peak_latency_factor=float(np.round(latency, 3)),
    )
