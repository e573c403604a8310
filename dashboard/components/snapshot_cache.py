"""Results computed once per served snapshot, shared by every session of one app.

Every request reads the same snapshot until a new one is collected, so a page's analysis runs
once per snapshot, not once per click. Entries are keyed on the snapshot object itself and die
with it; a cache lives in the Flask app's config, so two apps (or two tests) never share one.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar, cast

import flask

from collectors.model import Snapshot

__all__ = ["SnapshotCache", "app_cache"]

_T = TypeVar("_T")
_C = TypeVar("_C", bound="SnapshotCache")


class SnapshotCache:
    """Per-snapshot results under any hashable key; thread-safe."""

    def __init__(self, *, snapshots: int = 2) -> None:
        self._snapshots = snapshots
        # Re-entrant: one result may be computed from another cached one.
        self._lock = threading.RLock()
        self._entries: OrderedDict[int, tuple[Snapshot, dict[Hashable, Any]]] = OrderedDict()

    def get(self, snapshot: Snapshot, key: Hashable, make: Callable[[], _T]) -> _T:
        """The result under ``key`` for ``snapshot``, made by ``make`` the first time."""
        # One lock around the work too: two requests arriving together after a new snapshot
        # must not both run the analysis.
        with self._lock:
            entry = self._entries.get(id(snapshot))
            # id() can be reused by a new object once the old one is gone: check identity.
            if entry is None or entry[0] is not snapshot:
                entry = (snapshot, {})
                self._entries[id(snapshot)] = entry
                while len(self._entries) > self._snapshots:
                    self._entries.popitem(last=False)
            self._entries.move_to_end(id(snapshot))
            results = entry[1]
            if key not in results:
                results[key] = make()
            value: _T = results[key]
            return value


def app_cache(config_key: str, make: Callable[[], _C]) -> _C:
    """The cache kept under ``config_key`` by the app serving the current request."""
    config = flask.current_app.config
    cache = config.get(config_key)
    if cache is None:
        # setdefault: two first requests at once still end up with one cache.
        cache = config.setdefault(config_key, make())
    return cast(_C, cache)
