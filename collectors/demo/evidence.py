"""Kubernetes Events the injected incidents leave behind (and a few ordinary ones)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from collectors.cluster import KubeObject
from collectors.demo.incidents import Scenario
from collectors.demo.kube import Namer, metadata, timestamp


class _Index:
    """Objects by kind, namespace and name, and pods by the workload that owns them."""

    def __init__(self, items: Iterable[KubeObject]) -> None:
        self.by_name: dict[tuple[str, str, str], KubeObject] = {}
        self.replica_sets: dict[tuple[str, str], list[KubeObject]] = {}
        self.pods: dict[tuple[str, str], list[KubeObject]] = {}
        sets: dict[str, KubeObject] = {}
        for item in items:
            meta = item["metadata"]
            namespace = meta.get("namespace", "")
            self.by_name[(item["kind"], namespace, meta["name"])] = item
            if item["kind"] == "ReplicaSet":
                sets[meta["uid"]] = item
                deployment = meta["ownerReferences"][0]["name"]
                self.replica_sets.setdefault((namespace, deployment), []).append(item)
        for item in items:
            if item["kind"] != "Pod":
                continue
            meta = item["metadata"]
            ref = meta["ownerReferences"][0]
            owner_name = ref["name"]
            if ref["kind"] == "ReplicaSet" and ref["uid"] in sets:
                owner_name = sets[ref["uid"]]["metadata"]["ownerReferences"][0]["name"]
            self.pods.setdefault((meta["namespace"], owner_name), []).append(item)


def _event(
    target: KubeObject,
    reason: str,
    message: str,
    first: datetime,
    *,
    namer: Namer,
    last: datetime | None = None,
    count: int = 1,
    warning: bool = False,
    component: str = "kubelet",
    host: str = "",
) -> KubeObject:
    meta = target["metadata"]
    namespace = meta.get("namespace", "default")
    source: dict[str, Any] = {"component": component}
    if host:
        source["host"] = host
    return {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": metadata(f"{meta['name']}.{namer.hex(16)}", namespace, namer.uid(), first),
        "involvedObject": {"apiVersion": target["apiVersion"], "kind": target["kind"],
                           "name": meta["name"], "namespace": namespace, "uid": meta["uid"]},
        "reason": reason,
        "message": message,
        "type": "Warning" if warning else "Normal",
        "count": count,
        "firstTimestamp": timestamp(first),
        "lastTimestamp": timestamp(last or first),
        "source": source,
        "reportingComponent": component,
        "reportingInstance": host,
    }  # fmt: skip


def _at(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC).replace(microsecond=0)


def incident_events(
    items: list[KubeObject], scenario: Scenario, namer: Namer, now: datetime
) -> list[KubeObject]:
    """Events for rollouts, crash loops, probe failures and GPU pressure."""
    index = _Index(items)
    found: list[KubeObject] = []
    for rollout in scenario.rollouts:
        namespace, name = rollout.workload.split("/", 1)
        deployment = index.by_name[("Deployment", namespace, name)]
        sets = sorted(index.replica_sets[(namespace, name)],
                      key=lambda rs: rs["metadata"]["annotations"]
                      ["deployment.kubernetes.io/revision"])  # fmt: skip
        old, new = sets[-1]["metadata"]["name"], sets[0]["metadata"]["name"]
        if rollout.rolled_back is None:
            old, new = new, old
        steps = [
            (rollout.start, f"Scaled up replica set {new} from 0 to 1"),
            (rollout.start + timedelta(seconds=40), f"Scaled down replica set {old} from 1 to 0"),
        ]
        if rollout.rolled_back is not None:
            steps += [(rollout.rolled_back, f"Scaled up replica set {old} from 0 to 1"),
                      (rollout.rolled_back + timedelta(seconds=35),
                       f"Scaled down replica set {new} from 1 to 0")]  # fmt: skip
        found += [
            _event(
                deployment,
                "ScalingReplicaSet",
                text,
                when,
                namer=namer,
                component="deployment-controller",
            )
            for when, text in steps
        ]
        for pod in index.pods.get((namespace, name), []):
            started = datetime.fromisoformat(pod["status"]["startTime"])
            found.append(
                _event(
                    pod,
                    "Started",
                    f"Started container {name.split('-')[0]}",
                    started + timedelta(seconds=4),
                    namer=namer,
                    host=pod["spec"]["nodeName"],
                )
            )
    for crash in scenario.crash_loops:
        namespace, name = crash.workload.split("/", 1)
        for pod in index.pods.get((namespace, name), []):
            node = pod["spec"]["nodeName"]
            image = pod["spec"]["containers"][0]["image"]
            first, last = _at(crash.runs[0][1]), _at(min(crash.runs[-1][1], now.timestamp()))
            found += [
                _event(pod, "BackOff", f"Back-off restarting failed container {crash.container} "
                       f"in pod {pod['metadata']['name']}_{namespace}({pod['metadata']['uid']})",
                       first + timedelta(seconds=1), last=now - timedelta(seconds=20),
                       count=max(1, crash.restarts * 3), warning=True, namer=namer, host=node),
                _event(pod, "Pulled", f'Container image "{image}" already present on machine',
                       _at(crash.runs[0][0]), last=_at(crash.runs[-1][0]),
                       count=len(crash.runs), namer=namer, host=node),
                _event(pod, "Started", f"Started container {crash.container}",
                       _at(crash.runs[0][0]), last=_at(crash.runs[-1][0]),
                       count=len(crash.runs), namer=namer, host=node),
            ]  # fmt: skip
            machine = index.by_name[("Node", "", node)]
            found.append(
                _event(
                    machine,
                    "OOMKilling",
                    "Memory cgroup out of memory: Killed process 28411 (java) total-vm:3342176kB, "
                    "anon-rss:305912kB, file-rss:33980kB, shmem-rss:0kB, UID:1000 pgtables:2144kB "
                    "oom_score_adj:984",
                    first,
                    last=last,
                    count=max(1, crash.restarts),
                    warning=True,
                    namer=namer,
                    component="kernel-monitor",
                    host=node,
                )
            )
    for sat in scenario.saturations:
        namespace, name = sat.workload.split("/", 1)
        end = sat.end or now
        for pod in index.pods.get((namespace, name), []):
            found.append(_event(pod, "Unhealthy", 'Readiness probe failed: command "redis-cli '
                                'ping" timed out', sat.start + timedelta(minutes=3), last=end,
                                count=27, warning=True, namer=namer,
                                host=pod["spec"]["nodeName"]))  # fmt: skip
    for gpu in scenario.gpu_pressure:
        namespace, name = gpu.workload.split("/", 1)
        end = gpu.end or now
        late = gpu.start + (end - gpu.start) * 0.7
        for pod in index.pods.get((namespace, name), []):
            found.append(
                _event(
                    pod,
                    "Unhealthy",
                    f'Readiness probe failed: Get "http://{pod["status"]["podIP"]}'
                    ':8080/v2/health/ready": context deadline exceeded (Client.Timeout exceeded '
                    "while awaiting headers)",
                    late,
                    last=end - timedelta(seconds=40),
                    count=9,
                    warning=True,
                    namer=namer,
                    host=pod["spec"]["nodeName"],
                )
            )
    return found
