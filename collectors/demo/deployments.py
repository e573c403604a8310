"""Deployments with their ReplicaSet revisions: what a rollout (and its rollback) leaves."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from collectors.cluster import KubeObject
from collectors.demo.context import Context, controller_pods
from collectors.demo.faults_records import Rollout
from collectors.demo.kube import condition, metadata, owner
from collectors.demo.pods import pod_template
from collectors.demo.spec import Workload


@dataclass(frozen=True, slots=True)
class _Revision:
    image: str
    number: int
    created: datetime
    replicas: int
    pods_started: datetime
    history: str = ""


def _revisions(workload: Workload, rollout: Rollout | None, ctx: Context) -> list[_Revision]:
    created = ctx.namer.age(ctx.now, 20, 40)
    started = ctx.namer.age(ctx.now, 1.0, 6.0)
    if rollout is None:
        return [
            _Revision(workload.image, ctx.namer.integer(1, 6), created, workload.replicas, started)
        ]
    settle = timedelta(seconds=25)
    if rollout.rolled_back is None:
        return [
            _Revision(workload.image, 1, created, 0, started),
            _Revision(
                rollout.new_image, 2, rollout.start, workload.replicas, rollout.start + settle
            ),
        ]
    # ``kubectl rollout undo`` re-activates the old ReplicaSet under a new revision number.
    return [
        _Revision(
            workload.image, 3, created, workload.replicas, rollout.rolled_back + settle, history="1"
        ),
        _Revision(rollout.new_image, 2, rollout.start, 0, rollout.start + settle),
    ]


def deployment_objects(workload: Workload, ctx: Context) -> list[KubeObject]:
    """A Deployment, a ReplicaSet per revision it kept, and the active revision's pods."""
    revisions = _revisions(workload, ctx.rollout(workload), ctx)
    active = max(revisions, key=lambda r: r.number)
    uri = ctx.storage_uris.get(workload.owner[2], "")
    created = min(r.created for r in revisions)
    owners = []
    if workload.owner[1]:
        owners = [owner(ctx.owners[(workload.owner[1], workload.owner[2])])]
    selector = workload.pod_labels()
    hashes = [ctx.namer.suffix(10) for _ in revisions]
    unready = ctx.crash(workload) or ctx.unready_at_end(workload)
    ready = 0 if unready else workload.replicas
    deployment: KubeObject = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": metadata(
            workload.name,
            workload.namespace,
            ctx.namer.uid(),
            created,
            labels=selector,
            annotations={"deployment.kubernetes.io/revision": str(active.number)},
            owners=owners,
            generation=active.number,
        ),
        "spec": {
            "replicas": workload.replicas,
            "selector": {"matchLabels": dict(selector)},
            "template": pod_template(workload, image=active.image, storage_uri=uri),
            "strategy": {
                "type": "RollingUpdate",
                "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"},
            },
            "revisionHistoryLimit": 10,
            "progressDeadlineSeconds": 600,
        },
        "status": _deployment_status(
            workload,
            active,
            hashes[revisions.index(active)],
            ready,
            ctx.availability_changed(workload),
        ),
    }
    found = [deployment]
    for revision, pod_hash in zip(revisions, hashes, strict=True):
        template = pod_template(workload, image=revision.image, storage_uri=uri)
        template["metadata"]["labels"]["pod-template-hash"] = pod_hash
        name = f"{workload.name}-{pod_hash}"
        annotations = {
            "deployment.kubernetes.io/desired-replicas": str(workload.replicas),
            "deployment.kubernetes.io/max-replicas": str(workload.replicas + 1),
            "deployment.kubernetes.io/revision": str(revision.number),
        }
        if revision.history:
            annotations["deployment.kubernetes.io/revision-history"] = revision.history
        live = ready if revision is active else 0
        replica_set: KubeObject = {
            "apiVersion": "apps/v1",
            "kind": "ReplicaSet",
            "metadata": metadata(name, workload.namespace, ctx.namer.uid(), revision.created,
                                 labels=template["metadata"]["labels"], annotations=annotations,
                                 owners=[owner(deployment)], generation=1 + revision.number),
            "spec": {
                "replicas": revision.replicas,
                "selector": {"matchLabels": dict(template["metadata"]["labels"])},
                "template": template,
            },
            "status": {"replicas": revision.replicas, "fullyLabeledReplicas": revision.replicas,
                       "readyReplicas": live, "availableReplicas": live,
                       "observedGeneration": 1 + revision.number},
        }  # fmt: skip
        found.append(replica_set)
        names = [f"{name}-{ctx.namer.suffix(5)}" for _ in range(revision.replicas)]
        labels = {"pod-template-hash": pod_hash}
        found += controller_pods(
            workload, template, replica_set, names, labels, revision.pods_started, ctx
        )
    return found


def _deployment_status(
    workload: Workload,
    active: _Revision,
    pod_hash: str,
    ready: int,
    availability_changed: datetime | None = None,
) -> dict[str, Any]:
    available = ready >= workload.replicas
    changed = availability_changed or active.pods_started + timedelta(seconds=20)
    status: dict[str, Any] = {
        "observedGeneration": active.number,
        "replicas": workload.replicas,
        "updatedReplicas": workload.replicas,
    }
    if ready:
        status["readyReplicas"] = status["availableReplicas"] = ready
    if ready < workload.replicas:
        status["unavailableReplicas"] = workload.replicas - ready
    status["conditions"] = [
        condition("Available", available, changed,
                  "MinimumReplicasAvailable" if available else "MinimumReplicasUnavailable",
                  "Deployment has minimum availability." if available
                  else "Deployment does not have minimum availability."),
        condition("Progressing", True, active.pods_started, "NewReplicaSetAvailable",
                  f'ReplicaSet "{workload.name}-{pod_hash}" has successfully progressed.'),
    ]  # fmt: skip
    return status
