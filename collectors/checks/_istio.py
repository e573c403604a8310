"""What the Istio checks share: the hosts the mesh knows, and the routes of a VirtualService."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from collectors.checks._base import CheckContext
from collectors.cluster import KubeObject
from collectors.inventory._objects import mapping, name_of, namespace_of, sequence, text
from collectors.istio_hosts import any_host_matches, fqdn, service_of

ROUTE_SECTIONS = ("http", "tcp", "tls")


@dataclass(frozen=True, slots=True)
class Registry:
    """The hosts a source read: Services, ServiceEntry hosts, and the namespaces seen at all."""

    services: frozenset[str]  # fully qualified Service names
    entries: frozenset[str]  # ServiceEntry hosts, fully qualified, wildcards kept
    namespaces: frozenset[str]  # namespaces any object was read from

    def known(self, host: str) -> bool:
        """Whether a fully qualified host is a Service or a ServiceEntry host."""
        return host in self.services or any_host_matches(self.entries, host)

    def judgeable(self, host: str) -> bool:
        """Whether the source read enough to say a host is missing.

        A Service in a namespace that was not read (a namespace filter, a partial dump) may
        well exist; only wildcards and hosts in namespaces read can be called missing.
        """
        if "*" in host:
            return False
        service = service_of(host)
        return service is None or service[0] in self.namespaces


def registry(context: CheckContext) -> Registry:
    """The context's hosts (ask through ``context.shared(registry)``: built once per run)."""
    services = frozenset(
        fqdn(name_of(service), namespace_of(service)) for service in context.of_kind("Service")
    )
    entries = frozenset(
        fqdn(text(host), namespace_of(entry))
        for entry in context.of_kind("ServiceEntry")
        for host in sequence(mapping(entry.get("spec")).get("hosts"))
    )
    namespaces = frozenset(namespace_of(item) for item in context.items) - {""}
    return Registry(services, entries, namespaces)


@dataclass(frozen=True, slots=True)
class Route:
    """One rule of a VirtualService (an ``http``, ``tcp`` or ``tls`` entry)."""

    section: str
    index: int
    rule: Mapping[str, Any]

    @property
    def destinations(self) -> list[Mapping[str, Any]]:
        """The weighted destinations of the rule (``route`` entries)."""
        return [mapping(entry) for entry in sequence(self.rule.get("route"))]

    @property
    def where(self) -> str:
        """The rule as people point at it: ``http[0]``, or its name when it has one."""
        name = text(self.rule.get("name"))
        return f"{self.section}[{self.index}]" + (f" ({name})" if name else "")


def routes(virtual_service: KubeObject) -> Iterator[Route]:
    """Every routing rule of a VirtualService, in order."""
    spec = mapping(virtual_service.get("spec"))
    for section in ROUTE_SECTIONS:
        for index, rule in enumerate(sequence(spec.get(section))):
            yield Route(section, index, mapping(rule))


def destination_host(virtual_service: KubeObject, destination: Mapping[str, Any]) -> str:
    """The fully qualified host a route destination names, ``""`` when it names none."""
    host = text(mapping(destination.get("destination")).get("host"))
    return fqdn(host, namespace_of(virtual_service)) if host else ""


def gateways_of(virtual_service: KubeObject) -> list[str]:
    """The gateways a VirtualService is bound to; none listed means the mesh's sidecars."""
    listed = [
        text(gateway) for gateway in sequence(mapping(virtual_service.get("spec")).get("gateways"))
    ]
    return [gateway for gateway in listed if gateway] or ["mesh"]


def rule_host(rule: KubeObject) -> str:
    """The fully qualified ``spec.host`` of a DestinationRule."""
    return fqdn(text(mapping(rule.get("spec")).get("host")), namespace_of(rule))


def workload_selector(obj: KubeObject) -> dict[str, str] | None:
    """The labels an Istio policy selects workloads by; ``None`` when it has no selector.

    PeerAuthentication, AuthorizationPolicy and RequestAuthentication use
    ``selector.matchLabels``; Sidecar uses ``workloadSelector.labels``.
    """
    spec = mapping(obj.get("spec"))
    if obj.get("kind") == "Sidecar":
        labels = mapping(mapping(spec.get("workloadSelector")).get("labels"))
    else:
        labels = mapping(mapping(spec.get("selector")).get("matchLabels"))
    return {str(key): text(value) for key, value in labels.items()} or None
