"""Checks on Istio traffic rules: VirtualServices, DestinationRules and Gateways that point at
nothing, contradict each other, or break traffic on purpose (fault injection)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

from collectors.checks._base import CheckContext, Hit, check
from collectors.checks._istio import (
    destination_host,
    gateways_of,
    registry,
    routes,
    rule_host,
)
from collectors.cluster import KubeObject
from collectors.inventory._objects import (
    mapping,
    name_of,
    namespace_of,
    selector_text,
    sequence,
    string_map,
    text,
)
from collectors.inventory.istio_routes import fault_text, match_text
from collectors.istio_hosts import fqdn, service_of
from collectors.kinds import NodeKind, Severity


def _service_node(context: CheckContext, host: str) -> str:
    service = service_of(host)
    return context.node(NodeKind.SERVICE, service[1], service[0]) if service else ""


@check(
    "IST001",
    Severity.ERROR,
    "VirtualService routes to a host that is no Service or ServiceEntry",
    hint="Fix the destination host, or add the Service (or a ServiceEntry for an outside host)",
)
def route_host_not_found(context: CheckContext) -> Iterator[Hit]:
    """Requests matching the rule get 503 (no healthy upstream): there is nothing to send to."""
    hosts = context.shared(registry)
    for virtual_service in context.of_kind("VirtualService"):
        for route in routes(virtual_service):
            for destination in route.destinations:
                host = destination_host(virtual_service, destination)
                if not host or hosts.known(host) or not hosts.judgeable(host):
                    continue
                message = f"{route.where} routes to {host}, which is no Service or ServiceEntry"
                yield Hit(virtual_service, message)


def _subsets(context: CheckContext) -> dict[str, set[str]]:
    defined: dict[str, set[str]] = defaultdict(set)
    for rule in context.of_kind("DestinationRule"):
        for subset in sequence(mapping(rule.get("spec")).get("subsets")):
            defined[rule_host(rule)].add(text(mapping(subset).get("name")))
    return defined


@check(
    "IST002",
    Severity.ERROR,
    "VirtualService routes to a subset no DestinationRule defines",
    hint="Define the subset in the host's DestinationRule, or route to one that exists",
)
def subset_not_found(context: CheckContext) -> Iterator[Hit]:
    """Envoy has no cluster for the subset: the route answers 503 (flag NR)."""
    defined = context.shared(_subsets)
    hosts = context.shared(registry)
    for virtual_service in context.of_kind("VirtualService"):
        for route in routes(virtual_service):
            for destination in route.destinations:
                subset = text(mapping(destination.get("destination")).get("subset"))
                host = destination_host(virtual_service, destination)
                if not subset or subset in defined.get(host, set()) or not hosts.judgeable(host):
                    continue
                message = (
                    f"{route.where} routes to subset {subset} of {host}, "
                    "defined by no DestinationRule"
                )
                yield Hit(virtual_service, message, _service_node(context, host))


@check(
    "IST003",
    Severity.WARNING,
    "DestinationRule subset matches no pods",
    hint="Compare the subset's labels with the pods' (often a version label not deployed yet)",
)
def subset_without_pods(context: CheckContext) -> Iterator[Hit]:
    """Traffic sent to the subset finds no endpoint and fails with 503."""
    services = {(namespace_of(s), name_of(s)): s for s in context.of_kind("Service")}
    for rule in context.of_kind("DestinationRule"):
        host = rule_host(rule)
        where = service_of(host)
        service = services.get(where) if where else None
        if service is None or where is None:
            continue  # an outside host, or a Service that was not read: its pods are unknown
        selector = string_map(mapping(service.get("spec")).get("selector"))
        for subset in sequence(mapping(rule.get("spec")).get("subsets")):
            labels = string_map(mapping(subset).get("labels"))
            if not selector and not labels:
                continue
            if context.selected({**selector, **labels}, where[0]):
                continue
            wanted = selector_text(labels)
            name = text(mapping(subset).get("name"))
            message = f"subset {name} ({wanted}) matches no pod of {where[1]}"
            yield Hit(rule, message, _service_node(context, host))


@check(
    "IST004",
    Severity.WARNING,
    "Several VirtualServices for one host",
    hint="Istio merges them in no set order: put the rules of one host in one VirtualService",
)
def several_virtual_services(context: CheckContext) -> Iterator[Hit]:
    """Only sidecars merge them, and in creation order; gateways take one: rules get lost."""
    claimed: dict[tuple[str, str], list[KubeObject]] = defaultdict(list)
    for virtual_service in context.of_kind("VirtualService"):
        for gateway in gateways_of(virtual_service):
            gateway_key = (
                gateway if gateway == "mesh" else fqdn(gateway, namespace_of(virtual_service))
            )
            for host in sequence(mapping(virtual_service.get("spec")).get("hosts")):
                claimed[(gateway_key, fqdn(text(host), namespace_of(virtual_service)))].append(
                    virtual_service
                )
    for (gateway, host), owners in claimed.items():
        if len(owners) < 2:
            continue
        names = ", ".join(f"{namespace_of(o)}/{name_of(o)}" for o in owners)
        via = "" if gateway == "mesh" else f" on gateway {gateway}"
        for owner in owners:
            yield Hit(owner, f"{len(owners)} VirtualServices route {host}{via}: {names}")


@check(
    "IST005",
    Severity.WARNING,
    "Fault injection active",
    hint="Remove the fault from the VirtualService once the test is over",
)
def fault_injection(context: CheckContext) -> Iterator[Hit]:
    """Errors or delays made on purpose: a test left on looks exactly like an outage."""
    for virtual_service in context.of_kind("VirtualService"):
        for route in routes(virtual_service):
            said = fault_text(route.rule.get("fault"))
            if not said:
                continue
            condition = match_text(route.rule.get("match"))
            when = f" when {condition}" if condition else ""
            hosts = [text(h) for h in sequence(mapping(virtual_service.get("spec")).get("hosts"))]
            message = f"{route.where} injects {said}{when}, on {', '.join(hosts)}"
            node = next(
                (
                    found
                    for host in hosts
                    if (found := _service_node(context, fqdn(host, namespace_of(virtual_service))))
                ),
                "",
            )
            yield Hit(virtual_service, message, node)


@check(
    "IST006",
    Severity.WARNING,
    "VirtualService route weights do not add up to 100",
    hint="Make the weights of the rule's destinations add up to 100",
)
def weights_not_100(context: CheckContext) -> Iterator[Hit]:
    """Istio rejects or renormalises such a split: the traffic shift is not the one written."""
    for virtual_service in context.of_kind("VirtualService"):
        for route in routes(virtual_service):
            weights = [destination.get("weight") for destination in route.destinations]
            if len(weights) < 2 or all(weight is None for weight in weights):
                continue
            total = sum(weight for weight in weights if isinstance(weight, int))
            if total != 100:
                yield Hit(virtual_service, f"{route.where} weights add up to {total}, not 100")


def _istio_workloads_read(context: CheckContext) -> bool:
    """Whether Istio's own gateways could have been read (a cluster read whole, or istio-system).

    Manifests of an application do not hold the ingress gateway istioctl installed, and a
    namespace filter can leave it out: then a Gateway's selector cannot be judged.
    """
    return any(
        namespace_of(item) == "istio-system"
        or "istio" in mapping(mapping(item.get("metadata")).get("labels"))
        for item in context.of_kind("Pod", "Deployment", "DaemonSet", "StatefulSet")
    )


@check(
    "IST007",
    Severity.ERROR,
    "Gateway selector matches no workload",
    hint="No gateway proxy serves it: fix the selector to match the gateway pods' labels",
)
def gateway_without_workload(context: CheckContext) -> Iterator[Hit]:
    """The Gateway's listeners exist nowhere: traffic for its hosts is refused at the edge."""
    if not _istio_workloads_read(context):
        return
    for gateway in context.of_kind("Gateway"):
        selector = string_map(mapping(gateway.get("spec")).get("selector"))
        if not selector or context.selected(selector, None):
            continue
        wanted = selector_text(selector)
        yield Hit(gateway, f"selector {wanted} matches no gateway pod")


@check(
    "IST008",
    Severity.ERROR,
    "VirtualService bound to a Gateway that does not exist",
    hint="Fix the gateways list (namespace/name), or create the Gateway",
)
def gateway_not_found(context: CheckContext) -> Iterator[Hit]:
    """Its rules apply nowhere: traffic through that gateway ignores them."""
    gateways = {(namespace_of(g), name_of(g)) for g in context.of_kind("Gateway")}
    read = context.shared(registry).namespaces
    for virtual_service in context.of_kind("VirtualService"):
        for gateway in gateways_of(virtual_service):
            if gateway == "mesh":
                continue
            namespace, _, name = gateway.rpartition("/")
            namespace = namespace or namespace_of(virtual_service)
            if (namespace, name) not in gateways and namespace in read:
                yield Hit(
                    virtual_service, f"bound to gateway {namespace}/{name}, which does not exist"
                )


@check(
    "IST009",
    Severity.WARNING,
    "DestinationRule for a host that is no Service or ServiceEntry",
    hint="Fix spec.host, or remove the rule: it applies to nothing",
)
def rule_host_not_found(context: CheckContext) -> Iterator[Hit]:
    """Its traffic policy (TLS, circuit breaking, subsets) applies to nothing."""
    hosts = context.shared(registry)
    for rule in context.of_kind("DestinationRule"):
        host = rule_host(rule)
        if host and not hosts.known(host) and hosts.judgeable(host):
            yield Hit(rule, f"host {host} is no Service or ServiceEntry")


@check(
    "IST010",
    Severity.WARNING,
    "Several DestinationRules for one host",
    hint="Istio uses one of them only: merge their subsets and policies into one rule",
)
def several_destination_rules(context: CheckContext) -> Iterator[Hit]:
    """In one namespace, Istio keeps the oldest rule's policy for a host: the others' is lost.

    Rules for one host in different namespaces are how per-namespace policy is written, and
    rules with a workloadSelector apply to their own workloads: neither is reported.
    """
    claimed: dict[tuple[str, str], list[KubeObject]] = defaultdict(list)
    for rule in context.of_kind("DestinationRule"):
        if not mapping(mapping(rule.get("spec")).get("workloadSelector")):
            claimed[(namespace_of(rule), rule_host(rule))].append(rule)
    for (_, host), owners in claimed.items():
        if len(owners) < 2:
            continue
        names = ", ".join(f"{namespace_of(o)}/{name_of(o)}" for o in owners)
        for owner in owners:
            yield Hit(
                owner,
                f"{len(owners)} DestinationRules for {host}: {names}",
                _service_node(context, host),
            )
