"""DestinationRules (client TLS, circuit breakers) and PeerAuthentications (mutual TLS).

The DestinationRule that applies to a service is the one in the service's own namespace, else
the root namespace's, else one in a client namespace (which only that namespace's clients
use); among several, an exact host beats a wildcard, and then the oldest wins, as in Istio.

The mutual TLS a workload accepts is set by the PeerAuthentication selecting its pods in its
namespace, else the namespace-wide one, else the mesh-wide one in the root namespace, else
PERMISSIVE; a mode of UNSET inherits from the next level.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from collectors.cluster import KubeObject
from collectors.inventory._istio import (
    NETWORKING,
    ROOT_NAMESPACE,
    SECURITY,
    Findings,
    ServiceIndex,
    age_key,
    is_istio,
    object_ref,
)
from collectors.inventory._objects import (
    Fields,
    mapping,
    namespace_of,
    selector_matches,
    sequence,
    string_map,
    text,
)
from collectors.kinds import NodeFlag
from collectors.model import Node

_PEER_MODES = frozenset({"STRICT", "PERMISSIVE", "DISABLE"})
DEFAULT_MTLS = "PERMISSIVE"
"""What a workload accepts when no PeerAuthentication applies."""


def add_destination_rule_findings(
    index: ServiceIndex, items: Sequence[KubeObject], findings: Findings
) -> None:
    """Record each service's DestinationRule, its client TLS mode and circuit breakers."""
    best: dict[str, tuple[tuple[int, int, str, str], KubeObject, Node]] = {}
    for obj in items:
        if not is_istio(obj, "DestinationRule", NETWORKING):
            continue
        namespace = namespace_of(obj)
        for node, specificity in index.resolve(mapping(obj.get("spec")).get("host"), namespace):
            tier = 0 if namespace == node.namespace else 1 if namespace == ROOT_NAMESPACE else 2
            rank = (tier, -specificity, *age_key(obj))
            if node.id not in best or rank < best[node.id][0]:
                best[node.id] = (rank, obj, node)
    for _, obj, node in best.values():
        findings.add([node.id], None, "istio_destination_rule", object_ref(obj, node.namespace))
        policies = scoped_policies(mapping(obj.get("spec")))
        breakers = [_scoped(scope, circuit_breaker_text(policy)) for scope, policy in policies]
        breaker = "; ".join(found for found in breakers if found)
        if breaker:
            findings.add([node.id], NodeFlag.CIRCUIT_BREAKER, "istio_circuit_breaker", breaker)
        modes = [_scoped(scope, tls_mode(policy), " ") for scope, policy in policies]
        findings.add([node.id], None, "istio_client_tls", "; ".join(m for m in modes if m))


def _scoped(scope: str, found: str, separator: str = ": ") -> str:
    return f"{scope}{separator}{found}" if scope and found else found


def scoped_policies(spec: Fields) -> list[tuple[str, Fields]]:
    """Return a DestinationRule's traffic policies with where each applies.

    ``""`` is the whole host; then ``port N``, ``subset S`` and ``subset S port N``.
    """
    found: list[tuple[str, Fields]] = []

    def add(scope: str, value: object) -> None:
        policy = mapping(value)
        if not policy:
            return
        found.append((scope, policy))
        for item in sequence(policy.get("portLevelSettings")):
            setting = mapping(item)
            number = text(mapping(setting.get("port")).get("number")) or "?"
            found.append((" ".join(filter(None, (scope, f"port {number}"))), setting))

    add("", spec.get("trafficPolicy"))
    for item in sequence(spec.get("subsets")):
        subset = mapping(item)
        add(f"subset {text(subset.get('name')) or '?'}", subset.get("trafficPolicy"))
    return found


def tls_mode(policy: Fields) -> str:
    """Return the client TLS mode a traffic policy sets (``ISTIO_MUTUAL``...), ``""`` if none."""
    return text(mapping(policy.get("tls")).get("mode")).upper()


_POOL_LIMITS = (
    ("tcp", "maxConnections", "max {} connections"),
    ("tcp", "connectTimeout", "connect timeout {}"),
    ("http", "http1MaxPendingRequests", "{} pending"),
    ("http", "http2MaxRequests", "max {} requests"),
    ("http", "maxRequestsPerConnection", "{} requests/connection"),
    ("http", "maxRetries", "{} retries"),
)
_OUTLIER_SETTINGS = (
    ("consecutive5xxErrors", "{} consecutive 5xx"),
    ("consecutiveErrors", "{} consecutive 5xx"),  # the name before Istio 1.6
    ("consecutiveGatewayErrors", "{} consecutive gateway errors"),
    ("interval", "every {}"),
    ("baseEjectionTime", "eject {}"),
    ("maxEjectionPercent", "max {}%"),
)


def circuit_breaker_text(policy: Fields) -> str:
    """Summarise a traffic policy's connection pool limits and outlier detection.

    >>> circuit_breaker_text({"connectionPool": {"tcp": {"maxConnections": 1}},
    ...                       "outlierDetection": {"consecutive5xxErrors": 1}})
    'pool max 1 connections; outlier 1 consecutive 5xx'
    """
    parts = []
    pool = policy.get("connectionPool")
    if isinstance(pool, Mapping):
        limits = [
            form.format(text(mapping(pool.get(section)).get(key)))
            for section, key, form in _POOL_LIMITS
            if text(mapping(pool.get(section)).get(key))
        ]
        parts.append("pool " + ", ".join(limits) if limits else "connection pool")
    outlier = policy.get("outlierDetection")
    if isinstance(outlier, Mapping):
        settings = [form.format(text(outlier[key])) for key, form in _OUTLIER_SETTINGS
                    if text(outlier.get(key))]  # fmt: skip
        parts.append("outlier " + ", ".join(settings) if settings else "outlier detection")
    return "; ".join(parts)


@dataclass(frozen=True, slots=True)
class Mtls:
    """The mutual TLS mode a workload's sidecar accepts, with per-port exceptions."""

    mode: str
    ports: tuple[tuple[str, str], ...] = ()  # (port, mode) where it differs from ``mode``

    @property
    def text(self) -> str:
        """``STRICT``, or ``STRICT (port 8080 PERMISSIVE)``."""
        exceptions = ", ".join(f"port {port} {mode}" for port, mode in self.ports)
        return f"{self.mode} ({exceptions})" if exceptions else self.mode


def _peer_mode(value: object) -> str:
    mode = text(mapping(value).get("mode")).upper()
    return mode if mode in _PEER_MODES else ""  # UNSET, absent or unknown: inherit


class PeerAuthentications:
    """PeerAuthentication objects, indexed to answer what mode a workload accepts."""

    def __init__(self, items: Sequence[KubeObject], root: str = ROOT_NAMESPACE) -> None:
        self._root = root
        self._selecting: dict[str, list[tuple[dict[str, str], KubeObject]]] = {}
        self._namespace_wide: dict[str, KubeObject] = {}
        policies = [obj for obj in items if is_istio(obj, "PeerAuthentication", SECURITY)]
        for obj in sorted(policies, key=age_key):
            spec = mapping(obj.get("spec"))
            selector = string_map(mapping(spec.get("selector")).get("matchLabels"))
            if selector:
                self._selecting.setdefault(namespace_of(obj), []).append((selector, obj))
            else:
                self._namespace_wide.setdefault(namespace_of(obj), obj)  # the oldest wins

    def namespace_mode(self, namespace: str) -> str:
        """Return the mode of a workload no selecting policy picks, in ``namespace``."""
        for level in (namespace, self._root):
            policy = self._namespace_wide.get(level)
            mode = _peer_mode(mapping(mapping(policy).get("spec")).get("mtls"))
            if mode:
                return mode
        return DEFAULT_MTLS

    def for_workload(self, namespace: str, labels: Mapping[str, str]) -> Mtls:
        """Return the mode a workload with these pod labels accepts in ``namespace``."""
        inherited = self.namespace_mode(namespace)
        chosen = next(
            (obj for selector, obj in self._selecting.get(namespace, [])
             if selector_matches(selector, labels)),
            None,
        )  # fmt: skip
        if chosen is None:
            return Mtls(inherited)
        spec = mapping(chosen.get("spec"))
        mode = _peer_mode(spec.get("mtls")) or inherited
        ports = []
        for port, setting in mapping(spec.get("portLevelMtls")).items():
            port_mode = _peer_mode(setting) or mode
            if port_mode != mode:
                ports.append((str(port), port_mode))
        ports.sort(key=lambda item: (len(item[0]), item[0]))  # numeric order for port numbers
        return Mtls(mode, tuple(ports))


def add_mtls(
    items: Sequence[KubeObject],
    workloads: Sequence[Node],
    services: Sequence[Node],
    selected: Mapping[str, Sequence[Node]],
) -> None:
    """Set ``istio_mtls`` (and MTLS_STRICT) on workloads, and on services from their workloads.

    A service without workloads gets its namespace's mode; one whose workloads disagree
    lists each mode with the workloads that accept it, and is STRICT only if all are.
    """
    policies = PeerAuthentications(items)
    found: dict[str, Mtls] = {}
    for workload in workloads:
        found[workload.id] = mtls = policies.for_workload(workload.namespace, workload.labels)
        workload.attrs["istio_mtls"] = mtls.text
        if mtls.mode == "STRICT":
            workload.flags.add(NodeFlag.MTLS_STRICT)
    for service in services:
        behind = [(w.name, found[w.id]) for w in selected.get(service.id, ()) if w.id in found]
        if not behind:
            mode = policies.namespace_mode(service.namespace)
            service.attrs["istio_mtls"] = mode
            strict = mode == "STRICT"
        else:
            by_text: dict[str, list[str]] = {}
            for name, mtls in behind:
                by_text.setdefault(mtls.text, []).append(name)
            if len(by_text) == 1:
                service.attrs["istio_mtls"] = next(iter(by_text))
            else:
                service.attrs["istio_mtls"] = "; ".join(
                    f"{mode} on {', '.join(names)}" for mode, names in by_text.items()
                )
            strict = all(mtls.mode == "STRICT" for _, mtls in behind)
        if strict:
            service.flags.add(NodeFlag.MTLS_STRICT)
