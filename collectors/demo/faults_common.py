"""What fault specs share: the spec protocol, how a scenario is built from specs, and the
facts about a workload a fault's evidence needs (protocol, error codes, process, next image).
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Callable, Iterable
from typing import Protocol

from collectors.demo.faults_records import Scenario
from collectors.demo.spec import Platform
from collectors.demo.timeline import Timeline
from collectors.kinds import Protocol as Wire

ScenarioSource = Callable[[Platform, Timeline], Scenario]
"""What builds a scenario for a platform and window (:func:`~collectors.demo.incidents.plan`)."""

_PROCESSES = (("redis", "redis-server"), ("postgres", "postgres"), ("mysql", "mysqld"),
              ("mongo", "mongod"), ("kafka", "java"), ("minio", "minio"), ("torchserve", "java"),
              ("feast", "python3"), ("kserve", "python3"), ("kfp", "node"),
              ("bookinfo-details", "ruby"), ("bookinfo-ratings", "node"),
              ("bookinfo-reviews", "java"), ("bookinfo-productpage", "python"))  # fmt: skip
# Online Boutique's services are written in several languages; the rest of the demo's images
# say what they run, and tenants' services get one of the usual runtimes.
_BOUTIQUE = {"adservice": "java", "cartservice": "cartservice", "checkoutservice": "server",
             "currencyservice": "node", "emailservice": "python", "frontend": "server",
             "paymentservice": "node", "productcatalogservice": "server",
             "recommendationservice": "python", "shippingservice": "server",
             "shoppingassistantservice": "python", "loadgenerator": "locust"}  # fmt: skip
_RUNTIMES = ("java", "node", "python3", "server", "dotnet")


class FaultSpec(Protocol):
    """Something a scenario injects: it adds its records (and incident) to a scenario."""

    def apply(self, scenario: Scenario, platform: Platform, timeline: Timeline) -> None:
        """Add this fault to ``scenario`` for ``platform`` over ``timeline``."""


def served_protocol(platform: Platform, workload_key: str) -> Wire:
    """How the workload is called: HTTP if any Service port in front of it is, else gRPC, else
    TCP."""
    workload = platform.workloads[workload_key]
    protocols = {
        port.protocol
        for service in platform.services.values()
        if service.namespace == workload.namespace and service.app == workload.app
        for port in service.ports
    }
    for protocol in (Wire.HTTP, Wire.GRPC):
        if protocol in protocols:
            return protocol
    return Wire.TCP


def failure_codes(platform: Platform, workload_key: str, http: str, grpc: str) -> tuple[str, str]:
    """Response code and gRPC status of a failure: gRPC failures travel on an HTTP 200."""
    if served_protocol(platform, workload_key) is Wire.GRPC:
        return "200", grpc
    return http, ""


def process_name(platform: Platform, workload_key: str) -> str:
    """The main process the kernel names when it OOM-kills the workload's container."""
    workload = platform.workloads[workload_key]
    image = workload.image
    if "online-boutique" in image and workload.name in _BOUTIQUE:
        return _BOUTIQUE[workload.name]
    for marker, process in _PROCESSES:
        if marker in image:
            return process
    return _RUNTIMES[zlib.crc32(workload_key.encode()) % len(_RUNTIMES)]


def next_image(image: str) -> str:
    """The image with the last number of its tag bumped (``orders:v1.7`` -> ``orders:v1.8``)."""
    slash = image.rfind("/")
    name, colon, tag = image[slash + 1 :].partition(":")
    if not colon:
        return f"{image}:2"
    bumped = re.sub(r"(\d+)(?!.*\d)", lambda m: str(int(m.group(1)) + 1), tag, count=1)
    if bumped == tag:
        bumped = f"{tag}-2"
    return f"{image[: slash + 1]}{name}:{bumped}"


def short_name(workload_key: str) -> str:
    """The name part of a ``namespace/name`` key."""
    return workload_key.split("/", 1)[1]


def until_text(timeline: Timeline, end: float | None, recovered: str) -> str:
    """`` until <recovered> at HH:MM UTC`` for a fault that ended, else nothing."""
    return f" until {recovered} at {timeline.at(end):%H:%M} UTC" if end is not None else ""


def scenario_of(specs: Iterable[FaultSpec]) -> ScenarioSource:
    """A scenario source that injects ``specs`` (and nothing else) in their order."""
    chosen = tuple(specs)

    def build(platform: Platform, timeline: Timeline) -> Scenario:
        scenario = Scenario()
        for spec in chosen:
            spec.apply(scenario, platform, timeline)
        return scenario

    return build
