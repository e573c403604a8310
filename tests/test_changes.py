"""The triage timeline: which changes the cluster's objects and Events give, when, and where.

Each case builds the smallest set of objects that shows one source of changes and checks what
an on-call engineer would read: the kind, the time, the object, the node it is drawn on.
"""

from __future__ import annotations

import json
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from check_objects import (
    autoscaler,
    container,
    deployment,
    machine,
    namespace,
    pod,
    service,
    virtual_service,
)

from collectors.changes import cluster_changes
from collectors.cluster import ClusterObjects, KubeObject
from collectors.inventory import latest_objects
from collectors.kinds import ChangeKind, FaultKind
from collectors.model import Change, Snapshot
from collectors.pipeline import build_snapshot
from collectors.snapshot_io import load_snapshot, save_snapshot
from collectors.sources.demo import demo_snapshot

T0 = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
WEB = "workload:Kubernetes/shop/web"
HASH = "5d9c7b8f4"  # the pod-template-hash check_objects' pods carry


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def event(
    reason: str,
    about: tuple[str, str, str],
    *,
    message: str = "",
    warning: bool = True,
    at: datetime = T0,
    last: datetime | None = None,
    count: int = 1,
    name: str = "",
) -> KubeObject:
    """A core v1 Event about ``(kind, namespace, name)``; namespace "" for cluster-scoped."""
    kind, where, what = about
    involved: dict[str, Any] = {"kind": kind, "name": what}
    if where:
        involved["namespace"] = where
    return {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {"name": name or f"{what}.{reason}.{at:%H%M%S}".lower(), "namespace": "shop"},
        "involvedObject": involved,
        "reason": reason,
        "message": message or f"{reason} happened",
        "type": "Warning" if warning else "Normal",
        "count": count,
        "firstTimestamp": _stamp(at),
        "lastTimestamp": _stamp(last or at),
    }


def replica_set(
    revision: int, created: datetime, *, image: str, pod_hash: str = HASH, history: str = ""
) -> KubeObject:
    annotations = {"deployment.kubernetes.io/revision": str(revision)}
    if history:
        annotations["deployment.kubernetes.io/revision-history"] = history
    return {
        "apiVersion": "apps/v1",
        "kind": "ReplicaSet",
        "metadata": {
            "name": f"web-{pod_hash}",
            "namespace": "shop",
            "creationTimestamp": _stamp(created),
            "annotations": annotations,
            "ownerReferences": [{"kind": "Deployment", "name": "web", "controller": True}],
        },
        "spec": {"template": {"spec": {"containers": [{"name": "app", "image": image}]}}},
    }


def snapshot_of(items: list[KubeObject]) -> Snapshot:
    """The snapshot the pipeline builds from ``items``, without metrics."""
    return build_snapshot(
        objects=ClusterObjects(items),
        metrics=None,
        sources=[],
        generator="test",
        window=(T0 - timedelta(hours=1), T0 + timedelta(hours=1), 15, 600),
    )


def changes(items: list[KubeObject]) -> list[Change]:
    return snapshot_of(items).changes


SHOP = [namespace(), deployment("web"), machine("node-1")]
WEB_POD = ("Pod", "shop", "web-5d9c7b8f4-x2x4k")


@pytest.mark.parametrize(
    ("reason", "about", "message", "warning", "expected"),
    [
        ("BackOff", WEB_POD, "Back-off restarting failed container app", True, ChangeKind.RESTART),
        ("CrashLoopBackOff", WEB_POD, "", True, ChangeKind.RESTART),
        ("Failed", WEB_POD, "Error: ErrImagePull", True, ChangeKind.RESTART),
        (
            "OOMKilling",
            ("Node", "", "node-1"),
            "Memory cgroup out of memory",
            True,
            ChangeKind.RESTART,
        ),
        ("Killing", WEB_POD, "Stopping container app: OOMKilled", False, ChangeKind.RESTART),
        ("Killing", WEB_POD, "Stopping container app", False, None),
        ("Unhealthy", WEB_POD, "Readiness probe failed: HTTP 503", True, ChangeKind.PROBE),
        ("FailedScheduling", WEB_POD, "0/3 nodes are available", True, ChangeKind.SCHEDULING),
        ("Evicted", WEB_POD, "The node was low on memory", True, ChangeKind.SCHEDULING),
        ("Preempted", WEB_POD, "Preempted by shop/batch", False, ChangeKind.SCHEDULING),
        ("NodeNotReady", ("Node", "", "node-1"), "", False, ChangeKind.SCHEDULING),
        ("FailedMount", WEB_POD, "MountVolume.SetUp failed", True, ChangeKind.EVENT),
        ("Pulled", WEB_POD, "Container image already present", False, None),
        ("Started", WEB_POD, "Started container app", False, None),
    ],
)
def test_event_reasons_map_to_change_kinds(
    reason: str,
    about: tuple[str, str, str],
    message: str,
    warning: bool,
    expected: ChangeKind | None,
) -> None:
    found = changes([*SHOP, event(reason, about, message=message, warning=warning)])
    if expected is None:
        assert found == []
        return
    (change,) = found
    assert change.kind == expected
    assert (change.reason, change.warning, change.at) == (reason, warning, T0)
    kind, where, name = about
    assert change.object == (f"{kind} {where}/{name}" if where else f"{kind} {name}")


def test_event_on_a_node_is_drawn_on_the_machine() -> None:
    (change,) = changes([*SHOP, event("OOMKilling", ("Node", "", "node-1"), count=4)])
    assert change.node == "node:Kubernetes/node-1"
    assert change.count == 4


def test_repeated_event_keeps_its_count_and_last_time() -> None:
    later = T0 + timedelta(minutes=25)
    (change,) = changes([*SHOP, event("Unhealthy", WEB_POD, at=T0, last=later, count=27)])
    assert (change.at, change.last, change.count) == (T0, later, 27)


def test_events_api_shape_and_event_time_series_are_read() -> None:
    series_end = T0 + timedelta(minutes=9)
    modern: KubeObject = {
        "apiVersion": "events.k8s.io/v1",
        "kind": "Event",
        "metadata": {"name": "web.1", "namespace": "shop"},
        "regarding": {"kind": "Deployment", "namespace": "shop", "name": "web"},
        "reason": "FailedCreate",
        "note": 'pods "web-1" is forbidden: exceeded quota',
        "type": "Warning",
        "eventTime": "2026-11-24T09:00:00.250000Z",
        "deprecatedCount": 5,
        "series": {"count": 3, "lastObservedTime": _stamp(series_end)},
    }
    micro: KubeObject = {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {"name": "web.2", "namespace": "shop"},
        "involvedObject": {"kind": "Pod", "namespace": "shop", "name": "web-5d9c7b8f4-x2x4k"},
        "reason": "Unhealthy",
        "message": "Liveness probe failed",
        "type": "Warning",
        "eventTime": _stamp(T0 + timedelta(minutes=1)),
        "series": {"count": 12, "lastObservedTime": _stamp(T0 + timedelta(minutes=30))},
    }
    first, second = changes([*SHOP, modern, micro])
    assert first.at == T0 + timedelta(microseconds=250000)
    assert (first.kind, first.message, first.count, first.last) == (
        ChangeKind.EVENT,
        'pods "web-1" is forbidden: exceeded quota',
        5,
        series_end,
    )
    assert first.node == WEB
    assert (second.kind, second.count, second.last) == (
        ChangeKind.PROBE,
        12,
        T0 + timedelta(minutes=30),
    )


def test_scaling_two_replica_sets_is_a_rollout_and_one_alone_a_scale() -> None:
    deploy = ("Deployment", "shop", "web")
    rollout = [
        event("ScalingReplicaSet", deploy, message="Scaled up replica set web-new to 1 from 0",
              warning=False),
        event("ScalingReplicaSet", deploy, message="Scaled down replica set web-old to 0 from 1",
              warning=False, at=T0 + timedelta(seconds=40)),
    ]  # fmt: skip
    found = changes([*SHOP, *rollout])
    assert [c.kind for c in found] == [ChangeKind.ROLLOUT, ChangeKind.ROLLOUT]
    assert {c.node for c in found} == {WEB}
    alone = event("ScalingReplicaSet", deploy, message="Scaled up replica set web-new to 3 from 1",
                  warning=False)  # fmt: skip
    (scale,) = changes([*SHOP, alone])
    assert scale.kind is ChangeKind.SCALE


def test_autoscaler_rescale_is_a_scale_on_its_target() -> None:
    hpa = autoscaler("web")
    rescale = event("SuccessfulRescale", ("HorizontalPodAutoscaler", "shop", "web"),
                    message="New size: 4; reason: cpu resource utilization above target",
                    warning=False)  # fmt: skip
    (change,) = changes([*SHOP, hpa, rescale])
    assert (change.kind, change.node) == (ChangeKind.SCALE, WEB)


def test_new_replica_set_is_a_rollout_of_its_deployment() -> None:
    first = replica_set(1, T0 - timedelta(days=30), image="registry.example/web:1", pod_hash="a1")
    second = replica_set(2, T0, image="registry.example/web:2", pod_hash="b2")
    (change,) = changes([*SHOP, first, second])
    assert change.kind is ChangeKind.ROLLOUT
    assert change.at == T0
    assert change.object == "Deployment shop/web"
    assert (
        change.message == "Deployment shop/web rolled out revision 2 (image registry.example/web:2)"
    )
    assert change.node == WEB


def test_replica_set_rollout_reported_by_an_event_is_not_repeated() -> None:
    first = replica_set(1, T0 - timedelta(days=30), image="registry.example/web:1", pod_hash="a1")
    second = replica_set(2, T0, image="registry.example/web:2", pod_hash="b2")
    scaled = event("ScalingReplicaSet", ("Deployment", "shop", "web"), warning=False,
                   message="Scaled up replica set web-b2 to 1 from 0",
                   at=T0 + timedelta(seconds=30))  # fmt: skip
    (change,) = changes([*SHOP, first, second, scaled])
    assert (change.kind, change.reason, change.at) == (
        ChangeKind.ROLLOUT,
        "ScalingReplicaSet",
        T0 + timedelta(seconds=30),
    )
    # An Event about another ReplicaSet, or long after, reports something else.
    late = {**scaled, "firstTimestamp": _stamp(T0 + timedelta(minutes=5))}
    late["lastTimestamp"] = late["firstTimestamp"]
    assert len(changes([*SHOP, first, second, late])) == 2


def test_rolled_back_replica_set_is_not_a_rollout_at_its_old_creation() -> None:
    # ``kubectl rollout undo``: the first ReplicaSet is revision 3 now, created as revision 1.
    old = replica_set(3, T0 - timedelta(days=30), image="web:1", pod_hash="a1", history="1")
    bad = replica_set(2, T0, image="web:2", pod_hash="b2")
    (change,) = changes([*SHOP, old, bad])
    assert "revision 2" in change.message and change.at == T0


def test_replica_set_without_revision_is_a_rollout_when_not_the_first() -> None:
    first = replica_set(1, T0 - timedelta(days=30), image="web:1", pod_hash="a1")
    second = replica_set(1, T0, image="web:2", pod_hash="b2")
    for found in (first, second):
        del found["metadata"]["annotations"]
    (change,) = changes([*SHOP, first, second])
    assert change.message == "Deployment shop/web rolled out a new revision (image web:2)"
    assert change.at == T0


def test_replica_set_pod_churn_counts_only_inside_a_rollout() -> None:
    first = replica_set(1, T0 - timedelta(days=30), image="web:1", pod_hash="a1")
    second = replica_set(2, T0, image="web:2", pod_hash="b2")
    created = event("SuccessfulCreate", ("ReplicaSet", "shop", "web-b2"), warning=False,
                    message="Created pod: web-b2-qwert", at=T0 + timedelta(seconds=5))  # fmt: skip
    found = changes([*SHOP, first, second, created])
    # The Event reports the new revision's first pod, so the ReplicaSet's own record goes.
    assert [(c.kind, c.object, c.node) for c in found] == [
        (ChangeKind.ROLLOUT, "ReplicaSet shop/web-b2", WEB)
    ]
    # Outside any rollout or scaling it replaces a pod that died: left out as noise.
    assert changes([*SHOP, first, created]) == []


def test_last_oom_kill_is_a_restart_on_the_workload() -> None:
    finished = T0 + timedelta(minutes=3)
    crashed = container(restarts=4, last="OOMKilled")
    crashed["lastState"]["terminated"]["finishedAt"] = _stamp(finished)
    earlier = container("istio-proxy", restarts=1, last="Error")
    earlier["lastState"]["terminated"]["finishedAt"] = _stamp(T0)
    web_pod = pod("web-5d9c7b8f4-x2x4k", owner="web", statuses=[crashed, earlier])
    (change,) = changes([*SHOP, web_pod])
    assert (change.kind, change.at, change.reason, change.warning) == (
        ChangeKind.RESTART,
        finished,
        "OOMKilled",
        True,
    )
    assert change.message == "container app OOMKilled (exit code 137); 4 restarts so far"
    assert change.node == WEB
    # A back-off Event spanning that termination already tells of it.
    back_off = event("BackOff", WEB_POD, at=T0, last=T0 + timedelta(minutes=10), count=9)
    (reported,) = changes([*SHOP, web_pod, back_off])
    assert (reported.reason, reported.count) == ("BackOff", 9)


def test_virtual_service_creation_and_later_writes_are_config_changes() -> None:
    route = virtual_service("details")
    created = T0 - timedelta(days=3)
    edited = T0 + timedelta(minutes=2)
    route["metadata"]["creationTimestamp"] = _stamp(created)
    route["metadata"]["managedFields"] = [
        {"manager": "kubectl-client-side-apply", "operation": "Update", "time": _stamp(created)},
        {"manager": "kubectl-edit", "operation": "Update", "time": _stamp(edited)},
        # istiod reporting status later is not a configuration change.
        {"manager": "pilot-discovery", "operation": "Apply", "subresource": "status",
         "time": _stamp(edited + timedelta(minutes=1))},
    ]  # fmt: skip
    items = [*SHOP, service("details"), route]
    found = changes(items)
    assert [(c.kind, c.at, c.object, c.message) for c in found] == [
        (ChangeKind.CONFIG, created, "VirtualService shop/details",
         "VirtualService shop/details created"),
        (ChangeKind.CONFIG, edited, "VirtualService shop/details",
         "VirtualService shop/details changed by kubectl-edit"),
    ]  # fmt: skip
    assert {c.node for c in found} == {"service:Kubernetes/shop/details"}
    # Without a creation time, the newest write still says when it last changed.
    del route["metadata"]["creationTimestamp"]
    assert [c.at for c in changes(items)] == [created, edited]
    del route["metadata"]["managedFields"]
    assert changes(items) == []


def test_istio_config_lands_on_the_service_its_routes_name_or_its_selected_workload() -> None:
    ingress = virtual_service("shop-ingress", hosts=["shop.example.com"],
                              http=[{"route": [{"destination": {"host": "details"}}]}])  # fmt: skip
    sidecar = {
        "apiVersion": "networking.istio.io/v1",
        "kind": "Sidecar",
        "metadata": {"name": "web", "namespace": "shop"},
        "spec": {"workloadSelector": {"labels": {"app": "web"}}},
    }
    mesh_wide = {**sidecar, "metadata": {"name": "default", "namespace": "shop"}, "spec": {}}
    for obj in (ingress, sidecar, mesh_wide):
        obj["metadata"]["creationTimestamp"] = _stamp(T0)
    found = changes([*SHOP, service("details"), ingress, sidecar, mesh_wide])
    assert {c.object: c.node for c in found} == {
        "VirtualService shop/shop-ingress": "service:Kubernetes/shop/details",
        "Sidecar shop/web": WEB,
        "Sidecar shop/default": "",
    }


def test_pod_event_lands_on_its_deployment_even_after_the_pod_is_gone() -> None:
    rs = replica_set(1, T0 - timedelta(days=2), image="web:1")
    kept = pod("web-5d9c7b8f4-x2x4k", owner="web")
    gone = ("Pod", "shop", "web-5d9c7b8f4-zzzzz")
    found = changes([*SHOP, rs, kept, event("Unhealthy", WEB_POD), event("Evicted", gone)])
    assert [(c.object, c.node) for c in found] == [
        ("Pod shop/web-5d9c7b8f4-x2x4k", WEB),
        ("Pod shop/web-5d9c7b8f4-zzzzz", WEB),
    ]


def test_unknown_owner_gives_no_node() -> None:
    found = changes([
        *SHOP,
        event("BackOff", ("Pod", "shop", "ghost-7f9c-abcde")),
        event("FailedCreate", ("Deployment", "shop", "unread")),
        event("NodeNotReady", ("Node", "", "node-9"), warning=False),
    ])  # fmt: skip
    assert [c.node for c in found] == ["", "", ""]


def test_hostile_control_characters_never_reach_the_message() -> None:
    hostile = "probe failed\n\x1b[2J\x1b[31mFAKE LINE\r\x07 Authorization: Bearer abcdef123456789"
    (change,) = changes([*SHOP, event("Unhealthy", WEB_POD, message=hostile)])
    assert all(ch.isprintable() for ch in change.message)
    assert "\n" not in change.message and "\x1b" not in change.message
    assert "abcdef123456789" not in change.message
    assert change.message.startswith("probe failed ?[2J?[31mFAKE LINE ? Authorization: Bearer ***")


def test_changes_are_sorted_by_time_then_object() -> None:
    found = changes([
        *SHOP,
        event("FailedMount", ("Pod", "shop", "b"), at=T0),
        event("FailedMount", ("Pod", "shop", "a"), at=T0),
        event("FailedMount", ("Pod", "shop", "c"), at=T0 - timedelta(minutes=1)),
    ])  # fmt: skip
    assert [c.object for c in found] == ["Pod shop/c", "Pod shop/a", "Pod shop/b"]


def test_cluster_changes_is_pure_and_reads_what_it_is_given() -> None:
    items = [*SHOP, event("FailedMount", WEB_POD)]
    snapshot = snapshot_of(items)
    before = json.dumps(items, sort_keys=True)
    assert cluster_changes(latest_objects(items), snapshot) == snapshot.changes
    assert json.dumps(items, sort_keys=True) == before
    assert cluster_changes([], snapshot) == []


def _with_changes() -> Snapshot:
    first = replica_set(1, T0 - timedelta(days=30), image="web:1", pod_hash="a1")
    second = replica_set(2, T0, image="web:2", pod_hash="b2")
    unhealthy = event("Unhealthy", WEB_POD, at=T0, last=T0 + timedelta(minutes=5), count=3)
    return snapshot_of([*SHOP, first, second, unhealthy])


def test_changes_survive_a_save_and_load(tmp_path: Path) -> None:
    snapshot = _with_changes()
    assert len(snapshot.changes) == 2
    path = tmp_path / "s.meshlens"
    save_snapshot(snapshot, path)
    loaded = load_snapshot(path)
    assert loaded.changes == snapshot.changes
    assert loaded.changes[1].last == T0 + timedelta(minutes=5)


def test_file_from_before_changes_loads_with_none(tmp_path: Path) -> None:
    path = tmp_path / "s.meshlens"
    save_snapshot(_with_changes(), path)
    with zipfile.ZipFile(path) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    body = json.loads(members["snapshot.json"])
    del body["changes"]
    members["snapshot.json"] = json.dumps(body).encode()
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    assert load_snapshot(path).changes == []


def test_demo_timeline_lines_changes_up_with_its_incidents() -> None:
    snapshot = demo_snapshot()
    starts = {incident.kind: incident.start for incident in snapshot.incidents}
    rollout = starts[FaultKind.BAD_ROLLOUT]
    assert any(
        c.kind is ChangeKind.ROLLOUT
        and c.node == "workload:Kubernetes/bookinfo/ratings-v1"
        and abs(c.at - rollout) <= timedelta(minutes=2)
        for c in snapshot.changes
    )
    assert any(
        c.kind is ChangeKind.RESTART and c.node == "workload:Kubernetes/boutique/adservice"
        for c in snapshot.changes
    )
    assert any(
        c.kind is ChangeKind.CONFIG
        and c.object == "VirtualService bookinfo/details"
        and c.at == starts[FaultKind.FAULT_INJECTION]
        for c in snapshot.changes
    )
    assert snapshot.changes == sorted(snapshot.changes, key=lambda c: (c.at, c.object))
