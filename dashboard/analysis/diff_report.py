"""What ``meshlens diff`` prints: a :class:`SnapshotDiff` as text for people or JSON. Pure.

Text is grouped by section, each titled with its count and showing at most ``limit`` items;
JSON keeps the full counts, the items up to ``limit``, and the ids people never see in text.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import asdict
from datetime import datetime
from enum import Enum
from typing import Any

from dashboard.analysis.diff_types import (
    ClusterEvent,
    ConfigChange,
    EdgeChange,
    Jump,
    PodChange,
    Rollout,
    SnapshotDiff,
)
from dashboard.terminal import printable

__all__ = [
    "NO_DIFFERENCES",
    "SECTION_TITLES",
    "diff_json",
    "diff_text",
    "event_words",
    "summary_line",
]

NO_DIFFERENCES = "No differences"

SECTION_TITLES = {
    "jumps": "Error, latency and traffic jumps",
    "edges_added": "New call edges",
    "edges_vanished": "Vanished call edges",
    "rollouts": "Rollouts",
    "pods_added": "Pods added",
    "pods_removed": "Pods removed",
    "config": "Config changes",
    "events": "Other cluster events",
}
"""Each section's title, in report order (the keys of :meth:`SnapshotDiff.counts`)."""

_NOUNS = {
    "jumps": ("jump", "jumps"),
    "edges_added": ("new edge", "new edges"),
    "edges_vanished": ("vanished edge", "vanished edges"),
    "rollouts": ("rollout", "rollouts"),
    "pods_added": ("pod added", "pods added"),
    "pods_removed": ("pod removed", "pods removed"),
    "config": ("config change", "config changes"),
    "events": ("event", "events"),
}
_MAX_LABEL = 56  # wider labels push the words off an 100-column terminal


def _when(at: datetime | None) -> str:
    return f"{at:%H:%M:%S}" if at is not None else ""


def _jump_line(jump: Jump) -> tuple[str, str, str]:
    return "", jump.entity.label, jump.words


def _edge_line(change: EdgeChange) -> tuple[str, str, str]:
    protocol = change.entity.protocol.upper() if change.entity.protocol else ""
    return "", change.entity.label, f"{protocol} {change.words}".strip()


def _pod_line(change: PodChange) -> tuple[str, str, str]:
    owner = f"of {change.workload.label} · " if change.workload is not None else ""
    return "", change.entity.label, f"{owner}{change.words}"


def _rollout_line(rollout: Rollout) -> tuple[str, str, str]:
    return _when(rollout.at), rollout.entity.label, rollout.words


def _config_line(change: ConfigChange) -> tuple[str, str, str]:
    return _when(change.at), change.entity.label, change.words


def event_words(event: ClusterEvent) -> str:
    """The event's message, and how often it happened when more than once."""
    return f"{event.words} ({event.count} times)" if event.count > 1 else event.words


def _event_line(event: ClusterEvent) -> tuple[str, str, str]:
    return _when(event.at), event.entity.label, f"{event.kind.value}: {event_words(event)}"


_LINES: dict[str, Callable[[Any], tuple[str, str, str]]] = {
    "jumps": _jump_line,
    "edges_added": _edge_line,
    "edges_vanished": _edge_line,
    "rollouts": _rollout_line,
    "pods_added": _pod_line,
    "pods_removed": _pod_line,
    "config": _config_line,
    "events": _event_line,
}


def _section_lines(items: Sequence[Any], line: Callable[[Any], tuple[str, str, str]]) -> list[str]:
    rows = [line(item) for item in items]
    width = min(max(len(label) for _, label, _ in rows), _MAX_LABEL)
    timed = any(when for when, _, _ in rows)
    out = []
    for when, label, words in rows:
        prefix = f"{when or '':<8}  " if timed else ""
        out.append(printable(f"  {prefix}{label:<{width}}  {words}".rstrip()))
    return out


def summary_line(diff: SnapshotDiff) -> str:
    """``3 jumps, 1 new edge, 2 pods added``: the sections that hold something."""
    parts = []
    for key, count in diff.counts().items():
        if count:
            singular, plural = _NOUNS[key]
            parts.append(f"{count} {singular if count == 1 else plural}")
    return ", ".join(parts) or NO_DIFFERENCES


def diff_text(diff: SnapshotDiff, *, limit: int | None = 20) -> str:
    """The report for people: the two sides, notes, then each section that holds something.

    ``limit`` caps each section (None: no cap). Nothing changed: one line that starts with
    :data:`NO_DIFFERENCES`.
    """
    lines = ["What changed", f"  before: {diff.before}", f"  after:  {diff.after}"]
    lines.extend(f"note: {note}" for note in diff.notes)
    if diff.empty:
        lines.append(f"{NO_DIFFERENCES}.")
        return "\n".join(printable(line) for line in lines) + "\n"
    for key, count in diff.counts().items():
        if not count:
            continue
        items: Sequence[Any] = getattr(diff, key)
        shown = items if limit is None else items[:limit]
        lines.append("")
        lines.append(f"{SECTION_TITLES[key]} ({count})")
        if shown:
            lines.extend(_section_lines(shown, _LINES[key]))
        if len(shown) < count:
            lines.append(f"  … and {count - len(shown)} more (--limit)")
    lines.append("")
    lines.append(summary_line(diff))
    return "\n".join(printable(line) for line in lines) + "\n"


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _plain(one) for key, one in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(one) for one in value]
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, float) and value != value:  # NaN is not JSON
        return None
    return value


def diff_json(diff: SnapshotDiff, *, limit: int | None = None) -> str:
    """The diff as one JSON document: sides, counts, notes, and each section's items."""
    body: dict[str, Any] = {
        "before": {
            "description": diff.before,
            "start": diff.before_window.start,
            "end": diff.before_window.end,
        },
        "after": {
            "description": diff.after,
            "start": diff.after_window.start,
            "end": diff.after_window.end,
        },
        "counts": diff.counts(),
        "notes": list(diff.notes),
    }
    for key in diff.counts():
        items = getattr(diff, key)
        body[key] = [asdict(item) for item in (items if limit is None else items[:limit])]
    return json.dumps(_plain(body), indent=2, ensure_ascii=False) + "\n"
