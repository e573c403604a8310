"""What the object builders share: the platform, incidents, names, clock and placement."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from collectors.cluster import KubeObject
from collectors.demo.incidents import CrashLoop, Rollout, Scenario
from collectors.demo.kube import Namer, owner
from collectors.demo.machines import Placement
from collectors.demo.pods import PodPlan, build_pod
from collectors.demo.spec import Platform, Workload


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
        """The bad rollout of this workload, if there was one."""
        return next((r for r in self.scenario.rollouts if r.workload == workload.key), None)

    def crash(self, workload: Workload) -> CrashLoop | None:
        """The crash loop of this workload, if there is one."""
        return next((c for c in self.scenario.crash_loops if c.workload == workload.key), None)


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
) -> list[KubeObject]:
    """Pods a controller made from ``template``: one per name, on ``nodes`` or placed.

    ``generated`` names come from the controller's ``generateName`` (ReplicaSets, Jobs,
    DaemonSets); StatefulSet pods have fixed names.
    """
    injected = workload.sidecar and ctx.platform.namespaces.get(workload.namespace, False)
    crash = ctx.crash(workload)
    prefix = controller["metadata"]["name"] + "-" if generated else ""
    found = []
    for i, name in enumerate(names):
        node = nodes[i] if nodes else ctx.placement.place(workload)
        ip = ctx.placement.node_ips[node]
        plan = PodPlan(name, prefix, owner(controller), labels, node, ip, started)
        found.append(
            build_pod(workload, template, plan, ctx.namer, ctx.now, injected=injected, crash=crash)
        )
    return found
