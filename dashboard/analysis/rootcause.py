"""Rank the likely root causes of an incident, each with the evidence behind its rank.

Candidates are the incident's anomalous actors and what they call directly (a database behind
a TCP connection shows no latency of its own in Istio telemetry: its callers are slow and it
is not). Each candidate is scored on four kinds of evidence, all shown to the user:

- **own anomaly** (weight 0.5): errors or latency of its own that its dependencies do not
  explain. A caller's expected error ratio from its calls is ``1 - prod(1 - e_call) ** k``
  with ``k`` calls per request, its expected extra latency ``sum(k x extra call p95)``;
  only what is left over counts. A caller's unexplained latency that no measured dependency
  accounts for passes, in part, to its unmeasured (TCP) dependencies.
- **onset** (0.15): how early along the call paths it went wrong (anomalies travel upstream).
- **changes** (0.25): a rollout, config change, restart or OOM kill, probe failure or
  scheduling trouble recorded on it shortly before or at the onset; and, for an incident
  still going on, check findings that are errors now (a crash loop, an active fault rule).
- **depth** (0.1): it calls no other anomalous member.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np

from collectors.kinds import ChangeKind, Severity
from collectors.model import Change, Finding
from dashboard.analysis.detection import Analysis
from dashboard.analysis.incidents import Incident
from dashboard.analysis.signals import Matrix

__all__ = ["WEIGHTS", "Candidate", "Evidence", "rank_causes"]

WEIGHTS = {"own": 0.5, "onset": 0.15, "change": 0.25, "depth": 0.1}
CHANGE_WEIGHTS = {
    ChangeKind.ROLLOUT: 1.0,
    ChangeKind.CONFIG: 1.0,
    ChangeKind.RESTART: 0.9,
    ChangeKind.SCHEDULING: 0.8,
    ChangeKind.PROBE: 0.6,
    ChangeKind.SCALE: 0.5,
    ChangeKind.EVENT: 0.4,
}
CHANGE_BEFORE = timedelta(minutes=30)  # how long before an onset a change is suspected
CHANGE_AFTER = timedelta(minutes=10)  # events are recorded late (probes fail after a while)
ONSET_SCALE_SLOTS = 5.0
ERROR_HALF = 0.05  # an unexplained error ratio scoring half of the "own" evidence
LATENCY_HALF = 1.0  # unexplained extra latency (x baseline) scoring half
MIN_LEFT_ERRORS = 0.02  # unexplained error ratio below this is left out
MIN_LEFT_SHARE = 0.1  # ... as is an unexplained part below this share of the whole
HIDDEN_SHARE = 0.8  # how much of a caller's unexplained latency passes to unmeasured deps


@dataclass(frozen=True, slots=True)
class Evidence:
    """One reason a candidate ranks where it does, in words."""

    kind: str  # "errors", "latency", "hidden", "onset", "change", "finding", "depth"
    text: str
    weight: float  # its share of the score


@dataclass(frozen=True, slots=True)
class Candidate:
    """A suspected root cause and why."""

    node: str
    score: float
    evidence: tuple[Evidence, ...]


@dataclass
class _Window:
    """The incident's first and last slot."""

    first: int
    last: int


def _mean(values: Matrix, window: slice, column: int) -> float:
    part = values[window, column]
    return float(np.nanmean(part)) if np.isfinite(part).any() else math.nan


def _baseline(analysis: Analysis, signal: str, column: int, first: int, *, calls: bool) -> float:
    detections = analysis.call if calls else analysis.actor
    value = detections[signal].baseline[first, column]
    return float(value)


class _Scorer:
    def __init__(self, analysis: Analysis, incident: Incident) -> None:
        self.a = analysis
        self.incident = incident
        self.window = _Window(incident.first, incident.last)
        self.members = {m.actor: m for m in incident.members}
        self.errors = analysis.actor_values("error_ratio")
        self.latency = analysis.actor_values("p95_ms")
        self.requests = analysis.actor_values("requests")
        self.call_errors = analysis.call_values("error_ratio")
        self.call_latency = analysis.call_values("p95_ms")
        self.call_requests = analysis.call_values("requests")

    def onset(self, actor: str) -> int:
        member = self.members.get(actor)
        return member.first if member else self.window.first

    def calls_per_request(self, caller: str, callee: str, first: int) -> float:
        try:
            column = self.a.signals.call_column(caller, callee)
            own = self.a.signals.column(caller)
        except KeyError:
            return 0.0
        before = slice(max(0, first - 15), first)
        sent = _mean(self.call_requests, before, column)
        served = _mean(self.requests, before, own)
        if not (np.isfinite(sent) and np.isfinite(served)) or served <= 0:
            return 1.0  # an entry point, or nothing before: one call per request
        return float(sent / served)

    def excess(self, actor: str, signal: str) -> tuple[float, float]:
        """(mean during the incident - baseline, baseline) of an actor's signal."""
        try:
            column = self.a.signals.column(actor)
        except KeyError:
            return math.nan, math.nan
        values = self.errors if signal == "error_ratio" else self.latency
        first = self.onset(actor)
        base = _baseline(self.a, signal, column, first, calls=False)
        during = _mean(values, slice(first, self.window.last + 1), column)
        return during - base, base

    def call_excess(self, caller: str, callee: str, signal: str, first: int) -> float:
        try:
            column = self.a.signals.call_column(caller, callee)
        except KeyError:
            return math.nan
        values = self.call_errors if signal == "error_ratio" else self.call_latency
        base = _baseline(self.a, signal, column, first, calls=True)
        return _mean(values, slice(first, self.window.last + 1), column) - base

    def unexplained_errors(self, actor: str) -> tuple[float, float, float]:
        """(own excess error ratio, expected from callees, baseline)."""
        own, base = self.excess(actor, "error_ratio")
        if not np.isfinite(own) or own <= 0:
            return 0.0, 0.0, base
        first = self.onset(actor)
        surviving = 1.0
        for callee in self.a.graph.callees(actor):
            extra = self.call_excess(actor, callee, "error_ratio", first)
            if np.isfinite(extra) and extra > 0:
                k = self.calls_per_request(actor, callee, first)
                surviving *= (1.0 - min(extra, 1.0)) ** max(k, 0.0)
        return own, 1.0 - surviving, base

    def unexplained_latency(self, actor: str) -> tuple[float, float, float, list[str]]:
        """(own extra p95 ms, expected from measured callees, baseline, unmeasured callees)."""
        own, base = self.excess(actor, "p95_ms")
        hidden: list[str] = []
        if not np.isfinite(own) or own <= 0 or not base > 0:
            return 0.0, 0.0, base, hidden
        first = self.onset(actor)
        expected = 0.0
        for callee in self.a.graph.callees(actor):
            extra = self.call_excess(actor, callee, "p95_ms", first)
            if np.isfinite(extra):
                expected += max(extra, 0.0) * self.calls_per_request(actor, callee, first)
            else:
                hidden.append(callee)
        return own, expected, base, hidden


def _saturating(value: float, half: float) -> float:
    return value / (value + half) if value > 0 else 0.0


def _name(node: str) -> str:
    return node.split("/", 1)[1] if "/" in node else node


def _pct(value: float) -> str:
    return f"{value * 100:.1f}%"


def _changes_near(
    changes: list[Change], nodes: list[str], onset: datetime
) -> list[tuple[float, Change]]:
    found = []
    for change in changes:
        if change.node not in nodes:
            continue
        last = change.last or change.at
        if change.at <= onset + CHANGE_AFTER and last >= onset - CHANGE_BEFORE:
            found.append((CHANGE_WEIGHTS.get(change.kind, 0.4), change))
    return sorted(found, key=lambda item: (-item[0], item[1].at))


FINDING_WEIGHTS = {Severity.ERROR: 0.7, Severity.WARNING: 0.4}


def _findings_on(findings: list[Finding], nodes: list[str]) -> list[Finding]:
    found = [f for f in findings if f.node in nodes and f.severity in FINDING_WEIGHTS]
    return sorted(found, key=lambda f: (-FINDING_WEIGHTS[f.severity], f.code))


def rank_causes(analysis: Analysis, incident: Incident, *, limit: int = 5) -> list[Candidate]:
    """The incident's likely root causes, most likely first, with their evidence."""
    scorer = _Scorer(analysis, incident)
    graph = analysis.graph
    members = set(scorer.members)
    candidates = sorted(members | {c for m in members for c in graph.callees(m)})
    own: dict[str, list[Evidence]] = {c: [] for c in candidates}
    own_score = dict.fromkeys(candidates, 0.0)
    hidden_score: dict[str, tuple[float, str]] = {}
    for actor in candidates:
        signals = scorer.members[actor].signals if actor in scorer.members else ()
        errors, expected, base = scorer.unexplained_errors(actor)
        left = max(0.0, errors - expected)
        # What dependencies nearly explain is noise in the estimate, not errors of its own.
        if left >= max(MIN_LEFT_ERRORS, MIN_LEFT_SHARE * errors) and "error_ratio" in signals:
            share = _saturating(left, ERROR_HALF)
            own_score[actor] = max(own_score[actor], share)
            explained = f", {_pct(expected)} explained by its dependencies" if expected else ""
            own[actor].append(Evidence("errors", f"error ratio up {_pct(errors)} over its "
                                       f"baseline {_pct(base)}{explained}", share))  # fmt: skip
        extra, expected_ms, base_ms, unmeasured = scorer.unexplained_latency(actor)
        left_ms = max(0.0, extra - expected_ms)
        if left_ms >= MIN_LEFT_SHARE * extra and base_ms > 0 and "p95_ms" in signals:
            share = _saturating(left_ms / base_ms, LATENCY_HALF)
            text = (f"p95 {base_ms:.0f} → {base_ms + extra:.0f} ms; its measured dependencies "
                    f"explain {expected_ms:.0f} ms")  # fmt: skip
            if unmeasured:
                share /= 2  # shared with dependencies it may be waiting on
                for callee in (c for c in unmeasured if c in own_score):
                    passed = HIDDEN_SHARE * share * 2
                    if passed > hidden_score.get(callee, (0.0, ""))[0]:
                        hidden_score[callee] = (passed, actor)
            own_score[actor] = max(own_score[actor], share)
            own[actor].append(Evidence("latency", text, share))
    for callee, (passed, caller) in hidden_score.items():
        if passed > own_score[callee]:
            own_score[callee] = passed
            own[callee].append(Evidence("hidden", f"{_name(caller)} is slower than its measured "
                                        "dependencies explain, and it waits on this one, which "
                                        "Istio reports no latency for (TCP)", passed))  # fmt: skip
    ranked = [_candidate(analysis, scorer, incident, c, own_score[c], own[c]) for c in candidates]
    # A dependency with nothing against it is not a suspect: leave it out rather than rank it.
    ranked = [c for c in ranked if c.node in scorer.members or c.evidence]
    ranked.sort(key=lambda c: (-c.score, c.node))
    return ranked[:limit]


def _candidate(
    analysis: Analysis,
    scorer: _Scorer,
    incident: Incident,
    actor: str,
    own_score: float,
    own: list[Evidence],
) -> Candidate:
    evidence = list(own)
    onset_slot = scorer.onset(actor)
    delay = max(0, onset_slot - incident.first)
    member = actor in scorer.members
    onset_score = math.exp(-delay / ONSET_SCALE_SLOTS) if member else 0.5 * bool(own)
    onset = analysis.time(onset_slot)
    if actor in scorer.members:
        when = "when the incident began" if delay == 0 else f"{delay} min after it began"
        evidence.append(Evidence("onset", f"anomalous from {onset:%H:%M} UTC, {when}",
                                 onset_score))  # fmt: skip
    change_score = 0.0
    aliases = analysis.graph.aliases(actor)
    for weight, change in _changes_near(analysis.snapshot.changes, aliases, onset)[:3]:
        change_score = max(change_score, weight)
        lead = (onset - change.at).total_seconds() / 60
        if lead >= 1:
            timing = f"{lead:.0f} min before the onset"
        else:
            timing = f"{-lead:.0f} min after the onset" if lead <= -1 else "at the onset"
        evidence.append(Evidence("change", f"{change.kind.value}: {change.object}: "
                                 f"{change.message} ({change.at:%H:%M}, {timing})",
                                 weight))  # fmt: skip
    if incident.end is None:
        for finding in _findings_on(analysis.snapshot.findings, aliases)[:2]:
            weight = FINDING_WEIGHTS[finding.severity]
            change_score = max(change_score, weight)
            evidence.append(Evidence("finding", f"{finding.code} {finding.object}: "
                                     f"{finding.message}", weight))  # fmt: skip
    members = set(scorer.members)
    deeper = members & set(analysis.graph.callees(actor)) - {actor}
    suspect = member or any(e.kind == "hidden" for e in own)
    depth_score = 1.0 if suspect and not deeper else 0.0
    if depth_score:
        evidence.append(Evidence("depth", "calls no other anomalous service", 1.0))
    score = (
        WEIGHTS["own"] * own_score
        + WEIGHTS["onset"] * onset_score
        + WEIGHTS["change"] * change_score
        + WEIGHTS["depth"] * depth_score
    )
    return Candidate(actor, round(score, 4), tuple(evidence))
