"""The built-in, deterministic demo platform.

:func:`generate_demo` builds a storefront mesh (Online Boutique and Bookinfo on Istio), an ML
platform (feature store, KServe model servers on GPU nodes, Kubeflow Pipelines runs whose
artifacts the model servers load, a training job, notebooks and MIG slices) and hours of
telemetry with injected incidents whose root cause is known. Its output is source-shaped,
exactly what the live sources deliver: Kubernetes objects as the API server returns them and
the answers to the fixed Istio and GPU query sets as Prometheus would give them, computed from
raw counter streams and gauge samples that are kept for backfilling a real Prometheus.

The GPU fleet (:mod:`collectors.demo.gpu_objects`, :mod:`collectors.demo.gpu_samples`) is drawn
from a generator of its own and its objects come after all others, so everything else is the
same as without it.

``scenario`` replaces the default incidents: a :data:`~collectors.demo.faults_common.
ScenarioSource` (``platform, timeline -> Scenario``, as :func:`~collectors.demo.incidents.plan`)
or fault specs placed as fractions of the window (:mod:`collectors.demo.faults_specs`,
:mod:`collectors.demo.faults_distractors`); :mod:`collectors.demo.scenarios` draws whole
evaluation sets of them.

>>> data = generate_demo(hours=1.0)
>>> len(data.metrics.range["series_requests"][0].timestamps)
240
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import numpy as np

from collectors.cluster import ClusterObjects, KubeObject
from collectors.demo.catalog import storefront
from collectors.demo.catalog_ml import ml_platform
from collectors.demo.context import Context
from collectors.demo.evaluate import Evaluator, answer_queries
from collectors.demo.evidence import incident_events
from collectors.demo.faults_common import FaultSpec, ScenarioSource, scenario_of
from collectors.demo.gpu_answers import answer_gpu_queries
from collectors.demo.gpu_objects import gpu_objects
from collectors.demo.gpu_samples import GaugeSamples, GpuLabelStyle, gpu_gauges
from collectors.demo.gpu_telemetry import served_rates
from collectors.demo.incidents import Scenario, fault_arrays, plan
from collectors.demo.istio import istio_objects
from collectors.demo.kube import Namer
from collectors.demo.machines import build_machines
from collectors.demo.ml import inference_service, ml_objects, storage_uris
from collectors.demo.model_servers import MODEL_SERVERS
from collectors.demo.objects import namespace_objects, service_object, workload_objects
from collectors.demo.scale import add_tenants
from collectors.demo.spec import Platform
from collectors.demo.streams import CounterStreams
from collectors.demo.telemetry import build_streams
from collectors.demo.timeline import Timeline
from collectors.demo.traffic import simulate
from collectors.istio_queries import SERIES_RATE_WINDOW_SECONDS
from collectors.model import Incident
from collectors.prom import MetricsResults

__all__ = [
    "DEMO_END",
    "CounterStreams",
    "DemoData",
    "Evaluator",
    "FaultSpec",
    "GaugeSamples",
    "GpuLabelStyle",
    "ScenarioSource",
    "build_platform",
    "generate_demo",
]

logger = logging.getLogger(__name__)

DEMO_END = datetime(2026, 11, 24, 12, 0, 0, tzinfo=UTC)
"""End of the demo's window, fixed so that snapshots of it are reproducible."""


@dataclass
class DemoData:
    """Everything the demo generates: source-shaped inputs, ground truth and raw counters."""

    objects: ClusterObjects
    metrics: MetricsResults
    incidents: list[Incident]
    streams: CounterStreams  # the raw counters behind ``metrics``, for OpenMetrics export
    gauges: GaugeSamples = field(default_factory=GaugeSamples)  # the GPU samples, likewise


def build_platform(*, seed: int = 7, workloads: int | None = None) -> Platform:
    """The platform spec: the storefront and ML platform, plus tenants up to ``workloads``."""
    platform = storefront()
    platform.merge(ml_platform())
    if workloads is not None and workloads > len(platform.workloads):
        add_tenants(platform, workloads, np.random.default_rng([seed, 1]))
    return platform


def generate_demo(
    *,
    seed: int = 7,
    workloads: int | None = None,
    end: datetime = DEMO_END,
    hours: float = 6.0,
    step_seconds: int = 15,
    rate_window_seconds: int = 600,
    scenario: ScenarioSource | Iterable[FaultSpec] | None = None,
    gpu_labels: GpuLabelStyle | None = None,
) -> DemoData:
    """Generate the demo platform: objects, telemetry answers and incidents.

    The same arguments always give the same result. ``workloads`` adds synthetic tenant
    namespaces until the platform has at least that many workloads. ``scenario`` replaces the
    default incidents (:func:`~collectors.demo.incidents.plan`) with a scenario source or a list
    of fault specs; ``[]`` gives a platform where nothing goes wrong. ``gpu_labels`` labels the
    GPU series as another exporter version or scrape configuration would (default:
    ``Hostname``, ``honor_labels: false``).
    """
    started = time.perf_counter()
    platform = build_platform(seed=seed, workloads=workloads)
    timeline = Timeline.build(
        end, hours, step_seconds, (rate_window_seconds, SERIES_RATE_WINDOW_SECONDS)
    )
    source = plan if scenario is None else scenario
    planned = (source if callable(source) else scenario_of(source))(platform, timeline)
    streams_rng, traffic_rng, objects_rng = (np.random.default_rng([seed, k]) for k in (2, 3, 4))
    traffic = simulate(platform, fault_arrays(planned, timeline), timeline, traffic_rng)
    streams = build_streams(platform, traffic, timeline, streams_rng)
    metrics = answer_queries(streams, timeline, rate_window_seconds=rate_window_seconds)
    gpu_rng = np.random.default_rng([seed, 5])
    objects = _objects(platform, planned, timeline, objects_rng, gpu_rng)
    gauges = gpu_gauges(
        objects.items, timeline, planned.gpu_pressure, served_rates(traffic), gpu_rng, gpu_labels
    )
    gpu_ranges, gpu_instants = answer_gpu_queries(gauges, timeline)
    metrics.range.update(gpu_ranges)
    metrics.instant.update(gpu_instants)
    logger.debug(
        "demo seed=%d: %d workloads, %d objects, %d counter series in %.1f s",
        seed,
        len(platform.workloads),
        len(objects.items),
        sum(family.labels.size for family in streams.families),
        time.perf_counter() - started,
    )
    return DemoData(objects, metrics, list(planned.incidents), streams, gauges)


def _objects(
    platform: Platform,
    scenario: Scenario,
    timeline: Timeline,
    rng: np.random.Generator,
    gpu_rng: np.random.Generator,
) -> ClusterObjects:
    namer = Namer(rng)
    now = timeline.end
    machines, placement = build_machines(platform, namer, now)
    ctx = Context(platform, scenario, namer, now, placement, storage_uris())
    items: list[KubeObject] = [*namespace_objects(ctx), *machines]
    services = [inference_service(server, namer, now) for server in MODEL_SERVERS]
    ctx.owners = {("InferenceService", s["metadata"]["name"]): s for s in services}
    items += services
    items += [service_object(service, ctx) for service in platform.services.values()]
    for workload in platform.workloads.values():
        items += workload_objects(workload, ctx)
    items += istio_objects(platform, scenario, namer, now)
    items += ml_objects(namer, placement, now)
    items += incident_events(items, scenario, namer, now, retained_since=timeline.start)
    items += gpu_objects(items, ctx, timeline, gpu_rng)
    return ClusterObjects(items)
