"""What changed in the cluster: pods, rollouts, Istio settings, check findings, recorded changes.

Two snapshot files are compared object by object (:func:`pod_changes`, :func:`graph_rollouts`,
:func:`istio_changes`, :func:`finding_changes`); changes the cluster recorded with a time
(``Snapshot.changes``) are taken from an interval ``(start, end]`` (:func:`recorded_changes`),
which is all two times of one snapshot can tell, since its graph is the end of its window.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from collectors.checks import SEVERITY_ORDER
from collectors.inventory.istio_config import ISTIO_ATTRS, ISTIO_FLAG_WORDS
from collectors.kinds import ChangeKind, EdgeKind, NodeFlag, NodeKind
from collectors.model import Change, Finding, Node, Snapshot
from dashboard.analysis.diff_types import (
    ClusterEvent,
    ConfigChange,
    Entity,
    PodChange,
    Rollout,
)
from dashboard.analysis.diff_words import EntityNames
from dashboard.topology._details_config import ISTIO_LABELS

__all__ = [
    "finding_changes",
    "graph_rollouts",
    "istio_changes",
    "pod_changes",
    "recorded_changes",
]

_BADGE_OF_ATTR = {
    attr: ISTIO_FLAG_WORDS[flag]
    for attr, flag in (
        ("istio_virtual_services", NodeFlag.VIRTUAL_SERVICE),
        ("istio_traffic_shift", NodeFlag.TRAFFIC_SHIFT),
        ("istio_fault", NodeFlag.FAULT_INJECTION),
        ("istio_retries", NodeFlag.RETRIES),
        ("istio_timeout", NodeFlag.TIMEOUT),
        ("istio_mirror", NodeFlag.MIRRORING),
        ("istio_circuit_breaker", NodeFlag.CIRCUIT_BREAKER),
    )
}
"""The badge the topology draws while an attribute is set (mTLS's depends on its value)."""


def _nodes(snapshot: Snapshot, kind: NodeKind) -> dict[str, Node]:
    return {node.id: node for node in snapshot.nodes(kind)}


def _owner(snapshot: Snapshot, pod_id: str) -> str:
    for owner, _, key in snapshot.graph.in_edges(pod_id, keys=True):
        if key == EdgeKind.OWNS.value and snapshot.node(owner).kind is NodeKind.WORKLOAD:
            return str(owner)
    return ""


def _pod_words(pod: Node) -> str:
    attrs = pod.attrs
    parts = []
    if attrs.get("revision") not in (None, ""):
        parts.append(f"revision {attrs['revision']}")
    if attrs.get("node"):
        parts.append(f"on {attrs['node']}")
    state = [] if attrs.get("ready", True) else ["not ready"]
    restarts = attrs.get("restarts", 0)
    if isinstance(restarts, int | float) and restarts > 0:
        state.append(f"{restarts:.0f} restart{'s' * (restarts != 1)}")
    reason = attrs.get("waiting_reason") or attrs.get("last_termination_reason")
    if reason:
        state.append(str(reason))
    if state:
        parts.append(", ".join(state))
    return " · ".join(parts) or str(attrs.get("phase", ""))


def pod_changes(
    before: Snapshot, after: Snapshot, names: EntityNames
) -> tuple[list[PodChange], list[PodChange]]:
    """Pods only the second snapshot has (added), and only the first (removed)."""
    old, new = _nodes(before, NodeKind.POD), _nodes(after, NodeKind.POD)

    def change(snapshot: Snapshot, pod: Node) -> PodChange:
        owner = _owner(snapshot, pod.id)
        workload = names.node(owner) if owner else None
        return PodChange(names.node(pod.id), workload, _pod_words(pod))

    added = [change(after, pod) for pod_id, pod in new.items() if pod_id not in old]
    removed = [change(before, pod) for pod_id, pod in old.items() if pod_id not in new]
    for pods in (added, removed):
        pods.sort(key=lambda pod: (pod.workload.label if pod.workload else "", pod.entity.label))
    return added, removed


def _images(node: Node) -> str:
    return str(node.attrs.get("images", ""))


def _revision(node: Node) -> str:
    return str(node.attrs.get("revision", ""))


def _workload_words(node: Node) -> str:
    kind = str(node.attrs.get("workload_kind", "") or "workload")
    details = [f"revision {_revision(node)}"] if _revision(node) else []
    if _images(node):
        details.append(_images(node))
    return f"{kind} ({', '.join(details)})" if details else kind


def graph_rollouts(before: Snapshot, after: Snapshot, names: EntityNames) -> list[Rollout]:
    """Workloads whose revision or images differ, and workloads that came or went."""
    old, new = _nodes(before, NodeKind.WORKLOAD), _nodes(after, NodeKind.WORKLOAD)
    rollouts = []
    for node_id, node in new.items():
        was = old.get(node_id)
        if was is None:
            rollouts.append(Rollout(names.node(node_id), f"new {_workload_words(node)}"))
            continue
        parts = []
        if _revision(was) != _revision(node):
            parts.append(f"revision {_revision(was) or '?'} → {_revision(node) or '?'}")
        if _images(was) != _images(node):
            parts.append(f"images {_images(was) or '?'} → {_images(node) or '?'}")
        if parts:
            rollouts.append(Rollout(names.node(node_id), "; ".join(parts)))
    for node_id, node in old.items():
        if node_id not in new:
            rollouts.append(Rollout(names.node(node_id), f"removed {_workload_words(node)}"))
    rollouts.sort(key=lambda rollout: rollout.entity.label)
    return rollouts


def _istio_words(attr: str, old: str, new: str) -> str:
    label = ISTIO_LABELS.get(attr, attr)
    badge = _BADGE_OF_ATTR.get(attr)
    if not old:
        return f"{label} set: {new}" + (f" (badge {badge})" if badge else "")
    if not new:
        return f"{label} removed (was {old})" + (f" (badge {badge} gone)" if badge else "")
    return f"{label}: {old} → {new}"


def _selecting_services(snapshot: Snapshot, workload_id: str) -> list[str]:
    graph = snapshot.graph
    return [
        str(service)
        for service, _, key in graph.in_edges(workload_id, keys=True)
        if key == EdgeKind.SELECTS.value
    ]


def istio_changes(before: Snapshot, after: Snapshot, names: EntityNames) -> list[ConfigChange]:
    """Istio settings (the side panel's, badges included) that differ on nodes both snapshots
    have. A workload's change that a service selecting it shows too is reported once, on the
    service, which is where the VirtualService or DestinationRule points."""
    found: dict[str, dict[str, tuple[str, str]]] = {}
    for node in after.nodes():
        if node.id not in before.graph:
            continue
        was = before.node(node.id)
        for attr in ISTIO_ATTRS:
            old, new = str(was.attrs.get(attr, "")), str(node.attrs.get(attr, ""))
            if old != new:
                found.setdefault(node.id, {})[attr] = (old, new)
    changes = []
    for node_id, attrs in found.items():
        for attr, (old, new) in attrs.items():
            services = _selecting_services(after, node_id)
            if any(found.get(service, {}).get(attr) == (old, new) for service in services):
                continue
            words = _istio_words(attr, old, new)
            changes.append(ConfigChange(names.node(node_id), words, "istio"))
    changes.sort(key=lambda change: (change.entity.label, change.words))
    return changes


def _finding_key(finding: Finding) -> tuple[str, ...]:
    # A finding belongs to its node when it has one: a crash-looping pod replaced by another
    # is the same trouble. Messages carry numbers (restarts) that move: never part of the key.
    if finding.node:
        return finding.code, finding.node
    return finding.code, finding.kind, finding.namespace, finding.name


def _finding_entity(finding: Finding, names: EntityNames, snapshot: Snapshot) -> Entity:
    if finding.node and finding.node in snapshot.graph:
        return names.node(finding.node)
    return Entity("", finding.object, "", finding.namespace)


def finding_changes(before: Snapshot, after: Snapshot, names: EntityNames) -> list[ConfigChange]:
    """Check findings that appeared in the second snapshot or are gone from it, worst first."""
    old = {_finding_key(finding): finding for finding in before.findings}
    new = {_finding_key(finding): finding for finding in after.findings}
    ranked: list[tuple[int, str, ConfigChange]] = []
    for key, finding in new.items():
        if key not in old:
            words = f"appeared: {finding.code} {finding.severity.value}: {finding.message}"
            entity = _finding_entity(finding, names, after)
            ranked.append(
                (SEVERITY_ORDER[finding.severity], finding.object, _config(entity, words))
            )
    for key, finding in old.items():
        if key not in new:
            words = f"resolved: {finding.code} {finding.severity.value}: {finding.message}"
            entity = _finding_entity(finding, names, before)
            rank = len(SEVERITY_ORDER) + SEVERITY_ORDER[finding.severity]
            ranked.append((rank, finding.object, _config(entity, words)))
    ranked.sort(key=lambda item: item[:2])
    return [change for _, _, change in ranked]


def _config(entity: Entity, words: str) -> ConfigChange:
    return ConfigChange(entity, words, "finding")


def _change_entity(change: Change, names: EntityNames, snapshots: Iterable[Snapshot]) -> Entity:
    if change.node and any(change.node in snap.graph for snap in snapshots):
        known = names.node(change.node)
        # The object says which one (a pod of the workload, a ReplicaSet): keep its words.
        return Entity(known.id, change.object, known.kind, known.namespace)
    return Entity("", change.object, "", "")


def recorded_changes(
    snapshots: Iterable[Snapshot], start: datetime, end: datetime, names: EntityNames
) -> tuple[list[Rollout], list[ConfigChange], list[ClusterEvent]]:
    """The changes the snapshots recorded in ``(start, end]``, each once, by time.

    Rollouts and configuration changes go to their sections; restarts, probes, scaling,
    scheduling and other warnings are events.
    """
    sources = list(snapshots)
    unique: dict[tuple[datetime, ChangeKind, str, str, str], Change] = {}
    for snap in sources:
        for change in snap.changes:
            if start < change.at <= end:
                # A later snapshot's copy of the same Event carries the newer count.
                unique[(change.at, change.kind, change.object, change.reason, change.node)] = change
    rollouts: list[Rollout] = []
    config: list[ConfigChange] = []
    events: list[ClusterEvent] = []
    for change in sorted(unique.values(), key=lambda one: (one.at, one.object, one.message)):
        entity = _change_entity(change, names, sources)
        if change.kind is ChangeKind.ROLLOUT:
            rollouts.append(Rollout(entity, change.message, change.at))
        elif change.kind is ChangeKind.CONFIG:
            config.append(ConfigChange(entity, change.message, "cluster", change.at))
        else:
            events.append(
                ClusterEvent(
                    entity, change.kind, change.message, change.at, change.warning, change.count
                )
            )
    return rollouts, config, events
