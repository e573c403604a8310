"""Pluggable demo scenarios: each fault kind shows what a user would see, and the evaluation set
is deterministic, covers every kind, and roots each case in a workload that serves traffic."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pandas as pd
import pytest

from collectors.cluster import KubeObject
from collectors.demo import generate_demo
from collectors.demo.scenarios import (
    EVAL_KINDS,
    BadRollout,
    CrashLooping,
    DependencyOutage,
    EvalCase,
    FaultInjection,
    Latency,
    PastRestart,
    ResourceExhaustion,
    RoutineRollout,
    SteadyErrors,
    eval_cases,
)
from collectors.ids import node_id
from collectors.kinds import EdgeKind, FaultKind, NodeKind
from collectors.model import Edge, Snapshot
from collectors.sources.demo import demo_snapshot

HOURS = 1.0  # 240 points at 15 s: 0.5 of the window is 11:30 UTC, 0.8 is 11:48


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


FAULTS = (
    DependencyOutage("bookinfo/details-v1", 0.5),
    ResourceExhaustion("bookinfo/ratings-v1", 0.4, None, 8.0, 0.1),
    FaultInjection("boutique/shippingservice", 0.5, None, 40.0, 555),
    FaultInjection("bookinfo/reviews", 0.5, None, 20.0, 503),
    BadRollout("boutique/currencyservice", 0.3, 0.7, 0.5),
    CrashLooping("boutique/emailservice", 0.6),
    Latency("ml-platform/ml-postgres", 0.5, 0.8, 30.0),
    DependencyOutage("boutique/paymentservice", 0.2, 0.4),
)
"""Several independent faults, each on its own part of the mesh, to test them in one build."""


@pytest.fixture(scope="module")
def faulty() -> Snapshot:
    return demo_snapshot(hours=HOURS, scenario=FAULTS)


@pytest.fixture(scope="module")
def objects() -> list[KubeObject]:
    """The cluster objects behind ``faulty`` (the same arguments give the same objects)."""
    return list(generate_demo(hours=HOURS, scenario=FAULTS).objects.items)


def workload(name: str, namespace: str) -> str:
    return node_id(NodeKind.WORKLOAD, name, namespace)


def service(name: str, namespace: str) -> str:
    return node_id(NodeKind.SERVICE, name, namespace)


def calls_into(snapshot: Snapshot, target: str) -> Iterator[Edge]:
    for _, _, data in snapshot.graph.in_edges(target, data=True):
        edge: Edge = data["edge"]
        if edge.kind is EdgeKind.CALLS:
            yield edge


def series(snapshot: Snapshot, entity: str, metric: str) -> pd.Series:
    frame = snapshot.series
    found = frame[(frame["entity"] == entity) & (frame["metric"] == metric)]
    return found.set_index("timestamp")["value"].sort_index()


def errors_and_requests(snapshot: Snapshot, entity: str) -> tuple[pd.Series, pd.Series]:
    """Error and request rates on the same timestamps (no error points means no errors)."""
    requests = series(snapshot, entity, "request_rate")
    errors = series(snapshot, entity, "error_rate").reindex(requests.index, fill_value=0.0)
    return errors, requests


def named(items: list[KubeObject], kind: str, namespace: str, prefix: str) -> list[KubeObject]:
    return [
        o
        for o in items
        if o["kind"] == kind
        and o["metadata"].get("namespace") == namespace
        and o["metadata"]["name"].startswith(prefix)
    ]


def events(items: list[KubeObject], reason: str, prefix: str) -> list[KubeObject]:
    return [
        e
        for e in items
        if e["kind"] == "Event"
        and e["reason"] == reason
        and e["involvedObject"]["name"].startswith(prefix)
    ]


def test_the_default_demo_keeps_its_five_incidents() -> None:
    found = generate_demo().incidents
    assert [(i.id, i.root_cause, i.start, i.end) for i in found] == [
        ("bad-rollout-ratings-v1", workload("ratings-v1", "bookinfo"),
         at("2026-11-24T06:43:00"), at("2026-11-24T07:37:00")),
        ("latency-redis-cart", workload("redis-cart", "boutique"),
         at("2026-11-24T07:58:00"), at("2026-11-24T09:07:00")),
        ("fault-injection-details-v1", workload("details-v1", "bookinfo"),
         at("2026-11-24T09:21:00"), None),
        ("gpu-memory-recommender-predictor", workload("recommender-predictor", "ml-platform"),
         at("2026-11-24T09:57:00"), None),
        ("crash-loop-adservice", workload("adservice", "boutique"),
         at("2026-11-24T11:09:00"), None),
    ]  # fmt: skip


def test_a_scenario_replaces_the_default_incidents(faulty: Snapshot) -> None:
    assert [i.id for i in faulty.incidents] == [
        "dependency-outage-details-v1",
        "resource-exhaustion-ratings-v1",
        "fault-injection-shippingservice",
        "fault-injection-reviews-v1",
        "bad-rollout-currencyservice",
        "crash-loop-emailservice",
        "latency-ml-postgres",
        "dependency-outage-paymentservice",
    ]
    outage = faulty.incidents[0]
    assert outage.start == at("2026-11-24T11:30:00") and outage.end is None
    assert outage.affected == [
        workload("details-v1", "bookinfo"),
        workload("productpage-v1", "bookinfo"),
        workload("istio-ingressgateway", "istio-system"),
    ]
    assert generate_demo(hours=HOURS, scenario=[]).incidents == []


def test_dependency_outage_leaves_callers_with_503_uh_and_the_workload_without_traffic(
    faulty: Snapshot, objects: list[KubeObject]
) -> None:
    (edge,) = [
        e
        for e in calls_into(faulty, service("details", "bookinfo"))
        if e.source == workload("productpage-v1", "bookinfo")
    ]
    assert edge.traffic is not None
    # Over the last ten minutes every call to details failed in productpage's own proxy.
    assert edge.traffic.response_codes == {"503": pytest.approx(edge.traffic.request_rate)}
    assert set(edge.traffic.response_flags) == {"UH"}
    rate = series(faulty, workload("details-v1", "bookinfo"), "request_rate")
    before = rate[rate.index < at("2026-11-24T11:29:00")]
    during = rate[rate.index >= at("2026-11-24T11:32:00")]
    assert before.min() > 5.0  # productpage's ~9/s, one details call each
    assert during.max() == 0.0
    (pod,) = named(objects, "Pod", "bookinfo", "details-v1-")
    ready = {c["type"]: c for c in pod["status"]["conditions"]}["Ready"]
    assert ready["status"] == "False" and ready["lastTransitionTime"] == "2026-11-24T11:30:30Z"
    assert pod["status"]["containerStatuses"][0]["restartCount"] == 0
    (unhealthy,) = events(objects, "Unhealthy", "details-v1-")
    assert unhealthy["firstTimestamp"] == "2026-11-24T11:30:04Z"
    assert "connection refused" in unhealthy["message"]
    (deployment,) = named(objects, "Deployment", "bookinfo", "details-v1")
    assert deployment["status"].get("readyReplicas", 0) == 0


def test_an_outage_that_ended_leaves_ready_pods_and_the_probe_failures_behind(
    faulty: Snapshot, objects: list[KubeObject]
) -> None:
    (pod,) = named(objects, "Pod", "boutique", "paymentservice-")
    ready = {c["type"]: c for c in pod["status"]["conditions"]}["Ready"]
    assert ready["status"] == "True" and ready["lastTransitionTime"] == "2026-11-24T11:24:00Z"
    (unhealthy,) = events(objects, "Unhealthy", "paymentservice-")
    assert (unhealthy["firstTimestamp"], unhealthy["lastTimestamp"]) == (
        "2026-11-24T11:12:04Z",
        "2026-11-24T11:23:54Z",
    )
    assert unhealthy["count"] == 72  # a probe every 10 s for 12 minutes
    rate = series(faulty, workload("paymentservice", "boutique"), "request_rate")
    assert rate[at("2026-11-24T11:14:00") : at("2026-11-24T11:23:00")].max() == 0.0
    assert rate[at("2026-11-24T11:26:00") :].min() > 0.1


def test_resource_exhaustion_climbs_in_latency_then_fails_requests(
    faulty: Snapshot, objects: list[KubeObject]
) -> None:
    root = workload("ratings-v1", "bookinfo")
    p95 = series(faulty, root, "p95_ms")
    before = p95[p95.index < at("2026-11-24T11:24:00")].median()
    last = p95[p95.index >= at("2026-11-24T11:55:00")].median()
    assert last >= 3 * before
    errors, requests = errors_and_requests(faulty, root)
    assert errors[errors.index < at("2026-11-24T11:24:00")].sum() == 0
    late = requests.index >= at("2026-11-24T11:55:00")
    assert 0.05 < errors[late].sum() / requests[late].sum() < 0.12  # near the 10% maximum
    (unhealthy,) = events(objects, "Unhealthy", "ratings-v1-")
    # Probes start timing out three quarters of the way up the climb (11:24 -> 12:00).
    assert unhealthy["firstTimestamp"] == "2026-11-24T11:51:00Z"
    assert "timeout" in unhealthy["message"]


def test_fault_injection_on_a_service_without_a_route_creates_one(
    faulty: Snapshot, objects: list[KubeObject]
) -> None:
    (rule,) = named(objects, "VirtualService", "boutique", "shippingservice")
    assert rule["metadata"]["creationTimestamp"] == "2026-11-24T11:30:00Z"
    assert rule["spec"]["http"][0]["fault"]["abort"] == {
        "httpStatus": 555,
        "percentage": {"value": 40.0},
    }
    edges = list(calls_into(faulty, service("shippingservice", "boutique")))
    assert {e.source for e in edges} == {
        workload("frontend", "boutique"),
        workload("checkoutservice", "boutique"),
    }
    for edge in edges:
        assert edge.traffic is not None
        assert set(edge.traffic.response_codes) == {"555"}
        assert set(edge.traffic.response_flags) == {"FI"}
    aborted = sum(e.traffic.request_rate for e in edges if e.traffic)
    reached = sum(
        e.traffic.request_rate
        for e in calls_into(faulty, workload("shippingservice", "boutique"))
        if e.traffic
    )
    assert aborted / (aborted + reached) == pytest.approx(0.40, abs=0.05)


def test_fault_injection_on_a_routed_service_edits_its_virtual_service(
    objects: list[KubeObject],
) -> None:
    (reviews,) = [
        o for o in named(objects, "VirtualService", "bookinfo", "reviews")
        if o["metadata"]["name"] == "reviews"
    ]  # fmt: skip
    (route,) = reviews["spec"]["http"]
    assert route["fault"]["abort"] == {"httpStatus": 503, "percentage": {"value": 20.0}}
    assert [r["weight"] for r in route["route"]] == [80, 20]  # the split is kept
    assert reviews["metadata"]["creationTimestamp"] < "2026-11-24"  # not faked as new
    edit = reviews["metadata"]["managedFields"][-1]
    assert (edit["manager"], edit["time"]) == ("kubectl-edit", "2026-11-24T11:30:00Z")
    assert reviews["metadata"]["generation"] == 2


def test_generalised_bad_rollout_on_a_grpc_service(
    faulty: Snapshot, objects: list[KubeObject]
) -> None:
    sets = named(objects, "ReplicaSet", "boutique", "currencyservice-")
    images = {
        s["spec"]["template"]["spec"]["containers"][0]["image"].rsplit(":", 1)[1] for s in sets
    }
    assert images == {"v0.10.6", "v0.10.7"}
    scaled = events(objects, "ScalingReplicaSet", "currencyservice")
    assert [e["firstTimestamp"] for e in scaled] == [
        "2026-11-24T11:18:00Z", "2026-11-24T11:18:40Z",  # rolled out at 0.3
        "2026-11-24T11:42:00Z", "2026-11-24T11:42:35Z",  # rolled back at 0.7
    ]  # fmt: skip
    errors, requests = errors_and_requests(faulty, workload("currencyservice", "boutique"))
    during = (errors.index >= at("2026-11-24T11:21:00")) & (
        errors.index < at("2026-11-24T11:42:00")
    )
    assert errors[errors.index < at("2026-11-24T11:18:00")].sum() == 0
    assert errors[during].sum() / requests[during].sum() == pytest.approx(0.5, abs=0.05)
    assert errors[errors.index >= at("2026-11-24T11:44:00")].sum() == 0
    for edge in calls_into(faulty, workload("currencyservice", "boutique")):
        assert edge.traffic is not None
        # The failures were gRPC UNKNOWN on an HTTP 200; none since the rollback.
        assert edge.traffic.response_codes.keys() == {"200"}
        assert edge.traffic.grpc_statuses.keys() == {"0", "2"}
        assert edge.traffic.error_rate == 0.0


def test_crash_loop_on_another_deployment(objects: list[KubeObject]) -> None:
    (pod,) = named(objects, "Pod", "boutique", "emailservice-")
    status = pod["status"]["containerStatuses"][0]
    assert status["restartCount"] >= 5
    assert status["lastState"]["terminated"]["reason"] == "OOMKilled"
    (backoff,) = events(objects, "BackOff", "emailservice-")
    assert backoff["type"] == "Warning"


def test_latency_of_a_data_store_slows_its_clients(faulty: Snapshot) -> None:
    client = workload("model-registry", "ml-platform")
    p95 = series(faulty, client, "p95_ms")
    before = p95[p95.index < at("2026-11-24T11:30:00")].median()
    during = p95[(p95.index >= at("2026-11-24T11:33:00")) & (p95.index < at("2026-11-24T11:48:00"))]
    assert during.median() > 3 * before  # two ~0.8 ms queries per request, 30x slower


def test_distractors_leave_evidence_and_no_incident() -> None:
    data = generate_demo(
        hours=HOURS,
        scenario=[
            RoutineRollout("boutique/shippingservice", 0.2),
            PastRestart("boutique/emailservice", 0.3),
            PastRestart("bookinfo/details-v1", -2.0, "Error"),
            SteadyErrors("boutique/currencyservice", 0.02),
        ],
    )
    items = list(data.objects.items)
    assert data.incidents == []
    scaled = events(items, "ScalingReplicaSet", "shippingservice")
    assert scaled[0]["firstTimestamp"] == "2026-11-24T11:12:00Z"
    (email,) = named(items, "Pod", "boutique", "emailservice-")
    status = email["status"]["containerStatuses"][0]
    assert status["restartCount"] == 1 and status["ready"]
    assert status["lastState"]["terminated"]["finishedAt"] == "2026-11-24T11:18:00Z"
    assert events(items, "Started", "emailservice-")  # recent enough to still be listed
    (details,) = named(items, "Pod", "bookinfo", "details-v1-")
    assert details["status"]["containerStatuses"][0]["lastState"]["terminated"]["exitCode"] == 1
    assert not events(items, "Started", "details-v1-")  # hours before the window: expired
    failing = [
        s.value
        for s in data.metrics.instant["requests"]
        if s.labels["destination_workload"] == "currencyservice"
        and s.labels["reporter"] == "destination"
    ]
    codes = [
        s.labels["grpc_response_status"]
        for s in data.metrics.instant["requests"]
        if s.labels["destination_workload"] == "currencyservice"
        and s.labels["reporter"] == "destination"
    ]
    assert set(codes) == {"0", "14"}
    share = sum(v for v, c in zip(failing, codes, strict=True) if c == "14") / sum(failing)
    assert share == pytest.approx(0.02, abs=0.005)


@pytest.fixture(scope="module")
def cases() -> list[EvalCase]:
    return eval_cases(12, seed=3, hours=0.5)


def test_eval_cases_are_deterministic_and_cover_every_kind(cases: list[EvalCase]) -> None:
    again = eval_cases(12, seed=3, hours=0.5)
    assert [(c.name, c.root, c.seed, c.fault) for c in again] == [
        (c.name, c.root, c.seed, c.fault) for c in cases
    ]
    assert eval_cases(14, seed=3, hours=0.5)[:12] == cases  # more cases keep the first ones
    other = eval_cases(12, seed=4, hours=0.5)
    assert [c.root for c in other] != [c.root for c in cases]
    assert [c.kind for c in cases[:6]] == list(EVAL_KINDS)
    assert {c.kind for c in cases} == {
        FaultKind.BAD_ROLLOUT, FaultKind.LATENCY, FaultKind.CRASH_LOOP,
        FaultKind.RESOURCE_EXHAUSTION, FaultKind.DEPENDENCY_OUTAGE, FaultKind.FAULT_INJECTION,
    }  # fmt: skip
    assert len({c.name for c in cases}) == 12
    assert len({c.workloads for c in cases}) > 3  # the platforms differ in size
    for case in cases:
        assert 60 <= case.workloads <= 160
        assert 0.45 <= case.start <= 0.8
        assert case.end is None or case.start < case.end <= 0.97
        assert 1 <= len(case.distractors) <= 2
        assert case.root_key not in {getattr(d, "workload", "") for d in case.distractors}
        assert not case.root_key.startswith("istio-system/")


def test_each_case_has_one_incident_rooted_in_a_workload_that_serves_traffic(
    cases: list[EvalCase],
) -> None:
    for case in cases[:6]:
        snapshot = case.snapshot()
        (incident,) = snapshot.incidents
        assert (incident.kind, incident.root_cause) == (case.kind, case.root), case.name
        assert incident.root_cause == incident.affected[0]
        assert snapshot.node(case.root).kind is NodeKind.WORKLOAD
        callers = [e for e in calls_into(snapshot, case.root) if e.source != case.root]
        assert callers, case.name
        window = snapshot.meta.end - snapshot.meta.start
        assert incident.start == (snapshot.meta.start + window * case.start).replace(
            second=0, microsecond=0
        )
        early = snapshot.meta.start + (incident.start - snapshot.meta.start) / 2
        # Before the fault its callers reach it: requests, or bytes for a data store.
        assert any(
            series(snapshot, edge.id, metric)[:early].gt(0).all()
            for edge in callers
            for metric in ("request_rate", "throughput")
            if not series(snapshot, edge.id, metric)[:early].empty
        ), case.name
