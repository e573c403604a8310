"""Pod templates and pods, with Istio's sidecar injection applied where the namespace asks."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from collectors.cluster import KubeObject
from collectors.demo.faults_records import READY_AFTER_SECONDS, CrashLoop
from collectors.demo.kube import Namer, condition, metadata, timestamp
from collectors.demo.names import PROXY_IMAGE
from collectors.demo.spec import Workload

SIDECAR_STATUS = json.dumps(
    {
        "initContainers": ["istio-init"],
        "containers": ["istio-proxy"],
        "volumes": ["workload-socket", "credential-socket", "workload-certs", "istio-envoy",
                    "istio-data", "istio-podinfo", "istio-token", "istiod-ca-cert"],
        "imagePullSecrets": None,
        "revision": "default",
    },
    separators=(",", ":"),
)  # fmt: skip
GPU_TOLERATION = {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}


def _probe(workload: Workload) -> dict[str, Any] | None:
    if not workload.container_ports or workload.gateway:
        return None
    port = workload.container_ports[0]
    if workload.image.startswith("redis"):
        action: dict[str, Any] = {"exec": {"command": ["redis-cli", "ping"]}}
    elif workload.owner[1] == "InferenceService":
        action = {"httpGet": {"path": "/v2/health/ready", "port": port, "scheme": "HTTP"}}
    else:
        action = {"tcpSocket": {"port": port}}
    return {**action, "periodSeconds": 10, "timeoutSeconds": 1, "failureThreshold": 3}


def _main_container(workload: Workload, image: str) -> dict[str, Any]:
    requests: dict[str, str] = {"cpu": workload.cpu, "memory": workload.memory}
    limits: dict[str, str] = {"memory": workload.memory}
    if workload.gpus:
        requests["nvidia.com/gpu"] = limits["nvidia.com/gpu"] = str(workload.gpus)
    container: dict[str, Any] = {"name": workload.container, "image": image}
    if workload.args:
        container["args"] = list(workload.args)
    if workload.container_ports:
        container["ports"] = [
            {"containerPort": p, "protocol": "TCP"} for p in workload.container_ports
        ]
    if workload.env:
        container["env"] = [{"name": n, "value": v} for n, v in workload.env]
    container["resources"] = {"requests": requests, "limits": limits}
    probe = _probe(workload)
    if probe is not None:
        container["readinessProbe"] = probe
    container["imagePullPolicy"] = "IfNotPresent"
    return container


def pod_template(workload: Workload, *, image: str = "", storage_uri: str = "") -> dict[str, Any]:
    """The ``spec.template`` of a workload's controller (before sidecar injection)."""
    spec: dict[str, Any] = {
        "serviceAccountName": workload.account,
        "containers": [_main_container(workload, image or workload.image)],
        "restartPolicy": "Never" if workload.kind == "Job" else "Always",
        "terminationGracePeriodSeconds": 30,
    }
    if storage_uri:
        # KServe's storage initializer downloads the model before the server starts.
        spec["initContainers"] = [
            {
                "name": "storage-initializer",
                "image": "kserve/storage-initializer:v0.14.0",
                "args": [storage_uri, "/mnt/models"],
                "resources": {"requests": {"cpu": "100m", "memory": "100Mi"}},
            }
        ]
    if workload.gpu_product == "*":
        spec["nodeSelector"] = {"nvidia.com/gpu.present": "true"}
        spec["tolerations"] = [dict(GPU_TOLERATION)]
    elif workload.gpu_product:
        spec["nodeSelector"] = {"nvidia.com/gpu.product": workload.gpu_product}
        spec["tolerations"] = [dict(GPU_TOLERATION)]
    template_meta: dict[str, Any] = {"labels": workload.pod_labels()}
    if workload.annotations:
        template_meta["annotations"] = dict(workload.annotations)
    return {"metadata": template_meta, "spec": spec}


def _sidecar() -> dict[str, Any]:
    return {
        "name": "istio-proxy",
        "image": PROXY_IMAGE,
        "args": ["proxy", "sidecar", "--domain", "$(POD_NAMESPACE).svc.cluster.local",
                 "--proxyLogLevel=warning", "--proxyComponentLogLevel=misc:error"],
        "ports": [{"containerPort": 15090, "name": "http-envoy-prom", "protocol": "TCP"}],
        "resources": {"requests": {"cpu": "100m", "memory": "128Mi"},
                      "limits": {"cpu": "2", "memory": "1Gi"}},
    }  # fmt: skip


def _istio_init() -> dict[str, Any]:
    return {
        "name": "istio-init",
        "image": PROXY_IMAGE,
        "args": ["istio-iptables", "-p", "15001", "-z", "15006", "-u", "1337", "-m", "REDIRECT",
                 "-i", "*", "-x", "", "-b", "*", "-d", "15090,15021,15020"],
    }  # fmt: skip


@dataclass(frozen=True, slots=True)
class PodPlan:
    """Where and since when one pod runs, and who owns it."""

    name: str
    generate_name: str
    owner: dict[str, Any]
    labels: dict[str, str]
    node: str
    node_ip: str
    started: datetime


def _running(name: str, image: str, since: datetime, namer: Namer) -> dict[str, Any]:
    repository = image.split("@")[0].rsplit(":", 1)[0]
    return {
        "name": name,
        "image": image,
        "imageID": f"{repository}@sha256:{namer.hex(64)}",
        "containerID": f"containerd://{namer.hex(64)}",
        "ready": True,
        "started": True,
        "restartCount": 0,
        "state": {"running": {"startedAt": timestamp(since)}},
        "lastState": {},
    }


@dataclass(frozen=True, slots=True)
class Termination:
    """How the main container's previous run ended, in a pod that was restarted since."""

    reason: str  # OOMKilled, Error
    exit_code: int
    finished: datetime
    restarts: int = 1


@dataclass(frozen=True, slots=True)
class PodHistory:
    """What happened to a pod's main container beyond starting once and staying ready."""

    crash: CrashLoop | None = None
    terminated: Termination | None = None
    not_ready_since: datetime | None = None  # readiness still failing at the end
    ready_since: datetime | None = None  # ready again since, after readiness had failed


def _restarted(status: dict[str, Any], last: Termination, started: datetime) -> None:
    # The previous container had its own id; derive one so it is stable without a draw.
    previous = hashlib.sha256(status["containerID"].encode()).hexdigest()
    status["restartCount"] = last.restarts
    status["lastState"] = {"terminated": {
        "exitCode": last.exit_code, "reason": last.reason,
        "containerID": f"containerd://{previous}",
        "startedAt": timestamp(started), "finishedAt": timestamp(last.finished),
    }}  # fmt: skip
    status["state"] = {"running": {"startedAt": timestamp(last.finished + timedelta(seconds=1))}}


def _ready_since(plan: PodPlan, history: PodHistory) -> datetime:
    """When the pod's Ready condition last changed."""
    since = plan.started + timedelta(seconds=8)
    if history.crash is not None:
        since = max(since, history.crash.start)
    if history.terminated is not None:
        since = max(since, history.terminated.finished + timedelta(seconds=8))
    for changed in (history.not_ready_since, history.ready_since):
        if changed is not None:
            since = max(since, changed)
    return since


def _crash_looping(status: dict[str, Any], crash: CrashLoop, now: datetime) -> None:
    started, died = crash.runs[-1]
    status["restartCount"] = crash.restarts
    status["ready"] = crash.running_at_end and now.timestamp() - started > READY_AFTER_SECONDS
    status["started"] = crash.running_at_end
    ended = crash.runs[-2] if crash.running_at_end and len(crash.runs) > 1 else (started, died)
    status["lastState"] = {"terminated": {
        "exitCode": 137, "reason": "OOMKilled", "containerID": status["containerID"],
        "startedAt": timestamp(datetime.fromtimestamp(ended[0], now.tzinfo)),
        "finishedAt": timestamp(datetime.fromtimestamp(ended[1], now.tzinfo)),
    }}  # fmt: skip
    if crash.running_at_end:
        status["state"] = {
            "running": {"startedAt": timestamp(datetime.fromtimestamp(started, now.tzinfo))}
        }
    else:
        status["state"] = {"waiting": {
            "reason": "CrashLoopBackOff",
            "message": f"back-off 5m0s restarting failed container={crash.container}",
        }}  # fmt: skip


def build_pod(
    workload: Workload,
    template: dict[str, Any],
    plan: PodPlan,
    namer: Namer,
    now: datetime,
    *,
    injected: bool,
    crash: CrashLoop | None = None,
    history: PodHistory | None = None,
) -> KubeObject:
    """A running pod of ``workload`` made from its controller's template.

    ``history`` (or just ``crash``) says what its main container went through.
    """
    history = history or PodHistory(crash=crash)
    spec = json.loads(json.dumps(template["spec"]))
    labels = {**template["metadata"]["labels"], **plan.labels}
    annotations = dict(template["metadata"].get("annotations", {}))
    if injected:
        labels.update(
            {
                "security.istio.io/tlsMode": "istio",
                "service.istio.io/canonical-name": workload.app,
                "service.istio.io/canonical-revision": workload.canonical_revision,
            }
        )
        annotations.update(
            {
                "istio.io/rev": "default",
                "kubectl.kubernetes.io/default-container": workload.container,
                "kubectl.kubernetes.io/default-logs-container": workload.container,
                "prometheus.io/path": "/stats/prometheus",
                "prometheus.io/port": "15020",
                "prometheus.io/scrape": "true",
                "sidecar.istio.io/status": SIDECAR_STATUS,
            }
        )
        spec["containers"].append(_sidecar())
        spec["initContainers"] = [_istio_init(), *spec.get("initContainers", [])]
    spec["nodeName"] = plan.node
    spec["schedulerName"] = "default-scheduler"
    uid = namer.uid()
    statuses = [
        _running(c["name"], c["image"], plan.started + timedelta(seconds=4), namer)
        for c in spec["containers"]
    ]
    if history.crash is not None:
        _crash_looping(statuses[0], history.crash, now)
    if history.terminated is not None:
        _restarted(statuses[0], history.terminated, plan.started + timedelta(seconds=4))
    if history.not_ready_since is not None:
        statuses[0]["ready"] = False
    ready = all(s["ready"] for s in statuses)
    unready = [s["name"] for s in statuses if not s["ready"]]
    why = ("ContainersNotReady", f"containers with unready status: [{' '.join(unready)}]")
    since = _ready_since(plan, history)
    pod_ip = namer.pod_ip()
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": metadata(
            plan.name,
            workload.namespace,
            uid,
            plan.started,
            labels=labels,
            annotations=annotations,
            owners=[plan.owner],
            generate_name=plan.generate_name,
        ),
        "spec": spec,
        "status": {
            "phase": "Running",
            "conditions": [
                condition("Initialized", True, plan.started + timedelta(seconds=3)),
                condition("Ready", ready, since, *(() if ready else why)),
                condition("ContainersReady", ready, since, *(() if ready else why)),
                condition("PodScheduled", True, plan.started),
            ],
            "hostIP": plan.node_ip,
            "podIP": pod_ip,
            "podIPs": [{"ip": pod_ip}],
            "startTime": timestamp(plan.started),
            "qosClass": "Burstable",
            "containerStatuses": statuses,
        },
    }
