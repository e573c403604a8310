"""From a scenario's records to per-step effects the traffic model applies.

Every effect is an array over the timeline's scrapes (lead included): a share of requests that
fail, a latency or connection factor, a share that finds no ready endpoint. Sample ``i`` holds
what happened in the step that ends at its timestamp.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np
import numpy.typing as npt

from collectors.demo.faults_records import (
    READY_AFTER_SECONDS,
    CrashLoop,
    Exhaustion,
    GpuPressure,
    Outage,
    Scenario,
)
from collectors.demo.timeline import Timeline

Array = npt.NDArray[np.float64]

ROLLOUT_SERVING_SECONDS = 60.0  # new pods take about a minute to start serving
ERRORS_FROM_PROGRESS = 0.66  # memory pressure fails requests only in the last third of a climb
IN_FLIGHT_RESET = 0.3  # share of a step's requests in flight when a container dies


@dataclass
class Faults:
    """Fault effects per scrape step, keyed by workload (or Service) key."""

    own_error: dict[str, tuple[Array, str, str]] = field(default_factory=dict)  # share, code, grpc
    latency_factor: dict[str, Array] = field(default_factory=dict)
    abort: dict[str, tuple[Array, str]] = field(default_factory=dict)  # service -> share, code
    unavailable: dict[str, Array] = field(default_factory=dict)  # no ready endpoint (UH)
    reset: dict[str, Array] = field(default_factory=dict)  # hit a dying instance (URX / UF)
    connection_factor: dict[str, Array] = field(default_factory=dict)


def overlap(timeline: Timeline, start: float, end: float) -> Array:
    """Fraction of each scrape step (the interval ending at its timestamp) inside [start, end)."""
    ends = timeline.times().astype(np.float64)
    begins = ends - timeline.step_seconds
    inside = np.minimum(ends, end) - np.maximum(begins, start)
    result: Array = np.clip(inside, 0.0, None) / timeline.step_seconds
    return result


def span(timeline: Timeline, start: datetime, end: datetime | None) -> Array:
    """Fraction of each step between ``start`` and ``end`` (``None``: past the window's end)."""
    stop = end.timestamp() if end is not None else float(timeline.end_ts) + 1.0
    return overlap(timeline, start.timestamp(), stop)


def _climb(timeline: Timeline, start: datetime, end: datetime | None) -> Array:
    """How far a steady build-up has come at each step: 0 before ``start``, 1 at ``end``."""
    times = timeline.times().astype(np.float64)
    stop = end.timestamp() if end is not None else float(timeline.end_ts)
    progress: Array = np.clip((times - start.timestamp()) / (stop - start.timestamp()), 0, 1)
    return progress


def _dying(timeline: Timeline, died: float) -> Array:
    """Requests reset by a container dying at ``died``: the step it dies in."""
    return IN_FLIGHT_RESET * overlap(timeline, died - timeline.step_seconds, died)


def _gpu(faults: Faults, gpu: GpuPressure, timeline: Timeline) -> None:
    progress = _climb(timeline, gpu.start, gpu.end)
    faults.latency_factor[gpu.workload] = 1.0 + (gpu.max_latency_factor - 1.0) * progress**2
    # CUDA OOM errors once the memory is nearly full: the last third of the climb.
    errors = gpu.max_error_share * np.clip((progress - 0.66) / 0.34, 0, 1)
    faults.own_error[gpu.workload] = (errors, "500", "")


def _exhaustion(faults: Faults, leak: Exhaustion, timeline: Timeline) -> None:
    # After the OOM kill at ``end`` the new container starts with empty memory.
    on = span(timeline, leak.start, leak.end)
    progress = _climb(timeline, leak.start, leak.end) * (on > 0)
    faults.latency_factor[leak.workload] = 1.0 + (leak.max_latency_factor - 1.0) * progress**2
    pressure = np.clip((progress - ERRORS_FROM_PROGRESS) / (1 - ERRORS_FROM_PROGRESS), 0, 1)
    faults.own_error[leak.workload] = (leak.max_error_share * pressure, leak.code, leak.grpc_status)
    if leak.end is not None:
        faults.reset[leak.workload] = _dying(timeline, leak.end.timestamp())


def _crash(faults: Faults, crash: CrashLoop, timeline: Timeline) -> None:
    ready = np.zeros(timeline.samples)
    reset = np.zeros(timeline.samples)
    for started, died in crash.runs:
        ready += overlap(timeline, started + READY_AFTER_SECONDS, died)
        # Requests in flight when the container dies are reset, and retries find no one.
        reset += _dying(timeline, died)
    looping = span(timeline, crash.start, None)
    faults.unavailable[crash.workload] = np.clip(looping - ready, 0.0, 1.0)
    faults.reset[crash.workload] = np.clip(reset, 0.0, 1.0)


def _outage(faults: Faults, outage: Outage, timeline: Timeline) -> None:
    stop = outage.end.timestamp() if outage.end is not None else float(timeline.end_ts) + 1.0
    gone = outage.unready_from.timestamp()
    # Until readiness has failed often enough, the wedged pods still get connections: refused.
    refused = overlap(timeline, outage.start.timestamp(), min(gone, stop))
    faults.reset[outage.workload] = np.clip(0.9 * refused, 0.0, 1.0)
    faults.unavailable[outage.workload] = overlap(timeline, gone, stop)


def fault_arrays(scenario: Scenario, timeline: Timeline) -> Faults:
    """Turn the scenario into per-step shares and factors for the traffic model."""
    faults = Faults()
    for errors in scenario.background_errors:
        share = np.full(timeline.samples, errors.share)
        faults.own_error[errors.workload] = (share, errors.code, errors.grpc_status)
    for restart in scenario.restarts:
        faults.reset[restart.workload] = _dying(timeline, restart.at.timestamp())
    for rollout in scenario.rollouts:
        if rollout.error_share <= 0:
            continue
        began = rollout.start + timedelta(seconds=ROLLOUT_SERVING_SECONDS)
        share = rollout.error_share * span(timeline, began, rollout.rolled_back)
        faults.own_error[rollout.workload] = (share, rollout.code, rollout.grpc_status)
    for sat in scenario.saturations:
        on = span(timeline, sat.start, sat.end)
        faults.latency_factor[sat.workload] = 1.0 + (sat.latency_factor - 1.0) * on
        faults.connection_factor[sat.workload] = 1.0 + (sat.connection_factor - 1.0) * on
        if sat.caller and sat.caller_timeouts > 0:
            timeouts = sat.caller_timeouts * on
            faults.own_error[sat.caller] = (timeouts, sat.caller_code, sat.caller_grpc_status)
    for gpu in scenario.gpu_pressure:
        _gpu(faults, gpu, timeline)
    for leak in scenario.exhaustions:
        _exhaustion(faults, leak, timeline)
    for rule in scenario.fault_rules:
        share = rule.percent / 100.0 * span(timeline, rule.start, rule.end)
        faults.abort[rule.service] = (share, str(rule.http_status))
    for crash in scenario.crash_loops:
        _crash(faults, crash, timeline)
    for outage in scenario.outages:
        _outage(faults, outage, timeline)
    return faults
