"""Hotspots: the workloads, Services and calls furthest from their own recent baseline now.

"Now" is the mean of the last ``slots`` slots before ``at``; the baseline is the one the
anomaly detector judged that moment against (frozen while a signal is anomalous). A hotspot's
score is its worst signal's distance from the baseline in units of that signal's own noise, so
a service that is always a little slow is not a hotspot and a quiet one that doubles is.
Services are the sum of the calls addressed to them.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np

from collectors.kinds import EdgeKind
from collectors.model import TrafficStats
from dashboard.analysis.anomaly import Detection, detect
from dashboard.analysis.breakdown import error_words
from dashboard.analysis.detection import Analysis, slot_seconds
from dashboard.analysis.signals import Matrix, fold
from dashboard.analysis.triage import label
from dashboard.topology._projection_merge import merge_traffic

__all__ = ["Hotspot", "hotspots"]

SIGNALS = ("error_ratio", "p95_ms", "requests")
MIN_SCORE = 4.0  # below this a signal is within its noise: not a hotspot


@dataclass(frozen=True, slots=True)
class Hotspot:
    """One entity far from its baseline, and in which way."""

    entity: str  # node id or call edge id
    kind: str  # "workload", "service" or "edge"
    label: str  # as people read it
    score: float  # the worst signal's distance from its baseline, in noise units
    signal: str  # that signal
    now: dict[str, float]
    baseline: dict[str, float]
    words: str  # the change and, when known, the codes and flags behind the errors
    node: str  # the node to open in Topology


def _describe(signal: str, now: float, base: float) -> str:
    if signal == "error_ratio":
        return f"error ratio {base:.1%} → {now:.1%}"
    if signal == "p95_ms":
        return f"p95 {base:.0f} → {now:.0f} ms"
    return f"requests {base:.2f} → {now:.2f}/s"


@dataclass
class _Family:
    """Signals of one kind of entity, and what each column is."""

    kind: str
    entities: list[str]
    labels: list[str]
    nodes: list[str]
    values: dict[str, Matrix]
    detections: dict[str, Detection]
    edge_ids: list[list[str]]  # the snapshot's call edges behind each column


def _service_family(analysis: Analysis) -> _Family:
    groups: dict[str, list[str]] = {}
    for edge in analysis.snapshot.edges(EdgeKind.CALLS):
        if edge.service:
            groups.setdefault(edge.service, []).append(edge.id)
    services = sorted(groups)
    requests, errors, p95 = analysis.signals.entity_frames
    total, failed, latency = fold(requests, errors, p95, [groups[s] for s in services])
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.clip(np.where(total > 0, failed / total, np.nan), 0.0, 1.0)
    values = {"error_ratio": ratio, "p95_ms": latency, "requests": total}
    seconds = slot_seconds(analysis.times)
    detections = {
        s: detect(values[s], analysis.rules[s], counts=total * seconds if s != "requests" else None)
        for s in SIGNALS
    }
    return _Family("service", services, [label(s) for s in services], services, values,
                   detections, [groups[s] for s in services])  # fmt: skip


def _families(analysis: Analysis) -> list[_Family]:
    found = analysis.signals
    actors = _Family("workload", list(found.actors), [label(a) for a in found.actors],
                     list(found.actors),
                     {s: analysis.actor_values(s) for s in SIGNALS}, analysis.actor,
                     [analysis.graph.inbound_edge_ids(a) for a in found.actors])  # fmt: skip
    call_labels = [f"{label(a)} → {label(b)}" for a, b in found.calls]
    calls = _Family("edge", [f"{a} → {b}" for a, b in found.calls], call_labels,
                    [b for _, b in found.calls],
                    {s: analysis.call_values(s) for s in SIGNALS}, analysis.call,
                    [analysis.graph.edge_ids(*c) for c in found.calls])  # fmt: skip
    return [actors, _service_family(analysis), calls]


def _stats_words(traffic: dict[str, TrafficStats], edge_ids: list[str]) -> str:
    """The codes and flags behind the errors, from the calls' stats over the snapshot's rate
    window (so only for "now"), as the callers saw them."""
    stats = [traffic[e] for e in edge_ids if e in traffic]
    return error_words(merge_traffic(stats)) if stats else ""


def hotspots(
    analysis: Analysis, *, at: int | None = None, slots: int = 5, limit: int = 20
) -> list[Hotspot]:
    """The entities furthest from their baseline over the ``slots`` slots ending at slot
    ``at`` (default: the last), worst first."""
    total = len(analysis.times)
    if total == 0:
        return []
    end = total - 1 if at is None else max(0, min(at, total - 1))
    window = slice(max(0, end - slots + 1), end + 1)
    traffic = {
        edge.id: edge.traffic
        for edge in analysis.snapshot.edges(EdgeKind.CALLS)
        if edge.traffic is not None
    }
    found: list[Hotspot] = []
    for family in _families(analysis):
        for column in range(len(family.entities)):
            best: tuple[float, str, float, float] | None = None
            now: dict[str, float] = {}
            base: dict[str, float] = {}
            for signal in SIGNALS:
                values = family.values[signal]
                detection = family.detections[signal]
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN: not seen
                    now[signal] = float(np.nanmean(values[window, column]))
                    score = float(np.nanmean(detection.score[window, column]))
                base[signal] = float(detection.baseline[end, column])
                flagged = detection.anomalous[window, column].any()
                if flagged and math.isfinite(score) and (best is None or score > best[0]):
                    best = (score, signal, now[signal], base[signal])
            if best is None or best[0] < MIN_SCORE:
                continue
            score, signal, value, baseline = best
            words = _describe(signal, value, baseline)
            explain = signal == "error_ratio" and end == total - 1
            codes = _stats_words(traffic, family.edge_ids[column]) if explain else ""
            found.append(Hotspot(family.entities[column], family.kind, family.labels[column],
                                 round(score, 1), signal, now, base,
                                 f"{words}; {codes}" if codes else words,
                                 family.nodes[column]))  # fmt: skip
    found.sort(key=lambda h: (-h.score, h.kind, h.label))
    return found[:limit]
