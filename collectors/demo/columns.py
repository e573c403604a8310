"""Series collected column by column, then turned into a :class:`ModelledFamily`."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from collectors.demo.streams import Floats, LabelTable, ModelledFamily, first_counted
from collectors.demo.traffic import Traffic

BIRTH_BATCH = 2048

Share = Floats | float
"""A series' share of its path's requests: a number, or one value per scrape."""


def fold(share: Share) -> Share:
    """A share that never changes is stored as a number, not a row per step."""
    if isinstance(share, float):
        return share
    first = float(share[0])
    return first if bool(np.all(share == first)) else share


@dataclass
class SeriesColumns:
    """Series being collected for one family, column by column."""

    names: tuple[str, ...]
    rows: list[tuple[str, ...]] = field(default_factory=list)
    path: list[int] = field(default_factory=list)
    share: list[Share] = field(default_factory=list)
    uptime: list[float] = field(default_factory=list)
    latency: list[tuple[int, float, float, float]] = field(default_factory=list)
    per_request: list[tuple[float, ...]] = field(default_factory=list)

    def add(
        self,
        labels: tuple[str, ...],
        path: int,
        share: Share,
        uptime: float,
        latency: tuple[int, float, float, float],
        per_request: tuple[float, ...],
    ) -> None:
        """Add one series; a share that is zero throughout never makes a series."""
        share = fold(share)
        if isinstance(share, float) and share <= 0:
            return
        self.rows.append(labels)
        self.path.append(path)
        self.share.append(share)
        self.uptime.append(uptime)
        self.latency.append(latency)
        self.per_request.append(per_request)

    def family(
        self, traffic: Traffic, step: float, factor_names: tuple[str, ...], histograms: bool
    ) -> ModelledFamily:
        """The collected series as a family; works out each one's starting count and birth.

        ``factor_names`` name the columns of ``per_request``; ``histograms`` gives the family
        the latency histogram.
        """
        count = len(self.rows)
        varying = [s for s in self.share if not isinstance(s, float)]
        share_rows = np.stack(varying) if varying else np.zeros((0, traffic.rate.shape[1]))
        share_row = np.full(count, -1, dtype=np.intp)
        share_row[[i for i, s in enumerate(self.share) if not isinstance(s, float)]] = np.arange(
            len(varying)
        )
        latency = np.array(self.latency, dtype=np.float64).reshape(count, 4)
        per_request = np.array(self.per_request, dtype=np.float64).reshape(count, -1)
        family = ModelledFamily(
            labels=LabelTable.from_rows(self.names, self.rows),
            birth=np.zeros(count, dtype=np.intp),
            step_seconds=step,
            rate=traffic.rate,
            path=np.array(self.path, dtype=np.intp),
            share=np.array([s if isinstance(s, float) else 1.0 for s in self.share]),
            share_row=share_row,
            share_rows=share_rows,
            offset=np.zeros(count),
            factors={name: per_request[:, i].copy() for i, name in enumerate(factor_names)},
            latency=traffic.latency if histograms else None,
            latency_row=latency[:, 0].astype(np.intp),
            latency_scale=latency[:, 1].copy(),
            latency_add=latency[:, 2].copy(),
            sigma=latency[:, 3].copy(),
        )
        uptime = np.array(self.uptime)
        for begin in range(0, count, BIRTH_BATCH):
            rows = np.arange(begin, min(begin + BIRTH_BATCH, count), dtype=np.intp)
            per_step = family.requests(rows)
            family.offset[rows] = per_step[:, 0] / step * uptime[rows]
            counted = np.floor(family.offset[rows][:, None] + np.cumsum(per_step, axis=1))
            family.birth[rows] = first_counted(counted)
        return family


def drop_unborn(family: ModelledFamily, samples: int) -> None:
    """Series whose first request never came within the window do not exist."""
    keep = np.flatnonzero(family.birth < samples)
    if len(keep) == family.labels.size:
        return
    family.labels = LabelTable(
        values=family.labels.values,
        codes={name: codes[keep] for name, codes in family.labels.codes.items()},
        size=len(keep),
    )
    for name in (
        "birth",
        "path",
        "share",
        "share_row",
        "offset",
        "latency_row",
        "latency_scale",
        "latency_add",
        "sigma",
    ):
        setattr(family, name, getattr(family, name)[keep])
    family.factors = {name: values[keep] for name, values in family.factors.items()}
    family.factor_rows = {
        name: (which[keep], table) for name, (which, table) in family.factor_rows.items()
    }
