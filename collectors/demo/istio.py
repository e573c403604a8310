"""Istio configuration of the demo, shaped like Bookinfo's and Online Boutique's samples.

Bookinfo gets its gateway, the reviews 80/20 traffic shift and mTLS DestinationRules with
subsets; the details VirtualService carries the fault-injection abort that was left on.
Online Boutique gets its ServiceEntries for Google APIs and an egress gateway route to the
payment provider with TLS origination.

Any other fault-injection rule of a scenario lands where a person would put it: on the
Service's existing mesh VirtualService, edited at the rule's start (``managedFields`` says when),
or on a new VirtualService created then.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from collectors.cluster import KubeObject
from collectors.demo.faults_istio import NETWORKING, abort_fault, fault_rule_objects, taken_out
from collectors.demo.faults_records import Scenario
from collectors.demo.kube import Namer, metadata
from collectors.demo.names import BOOKINFO, BOUTIQUE, ISTIO, ML, PAYMENTS_HOST
from collectors.demo.spec import Platform, key


def _object(
    kind: str,
    name: str,
    namespace: str,
    spec: dict[str, Any],
    namer: Namer,
    now: datetime,
    created: datetime | None = None,
    api: str = NETWORKING,
) -> KubeObject:
    when = created if created is not None else namer.age(now, 10, 40)
    return {"apiVersion": api, "kind": kind,
            "metadata": metadata(name, namespace, namer.uid(), when, generation=1),
            "spec": spec}  # fmt: skip


def _mutual(host: str, subsets: list[str]) -> dict[str, Any]:
    return {"host": host, "trafficPolicy": {"tls": {"mode": "ISTIO_MUTUAL"}},
            "subsets": [{"name": s, "labels": {"version": s}} for s in subsets]}  # fmt: skip


def _route(host: str, port: int, subset: str = "", weight: int | None = None) -> dict[str, Any]:
    destination: dict[str, Any] = {"host": host, "port": {"number": port}}
    if subset:
        destination = {"host": host, "subset": subset}
    route: dict[str, Any] = {"destination": destination}
    if weight is not None:
        route["weight"] = weight
    return route


def _ingress(
    name: str,
    namespace: str,
    hosts: list[str],
    service: str,
    port: int,
    namer: Namer,
    now: datetime,
) -> list[KubeObject]:
    """An ingress Gateway on the shared ingress gateway and the VirtualService behind it."""
    gateway = {
        "selector": {"istio": "ingressgateway"},
        "servers": [{"port": {"number": 8080, "name": "http", "protocol": "HTTP"}, "hosts": hosts}],
    }
    route = {"hosts": hosts, "gateways": [name], "http": [{"route": [_route(service, port)]}]}
    return [
        _object("Gateway", name, namespace, gateway, namer, now),
        _object("VirtualService", service, namespace, route, namer, now),
    ]


def _bookinfo(scenario: Scenario, namer: Namer, now: datetime) -> list[KubeObject]:
    found = _ingress("bookinfo-gateway", BOOKINFO, ["*"], "productpage", 9080, namer, now)
    found[1]["metadata"]["name"] = "bookinfo"
    found[1]["spec"]["http"][0]["match"] = [
        {"uri": {"exact": "/productpage"}}, {"uri": {"prefix": "/static"}},
        {"uri": {"exact": "/login"}}, {"uri": {"exact": "/logout"}},
        {"uri": {"prefix": "/api/v1/products"}},
    ]  # fmt: skip
    found.append(_object("VirtualService", "reviews", BOOKINFO, {"hosts": ["reviews"], "http": [
        {"route": [_route("reviews", 0, "v1", 80), _route("reviews", 0, "v2", 20)]}]},
        namer, now))  # fmt: skip
    details_key = key(BOOKINFO, "details")
    rule = next((r for r in scenario.fault_rules if r.service == details_key), None)
    http: list[dict[str, Any]] = [{"route": [_route("details", 0, "v1")]}]
    if rule is not None and rule.end is None:
        http.insert(0, {"fault": abort_fault(rule), "route": [_route("details", 0, "v1")]})
    created = rule.start if rule is not None else None
    found.append(_object("VirtualService", "details", BOOKINFO, {"hosts": ["details"],
                                                                 "http": http}, namer, now,
                         created))  # fmt: skip
    if rule is not None and rule.end is not None:
        taken_out(found[-1], rule)
    for host, subsets in (
        ("productpage", ["v1"]),
        ("reviews", ["v1", "v2", "v3"]),
        ("ratings", ["v1", "v2"]),
        ("details", ["v1", "v2"]),
    ):
        found.append(_object("DestinationRule", host, BOOKINFO, _mutual(host, subsets), namer, now))
    return found


def _boutique(namer: Namer, now: datetime) -> list[KubeObject]:
    found = _ingress("frontend-gateway", BOUTIQUE, ["shop.example.com"], "frontend", 80, namer, now)
    found[1]["metadata"]["name"] = "frontend-ingress"
    found.append(
        _object(
            "VirtualService",
            "frontend",
            BOUTIQUE,
            {
                "hosts": [f"frontend.{BOUTIQUE}.svc.cluster.local"],
                "http": [{"route": [_route("frontend", 80)]}],
            },
            namer,
            now,
        )
    )
    web = [
        {"number": 80, "protocol": "HTTP", "name": "http"},
        {"number": 443, "protocol": "HTTPS", "name": "https"},
    ]
    found.append(
        _object(
            "ServiceEntry",
            "allow-egress-googleapis",
            BOUTIQUE,
            {"hosts": ["accounts.google.com", "*.googleapis.com"], "ports": web},
            namer,
            now,
        )
    )
    found.append(_object("ServiceEntry", "allow-egress-google-metadata", BOUTIQUE, {
        "hosts": ["metadata.google.internal"], "addresses": ["169.254.169.254"], "ports": web},
        namer, now))  # fmt: skip
    found.append(_object("ServiceEntry", "payments-api", BOUTIQUE, {
        "hosts": [PAYMENTS_HOST], "ports": web, "resolution": "DNS",
        "location": "MESH_EXTERNAL"}, namer, now))  # fmt: skip
    egress_host = f"istio-egressgateway.{ISTIO}.svc.cluster.local"
    found.append(_object("Gateway", "payments-egress", BOUTIQUE, {
        "selector": {"istio": "egressgateway"}, "servers": [
            {"port": {"number": 80, "name": "http", "protocol": "HTTP"},
             "hosts": [PAYMENTS_HOST]}]}, namer, now))  # fmt: skip
    found.append(
        _object(
            "DestinationRule",
            "egressgateway-for-payments",
            BOUTIQUE,
            {"host": egress_host, "subsets": [{"name": "payments"}]},
            namer,
            now,
        )
    )
    found.append(_object("VirtualService", "payments-through-egress-gateway", BOUTIQUE, {
        "hosts": [PAYMENTS_HOST], "gateways": ["payments-egress", "mesh"],
        "http": [
            {"match": [{"gateways": ["mesh"], "port": 80}],
             "route": [{"destination": {"host": egress_host, "subset": "payments",
                                        "port": {"number": 80}}}]},
            {"match": [{"gateways": ["payments-egress"], "port": 80}],
             "route": [{"destination": {"host": PAYMENTS_HOST, "port": {"number": 443}}}]},
        ]}, namer, now))  # fmt: skip
    found.append(_object("DestinationRule", "originate-tls-for-payments", BOUTIQUE, {
        "host": PAYMENTS_HOST, "trafficPolicy": {"portLevelSettings": [
            {"port": {"number": 443}, "tls": {"mode": "SIMPLE", "sni": PAYMENTS_HOST}}]}},
        namer, now))  # fmt: skip
    return found


def istio_objects(
    platform: Platform, scenario: Scenario, namer: Namer, now: datetime
) -> list[KubeObject]:
    """Every Istio resource of the platform, tenants' ingress routes included."""
    found = [
        _object(
            "PeerAuthentication",
            "default",
            ISTIO,
            {"mtls": {"mode": "PERMISSIVE"}},
            namer,
            now,
            api="security.istio.io/v1",
        )
    ]
    if BOOKINFO in platform.namespaces:
        found += _bookinfo(scenario, namer, now)
    if BOUTIQUE in platform.namespaces:
        found += _boutique(namer, now)
    if ML in platform.namespaces:
        found += _ingress(
            "kubeflow-gateway", ML, ["pipelines.example.com"], "ml-pipeline-ui", 80, namer, now
        )
    ingress = key(ISTIO, "istio-ingressgateway")
    for call in platform.calls:
        namespace = call.target.split("/", 1)[0]
        if call.source == ingress and namespace.startswith("tenant-"):
            name = call.target.split("/", 1)[1]
            found += _ingress(
                f"{namespace}-gateway",
                namespace,
                [f"{namespace}.example.com"],
                name,
                call.port,
                namer,
                now,
            )
    found += fault_rule_objects(platform, scenario, found, namer)
    return found
