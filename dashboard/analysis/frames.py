"""Wide time frames (time x entity) from a snapshot's long-format series.

Analysis works on aligned frames: one row per time slot, one column per entity (a node or edge
id). Prometheus leaves out points where nothing matched, so a missing ``error_rate`` point where
``request_rate`` has one means "no errors", and is filled with 0; a missing request rate stays
missing (the entity was not seen), never 0.

>>> import pandas as pd
>>> from collectors.model import empty_series
>>> metric_frame(empty_series(), "request_rate").shape
(0, 0)
"""

from __future__ import annotations

from collections.abc import Collection

import numpy as np
import pandas as pd

__all__ = ["error_ratio_frame", "metric_frame", "rates_frame"]


def metric_frame(
    series: pd.DataFrame,
    metric: str,
    *,
    entities: Collection[str] | None = None,
    resolution: str | None = None,
) -> pd.DataFrame:
    """One metric as a time x entity frame, averaged into ``resolution`` slots (``"1min"``).

    Slots are labelled by their end, like the series points (each point holds what happened
    in the step ending at its timestamp).
    """
    rows = series[series["metric"] == metric]
    if entities is not None:
        rows = rows[rows["entity"].isin(list(entities))]
    if rows.empty:
        return pd.DataFrame(index=pd.DatetimeIndex([], tz="UTC"), dtype="float64")
    frame = rows.pivot_table(
        index="timestamp", columns="entity", values="value", aggfunc="mean", observed=True
    )
    frame.columns = frame.columns.astype(str)
    frame.columns.name = None
    if resolution is not None:
        frame = frame.resample(resolution, label="right", closed="right").mean()
    return frame.astype("float64")


def rates_frame(
    series: pd.DataFrame,
    *,
    entities: Collection[str] | None = None,
    resolution: str | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Request and error rates on the same grid; errors are 0 where requests were seen."""
    requests = metric_frame(series, "request_rate", entities=entities, resolution=resolution)
    errors = metric_frame(series, "error_rate", entities=entities, resolution=resolution)
    errors = errors.reindex(index=requests.index, columns=requests.columns)
    errors = errors.where(requests.isna() | errors.notna(), 0.0)
    return requests, errors


def error_ratio_frame(
    series: pd.DataFrame,
    *,
    entities: Collection[str] | None = None,
    resolution: str | None = None,
) -> pd.DataFrame:
    """Errored share of requests per slot; missing where no request was seen."""
    requests, errors = rates_frame(series, entities=entities, resolution=resolution)
    ratio = errors / requests.where(requests > 0)
    return ratio.clip(upper=1.0).replace([np.inf, -np.inf], np.nan)
