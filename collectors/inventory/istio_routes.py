"""VirtualService routes: the services they reach and what they do to requests on the way.

A route's findings belong to the services it sends traffic to (its destinations) and, when
the route serves the mesh's own traffic (the ``mesh`` gateway, implied when a VirtualService
names no gateways), to the services named in ``hosts``. A VirtualService bound only to ingress
or egress gateways has external names in ``hosts``, so only its destinations are marked.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from collectors.cluster import KubeObject
from collectors.inventory._istio import NETWORKING, Findings, ServiceIndex, is_istio, object_ref
from collectors.inventory._objects import (
    Fields,
    integer,
    mapping,
    namespace_of,
    sequence,
    string_map,
    text,
)
from collectors.kinds import NodeFlag
from collectors.model import Node

MESH_GATEWAY = "mesh"
_ROUTE_KINDS = ("http", "tcp", "tls")
_MATCHES_SHOWN = 2  # a route matching on more alternatives says "or N more"


def add_route_findings(
    index: ServiceIndex, items: Sequence[KubeObject], findings: Findings
) -> None:
    """Record what every VirtualService's routes do on the services they reach."""
    for obj in items:
        if is_istio(obj, "VirtualService", NETWORKING):
            _virtual_service(index, obj, findings)


def _virtual_service(index: ServiceIndex, obj: KubeObject, findings: Findings) -> None:
    namespace = namespace_of(obj)
    spec = mapping(obj.get("spec"))
    bound = [text(g) for g in sequence(spec.get("gateways"))] or [MESH_GATEWAY]
    hosts = [node for host in sequence(spec.get("hosts")) for node in index.nodes(host, namespace)]
    for route_kind in _ROUTE_KINDS:
        for entry in sequence(spec.get(route_kind)):
            route = mapping(entry)
            destinations = [mapping(item) for item in sequence(route.get("route"))]
            targets: dict[str, Node] = {}
            for item in destinations:
                host = mapping(item.get("destination")).get("host")
                targets.update((node.id, node) for node in index.nodes(host, namespace))
            if MESH_GATEWAY in _gateways(route, bound):
                targets.update((node.id, node) for node in hosts)
            for node in targets.values():
                where = object_ref(obj, node.namespace)
                findings.add([node.id], NodeFlag.VIRTUAL_SERVICE, "istio_virtual_services", where)
            shift = traffic_shift(destinations)
            if shift:
                findings.add(list(targets), NodeFlag.TRAFFIC_SHIFT, "istio_traffic_shift", shift)
            if route_kind == "http":
                _http_features(route, list(targets), findings)


def _gateways(route: Fields, bound: list[str]) -> set[str]:
    """The gateways a route serves: those its matches all name, else the VirtualService's."""
    matches = [mapping(item) for item in sequence(route.get("match"))]
    named = [[text(g) for g in sequence(match.get("gateways"))] for match in matches]
    if named and all(named):
        return {gateway for names in named for gateway in names}
    return set(bound)


def _http_features(route: Fields, targets: list[str], findings: Findings) -> None:
    condition = match_text(route.get("match"))
    when = f" when {condition}" if condition else ""
    for flag, key, found in (
        (NodeFlag.FAULT_INJECTION, "istio_fault", fault_text(route.get("fault"))),
        (NodeFlag.RETRIES, "istio_retries", retries_text(route.get("retries"))),
        (NodeFlag.TIMEOUT, "istio_timeout", timeout_text(route.get("timeout"))),
        (NodeFlag.MIRRORING, "istio_mirror", mirror_text(route)),
    ):
        if found:
            findings.add(targets, flag, key, found + when)


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    try:
        return float(text(value))
    except ValueError:
        return None


def _percent_text(value: float) -> str:
    """``80`` for whole percentages, one decimal otherwise."""
    rounded = round(value, 1)
    return f"{rounded:.0f}" if rounded == int(rounded) else f"{rounded:.1f}"


def traffic_shift(destinations: Sequence[Mapping[str, Any]]) -> str:
    """Return how a route splits traffic over weighted destinations; ``""`` if it does not.

    Weights are relative (each destination gets weight / sum); a destination without weight,
    or with 0, gets no traffic once there are several.

    >>> traffic_shift([{"destination": {"host": "reviews", "subset": "v1"}, "weight": 80},
    ...                {"destination": {"host": "reviews", "subset": "v2"}, "weight": 20}])
    'v1 80% · v2 20%'
    """
    weighted: list[tuple[str, str, float]] = []
    for item in destinations:
        destination = mapping(item.get("destination"))
        host, weight = text(destination.get("host")), _number(item.get("weight"))
        if host and weight is not None and weight > 0:
            weighted.append((host, text(destination.get("subset")), weight))
    if len(weighted) < 2:
        return ""
    total = sum(weight for _, _, weight in weighted)
    one_host = len({host for host, _, _ in weighted}) == 1
    parts = []
    for host, subset, weight in weighted:
        label = (subset or host) if one_host else " ".join(filter(None, (host, subset)))
        parts.append(f"{label} {_percent_text(100 * weight / total)}%")
    return " · ".join(parts)


def _share(section: Fields, legacy: str, default: float) -> float:
    """The percentage a fault or mirror applies to, clamped to 0-100: ``percentage.value``,
    else the older integer field named ``legacy``, else ``default``."""
    value = _number(mapping(section.get("percentage")).get("value"))
    if value is None:
        value = _number(section.get(legacy))
    return min(max(value if value is not None else default, 0.0), 100.0)


def fault_text(value: Any) -> str:
    """Return the delays and aborts a route injects; ``""`` when none would fire.

    A fault without a percentage injects nothing (istio/istio#36303), so it is not shown.

    >>> fault_text({"abort": {"httpStatus": 500, "percentage": {"value": 100.0}}})
    'abort 500 for 100% of requests'
    """
    fault = mapping(value)
    parts = []
    delay = mapping(fault.get("delay"))
    delayed = _share(delay, "percent", 0.0)
    if text(delay.get("fixedDelay")) and delayed > 0:
        amount = text(delay.get("fixedDelay"))
        parts.append(f"delay {amount} for {_percent_text(delayed)}% of requests")
    abort = mapping(fault.get("abort"))
    status = text(abort.get("httpStatus"))
    if not status and text(abort.get("grpcStatus")):
        status = f"gRPC {text(abort.get('grpcStatus'))}"
    if not status and text(abort.get("http2Error")):
        status = "HTTP/2 error"
    aborted = _share(abort, "percent", 0.0)
    if status and aborted > 0:
        parts.append(f"abort {status} for {_percent_text(aborted)}% of requests")
    return ", ".join(parts)


def retries_text(value: Any) -> str:
    """Return a route's retry policy; ``""`` when it sets none or disables retries (0 attempts).

    >>> retries_text({"attempts": 3, "perTryTimeout": "2s", "retryOn": "5xx"})
    '3 attempts · 2s per try · on 5xx'
    """
    retries = mapping(value)
    attempts = integer(retries.get("attempts"))
    if attempts <= 0:
        return ""
    parts = [f"{attempts} attempt{'s' if attempts != 1 else ''}"]
    if text(retries.get("perTryTimeout")):
        parts.append(f"{text(retries.get('perTryTimeout'))} per try")
    if text(retries.get("retryOn")):
        parts.append(f"on {text(retries.get('retryOn'))}")
    return " · ".join(parts)


def timeout_text(value: Any) -> str:
    """Return a route's request timeout; ``""`` when absent or zero (zero means no timeout)."""
    found = text(value).strip()
    return found if any(digit in found for digit in "123456789") else ""


def mirror_text(route: Fields) -> str:
    """Return where a route mirrors traffic to (``mirror`` and ``mirrors``), with the share."""
    mirrors: list[tuple[Fields, float]] = []
    single = mapping(route.get("mirror"))
    if single:
        shares = {"percentage": route.get("mirrorPercentage"), "legacy": route.get("mirrorPercent")}
        mirrors.append((single, _share(shares, "legacy", 100.0)))
    for item in sequence(route.get("mirrors")):
        entry = mapping(item)
        mirrors.append((mapping(entry.get("destination")), _share(entry, "percent", 100.0)))
    parts = []
    for destination, share in mirrors:
        host = text(destination.get("host"))
        if host and share > 0:
            label = " ".join(filter(None, (host, text(destination.get("subset")))))
            parts.append(label if share >= 100 else f"{label} ({_percent_text(share)}%)")
    return ", ".join(parts)


def match_text(value: Any) -> str:
    """Return the conditions of a route's ``match`` in a few words; ``""`` if it matches all.

    >>> match_text([{"headers": {"end-user": {"exact": "jason"}}}])
    'end-user exact jason'
    """
    alternatives = []
    for item in sequence(value):
        conditions = _conditions(mapping(item))
        if not conditions:
            return ""  # one alternative without conditions matches every request
        alternatives.append(" and ".join(conditions))
    shown = alternatives[:_MATCHES_SHOWN]
    hidden = len(alternatives) - len(shown)
    return " or ".join(shown) + (f" or {hidden} more" if hidden else "")


def _string_match(value: Any) -> str:
    match = mapping(value)
    for how in ("exact", "prefix", "regex"):
        if how in match:
            return f"{how} {text(match[how])}"
    return ""


def _conditions(match: Fields) -> list[str]:
    found = []
    for field_name in ("uri", "scheme", "method", "authority"):
        how = _string_match(match.get(field_name))
        if how:
            found.append(f"{field_name} {how}")
    for name, how in mapping(match.get("headers")).items():
        found.append(f"{name} {_string_match(how) or 'present'}")
    for name, how in mapping(match.get("withoutHeaders")).items():
        found.append(f"{name} not {_string_match(how)}" if _string_match(how) else f"no {name}")
    for name, how in mapping(match.get("queryParams")).items():
        found.append(f"?{name} {_string_match(how) or 'present'}")
    if text(match.get("port")):
        found.append(f"port {text(match.get('port'))}")
    labels = string_map(match.get("sourceLabels"))
    if labels:
        found.append("from " + ",".join(f"{key}={value}" for key, value in labels.items()))
    if text(match.get("sourceNamespace")):
        found.append(f"from namespace {text(match.get('sourceNamespace'))}")
    return found
