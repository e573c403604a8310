"""The demo's clock: scrape times, the range-query window and where incidents fall in it."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np
import numpy.typing as npt


@dataclass(frozen=True, slots=True)
class Timeline:
    """Scrapes every ``step_seconds`` ending exactly at ``end``.

    The range queries return ``points`` timestamps ending at ``end``; ``lead`` earlier scrapes
    exist so that the first of them already has a full ``rate()`` window behind it. Sample ``i``
    holds what happened in the step that ends at its timestamp.
    """

    end: datetime
    step_seconds: int
    points: int
    lead: int

    @classmethod
    def build(
        cls, end: datetime, hours: float, step_seconds: int, windows: Iterable[int]
    ) -> Timeline:
        """Cover ``hours`` of range points and enough history for the longest ``rate`` window."""
        if end.tzinfo is None:
            raise ValueError("end must be timezone-aware")
        if step_seconds <= 0 or hours <= 0:
            raise ValueError("hours and step_seconds must be positive")
        points = max(2, round(hours * 3600 / step_seconds))
        lead = math.ceil(max(windows, default=step_seconds) / step_seconds) + 1
        return cls(end.astimezone(UTC), step_seconds, points, lead)

    @property
    def samples(self) -> int:
        """Number of scrapes, lead included."""
        return self.lead + self.points

    @property
    def end_ts(self) -> int:
        """``end`` in Unix seconds."""
        return int(self.end.timestamp())

    @property
    def first_ts(self) -> int:
        """Unix time of the first scrape (lead included)."""
        return self.end_ts - (self.samples - 1) * self.step_seconds

    @property
    def start(self) -> datetime:
        """Time of the first range point."""
        return self.end - timedelta(seconds=(self.points - 1) * self.step_seconds)

    def times(self) -> npt.NDArray[np.int64]:
        """Unix seconds of every scrape."""
        return self.first_ts + self.step_seconds * np.arange(self.samples, dtype=np.int64)

    def range_indices(self) -> npt.NDArray[np.intp]:
        """Sample indices of the range points."""
        return np.arange(self.lead, self.samples, dtype=np.intp)

    def at(self, fraction: float) -> datetime:
        """The moment ``fraction`` of the way from ``start`` to ``end``, on a whole minute."""
        span = (self.end - self.start).total_seconds()
        moment = self.start + timedelta(seconds=fraction * span)
        return moment.replace(second=0, microsecond=0)

    def hours_of_day(self) -> npt.NDArray[np.float64]:
        """UTC hour of day (fractional) of every scrape, for the daily traffic cycle."""
        return (self.times() % 86400) / 3600.0
