"""Per-minute signals of the call graph's actors and actor-to-actor calls, as numpy arrays.

For every actor (see :mod:`dashboard.analysis.callgraph`): requests and errors that landed on
it, as its callers saw them (the sum of its inbound call edges, so an aborted or unroutable
request counts against the workload it was meant for), and its p95 latency (its own
destination-reported series where there is one, else the request-weighted mean of its inbound
edges' p95). For every folded call: requests, errors and p95 as the caller saw them.
Rows are time slots, columns actors (or calls); NaN means "not seen", never 0.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import pandas as pd

from collectors.model import Snapshot
from dashboard.analysis.callgraph import CallGraph
from dashboard.analysis.frames import metric_frame, rates_frame

__all__ = ["DEFAULT_RESOLUTION", "Matrix", "Signals", "signals"]

Matrix = npt.NDArray[np.float64]
DEFAULT_RESOLUTION = "1min"


@dataclass
class Signals:
    """Aligned per-slot signals of actors and calls."""

    times: pd.DatetimeIndex
    actors: list[str]
    requests: Matrix  # (slots, actors) requests per second landing on the actor
    errors: Matrix  # (slots, actors) errored requests per second
    p95_ms: Matrix  # (slots, actors)
    calls: list[tuple[str, str]]  # (caller, callee) actor pairs
    call_requests: Matrix  # (slots, calls)
    call_errors: Matrix
    call_p95_ms: Matrix
    # The entity frames behind them (time x node or edge id), for other groupings.
    entity_frames: tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame] = field(repr=False, default=(
        pd.DataFrame(), pd.DataFrame(), pd.DataFrame()))  # fmt: skip
    _actor_index: dict[str, int] = field(init=False, repr=False)
    _call_index: dict[tuple[str, str], int] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._actor_index = {actor: i for i, actor in enumerate(self.actors)}
        self._call_index = {pair: i for i, pair in enumerate(self.calls)}

    def column(self, actor: str) -> int:
        """Index of ``actor``'s column (``KeyError`` if it has no signals)."""
        return self._actor_index[actor]

    def call_column(self, caller: str, callee: str) -> int:
        """Index of the call's column (``KeyError`` if absent)."""
        return self._call_index[(caller, callee)]

    @property
    def error_ratio(self) -> Matrix:
        """Errored share of requests per slot; NaN where no request was seen."""
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio: Matrix = np.where(self.requests > 0, self.errors / self.requests, np.nan)
        return np.clip(ratio, 0.0, 1.0)

    @property
    def call_error_ratio(self) -> Matrix:
        """Errored share of each call's requests per slot."""
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio: Matrix = np.where(
                self.call_requests > 0, self.call_errors / self.call_requests, np.nan
            )
        return np.clip(ratio, 0.0, 1.0)


def fold(
    requests: pd.DataFrame, errors: pd.DataFrame, p95: pd.DataFrame, groups: list[list[str]]
) -> tuple[Matrix, Matrix, Matrix]:
    """Sum requests and errors over each group of edge columns; request-weight their p95."""
    slots = len(requests.index)
    shape = (slots, len(groups))
    total, failed = np.full(shape, np.nan), np.full(shape, np.nan)
    weighted = np.full(shape, np.nan)
    p95 = p95.reindex(index=requests.index, columns=requests.columns)
    position = {column: i for i, column in enumerate(requests.columns)}
    r, e, p = requests.to_numpy(), errors.to_numpy(), p95.to_numpy()
    for g, members in enumerate(groups):
        cols = [position[m] for m in members if m in position]
        if not cols:
            continue
        seen = ~np.isnan(r[:, cols])
        any_seen = seen.any(axis=1)
        total[:, g] = np.where(any_seen, np.nansum(r[:, cols], axis=1), np.nan)
        failed[:, g] = np.where(any_seen, np.nansum(e[:, cols], axis=1), np.nan)
        weights = np.where(np.isnan(p[:, cols]), 0.0, np.nan_to_num(r[:, cols]))
        mass = weights.sum(axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            weighted[:, g] = np.where(
                mass > 0, np.nansum(np.nan_to_num(p[:, cols]) * weights, axis=1) / mass, np.nan
            )
    return total, failed, weighted


def signals(
    snapshot: Snapshot, graph: CallGraph, *, resolution: str = DEFAULT_RESOLUTION
) -> Signals:
    """Compute the signals of every actor and call of ``graph`` from the snapshot's series."""
    requests, errors = rates_frame(snapshot.series, resolution=resolution)
    p95 = metric_frame(snapshot.series, "p95_ms", resolution=resolution)
    times = pd.DatetimeIndex(requests.index)
    p95 = p95.reindex(index=times)
    calls = sorted(graph.graph.edges())
    call_r, call_e, call_p = fold(requests, errors, p95, [graph.edge_ids(*c) for c in calls])
    actors = sorted(graph.graph.nodes())
    inbound = [graph.inbound_edge_ids(a) for a in actors]
    act_r, act_e, act_p = fold(requests, errors, p95, inbound)
    own = p95.reindex(columns=actors).to_numpy(dtype=np.float64) if len(times) else act_p
    act_p = np.where(np.isnan(own), act_p, own)
    return Signals(times, actors, act_r, act_e, act_p, calls, call_r, call_e, call_p,
                   (requests, errors, p95))  # fmt: skip
