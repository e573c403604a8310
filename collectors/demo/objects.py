"""Kubernetes objects of the demo platform: namespaces, Services, controllers and their pods.

Ownership is what a real cluster shows: Pod -> ReplicaSet -> Deployment (-> InferenceService
for KServe predictors), Pod -> StatefulSet, Pod -> Job, Pod -> DaemonSet. A bad rollout leaves
its ReplicaSet revisions behind; a crash-looping workload, an outage or a restart shows in its
pods' container statuses and the controller's availability.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from collectors.cluster import KubeObject
from collectors.demo.context import Context, controller_pods
from collectors.demo.deployments import deployment_objects
from collectors.demo.kube import metadata, timestamp
from collectors.demo.pods import pod_template
from collectors.demo.spec import Service, Workload


def namespace_objects(ctx: Context) -> list[KubeObject]:
    """One Namespace per platform namespace, labelled for sidecar injection where enabled."""
    found = []
    for name, injected in sorted(ctx.platform.namespaces.items()):
        labels = {"kubernetes.io/metadata.name": name}
        if injected:
            labels["istio-injection"] = "enabled"
        created = ctx.namer.age(ctx.now, 60, 120)
        found.append(
            {
                "apiVersion": "v1",
                "kind": "Namespace",
                "metadata": metadata(name, "", ctx.namer.uid(), created, labels=labels),
                "spec": {"finalizers": ["kubernetes"]},
                "status": {"phase": "Active"},
            }
        )
    return found


def service_object(service: Service, ctx: Context) -> KubeObject:
    """A Service selecting its workloads by ``app``."""
    address = ctx.namer.cluster_ip()
    ports = []
    for port in service.ports:
        entry: dict[str, Any] = {"name": port.name, "port": port.port, "protocol": "TCP",
                                 "targetPort": port.target_port}  # fmt: skip
        if service.type == "LoadBalancer":
            entry["nodePort"] = 30000 + ctx.namer.integer(0, 2767)
        ports.append(entry)
    spec: dict[str, Any] = {
        "type": service.type, "clusterIP": address, "clusterIPs": [address], "ports": ports,
        "selector": {"app": service.app}, "sessionAffinity": "None", "ipFamilies": ["IPv4"],
        "ipFamilyPolicy": "SingleStack", "internalTrafficPolicy": "Cluster",
    }  # fmt: skip
    status: dict[str, Any] = {"loadBalancer": {}}
    if service.type == "LoadBalancer":
        spec["externalTrafficPolicy"] = "Cluster"
        status["loadBalancer"] = {"ingress": [
            {"ip": f"34.118.{ctx.namer.integer(1, 255)}.{ctx.namer.integer(1, 255)}",
             "ipMode": "VIP"}]}  # fmt: skip
    created = ctx.namer.age(ctx.now, 30, 60)
    labels = {"app": service.app, "service": service.name}
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": metadata(
            service.name, service.namespace, ctx.namer.uid(), created, labels=labels
        ),
        "spec": spec,
        "status": status,
    }


def _stateful_set(workload: Workload, ctx: Context) -> list[KubeObject]:
    created = ctx.namer.age(ctx.now, 20, 60)
    revision = f"{workload.name}-{ctx.namer.suffix(10)}"
    template = pod_template(workload)
    replicas = workload.replicas
    obj: KubeObject = {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": metadata(workload.name, workload.namespace, ctx.namer.uid(), created,
                             labels=workload.pod_labels(), generation=1),
        "spec": {
            "replicas": replicas, "serviceName": workload.name,
            "selector": {"matchLabels": workload.pod_labels()}, "template": template,
            "volumeClaimTemplates": [{"metadata": {"name": "data"}, "spec": {
                "accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "20Gi"}}}}],
            "updateStrategy": {"type": "RollingUpdate"}, "podManagementPolicy": "OrderedReady",
        },
        "status": {"observedGeneration": 1, "replicas": replicas, "readyReplicas": replicas,
                   "currentReplicas": replicas, "updatedReplicas": replicas,
                   "availableReplicas": replicas, "currentRevision": revision,
                   "updateRevision": revision, "collisionCount": 0},
    }  # fmt: skip
    if ctx.unready_at_end(workload) is not None or ctx.crash(workload) is not None:
        for count in ("readyReplicas", "availableReplicas"):
            del obj["status"][count]  # the API server leaves zero counts out
    names = [f"{workload.name}-{i}" for i in range(replicas)]
    found = [obj]
    for i, name in enumerate(names):
        labels = {"controller-revision-hash": revision, "statefulset.kubernetes.io/pod-name": name,
                  "apps.kubernetes.io/pod-index": str(i)}  # fmt: skip
        started = ctx.namer.age(ctx.now, 2.0, 12.0)
        found += controller_pods(
            workload, template, obj, [name], labels, started, ctx, generated=False, first_index=i
        )
    return found


def job_object(
    workload: Workload, uid: str, started: datetime, *, ready: int = 1, backoff_limit: int = 2
) -> tuple[KubeObject, dict[str, Any], dict[str, str]]:
    """A running Job of ``workload`` with one active pod: the Job, its pod template (labelled
    as the Job controller labels its pods) and those labels."""
    template = pod_template(workload)
    job_labels = {"batch.kubernetes.io/controller-uid": uid,
                  "batch.kubernetes.io/job-name": workload.name, "controller-uid": uid,
                  "job-name": workload.name}  # fmt: skip
    template["metadata"]["labels"].update(job_labels)
    obj: KubeObject = {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": metadata(workload.name, workload.namespace, uid, started,
                             labels=workload.pod_labels(), generation=1),
        "spec": {"parallelism": 1, "completions": 1, "backoffLimit": backoff_limit,
                 "completionMode": "NonIndexed", "suspend": False,
                 "selector": {"matchLabels": {"batch.kubernetes.io/controller-uid": uid}},
                 "template": template},
        "status": {"active": 1, "ready": ready, "terminating": 0,
                   "startTime": timestamp(started), "uncountedTerminatedPods": {}},
    }  # fmt: skip
    return obj, template, job_labels


def _job(workload: Workload, ctx: Context) -> list[KubeObject]:
    started = ctx.namer.age(ctx.now, 0.05, 0.12)
    obj, template, job_labels = job_object(workload, ctx.namer.uid(), started)
    name = f"{workload.name}-{ctx.namer.suffix(5)}"
    return [
        obj,
        *controller_pods(
            workload, template, obj, [name], job_labels, started + timedelta(seconds=2), ctx
        ),
    ]


def _daemon_set(workload: Workload, ctx: Context) -> list[KubeObject]:
    created = ctx.namer.age(ctx.now, 20, 60)
    nodes = ctx.placement.gpu_nodes()
    revision = ctx.namer.suffix(10)
    template = pod_template(workload)
    count = len(nodes)
    obj: KubeObject = {
        "apiVersion": "apps/v1",
        "kind": "DaemonSet",
        "metadata": metadata(workload.name, workload.namespace, ctx.namer.uid(), created,
                             labels=workload.pod_labels(), generation=1),
        "spec": {"selector": {"matchLabels": workload.pod_labels()}, "template": template,
                 "updateStrategy": {"type": "RollingUpdate"}},
        "status": {"currentNumberScheduled": count, "desiredNumberScheduled": count,
                   "numberAvailable": count, "numberMisscheduled": 0, "numberReady": count,
                   "observedGeneration": 1, "updatedNumberScheduled": count},
    }  # fmt: skip
    names = [f"{workload.name}-{ctx.namer.suffix(5)}" for _ in nodes]
    labels = {"controller-revision-hash": revision, "pod-template-generation": "1"}
    return [
        obj,
        *controller_pods(
            workload,
            template,
            obj,
            names,
            labels,
            ctx.namer.age(ctx.now, 5.0, 15.0),
            ctx,
            nodes=nodes,
        ),
    ]


BUILDERS = {
    "Deployment": deployment_objects,
    "StatefulSet": _stateful_set,
    "Job": _job,
    "DaemonSet": _daemon_set,
}


def workload_objects(workload: Workload, ctx: Context) -> list[KubeObject]:
    """The controller of a workload, its ReplicaSets where it has them, and its pods."""
    return BUILDERS[workload.kind](workload, ctx)
