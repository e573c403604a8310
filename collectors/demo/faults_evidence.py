"""What Kubernetes records while a fault runs: Events on pods and nodes, with the kubelet's words.

Shared by :mod:`collectors.demo.evidence`: an index of the generated objects, the Event builder,
the readiness-probe failure messages each probe kind produces, and the kernel's OOM-kill line.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from collectors.cluster import KubeObject
from collectors.demo.faults_records import PROBE_PERIOD_SECONDS, Exhaustion, Outage, Restart
from collectors.demo.kube import Namer, metadata, timestamp

ProbeFailure = Literal["timeout", "refused"]

_MEMORY_UNITS = {"Ki": 1, "Mi": 1024, "Gi": 1024 * 1024}


class Index:
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

    def workload_pods(self, workload_key: str) -> list[KubeObject]:
        """Pods of the workload ``namespace/name``."""
        namespace, name = workload_key.split("/", 1)
        return self.pods.get((namespace, name), [])


def event(
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
    """A core/v1 Event about ``target``, as the API server lists it."""
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


def at(seconds: float) -> datetime:
    """Unix seconds as a whole-second UTC moment."""
    return datetime.fromtimestamp(seconds, UTC).replace(microsecond=0)


def probe_failed(pod: KubeObject, failure: ProbeFailure) -> str:
    """The kubelet's message for a failed readiness probe of the pod's main container."""
    container = pod["spec"]["containers"][0]
    probe = container.get("readinessProbe", {})
    ip = pod["status"]["podIP"]
    if "exec" in probe:
        command = " ".join(probe["exec"]["command"])
        if failure == "timeout":
            return f'Readiness probe failed: command "{command}" timed out'
        return f'Readiness probe failed: command "{command}" exited with 1'
    if "httpGet" in probe:
        get = probe["httpGet"]
        url = f"http://{ip}:{get['port']}{get['path']}"
        if failure == "timeout":
            return (
                f'Readiness probe failed: Get "{url}": context deadline exceeded '
                "(Client.Timeout exceeded while awaiting headers)"
            )
        return f'Readiness probe failed: Get "{url}": dial tcp {ip}:{get["port"]}: connect: ' + (
            "connection refused"
        )
    ports = container.get("ports") or [{"containerPort": 8080}]
    port = probe.get("tcpSocket", {}).get("port", ports[0]["containerPort"])
    why = "i/o timeout" if failure == "timeout" else "connect: connection refused"
    return f"Readiness probe failed: dial tcp {ip}:{port}: {why}"


def _limit_kib(pod: KubeObject) -> int:
    memory = str(pod["spec"]["containers"][0]["resources"]["limits"].get("memory", "512Mi"))
    unit = memory[-2:]
    if unit in _MEMORY_UNITS:
        return int(float(memory[:-2]) * _MEMORY_UNITS[unit])
    return int(memory) // 1024


def oom_killed(pod: KubeObject, process: str, pid: int) -> str:
    """The kernel's line for a process killed at its cgroup's memory limit."""
    anon = _limit_kib(pod) - 1288  # the rest of the limit is page cache and kernel memory
    file_rss = 33980
    total = anon + file_rss + (3002284 if process == "java" else 716800)
    return (
        f"Memory cgroup out of memory: Killed process {pid} ({process}) total-vm:{total}kB, "
        f"anon-rss:{anon}kB, file-rss:{file_rss}kB, shmem-rss:0kB, UID:1000 pgtables:2144kB "
        "oom_score_adj:984"
    )


def _pid(pod: KubeObject) -> int:
    return 1000 + zlib.crc32(pod["metadata"]["name"].encode()) % 60000


def _restarted(
    pod: KubeObject, index: Index, died: datetime, process: str, oom: bool, namer: Namer
) -> list[KubeObject]:
    """Events of one container restart: the kernel's OOM kill, then the kubelet starting it."""
    node = pod["spec"]["nodeName"]
    container = pod["spec"]["containers"][0]
    found = []
    if oom:
        machine = index.by_name[("Node", "", node)]
        message = oom_killed(pod, process, _pid(pod))
        found.append(event(machine, "OOMKilling", message, died, warning=True, namer=namer,
                           component="kernel-monitor", host=node))  # fmt: skip
    back = died + timedelta(seconds=1)
    found += [
        event(pod, "Pulled", f'Container image "{container["image"]}" already present on machine',
              back, namer=namer, host=node),
        event(pod, "Created", f"Created container {container['name']}", back, namer=namer,
              host=node),
        event(pod, "Started", f"Started container {container['name']}", back, namer=namer,
              host=node),
    ]  # fmt: skip
    return found


def outage_events(outage: Outage, index: Index, namer: Namer, now: datetime) -> list[KubeObject]:
    """Readiness refused on every pod from the start of the outage until it ended (or now)."""
    stop = outage.end or now
    count = max(1, int((stop - outage.start).total_seconds() // PROBE_PERIOD_SECONDS))
    return [
        event(pod, "Unhealthy", probe_failed(pod, "refused"), outage.start + timedelta(seconds=4),
              last=stop - timedelta(seconds=6), count=count, warning=True, namer=namer,
              host=pod["spec"]["nodeName"])
        for pod in index.workload_pods(outage.workload)
    ]  # fmt: skip


def exhaustion_events(
    leak: Exhaustion, index: Index, namer: Namer, now: datetime
) -> list[KubeObject]:
    """Probe time-outs late in the climb and, when it ended, the OOM kill and restart."""
    stop = leak.end or now
    late = leak.start + (stop - leak.start) * 0.75
    count = max(1, int((stop - late).total_seconds() // (3 * PROBE_PERIOD_SECONDS)))
    found: list[KubeObject] = []
    for i, pod in enumerate(index.workload_pods(leak.workload)):
        found.append(event(pod, "Unhealthy", probe_failed(pod, "timeout"), late,
                           last=stop - timedelta(seconds=20), count=count, warning=True,
                           namer=namer, host=pod["spec"]["nodeName"]))  # fmt: skip
        if leak.end is not None:
            died = leak.end + timedelta(seconds=7 * i)
            process = leak.process or leak.container
            found += _restarted(pod, index, died, process, True, namer)
    return found


def restart_events(
    restart: Restart, index: Index, namer: Namer, since: datetime | None
) -> list[KubeObject]:
    """The one restart of the workload's first pod; none when Events have expired since."""
    pods = index.workload_pods(restart.workload)
    if not pods or (since is not None and restart.at < since):
        return []
    oom = restart.reason == "OOMKilled"
    return _restarted(pods[0], index, restart.at, restart.process or restart.container, oom, namer)
