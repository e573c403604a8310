"""What each GPU reports, scrape by scrape: the DCGM fields as the exporter reads them.

Each device's holder sets how busy it is and how much memory it keeps (its entry in
:data:`~collectors.demo.gpu_profiles.PROFILES`): training runs flat out, model servers follow
the requests they serve, a notebook works until its kernels' last activity and then sits on its
memory, a free device idles. Power, temperature and clocks follow from the load; a GPU in MIG
mode takes the load of its instances. A workload under GPU-memory pressure (the scenario's
:class:`GpuPressure`) fills its device's memory up to 99% along the same climb as its latency.
Values are rounded the way DCGM reports them, so they survive a round trip through the text
format unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np
import numpy.typing as npt

from collectors.demo.faults_records import GpuPressure
from collectors.demo.gpu_fleet import Device, Holder
from collectors.demo.gpu_profiles import DEFAULT_PROFILE, PROFILES, XID_ERRORS
from collectors.demo.timeline import Timeline
from collectors.demo.traffic import Traffic, smooth_noise

Floats = npt.NDArray[np.float64]

UTIL = "DCGM_FI_DEV_GPU_UTIL"
MEMORY_USED = "DCGM_FI_DEV_FB_USED"
MEMORY_FREE = "DCGM_FI_DEV_FB_FREE"
TEMPERATURE = "DCGM_FI_DEV_GPU_TEMP"
POWER = "DCGM_FI_DEV_POWER_USAGE"
SM_CLOCK = "DCGM_FI_DEV_SM_CLOCK"
XID = "DCGM_FI_DEV_XID_ERRORS"
ENGINE = "DCGM_FI_PROF_GR_ENGINE_ACTIVE"
DRAM = "DCGM_FI_PROF_DRAM_ACTIVE"
TENSOR = "DCGM_FI_PROF_PIPE_TENSOR_ACTIVE"

GPU_FIELDS = (TEMPERATURE, POWER, SM_CLOCK, XID)
"""What a GPU in MIG mode reports for itself; the rest comes per instance."""
INSTANCE_FIELDS = (MEMORY_USED, MEMORY_FREE, ENGINE, DRAM, TENSOR)
"""What a MIG instance reports (no ``GPU_UTIL``: DCGM has none for instances)."""
WHOLE_FIELDS = (UTIL, MEMORY_USED, MEMORY_FREE, TEMPERATURE, POWER, SM_CLOCK, XID, ENGINE,
                DRAM, TENSOR)  # fmt: skip

MIG_SLICES = 7  # compute slices of an A100 or H100
PRESSURE_PEAK = 0.99  # share of the memory a workload under pressure ends up holding
FREE_MEMORY_MIB = {False: 1.0, True: 13.0}  # what an unused GPU / MIG instance reports used
AMBIENT_CELSIUS = 28.0
NOISE_ROWS = 5  # noise rows per device: load, memory, tensor, memory traffic, power


@dataclass
class DeviceTelemetry:
    """One device's fields over the timeline and who held it from which scrape on."""

    device: Device
    holder: Holder | None
    since: int  # index of the first scrape with the holder (the scrape count: never)
    fields: dict[str, Floats]  # DCGM field -> one value per scrape


@dataclass(frozen=True, slots=True)
class _Load:
    util: Floats  # percent
    memory: Floats  # MiB
    tensor: Floats
    dram: Floats
    engine: Floats


def _squash(noise: Floats) -> Floats:
    """Wandering noise squeezed into (0, 1)."""
    result: Floats = 1.0 / (1.0 + np.exp(-1.5 * noise))
    return result


def _between(bounds: tuple[float, float], share: Floats) -> Floats:
    low, high = bounds
    result: Floats = low + (high - low) * share
    return result


def served_rates(traffic: Traffic) -> dict[str, Floats]:
    """Requests per second each workload serves, per scrape."""
    found: dict[str, Floats] = {}
    for path in traffic.paths:
        if path.destination is not None:
            key = path.destination.key
            reached = traffic.rate[path.index] * traffic.reach(path.index)
            found[key] = found.get(key, np.zeros(traffic.rate.shape[1])) + reached
    return found


def _relative(rate: Floats) -> Floats:
    low, high = np.percentile(rate, [5, 95])
    if high <= low:
        return np.full(rate.shape, 0.5)
    result: Floats = np.clip((rate - low) / (high - low), 0.0, 1.0)
    return result


def climb(times: Floats, pressure: GpuPressure, end_ts: float) -> Floats:
    """How full the memory has got: 0 before the start, 1 at its end (as the latency climbs).

    After an ``end`` the container was restarted and holds its usual memory again.
    """
    stop = pressure.end.timestamp() if pressure.end is not None else end_ts
    start = pressure.start.timestamp()
    progress: Floats = np.clip((times - start) / (stop - start), 0.0, 1.0)
    if pressure.end is not None:
        progress = np.where(times < stop, progress, 0.0)
    return progress


def _held(
    device: Device,
    holder: Holder,
    noise: Floats,
    times: Floats,
    rate: Floats | None,
    pressure: list[Floats],
) -> _Load:
    profile = PROFILES.get(holder.workload, DEFAULT_PROFILE)
    high = profile.util[1]
    share = _squash(noise[0])
    if profile.follows_requests and rate is not None:
        share = np.clip(0.8 * _relative(rate) + 0.2 * share, 0.0, 1.0)
    util = _between(profile.util, share)
    memory = min(profile.memory_gib * 1024, 0.95 * device.memory_mib) * (
        1.0 + profile.memory_wobble * noise[1]
    )
    for progress in pressure:
        util = util + (min(high + 35.0, 97.0) - util) * progress
        memory = memory + (PRESSURE_PEAK * device.memory_mib - memory) * progress
    working = np.ones(times.shape, dtype=bool)
    if holder.last_activity is not None:
        working = times <= holder.last_activity
    util = np.where(working, util, 0.0)
    scale = util / high if profile.follows_requests else 1.0
    tensor = _between(profile.tensor, _squash(noise[2])) * scale
    dram = _between(profile.dram, _squash(noise[3])) * scale
    # DCGM's utilization is the time any kernel ran; the engine is active slightly less. A MIG
    # instance has only the engine, and its utilization is read as 100 x the engine.
    busy = util / 100.0 * (1.0 if device.mig else 0.96 + 0.04 * _squash(noise[2]))
    engine = np.where(working, busy, 0.0015 + 0.002 * _squash(noise[3]))
    return _Load(util, memory, np.where(working, tensor, 0.0), np.where(working, dram, 0.0005),
                 engine)  # fmt: skip


def _free(device: Device, samples: int) -> _Load:
    zeros = np.zeros(samples)
    memory = np.full(samples, FREE_MEMORY_MIB[device.mig is not None])
    return _Load(zeros, memory, zeros, zeros, zeros)


def _splice(before: _Load, after: _Load, since: int) -> _Load:
    def cut(a: Floats, b: Floats) -> Floats:
        return np.concatenate([a[:since], b[since:]])

    return _Load(*(cut(getattr(before, f.name), getattr(after, f.name)) for f in fields(_Load)))


def _power_fields(
    device: Device, load: Floats, holding: Floats, noise: Floats
) -> dict[str, Floats]:
    """Power, temperature and SM clock from the load (0-1) and whether memory is held."""
    model = device.model
    draw = np.clip(0.05 * holding + 0.9 * load**1.2, 0.0, 1.0)
    span = model.max_watts - model.idle_watts
    power = (model.idle_watts + span * draw) * (1.0 + 0.01 * noise)
    heat = np.clip((power - model.idle_watts) / span, 0.0, 1.0)
    temperature = AMBIENT_CELSIUS + (model.hot_celsius - AMBIENT_CELSIUS) * heat + 0.6 * noise
    steps = np.round(3.0 * draw * _squash(noise))
    clock = np.where(load >= 0.01, model.max_mhz - 15.0 * steps, float(model.idle_mhz))
    found: dict[str, Floats] = {
        TEMPERATURE: np.round(temperature),
        POWER: np.round(power, 2),
        SM_CLOCK: clock,
    }
    return found


def _xid(device: Device, times: Floats, end_ts: float) -> Floats:
    codes = np.zeros(times.shape)
    for error in XID_ERRORS:
        if (error.machine, error.index) == (device.machine, device.index):
            codes[times >= end_ts - error.before_end.total_seconds()] = error.code
    return codes


def _rounded(values: Floats, high: float, digits: int = 0) -> Floats:
    return np.round(np.clip(values, 0.0, high), digits).astype(np.float64)


def _own_fields(load: _Load, device: Device) -> dict[str, Floats]:
    memory = _rounded(load.memory, device.memory_mib)
    found = {
        MEMORY_USED: memory,
        MEMORY_FREE: device.memory_mib - memory,
        ENGINE: _rounded(load.engine, 1.0, 4),
        DRAM: _rounded(load.dram, 1.0, 4),
        TENSOR: _rounded(load.tensor, 1.0, 4),
    }
    if device.mig is None:
        found[UTIL] = _rounded(load.util, 100.0)
    return found


def _mig_load(device: Device, instances: list[Device], loads: dict[Device, _Load]) -> _Load:
    """A GPU in MIG mode works as hard as its instances, weighted by their compute slices."""
    engine = (
        sum(
            (d.mig.slices * loads[d].engine for d in instances if d.mig),
            np.zeros(len(loads[device].util)),
        )
        / MIG_SLICES
    )
    held_memory = sum((loads[d].memory for d in instances), np.zeros(len(engine)))
    return _Load(100.0 * engine, held_memory, engine * 0, engine * 0, engine)


def device_telemetry(
    devices: list[Device],
    held: dict[Device, Holder],
    timeline: Timeline,
    pressure: list[GpuPressure],
    rates: dict[str, Floats],
    rng: np.random.Generator,
) -> list[DeviceTelemetry]:
    """Every device's DCGM fields at every scrape of ``timeline``, in ``devices`` order."""
    times = timeline.times().astype(np.float64)
    samples = timeline.samples
    noise = np.split(smooth_noise(rng, NOISE_ROWS * len(devices), samples, 1.0), len(devices))
    loads: dict[Device, _Load] = {}
    found: list[DeviceTelemetry] = []
    for device, rows in zip(devices, noise, strict=True):
        holder = held.get(device)
        since = samples
        loads[device] = _free(device, samples)
        if holder is not None and device.holdable:
            since = int(np.searchsorted(times, holder.started))
            climbs = [
                climb(times, p, timeline.end_ts) for p in pressure if p.workload == holder.key
            ]
            busy = _held(device, holder, rows, times, rates.get(holder.key), climbs)
            loads[device] = _splice(loads[device], busy, since)
        found.append(DeviceTelemetry(device, holder, since, {}))
    for entry, rows in zip(found, noise, strict=True):
        device = entry.device
        if device.mig is not None:
            entry.fields = _own_fields(loads[device], device)
            continue
        load = loads[device]
        if device.mig_enabled:
            instances = [d for d in devices if d.mig and d.machine == device.machine
                         and d.index == device.index]  # fmt: skip
            load = _mig_load(device, instances, loads)
        entry.fields = {} if device.mig_enabled else _own_fields(load, device)
        held_memory = (load.memory > 64.0).astype(np.float64)
        entry.fields |= _power_fields(device, load.util / 100.0, held_memory, rows[4])
        entry.fields[XID] = _xid(device, times, timeline.end_ts)
    return found
