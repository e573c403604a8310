"""GPU series: DCGM range answers -> the snapshot's long-format frame, one entity per device.

Each DCGM series is placed on a device (:class:`Device`: a whole GPU or a MIG instance of one)
by the label rules of :mod:`collectors.gpu_labels`; a series naming no machine or no device
cannot be placed and is left out (:func:`place_series` counts them). Entities are GPU node ids,
metrics :data:`~collectors.gpu_queries.GPU_SERIES_METRICS`.

- When several series land on one entity and metric at one timestamp (the pod using the device
  changed within the window, so its labels did), the highest value is kept.
- DCGM reports no ``GPU_UTIL`` for MIG instances: an instance's ``gpu_util`` is
  100 x its ``gpu_engine_active``.
- A MIG-enabled GPU without series of its own gets them from its instances: ``gpu_util`` is
  their mean weighted by compute slices (``3g.20gb`` weighs 3) over the instances reporting at
  that timestamp, ``gpu_memory_used`` and ``gpu_memory_free`` are their sums.

The work is vectorised: Python loops run once per series or device, never per point.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from collectors.gpu_labels import (
    MigInstance,
    PodRef,
    assigned_pod,
    device_index,
    machine_of,
    mig_instance,
    mig_weight,
    renamed_labels,
)
from collectors.gpu_queries import DCGM_QUERIES, GPU_SERIES_METRICS
from collectors.ids import node_id
from collectors.kinds import NodeKind
from collectors.model import empty_series
from collectors.prom import MetricsResults, RangeSeries

__all__ = [
    "Device",
    "PlacedSeries",
    "Placement",
    "gpu_series",
    "memory_totals",
    "place_series",
    "series_frame",
]

UTIL = "gpu_util"
ENGINE_ACTIVE = "gpu_engine_active"
MEMORY_USED = "gpu_memory_used"
MEMORY_FREE = "gpu_memory_free"
MEMORY_METRICS = frozenset({MEMORY_USED, MEMORY_FREE})

_METRIC_CODE = {name: code for code, name in enumerate(GPU_SERIES_METRICS)}
_UTIL, _USED, _FREE = (_METRIC_CODE[name] for name in (UTIL, MEMORY_USED, MEMORY_FREE))
_KEYS = ["entity", "metric", "stamp"]


@dataclass(frozen=True, slots=True)
class Device:
    """A whole GPU (``mig`` None) or a MIG instance of GPU ``index`` on ``machine``."""

    machine: str
    index: int
    mig: MigInstance | None = None

    @property
    def name(self) -> str:
        """The GPU node's name: ``<index>``, or ``<index>/mig-<GPU_I_ID>`` for a MIG instance."""
        if self.mig is None:
            return str(self.index)
        return f"{self.index}/mig-{self.mig.instance_id}"

    @property
    def id(self) -> str:
        """The GPU node id: ``gpu:Kubernetes/<machine>/<name>``, the machine as namespace."""
        return node_id(NodeKind.GPU, self.name, self.machine)

    @property
    def parent(self) -> Device | None:
        """The whole GPU a MIG instance belongs to; ``None`` for a whole GPU."""
        return None if self.mig is None else Device(self.machine, self.index)


@dataclass(frozen=True, slots=True)
class PlacedSeries:
    """One DCGM series, the device it measures, the series metric it feeds and its user."""

    device: Device
    metric: str
    series: RangeSeries
    pod: PodRef | None


@dataclass(frozen=True, slots=True)
class Placement:
    """The DCGM series that could be placed, and how many could not."""

    series: tuple[PlacedSeries, ...]
    skipped: int


def place_series(metrics: MetricsResults) -> Placement:
    """Place every series of the answered DCGM queries on its device, in query order.

    A MIG instance's ``gpu_util`` comes from its ``gpu_engine_active`` (x 100), never from a
    ``GPU_UTIL`` series, so both paths give one meaning.
    """
    placed: list[PlacedSeries] = []
    skipped = 0
    for query in DCGM_QUERIES:
        if query.key in metrics.failed:
            continue
        answer = metrics.range.get(query.key, [])
        renamed = "pod" in renamed_labels(series.labels for series in answer)
        for series in answer:
            labels = series.labels
            machine, index = machine_of(labels), device_index(labels)
            if not machine or index is None:
                skipped += 1
                continue
            device = Device(machine, index, mig_instance(labels))
            pod = assigned_pod(labels, renamed=renamed)
            if device.mig is not None and query.series_metric == UTIL:
                continue
            placed.append(PlacedSeries(device, query.series_metric, series, pod))
            if device.mig is not None and query.series_metric == ENGINE_ACTIVE:
                percent = RangeSeries(labels, series.timestamps, series.values * 100.0)
                placed.append(PlacedSeries(device, UTIL, percent, pod))
    return Placement(tuple(placed), skipped)


def gpu_series(metrics: MetricsResults) -> pd.DataFrame:
    """Return the long-format series of GPU devices (module docstring); empty without any."""
    return series_frame(place_series(metrics).series)


def series_frame(placed: Sequence[PlacedSeries]) -> pd.DataFrame:
    """Combine placed series into the snapshot's frame, with the MIG parents' derivations."""
    rows, ids = _rows(placed)
    if rows.empty:
        return empty_series()
    used = np.unique(rows["entity"].to_numpy())
    renumbered = np.full(len(ids), -1, np.int64)
    renumbered[used] = np.arange(len(used))
    seconds = rows["stamp"].to_numpy(np.int64)
    return pd.DataFrame(
        {
            "entity": pd.Categorical.from_codes(
                renumbered[rows["entity"].to_numpy()],
                categories=pd.Index([ids[code] for code in used]),
            ),
            "metric": pd.Categorical.from_codes(
                rows["metric"].to_numpy(), categories=pd.Index(GPU_SERIES_METRICS)
            ),
            "timestamp": pd.DatetimeIndex(seconds.astype("datetime64[s]"))
            .as_unit("ns")
            .tz_localize("UTC"),
            "value": rows["value"].to_numpy(np.float64),
        }
    )


def memory_totals(placed: Sequence[PlacedSeries]) -> dict[str, float]:
    """Each device's memory (MiB): used + free at the last timestamp both are known."""
    rows, ids = _rows([p for p in placed if p.metric in MEMORY_METRICS])
    if rows.empty:
        return {}
    by_stamp = rows.set_index(["entity", "stamp"])
    used = by_stamp.loc[by_stamp["metric"] == _USED, "value"]
    free = by_stamp.loc[by_stamp["metric"] == _FREE, "value"]
    total = (used + free).dropna().sort_index()
    last = total.groupby(level="entity").last()
    return {
        ids[int(entity)]: float(value)
        for entity, value in zip(last.index.to_numpy(np.int64), last.to_numpy(), strict=True)
    }


def _rows(placed: Sequence[PlacedSeries]) -> tuple[pd.DataFrame, list[str]]:
    """Integer-coded rows (entity, metric, stamp, value), one per entity/metric/timestamp, with
    the MIG parents' derived rows last; and the entity ids by code."""
    codes: dict[Device, int] = {}
    for piece in placed:
        codes.setdefault(piece.device, len(codes))
        parent = piece.device.parent
        if parent is not None:
            codes.setdefault(parent, len(codes))
    ids = [device.id for device in codes]
    if not placed:
        return pd.DataFrame(columns=[*_KEYS, "value"]), ids
    lengths = np.fromiter((len(p.series.values) for p in placed), np.int64, len(placed))
    entities = np.fromiter((codes[p.device] for p in placed), np.int64, len(placed))
    metrics = np.fromiter((_METRIC_CODE[p.metric] for p in placed), np.int64, len(placed))
    values = np.concatenate([np.asarray(p.series.values, np.float64) for p in placed])
    stamps = np.concatenate([np.asarray(p.series.timestamps, np.int64) for p in placed])
    present = np.isfinite(values)
    raw = pd.DataFrame(
        {
            "entity": np.repeat(entities, lengths)[present],
            "metric": np.repeat(metrics, lengths)[present],
            "stamp": stamps[present],
            "value": values[present],
        }
    )
    # Only pairs fed by several series (the device changed hands) need combining.
    pairs = entities * len(GPU_SERIES_METRICS) + metrics
    found, contributors = np.unique(pairs, return_counts=True)
    shared = np.repeat(np.isin(pairs, found[contributors > 1]), lengths)[present]
    own = raw.loc[~shared]
    if shared.any():
        combined = raw.loc[shared].groupby(_KEYS, as_index=False, sort=False).agg({"value": "max"})
        own = pd.concat([own, combined], ignore_index=True)
    parents = np.full(len(codes), -1, np.int64)
    weights = np.ones(len(codes), np.float64)
    for device, code in codes.items():
        if device.parent is not None and device.mig is not None:
            parents[code] = codes[device.parent]
            weights[code] = mig_weight(device.mig.profile)
    derived = _parent_rows(own, parents, weights)
    rows = pd.concat([own, derived], ignore_index=True) if len(derived) else own
    return rows.reset_index(drop=True), ids


def _parent_rows(
    own: pd.DataFrame, parents: npt.NDArray[np.int64], weights: npt.NDArray[np.float64]
) -> pd.DataFrame:
    """The rows a MIG-enabled GPU gets from its instances, for metrics it has none of itself."""
    entity = own["entity"].to_numpy()
    metric = own["metric"].to_numpy()
    instance = parents[entity] >= 0
    util = own[instance & (metric == _UTIL)]
    weight = weights[util["entity"].to_numpy()]
    weighted = (
        pd.DataFrame(
            {
                "entity": parents[util["entity"].to_numpy()],
                "stamp": util["stamp"].to_numpy(),
                "weighted": util["value"].to_numpy() * weight,
                "weight": weight,
            }
        )
        .groupby(["entity", "stamp"], as_index=False, sort=False)[["weighted", "weight"]]
        .sum()
    )
    util_rows = pd.DataFrame(
        {
            "entity": weighted["entity"].to_numpy(np.int64),
            "metric": np.full(len(weighted), _UTIL, np.int64),
            "stamp": weighted["stamp"].to_numpy(np.int64),
            "value": (weighted["weighted"] / weighted["weight"]).to_numpy(np.float64),
        }
    )
    memory = own[instance & ((metric == _USED) | (metric == _FREE))].copy()
    memory["entity"] = parents[memory["entity"].to_numpy()]
    memory_rows = memory.groupby(_KEYS, as_index=False, sort=False).agg({"value": "sum"})
    derived = pd.concat([util_rows, memory_rows], ignore_index=True)
    # A parent that reports a metric itself keeps its own series of it.
    width = len(GPU_SERIES_METRICS)
    own_pairs = np.unique(entity * width + metric)
    derived_pairs = derived["entity"].to_numpy(np.int64) * width + derived["metric"].to_numpy()
    kept: pd.DataFrame = derived.loc[~np.isin(derived_pairs, own_pairs)]
    return kept
