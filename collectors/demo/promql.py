"""PromQL's arithmetic, vectorised: ``rate()`` over counters and ``histogram_quantile()``.

The demo answers the query set from raw counters the way a Prometheus server would, so a real
Prometheus backfilled with the same counters returns the same numbers. The default semantics
are Prometheus 2.x (the Debian package the live-path tests run): a range selector ``[w]`` at
time ``t`` takes the samples in ``[t - w, t]``. Prometheus 3 takes ``(t - w, t]`` and applies
the zero-point clamp after the extrapolation threshold; ``semantics="v3"`` follows it.
"""

from __future__ import annotations

import math
from typing import Literal

import numpy as np
import numpy.typing as npt

Floats = npt.NDArray[np.float64]
Indices = npt.NDArray[np.intp]
Semantics = Literal["v2", "v3"]

# Abramowitz & Stegun 7.1.26: erf to within 1.5e-7, several times faster than a table lookup.
_ERF_P = 0.3275911
_ERF_A = (0.254829592, -0.284496736, 1.421413741, -1.453152027, 1.061405429)


def normal_cdf(z: Floats) -> Floats:
    """Standard normal CDF (Abramowitz & Stegun's erf approximation; error below 2e-7)."""
    x = np.abs(z) * (1.0 / math.sqrt(2.0))
    t = 1.0 / (1.0 + _ERF_P * x)
    a1, a2, a3, a4, a5 = _ERF_A
    poly = ((((a5 * t + a4) * t + a3) * t + a2) * t + a1) * t
    erf = 1.0 - poly * np.exp(-x * x)
    result: Floats = 0.5 + 0.5 * np.copysign(erf, z)
    return result


def extrapolated_rate(
    counters: Floats,
    birth: Indices,
    at: Indices,
    *,
    window_seconds: float,
    step_seconds: float,
    semantics: Semantics = "v2",
    resets: bool = True,
    missing: float = math.nan,
) -> tuple[Floats, npt.NDArray[np.bool_]]:
    """``rate(counter[window])`` at sample indices ``at``, exactly as Prometheus computes it.

    ``counters`` has shape ``(series, k, samples)`` (``k`` counters per series sharing one
    lifetime, such as histogram buckets) with scrapes every ``step_seconds``; series ``i``
    exists from sample ``birth[i]`` on. Returns values of shape ``(series, k, len(at))`` and
    a ``(series, len(at))`` mask of points that exist (at least two samples in the window);
    missing points hold ``missing``. ``resets=False`` skips looking for counter resets, for
    counters known never to reset.
    """
    ratio = window_seconds / step_seconds
    back = math.floor(ratio + 1e-9) if semantics == "v2" else math.ceil(ratio - 1e-9) - 1
    if semantics == "v2" and back * step_seconds == window_seconds and not resets and len(at):
        # Windows that are full and start on a sample need no extrapolation: the rate is the
        # increase over the window. Most series are old enough for every point.
        full = birth <= int(at.min()) - back
        if full.all():
            return _full_rate(counters, at, back, window_seconds)
        if full.any():
            values = np.empty((*counters.shape[:2], len(at)))
            valid = np.ones((counters.shape[0], len(at)), dtype=bool)
            values[full] = _full_rate(counters[full], at, back, window_seconds)[0]
            young = ~full
            values[young], valid[young] = _partial_rate(
                counters[young], birth[young], at, back, window_seconds, step_seconds,
                semantics, resets, missing,
            )  # fmt: skip
            return values, valid
    return _partial_rate(counters, birth, at, back, window_seconds, step_seconds, semantics,
                         resets, missing)  # fmt: skip


def _full_rate(
    counters: Floats, at: Indices, back: int, window_seconds: float
) -> tuple[Floats, npt.NDArray[np.bool_]]:
    if len(at) > 1 and int(at[-1] - at[0]) == len(at) - 1 and bool(np.all(np.diff(at) == 1)):
        # Consecutive points: slices are views, so the increase is one pass.
        begin = int(at[0])
        increase = (
            counters[:, :, begin : begin + len(at)]
            - counters[:, :, begin - back : begin - back + len(at)]
        )
    else:
        increase = counters[:, :, at] - counters[:, :, at - back]
    return increase / window_seconds, np.ones((counters.shape[0], len(at)), dtype=bool)


def _partial_rate(
    counters: Floats,
    birth: Indices,
    at: Indices,
    back: int,
    window_seconds: float,
    step_seconds: float,
    semantics: Semantics,
    resets: bool,
    missing: float,
) -> tuple[Floats, npt.NDArray[np.bool_]]:
    samples = counters.shape[-1]
    last = at[None, :]
    first = np.maximum(last - back, birth[:, None])
    valid = (last - first) >= 1
    first_index = np.clip(first, 0, samples - 1)[:, None, :]
    last_values = counters[:, :, at]
    first_values = np.take_along_axis(counters, first_index, axis=2)
    result = last_values - first_values
    # Counter resets: a drop means the counter restarted, so add back the value before it.
    previous = counters[:, :, :-1]
    dropped = counters[:, :, 1:] < previous if resets else None
    if dropped is not None and dropped.any():
        drops = np.cumsum(np.where(dropped, previous, 0.0), axis=2)
        lost = np.concatenate([np.zeros((*counters.shape[:2], 1)), drops], axis=2)
        result = result + lost[:, :, at] - np.take_along_axis(lost, first_index, axis=2)

    sampled = np.where(valid, (last - first) * float(step_seconds), 1.0)[:, None, :]
    to_start = ((first - last) * float(step_seconds) + window_seconds)[:, None, :]
    threshold = 1.1 * step_seconds
    with np.errstate(divide="ignore", invalid="ignore"):
        to_zero = np.where(
            (result > 0) & (first_values >= 0), sampled * first_values / result, np.inf
        )
    if semantics == "v2":
        to_start = np.minimum(to_start, to_zero)
        to_start = np.where(to_start < threshold, to_start, step_seconds / 2.0)
    else:
        to_start = np.where(to_start >= threshold, step_seconds / 2.0, to_start)
        to_start = np.minimum(to_start, to_zero)
    rate = result * (sampled + to_start) / sampled / window_seconds
    rate = np.where(valid[:, None, :], rate, missing)
    return rate, valid


def histogram_quantile(q: float, upper_bounds: Floats, buckets: Floats) -> Floats:
    """``histogram_quantile(q, ...)`` over cumulative bucket counts on the last axis.

    ``upper_bounds`` are sorted and end with ``+Inf``. As Prometheus does: counts are made
    monotonic, the rank falls in the first bucket whose count reaches it, the value is
    interpolated linearly inside that bucket (from 0 for the first), a rank beyond the last
    finite bound returns that bound, and no observations give NaN.
    """
    shape = buckets.shape[:-1]
    if math.isnan(q):
        return np.full(shape, np.nan)
    if q < 0:
        return np.full(shape, -np.inf)
    if q > 1:
        return np.full(shape, np.inf)
    if len(upper_bounds) < 2 or not math.isinf(upper_bounds[-1]):
        return np.full(shape, np.nan)
    counts = np.maximum.accumulate(buckets, axis=-1)
    observations = counts[..., -1]
    rank = q * observations
    reached = counts[..., :-1] >= rank[..., None]
    index = np.where(reached.any(axis=-1), reached.argmax(axis=-1), len(upper_bounds) - 1)
    below = np.take_along_axis(counts, np.maximum(index - 1, 0)[..., None], -1)[..., 0]
    below = np.where(index > 0, below, 0.0)
    inside = np.take_along_axis(counts, index[..., None], -1)[..., 0] - below
    start = np.where(index > 0, upper_bounds[np.maximum(index - 1, 0)], 0.0)
    end = upper_bounds[index]
    with np.errstate(divide="ignore", invalid="ignore"):
        value = start + (end - start) * ((rank - below) / inside)
    value = np.where(index == len(upper_bounds) - 1, upper_bounds[-2], value)
    value = np.where((index == 0) & (upper_bounds[0] <= 0), upper_bounds[0], value)
    result: Floats = np.where(observations == 0, np.nan, value)
    return np.where(np.isnan(observations), np.nan, result)
