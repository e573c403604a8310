"""One pass over a snapshot: the call graph, its signals, and every anomaly episode in them.

Everything triage shows is derived from one :class:`Analysis`, so the hotspots, the incidents
and the ranked causes of a snapshot always agree. Build it once per snapshot and keep it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import pandas as pd

from collectors.model import Snapshot
from dashboard.analysis.anomaly import RULES, Detection, Episode, Rule, detect, episodes
from dashboard.analysis.callgraph import CallGraph, call_graph
from dashboard.analysis.signals import DEFAULT_RESOLUTION, Matrix, Signals, signals

__all__ = ["ACTOR_SIGNALS", "Analysis", "analyse"]

ACTOR_SIGNALS = ("error_ratio", "p95_ms", "requests")


@dataclass
class Analysis:
    """A snapshot's call graph, signals and anomaly detections, actors and calls alike."""

    snapshot: Snapshot
    graph: CallGraph
    signals: Signals
    rules: dict[str, Rule]
    actor: dict[str, Detection] = field(default_factory=dict)  # signal -> detection
    call: dict[str, Detection] = field(default_factory=dict)
    actor_episodes: list[Episode] = field(default_factory=list)
    call_episodes: list[Episode] = field(default_factory=list)

    @property
    def times(self) -> pd.DatetimeIndex:
        """The slots' times (each slot's end)."""
        return self.signals.times

    def time(self, slot: int) -> datetime:
        """The time of one slot."""
        return pd.Timestamp(self.signals.times[slot]).to_pydatetime()

    def actor_values(self, signal: str) -> Matrix:
        """The actors' matrix of one signal."""
        return _values(self.signals, signal, calls=False)

    def call_values(self, signal: str) -> Matrix:
        """The calls' matrix of one signal."""
        return _values(self.signals, signal, calls=True)


def _values(found: Signals, signal: str, *, calls: bool) -> Matrix:
    if signal == "error_ratio":
        return found.call_error_ratio if calls else found.error_ratio
    if signal == "p95_ms":
        return found.call_p95_ms if calls else found.p95_ms
    if signal == "requests":
        return found.call_requests if calls else found.requests
    raise KeyError(f"unknown signal {signal!r}")


def slot_seconds(times: pd.DatetimeIndex) -> float:
    """Length of one slot in seconds (60 when there are too few slots to tell)."""
    if len(times) < 2:
        return 60.0
    return float((times[1] - times[0]).total_seconds())


def analyse(
    snapshot: Snapshot,
    *,
    rules: dict[str, Rule] | None = None,
    resolution: str = DEFAULT_RESOLUTION,
) -> Analysis:
    """Build the call graph, compute signals and detect anomalies in every one of them."""
    graph = call_graph(snapshot)
    result = Analysis(snapshot, graph, signals(snapshot, graph, resolution=resolution),
                      dict(rules or RULES))  # fmt: skip
    seconds = slot_seconds(result.times)
    for name in ACTOR_SIGNALS:
        rule = result.rules[name]
        ratio = name != "requests"  # errors and latency are judged against their counts
        values = result.actor_values(name)
        counts = result.signals.requests * seconds if ratio else None
        result.actor[name] = detect(values, rule, counts=counts)
        result.actor_episodes += episodes(values, result.actor[name], name)
        values = result.call_values(name)
        counts = result.signals.call_requests * seconds if ratio else None
        result.call[name] = detect(values, rule, counts=counts)
        result.call_episodes += episodes(values, result.call[name], name)
    return result
