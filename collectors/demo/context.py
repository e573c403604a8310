"""What the object builders share: the platform, incidents, names, clock and placement."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from collectors.cluster import KubeObject
from collectors.demo.faults_records import (
    CrashLoop,
    Exhaustion,
    Outage,
    Restart,
    Rollout,
    Scenario,
)
from collectors.demo.kube import Namer, owner
from collectors.demo.machines import Placement
from collectors.demo.pods import PodHistory, PodPlan, Termination, build_pod
from collectors.demo.spec import Platform, Workload

OOM_KILL_STAGGER_SECONDS = 7  # pods of one workload leaking alike reach their limit apart


@dataclass
class Context:
    """What every builder needs: names, the clock, placement and the incidents."""

    platform: Platform
    scenario: Scenario
    namer: Namer
    now: datetime
    placement: Placement
    storage_uris: dict[str, str] = field(default_factory=dict)  # InferenceService -> model URI
    owners: dict[tuple[str, str], KubeObject] = field(default_factory=dict)  # (kind, name)

    def rollout(self, workload: Workload) -> Rollout | None:
        """The rollout of this workload, if there was one."""
        return next((r for r in self.scenario.rollouts if r.workload == workload.key), None)

    def crash(self, workload: Workload) -> CrashLoop | None:
        """The crash loop of this workload, if there is one."""
        return next((c for c in self.scenario.crash_loops if c.workload == workload.key), None)

    def outage(self, workload: Workload) -> Outage | None:
        """The outage (readiness failing everywhere) of this workload, if there was one."""
        return next((o for o in self.scenario.outages if o.workload == workload.key), None)

    def exhaustion(self, workload: Workload) -> Exhaustion | None:
        """The memory leak of this workload, if there was one."""
        return next((e for e in self.scenario.exhaustions if e.workload == workload.key), None)

    def restart(self, workload: Workload) -> Restart | None:
        """The one-off container restart of this workload, if there was one."""
        return next((r for r in self.scenario.restarts if r.workload == workload.key), None)

    def unready_at_end(self, workload: Workload) -> datetime | None:
        """Since when no pod of this workload is ready, if none is at the end of the window."""
        outage = self.outage(workload)
        if outage is not None and outage.end is None:
            return outage.unready_from
        return None

    def availability_changed(self, workload: Workload) -> datetime | None:
        """When the workload last became available or unavailable, if an outage decided it."""
        outage = self.outage(workload)
        return None if outage is None else outage.end or outage.unready_from

    def history(self, workload: Workload, index: int) -> PodHistory:
        """What the ``index``-th pod of ``workload`` went through in the window."""
        crash = self.crash(workload)
        terminated = None
        leak = self.exhaustion(workload)
        restart = self.restart(workload)
        if leak is not None and leak.end is not None:
            died = leak.end + timedelta(seconds=OOM_KILL_STAGGER_SECONDS * index)
            terminated = Termination("OOMKilled", 137, died)
        elif restart is not None and index == 0:
            terminated = Termination(restart.reason, restart.exit_code, restart.at)
        outage = self.outage(workload)
        if outage is None:
            return PodHistory(crash, terminated)
        if outage.end is None:
            return PodHistory(crash, terminated, not_ready_since=self.unready_at_end(workload))
        return PodHistory(crash, terminated, ready_since=outage.end)


def controller_pods(
    workload: Workload,
    template: dict[str, Any],
    controller: KubeObject,
    names: list[str],
    labels: dict[str, str],
    started: datetime,
    ctx: Context,
    *,
    nodes: list[str] | None = None,
    generated: bool = True,
    first_index: int = 0,
) -> list[KubeObject]:
    """Pods a controller made from ``template``: one per name, on ``nodes`` or placed.

    ``generated`` names come from the controller's ``generateName`` (ReplicaSets, Jobs,
    DaemonSets); StatefulSet pods have fixed names. ``first_index`` is the first pod's ordinal
    among its workload's pods.
    """
    injected = workload.sidecar and ctx.platform.namespaces.get(workload.namespace, False)
    prefix = controller["metadata"]["name"] + "-" if generated else ""
    found = []
    for i, name in enumerate(names):
        node = nodes[i] if nodes else ctx.placement.place(workload)
        ip = ctx.placement.node_ips[node]
        plan = PodPlan(name, prefix, owner(controller), labels, node, ip, started)
        history = ctx.history(workload, first_index + i)
        found.append(
            build_pod(workload, template, plan, ctx.namer, ctx.now, injected=injected,
                      history=history)
        )  # fmt: skip
    return found
