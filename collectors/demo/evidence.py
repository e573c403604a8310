"""Kubernetes Events the injected incidents leave behind (and a few ordinary ones)."""

from __future__ import annotations

from datetime import datetime, timedelta

from collectors.cluster import KubeObject
from collectors.demo.faults_evidence import (
    Index,
    at,
    event,
    exhaustion_events,
    oom_killed,
    outage_events,
    probe_failed,
    restart_events,
)
from collectors.demo.faults_records import CrashLoop, Rollout, Scenario
from collectors.demo.kube import Namer

CRASH_LOOP_PID = 28411


def _rollout_events(rollout: Rollout, index: Index, namer: Namer) -> list[KubeObject]:
    namespace, name = rollout.workload.split("/", 1)
    deployment = index.by_name[("Deployment", namespace, name)]
    replicas = deployment["spec"]["replicas"]
    sets = sorted(index.replica_sets[(namespace, name)],
                  key=lambda rs: rs["metadata"]["annotations"]
                  ["deployment.kubernetes.io/revision"])  # fmt: skip
    old, new = sets[-1]["metadata"]["name"], sets[0]["metadata"]["name"]
    if rollout.rolled_back is None:
        old, new = new, old
    steps = [
        (rollout.start, f"Scaled up replica set {new} from 0 to {replicas}"),
        (rollout.start + timedelta(seconds=40),
         f"Scaled down replica set {old} from {replicas} to 0"),
    ]  # fmt: skip
    if rollout.rolled_back is not None:
        steps += [(rollout.rolled_back, f"Scaled up replica set {old} from 0 to {replicas}"),
                  (rollout.rolled_back + timedelta(seconds=35),
                   f"Scaled down replica set {new} from {replicas} to 0")]  # fmt: skip
    found = [
        event(deployment, "ScalingReplicaSet", text, when, namer=namer,
              component="deployment-controller")
        for when, text in steps
    ]  # fmt: skip
    for pod in index.pods.get((namespace, name), []):
        started = datetime.fromisoformat(pod["status"]["startTime"])
        container = pod["spec"]["containers"][0]["name"]
        found.append(event(pod, "Started", f"Started container {container}",
                           started + timedelta(seconds=4), namer=namer,
                           host=pod["spec"]["nodeName"]))  # fmt: skip
    return found


def _crash_events(crash: CrashLoop, index: Index, namer: Namer, now: datetime) -> list[KubeObject]:
    namespace = crash.workload.split("/", 1)[0]
    found: list[KubeObject] = []
    for pod in index.workload_pods(crash.workload):
        node = pod["spec"]["nodeName"]
        image = pod["spec"]["containers"][0]["image"]
        first, last = at(crash.runs[0][1]), at(min(crash.runs[-1][1], now.timestamp()))
        found += [
            event(pod, "BackOff", f"Back-off restarting failed container {crash.container} "
                  f"in pod {pod['metadata']['name']}_{namespace}({pod['metadata']['uid']})",
                  first + timedelta(seconds=1), last=now - timedelta(seconds=20),
                  count=max(1, crash.restarts * 3), warning=True, namer=namer, host=node),
            event(pod, "Pulled", f'Container image "{image}" already present on machine',
                  at(crash.runs[0][0]), last=at(crash.runs[-1][0]),
                  count=len(crash.runs), namer=namer, host=node),
            event(pod, "Started", f"Started container {crash.container}",
                  at(crash.runs[0][0]), last=at(crash.runs[-1][0]),
                  count=len(crash.runs), namer=namer, host=node),
        ]  # fmt: skip
        machine = index.by_name[("Node", "", node)]
        process = crash.process or crash.container
        found.append(event(machine, "OOMKilling", oom_killed(pod, process, CRASH_LOOP_PID), first,
                           last=last, count=max(1, crash.restarts), warning=True, namer=namer,
                           component="kernel-monitor", host=node))  # fmt: skip
    return found


def incident_events(
    items: list[KubeObject],
    scenario: Scenario,
    namer: Namer,
    now: datetime,
    *,
    retained_since: datetime | None = None,
) -> list[KubeObject]:
    """Events for rollouts, crash loops, probe failures, outages, leaks and restarts.

    Events from before ``retained_since`` have expired and are not listed.
    """
    index = Index(items)
    found: list[KubeObject] = []
    for rollout in scenario.rollouts:
        found += _rollout_events(rollout, index, namer)
    for crash in scenario.crash_loops:
        found += _crash_events(crash, index, namer, now)
    for sat in scenario.saturations:
        end = sat.end or now
        for pod in index.workload_pods(sat.workload):
            found.append(event(pod, "Unhealthy", probe_failed(pod, "timeout"),
                               sat.start + timedelta(minutes=3), last=end,
                               count=sat.probe_failures, warning=True, namer=namer,
                               host=pod["spec"]["nodeName"]))  # fmt: skip
    for gpu in scenario.gpu_pressure:
        end = gpu.end or now
        late = gpu.start + (end - gpu.start) * 0.7
        for pod in index.workload_pods(gpu.workload):
            found.append(event(pod, "Unhealthy", probe_failed(pod, "timeout"), late,
                               last=end - timedelta(seconds=40), count=9, warning=True,
                               namer=namer, host=pod["spec"]["nodeName"]))  # fmt: skip
    for outage in scenario.outages:
        found += outage_events(outage, index, namer, now)
    for leak in scenario.exhaustions:
        found += exhaustion_events(leak, index, namer, now)
    for restart in scenario.restarts:
        found += restart_events(restart, index, namer, retained_since)
    return found
