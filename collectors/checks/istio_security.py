"""Checks on Istio security: mutual TLS that callers cannot speak, rules that contradict it,
and policies whose selector reaches no workload."""

from __future__ import annotations

from collections.abc import Iterator

from collectors.checks._base import CheckContext, Hit, check
from collectors.checks._istio import rule_host, workload_selector
from collectors.cluster import KubeObject
from collectors.inventory._objects import mapping, namespace_of, selector_text, text
from collectors.istio_hosts import service_of
from collectors.kinds import EdgeKind, NodeFlag, NodeKind, Severity

PLAINTEXT_SHARE = 0.99
"""Below this share of mutual-TLS traffic, some of an edge's callers speak plaintext."""


def _workload_object(context: CheckContext, node_id: str) -> KubeObject:
    node = context.snapshot.node(node_id)
    kind = str(node.attrs.get("workload_kind") or "Workload")
    return {"kind": kind, "metadata": {"name": node.name, "namespace": node.namespace}}


@check(
    "IST011",
    Severity.ERROR,
    "STRICT mutual TLS with callers that have no sidecar",
    hint="Add the sidecar to the callers, or set the PeerAuthentication to PERMISSIVE for now",
)
def strict_with_plaintext_callers(context: CheckContext) -> Iterator[Hit]:
    """A STRICT workload refuses plaintext: callers without a proxy get connection resets.

    Judged from telemetry: callers flagged without a sidecar, or edges carrying plaintext
    traffic in the window. Without metrics there are no callers to judge.
    """
    callers: dict[str, list[str]] = {}
    for edge in context.snapshot.edges(EdgeKind.CALLS):
        target = context.snapshot.node(edge.target)
        if NodeFlag.MTLS_STRICT not in target.flags or target.kind is not NodeKind.WORKLOAD:
            continue
        source = context.snapshot.node(edge.source)
        share = edge.traffic.mtls_ratio if edge.traffic is not None else None
        if NodeFlag.MISSING_SIDECAR in source.flags:
            callers.setdefault(edge.target, []).append(f"{source.name} (no sidecar)")
        elif share is not None and share < PLAINTEXT_SHARE:
            callers.setdefault(edge.target, []).append(f"{source.name} ({share:.0%} mTLS)")
    for target_id, names in callers.items():
        unique = list(dict.fromkeys(names))
        message = f"requires mutual TLS, but {', '.join(unique)} call it in plaintext"
        yield Hit(_workload_object(context, target_id), message, target_id)


@check(
    "IST012",
    Severity.ERROR,
    "DestinationRule disables TLS to workloads that require mutual TLS",
    hint="Set the DestinationRule's tls.mode to ISTIO_MUTUAL (or remove it to let Istio choose)",
)
def tls_disabled_towards_strict(context: CheckContext) -> Iterator[Hit]:
    """Clients send plaintext that the STRICT server refuses: every call fails (503 UF/URX)."""
    for rule in context.of_kind("DestinationRule"):
        tls = mapping(mapping(mapping(rule.get("spec")).get("trafficPolicy")).get("tls"))
        if text(tls.get("mode")) != "DISABLE":
            continue
        service = service_of(rule_host(rule))
        node = context.node(NodeKind.SERVICE, service[1], service[0]) if service else ""
        if not node:
            continue
        strict = [
            context.snapshot.node(edge.target).name
            for _, _, edge in context.snapshot.graph.out_edges(node, data="edge")
            if edge.kind is EdgeKind.SELECTS
            and NodeFlag.MTLS_STRICT in context.snapshot.node(edge.target).flags
        ]
        if strict:
            whose = ", ".join(strict)
            message = f"tls.mode DISABLE to {rule_host(rule)}, whose {whose} require mutual TLS"
            yield Hit(rule, message, node)


@check(
    "IST013",
    Severity.WARNING,
    "Istio policy selector matches no workload",
    hint="Fix the selector labels: as written the policy applies to no pod",
)
def policy_selects_nothing(context: CheckContext) -> Iterator[Hit]:
    """A PeerAuthentication, AuthorizationPolicy or Sidecar meant for some pods applies to none."""
    for policy in context.of_kind("PeerAuthentication", "AuthorizationPolicy", "Sidecar"):
        selector = workload_selector(policy)
        if selector is None or context.selected(selector, namespace_of(policy)):
            continue
        wanted = selector_text(selector)
        yield Hit(policy, f"selector {wanted} matches no pod in {namespace_of(policy)}")
