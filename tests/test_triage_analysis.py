"""Triage analysis on small hand-built platforms: a chain, a fan-in, a diamond, a cycle, an
unknown peer, and a database Istio cannot time. Each has one fault with a known cause."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest
from triage_graphs import Fault, Platform, names, onset_time, snapshot_of, wid

from collectors.kinds import ChangeKind
from collectors.model import Change
from dashboard.analysis.anomaly import RULES, detect, episodes
from dashboard.analysis.callgraph import focus
from dashboard.analysis.hotspots import hotspots
from dashboard.analysis.triage import rank_by_error_z, triage

ONSET = 80  # minute of the fault in every platform here


def only_incident(platform: Platform):  # type: ignore[no-untyped-def]
    report = triage(snapshot_of(platform))
    assert len(report.incidents) == 1, [i.id for i in report.incidents]
    return report, report.incidents[0]


def test_a_chain_blames_the_far_end_and_names_who_it_hurts() -> None:
    platform = Platform([("a", "b"), ("b", "c")], {"c": Fault(error_share=0.4)})
    _, found = only_incident(platform)
    assert names(c.node for c in found.causes)[0] == "c"
    assert sorted(names(found.incident.actors)) == ["b", "c"]
    assert found.impacted == {wid("b"): 1, wid("a"): 2}
    assert found.incident.entry_points == (wid("a"),)
    # Onset within two minutes of the fault, still going on at the end.
    assert abs(found.incident.start - onset_time(ONSET)) <= timedelta(minutes=2)
    assert found.incident.end is None
    errors = next(e for e in found.causes[0].evidence if e.kind == "errors")
    assert "error ratio up 40.0%" in errors.text
    # b's errors are all explained by c: b gets no "errors" evidence of its own.
    b = next(c for c in found.causes if c.node == wid("b"))
    assert not [e for e in b.evidence if e.kind == "errors"]
    assert found.causes[0].score > b.score


def test_a_fan_in_blames_the_shared_dependency_and_lists_both_callers() -> None:
    platform = Platform([("a", "c"), ("b", "c"), ("c", "d")], {"c": Fault(error_share=0.3)})
    _, found = only_incident(platform)
    assert names(c.node for c in found.causes)[0] == "c"
    assert set(found.incident.entry_points) == {wid("a"), wid("b")}
    # d, below the fault, is healthy and no suspect at all.
    assert wid("d") not in [c.node for c in found.causes]


def test_a_diamond_blames_the_bottom_not_the_two_paths_to_it() -> None:
    calls = [("a", "b"), ("a", "c"), ("b", "d"), ("c", "d")]
    _, found = only_incident(Platform(calls, {"d": Fault(error_share=0.25)}))
    ranked = names(c.node for c in found.causes)
    assert ranked[0] == "d"
    assert set(ranked[1:3]) == {"b", "c"}
    assert found.impacted == {wid("b"): 1, wid("c"): 1, wid("a"): 2}


def test_a_diamond_with_a_slow_side_blames_the_slow_side() -> None:
    calls = [("a", "b"), ("a", "c"), ("b", "d"), ("c", "d")]
    _, found = only_incident(Platform(calls, {"b": Fault(latency_factor=12.0)}))
    assert names(c.node for c in found.causes)[0] == "b"
    latency = next(e for e in found.causes[0].evidence if e.kind == "latency")
    # b's own 10 ms and d's 10 ms before; its own 120 ms and d's 10 ms after.
    assert latency.text.startswith("p95 20 → 130 ms")


def test_a_cycle_terminates_and_blames_the_service_that_fails() -> None:
    calls = [("gw", "a"), ("a", "b"), ("b", "a"), ("b", "c")]
    _, found = only_incident(Platform(calls, {"c": Fault(error_share=0.5)}))
    assert names(c.node for c in found.causes)[0] == "c"
    assert wid("gw") in found.incident.entry_points


def test_an_unknown_caller_is_an_entry_point_and_an_unknown_callee_a_suspect() -> None:
    platform = Platform(
        [("outside", "a"), ("a", "b"), ("b", "legacy")],
        {"legacy": Fault(error_share=0.6)},
        unknown={"outside", "legacy"},
    )
    _, found = only_incident(platform)
    top = found.causes[0].node
    assert top == platform.node("legacy")
    assert platform.node("outside") in found.incident.entry_points


def test_latency_behind_a_tcp_call_points_at_the_database() -> None:
    platform = Platform(
        [("a", "b"), ("b", "db")], {"db": Fault(latency_factor=8.0)}, tcp={("b", "db")}
    )
    _, found = only_incident(platform)
    assert names(found.incident.actors) == ["b"]  # Istio times nothing of db's
    assert names(c.node for c in found.causes)[:2] == ["db", "b"]
    assert found.causes[0].evidence[0].kind == "hidden"


def test_a_rollout_at_the_onset_is_shown_as_evidence() -> None:
    rollout = Change(onset_time(ONSET - 2), ChangeKind.ROLLOUT, "Deployment shop/c",
                     "rolled out revision 4 (image shop/c:1.3)", node=wid("c"))  # fmt: skip
    unrelated = Change(onset_time(5), ChangeKind.ROLLOUT, "Deployment shop/b",
                       "rolled out revision 9", node=wid("b"))  # fmt: skip
    platform = Platform(
        [("a", "b"), ("b", "c")], {"c": Fault(error_share=0.1)}, changes=[rollout, unrelated]
    )
    _, found = only_incident(platform)
    top = found.causes[0]
    change = next(e for e in top.evidence if e.kind == "change")
    assert change.text.startswith("rollout: Deployment shop/c: rolled out revision 4")
    assert "2 min before the onset" in change.text
    b = next(c for c in found.causes if c.node == wid("b"))
    assert not [e for e in b.evidence if e.kind == "change"]  # 75 minutes earlier: not near
    assert [e.kind for e in found.timeline] == ["rollout", "onset", "onset"]


def test_a_healthy_platform_has_no_incident() -> None:
    report = triage(snapshot_of(Platform([("a", "b"), ("b", "c")])))
    assert report.incidents == []


def test_the_error_z_baseline_ranks_by_error_jump() -> None:
    platform = Platform([("a", "b"), ("b", "c")], {"c": Fault(error_share=0.4)})
    report = triage(snapshot_of(platform))
    ranked = rank_by_error_z(report.analysis, ONSET, ONSET + 20)
    assert set(names(ranked[:2])) == {"b", "c"}


def test_focus_walks_hops_up_and_down() -> None:
    calls = [("gw", "a"), ("a", "b"), ("b", "c"), ("c", "d")]
    report = triage(snapshot_of(Platform(calls)))
    view = focus(report.analysis.graph, wid("b"), up=1, down=2)
    assert view.upstream == {wid("a"): 1}
    assert view.downstream == {wid("c"): 1, wid("d"): 2}
    assert view.entry_points == (wid("gw"),)


@pytest.mark.parametrize("gap", [3, 15])
def test_a_step_is_one_episode_and_a_long_gap_makes_two(gap: int) -> None:
    rng = np.random.default_rng(1)
    values = 0.001 + rng.normal(0, 0.0005, (120, 1)).clip(-0.001)
    values[60:80] = 0.3
    values[80 + gap : 100 + gap] = 0.3
    detection = detect(values, RULES["error_ratio"])
    found = episodes(values, detection, "error_ratio")
    assert len(found) == (1 if gap <= 10 else 2)
    assert found[0].first == 60
    assert found[0].baseline == pytest.approx(0.001, abs=0.001)


def test_the_baseline_stays_frozen_through_a_long_incident() -> None:
    values = np.full((300, 1), 10.0)
    values[50:] = 50.0  # latency x5 for four hours
    detection = detect(values, RULES["p95_ms"])
    assert detection.anomalous[50:, 0].all()
    assert detection.baseline[-1, 0] == pytest.approx(10.0)


def test_hotspots_rank_what_moved_furthest_from_its_own_baseline() -> None:
    platform = Platform([("a", "b"), ("b", "c")], {"c": Fault(error_share=0.4)})
    report = triage(snapshot_of(platform))
    found = hotspots(report.analysis, limit=10)
    # c fails 40% of its requests and b fails the same 40% with it: both moved as far.
    assert {(h.kind, h.label) for h in found} == {
        ("workload", "shop/c"), ("service", "shop/c"), ("edge", "shop/b → shop/c"),
        ("workload", "shop/b"), ("service", "shop/b"), ("edge", "shop/a → shop/b"),
    }  # fmt: skip
    assert all(h.signal == "error_ratio" for h in found)
    assert found[0].words.startswith("error ratio 0.0% → 40.")
    # Before the fault, nothing is a hotspot.
    assert hotspots(report.analysis, at=ONSET - 5) == []


def test_a_healthy_platform_has_no_hotspots() -> None:
    report = triage(snapshot_of(Platform([("a", "b"), ("b", "c")])))
    assert hotspots(report.analysis) == []
