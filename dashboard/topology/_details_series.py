"""Series of a side-panel element: its members' series summed, restricted to a window."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

_WORST_METRIC = "p95_ms"  # the one series metric combined by max instead of sum


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_NS = np.iinfo(np.int64)


def _epoch_ns(moment: datetime) -> int:
    """Nanoseconds since the epoch, clamped to int64 so a year-1 window from a URL still works.

    Naive datetimes are taken as UTC, which every snapshot time is.
    """
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    nanos = (aware - _EPOCH) // timedelta(microseconds=1) * 1000
    return max(min(nanos, int(_NS.max)), int(_NS.min))


def empty_details_series() -> pd.DataFrame:
    """A series frame of :class:`Details` with no rows."""
    return pd.DataFrame(
        {
            "timestamp": pd.Series([], dtype="datetime64[ns, UTC]"),
            "metric": pd.Series([], dtype="str"),
            "value": pd.Series([], dtype="float64"),
        }
    )


def summed_series(
    series: pd.DataFrame,
    entities: Collection[str],
    throughput_only: Collection[str],
    start: datetime,
    end: datetime,
) -> pd.DataFrame:
    """Sum the series of ``entities`` (and only the throughput of ``throughput_only``) per
    metric and timestamp within ``start..end``; ``p95_ms`` takes the worst value."""
    if series.empty or not (entities or throughput_only):
        return empty_details_series()
    entity, metric = _categorical(series["entity"]), _categorical(series["metric"])
    # Work on category codes: no string is compared per row of the (large) whole frame.
    codes = np.asarray(entity.array.codes)
    full = _codes_of(entity.cat.categories, entities)
    wanted = np.array([*full, *_codes_of(entity.cat.categories, throughput_only)], np.int64)
    if not wanted.size:
        return empty_details_series()
    rows = np.flatnonzero(np.isin(codes, wanted, kind="table"))
    names = metric.cat.categories
    metric_codes = np.asarray(metric.array.codes)[rows]
    stamps = pd.DatetimeIndex(series["timestamp"].iloc[rows]).as_unit("ns").asi8
    values = series["value"].to_numpy(np.float64)[rows]
    bytes_code = names.get_indexer(pd.Index(["throughput"]))[0]
    keep = (
        (np.isin(codes[rows], full) | ((metric_codes == bytes_code) & (bytes_code >= 0)))
        & (stamps >= _epoch_ns(start))
        & (stamps <= _epoch_ns(end))
        & (metric_codes >= 0)
        & ~np.isnan(values)
    )
    if not keep.any():
        return empty_details_series()
    return _combine(names, metric_codes[keep], stamps[keep], values[keep])


def _categorical(column: pd.Series) -> pd.Series:
    if isinstance(column.dtype, pd.CategoricalDtype):
        return column
    return column.astype("category")  # a hand-made frame; snapshots keep categoricals


def _codes_of(categories: pd.Index, ids: Collection[str]) -> list[int]:
    found = categories.get_indexer(pd.Index(list(ids)))
    return [int(code) for code in found if code >= 0]


def _combine(
    names: pd.Index,
    metric_codes: npt.NDArray[np.integer[Any]],
    stamps: npt.NDArray[np.int64],
    values: npt.NDArray[np.float64],
) -> pd.DataFrame:
    """Sum (``p95_ms``: take the max of) rows sharing a metric and a timestamp.

    Series sit on a step grid, so a timestamp's slot is arithmetic and the sums are one
    ``bincount``; irregular timestamps fall back to hashing.
    """
    first = int(stamps.min())
    step = int(np.gcd.reduce(stamps - first)) or 1
    slots = (stamps - first) // step
    n_slots = int(slots.max()) + 1
    slot_stamps = first + step * np.arange(n_slots, dtype=np.int64)
    if n_slots > 4 * len(stamps) + 64:
        slots, uniques = pd.factorize(stamps)
        n_slots, slot_stamps = len(uniques), np.asarray(uniques, np.int64)
    keys = metric_codes.astype(np.int64) * n_slots + slots
    size = len(names) * n_slots
    totals = np.bincount(keys, weights=values, minlength=size)
    worst = names.get_indexer(pd.Index([_WORST_METRIC]))[0]
    if worst >= 0:
        highest = np.full(size, -np.inf)
        picked = metric_codes == worst
        np.maximum.at(highest, keys[picked], values[picked])
        block = slice(worst * n_slots, (worst + 1) * n_slots)
        totals[block] = highest[block]
    used = np.flatnonzero(np.bincount(keys, minlength=size))
    return pd.DataFrame(
        {
            "timestamp": pd.to_datetime(slot_stamps[used % n_slots], unit="ns", utc=True),
            "metric": np.asarray(names, dtype=object)[used // n_slots].astype(str),
            "value": totals[used],
        }
    )


def with_series(series: pd.DataFrame, ids: Iterable[str]) -> list[str]:
    """The ids among ``ids`` that have series of their own."""
    column = series["entity"]
    if isinstance(column.dtype, pd.CategoricalDtype):
        known = set(column.cat.categories.intersection(pd.Index(list(ids))))
    else:
        known = set(column[column.isin(list(ids))].unique())
    return [one for one in ids if one in known]
