"""Source-shaped metrics: what a Prometheus-compatible API answers, in typed form.

Both the live Prometheus source and the demo platform produce :class:`MetricsResults`; the
traffic transform consumes them without knowing which one did.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
import numpy.typing as npt


@dataclass(frozen=True, slots=True)
class InstantSample:
    """One element of an instant-vector result."""

    labels: dict[str, str]
    value: float


@dataclass(slots=True)
class RangeSeries:
    """One element of a range-query (matrix) result.

    ``timestamps`` are Unix seconds (int64), ``values`` float64, both the same length.
    """

    labels: dict[str, str]
    timestamps: npt.NDArray[np.int64]
    values: npt.NDArray[np.float64]


@dataclass(slots=True)
class MetricsResults:
    """Answers to the fixed query set of one collection, keyed by query key.

    A key absent from both ``instant``/``range`` and ``failed`` was not asked; a key in
    ``failed`` was asked and failed, with a one-line reason.
    """

    evaluated_at: datetime  # instant queries' evaluation time, timezone-aware UTC
    rate_window_seconds: int
    start: datetime  # range queries' span and step
    end: datetime
    step_seconds: int
    instant: dict[str, list[InstantSample]] = field(default_factory=dict)
    range: dict[str, list[RangeSeries]] = field(default_factory=dict)
    failed: dict[str, str] = field(default_factory=dict)
