"""Checks on Services: selectors reaching no pod or no ready pod, port names Istio misreads."""

from __future__ import annotations

from collections.abc import Iterator

from collectors.checks._base import CheckContext, Hit, check
from collectors.inventory._objects import (
    condition_status,
    labels_of,
    mapping,
    namespace_of,
    selector_matches,
    selector_text,
    sequence,
    string_map,
    text,
)
from collectors.inventory.services import ISTIO_PORT_PROTOCOLS
from collectors.kinds import Severity


def _selector(service: dict[str, object]) -> dict[str, str]:
    return string_map(mapping(service.get("spec")).get("selector"))


@check(
    "SVC001",
    Severity.WARNING,
    "Service selector matches no pods",
    hint="Compare the selector with the pod labels: kubectl get pods -l SELECTOR -n NAMESPACE",
)
def selects_nothing(context: CheckContext) -> Iterator[Hit]:
    """Calls to the Service find no endpoint (Envoy answers 503 with flag UH)."""
    for service in context.of_kind("Service"):
        selector = _selector(service)
        if not selector or context.selected(selector, namespace_of(service)):
            continue
        wanted = selector_text(selector)
        message = f"selector {wanted} matches no pod in {namespace_of(service)}"
        yield Hit(service, message, context.node_of(service))


@check(
    "SVC002",
    Severity.ERROR,
    "Service selects pods but none is ready",
    hint="Its pods fail their readiness probes or crash: see the pod findings",
)
def no_ready_endpoint(context: CheckContext) -> Iterator[Hit]:
    """Pods exist behind the Service but none is ready, so none receives traffic."""
    pods_by_namespace: dict[str, list[dict[str, object]]] = {}
    for pod in context.of_kind("Pod"):
        if text(mapping(pod.get("status")).get("phase")) in ("Pending", "Running", "Unknown"):
            pods_by_namespace.setdefault(namespace_of(pod), []).append(pod)
    for service in context.of_kind("Service"):
        selector = _selector(service)
        if not selector:
            continue
        selected = [
            pod
            for pod in pods_by_namespace.get(namespace_of(service), [])
            if selector_matches(selector, labels_of(pod))
        ]
        if not selected or any(condition_status(pod, "Ready") is True for pod in selected):
            continue
        message = f"0 of {len(selected)} selected pods ready"
        yield Hit(service, message, context.node_of(service))


def _port_problem(port: dict[str, object]) -> str:
    """Why Istio cannot read this port's protocol from its name, ``""`` when it can."""
    if text(port.get("appProtocol")):
        return ""
    name = text(port.get("name"))
    number = text(port.get("port"))
    if not name:
        return f"port {number} has no name and no appProtocol"
    prefix = name.lower().split("-", 1)[0]
    if name.lower().startswith("grpc-web") or prefix in ISTIO_PORT_PROTOCOLS:
        return ""
    return f"port {number} is named {name!r}, not <protocol>[-suffix]"


@check(
    "SVC003",
    Severity.WARNING,
    "Service port name or appProtocol does not follow Istio's protocol convention",
    hint="Name the port <protocol>[-suffix] (http, http2, grpc, tcp, tls...) or set appProtocol",
)
def port_protocol(context: CheckContext) -> Iterator[Hit]:
    """In a mesh namespace, Istio falls back to sniffing the protocol: HTTP routing, retries
    and metrics by response code may silently not apply."""
    for service in context.of_kind("Service"):
        if namespace_of(service) not in context.mesh_namespaces:
            continue
        problems = [
            problem
            for port in sequence(mapping(service.get("spec")).get("ports"))
            if (problem := _port_problem(dict(mapping(port))))
        ]
        if problems:
            yield Hit(service, "; ".join(problems), context.node_of(service))
