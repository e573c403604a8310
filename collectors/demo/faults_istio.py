"""Istio fault-injection rules of a scenario, placed where a person would have put them.

A rule on a Service that already has a mesh VirtualService is an edit of it: the abort goes on
its routes and ``managedFields`` records when ``kubectl edit`` last touched ``spec.http`` (its
creation time stays what it was). A Service without one gets a new VirtualService created at the
rule's start. A rule that was taken out again leaves the edit time and no abort.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from collectors.cluster import KubeObject
from collectors.demo.faults_records import FaultRule, Scenario
from collectors.demo.kube import Namer, metadata, timestamp
from collectors.demo.names import BOOKINFO
from collectors.demo.spec import Platform, Service, key

NETWORKING = "networking.istio.io/v1"
APPLIED_FIELDS: dict[str, Any] = {
    "f:metadata": {"f:annotations": {".": {}}},
    "f:spec": {".": {}, "f:hosts": {}},
}
EDITED_FIELDS: dict[str, Any] = {"f:spec": {"f:http": {}}}


def abort_fault(rule: FaultRule) -> dict[str, Any]:
    """The ``fault`` of an HTTP route that aborts ``rule.percent`` of requests."""
    return {"abort": {"httpStatus": rule.http_status, "percentage": {"value": rule.percent}}}


def _field_manager(manager: str, when: datetime, fields: dict[str, Any]) -> dict[str, Any]:
    return {"manager": manager, "operation": "Update", "apiVersion": NETWORKING,
            "time": timestamp(when), "fieldsType": "FieldsV1", "fieldsV1": fields}  # fmt: skip


def _last_edit(meta: dict[str, Any], created: datetime, edited: datetime, edits: int) -> None:
    meta["generation"] = 1 + edits
    meta["resourceVersion"] = str(int(edited.timestamp()) % 10_000_000)
    meta["managedFields"] = [
        _field_manager("kubectl-client-side-apply", created, APPLIED_FIELDS),
        _field_manager("kubectl-edit", edited, EDITED_FIELDS),
    ]


def taken_out(virtual_service: KubeObject, rule: FaultRule) -> None:
    """Mark a VirtualService created with the fault at its start as edited at its end."""
    assert rule.end is not None
    _last_edit(virtual_service["metadata"], rule.start, rule.end, 1)


def _edited(virtual_service: KubeObject, rule: FaultRule) -> None:
    """Add the fault to every route of an existing VirtualService, as ``kubectl edit`` would."""
    meta = virtual_service["metadata"]
    if rule.end is None:
        virtual_service["spec"]["http"] = [
            {"fault": abort_fault(rule), **route} for route in virtual_service["spec"]["http"]
        ]
    created = datetime.fromisoformat(meta["creationTimestamp"])
    edits = 1 if rule.end is None else 2
    _last_edit(meta, created, rule.end or rule.start, edits)


def _mesh_route(found: list[KubeObject], service: Service) -> KubeObject | None:
    """The VirtualService that routes mesh traffic to ``service``, if there is one."""
    hosts = {service.name, f"{service.name}.{service.namespace}", service.fqdn}
    for item in found:
        spec = item.get("spec", {})
        if (
            item["kind"] == "VirtualService"
            and item["metadata"]["namespace"] == service.namespace
            and hosts & set(spec.get("hosts", ()))
            and "mesh" in spec.get("gateways", ["mesh"])
        ):
            return item
    return None


def _new_rule(
    service: Service, rule: FaultRule, taken: set[tuple[str, str]], namer: Namer
) -> KubeObject:
    destination: dict[str, Any] = {"host": service.name}
    if len(service.ports) == 1:
        destination["port"] = {"number": service.ports[0].port}
    route: dict[str, Any] = {"route": [{"destination": destination}]}
    http = [route] if rule.end is not None else [{"fault": abort_fault(rule), **route}]
    name = service.name
    if (service.namespace, name) in taken:  # an ingress route already has the plain name
        name = f"{service.name}-mesh"
    created: KubeObject = {
        "apiVersion": NETWORKING,
        "kind": "VirtualService",
        "metadata": metadata(name, service.namespace, namer.uid(), rule.start, generation=1),
        "spec": {"hosts": [service.name], "http": http},
    }
    if rule.end is not None:
        taken_out(created, rule)
    return created


def fault_rule_objects(
    platform: Platform, scenario: Scenario, found: list[KubeObject], namer: Namer
) -> list[KubeObject]:
    """New VirtualServices for the scenario's fault rules; existing ones in ``found`` are edited.

    Bookinfo's details rule is part of the Bookinfo sample's own objects and is left to them.
    """
    added: list[KubeObject] = []
    for rule in scenario.fault_rules:
        if rule.service == key(BOOKINFO, "details") and BOOKINFO in platform.namespaces:
            continue
        service = platform.services[rule.service]
        existing = _mesh_route(found + added, service)
        if existing is not None:
            _edited(existing, rule)
            continue
        taken = {
            (o["metadata"]["namespace"], o["metadata"]["name"])
            for o in found + added
            if o["kind"] == "VirtualService"
        }
        added.append(_new_rule(service, rule, taken, namer))
    return added
