"""The What changed page's tables: the URL's times in, a diff's sections as rows out. Pure.

>>> query, problems = parse_query({"window": "-5m"}, snapshot.meta)  # doctest: +SKIP
>>> problems  # doctest: +SKIP
["window '-5m' is not a duration like 5m or 1h: using 5 min"]

Query values arrive from URLs, so they are hostile: :func:`parse_query` never raises. An
unreadable value falls back to its default (``from`` one hour before the snapshot ends, ``to``
its end, ``window`` 5 minutes) and one line says so. Rows link their node or call edge to the
Topology page, focused on it and showing the traffic of the compared window.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from collectors.kinds import NodeKind
from collectors.model import SnapshotMeta
from dashboard.analysis.diff_report import SECTION_TITLES, event_words
from dashboard.analysis.diff_types import (
    ClusterEvent,
    ConfigChange,
    EdgeChange,
    Entity,
    Jump,
    JumpMetric,
    PodChange,
    Rollout,
    SnapshotDiff,
)
from dashboard.topology.projection import GraphType
from dashboard.topology.state import TopologyState, to_query
from dashboard.topology.window import duration_seconds, human_duration

__all__ = [
    "DEFAULT_SPAN",
    "DEFAULT_WINDOW_SECONDS",
    "QUERY_KEYS",
    "WINDOW_CHOICES",
    "Cell",
    "DiffQuery",
    "Section",
    "diff_sections",
    "duration_text",
    "moment_text",
    "parse_query",
    "query_values",
    "topology_href",
]

QUERY_KEYS = ("from", "to", "window")
"""Every query key the What changed page owns."""

DEFAULT_SPAN = timedelta(hours=1)  # "from" defaults to this long before the snapshot ends
DEFAULT_WINDOW_SECONDS = 300
WINDOW_CHOICES = ("1m", "5m", "10m", "15m", "30m", "1h")
"""Windows the page's dropdown offers (any duration in the URL works too)."""

_MAX_TEXT = 40
_ISO_TIME = re.compile(r"[0-9T:.+\-Z ]{4,40}", re.IGNORECASE)
_GRAPH_OF_KIND = {
    NodeKind.WORKLOAD.value: GraphType.WORKLOAD,
    NodeKind.EXTERNAL.value: GraphType.WORKLOAD,
    NodeKind.UNKNOWN.value: GraphType.WORKLOAD,
    NodeKind.SERVICE.value: GraphType.SERVICE,
}


@dataclass(frozen=True, slots=True)
class DiffQuery:
    """The two moments compared and how long a window before each is averaged."""

    before: datetime
    after: datetime
    window_seconds: int


@dataclass(frozen=True, slots=True)
class Cell:
    """One table cell: text, a link when ``href`` is set, a Bootstrap colour when ``tone`` is."""

    text: str
    href: str = ""
    tone: str = ""


@dataclass(frozen=True, slots=True)
class Section:
    """One section of the diff as a table; ``total`` counts the items before any limit."""

    key: str
    title: str
    headers: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]
    total: int


def _shown(value: str) -> str:
    printable = "".join(ch if ch.isprintable() else "?" for ch in value[:24])
    return repr(printable + ("…" if len(value) > 24 else ""))


def _text(raw: Any) -> str:
    # Dash Pages hands a repeated key over as a list of its values: the last one wins.
    if isinstance(raw, list | tuple):
        raw = raw[-1] if raw else ""
    return raw if isinstance(raw, str) else str(raw)


def moment_text(moment: datetime) -> str:
    """A time as the inputs and the URL hold it: ``2026-11-24T07:00Z`` (seconds when any)."""
    return moment.astimezone(UTC).strftime(
        "%Y-%m-%dT%H:%M:%SZ" if moment.second else "%Y-%m-%dT%H:%MZ"
    )


def duration_text(seconds: int) -> str:
    """A window as the URL holds it: ``5m``, ``1h``, ``90s``."""
    if seconds % 3600 == 0:
        return f"{seconds // 3600}h"
    return f"{seconds // 60}m" if seconds % 60 == 0 else f"{seconds}s"


def _moment(text: str) -> datetime | None:
    value = text.strip()
    if not _ISO_TIME.fullmatch(value):
        return None
    try:
        parsed = datetime.fromisoformat(value)
        # A time without an offset is UTC: every time the dashboard shows is.
        return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
    except (ValueError, OverflowError):
        return None


def _defaults(meta: SnapshotMeta) -> DiffQuery:
    return DiffQuery(max(meta.end - DEFAULT_SPAN, meta.start), meta.end, DEFAULT_WINDOW_SECONDS)


def parse_query(query: Mapping[str, Any], meta: SnapshotMeta) -> tuple[DiffQuery, list[str]]:
    """Read ``from``, ``to`` and ``window`` from URL query values; never raises.

    Returns the query and one line per value replaced by its default.
    """
    defaults = _defaults(meta)
    problems: list[str] = []
    moments = {"from": defaults.before, "to": defaults.after}
    for key in ("from", "to"):
        text = _text(query.get(key, ""))
        if not text.strip():  # "?from=" sets nothing
            continue
        found = _moment(text) if len(text) <= _MAX_TEXT else None
        if found is None:
            fallback = moment_text(moments[key])
            problems.append(
                f"{key} {_shown(text)} is not a UTC time like 2026-11-24T07:00Z: using {fallback}"
            )
        else:
            moments[key] = found
    window = defaults.window_seconds
    text = _text(query.get("window", "")).strip()
    if text:
        seconds = duration_seconds(text) if len(text) <= _MAX_TEXT else None
        if not seconds:
            problems.append(
                f"window {_shown(text)} is not a duration like 5m or 1h: "
                f"using {human_duration(window)}"
            )
        else:
            window = seconds
    before, after = moments["from"], moments["to"]
    if before >= after:
        problems.append(
            f"from ({moment_text(before)}) is not before to ({moment_text(after)}): "
            "comparing the last hour instead"
        )
        before, after = defaults.before, defaults.after
    return DiffQuery(before, after, window), problems


def query_values(query: DiffQuery, meta: SnapshotMeta) -> dict[str, str]:
    """The URL values of ``query``, leaving out defaults so "the last hour" follows live data."""
    defaults = _defaults(meta)
    values = {
        "from": "" if query.before == defaults.before else moment_text(query.before),
        "to": "" if query.after == defaults.after else moment_text(query.after),
        "window": ""
        if query.window_seconds == defaults.window_seconds
        else duration_text(query.window_seconds),
    }
    return {key: value for key, value in values.items() if value}


def topology_href(entity: Entity | None, *, end: datetime, window_seconds: int) -> str:
    """The Topology page focused on ``entity``, showing the window ending at ``end``.

    "" when the topology draws no such thing (a pod, a cluster object with no node). Namespaces
    are not collapsed, so the focused node is drawn whatever the graph's size.
    """
    if entity is None or not entity.id:
        return ""
    if entity.kind == "calls":
        graph_type = GraphType.WORKLOAD
        focus = entity.source
        # The workload graph's view ids are the snapshot's; its edges are one per protocol.
        selected = f"{entity.source}->{entity.target}#{entity.protocol}"
    elif entity.kind in _GRAPH_OF_KIND:
        graph_type = _GRAPH_OF_KIND[entity.kind]
        focus = selected = entity.id
    else:
        return ""
    state = TopologyState(
        graph_type=graph_type,
        collapse=(),
        focus=focus,
        selected=selected,
        window=duration_text(window_seconds),
        end=moment_text(end),
    )
    return "/topology?" + urlencode(to_query(state))


def _trend(jump: Jump) -> Cell:
    if jump.metric in (JumpMetric.ERROR_RATIO, JumpMetric.P95_MS):
        return Cell("worse", tone="danger") if jump.worse else Cell("better", tone="success")
    # More traffic is not better in itself (a retry storm is more traffic): only its loss warns.
    return Cell("down", tone="warning") if jump.worse else Cell("up", tone="secondary")


def _when(at: datetime | None) -> Cell:
    return Cell(f"{at:%H:%M:%S}" if at is not None else "")


def diff_sections(
    diff: SnapshotDiff, *, window_seconds: int, limit: int | None = None
) -> list[Section]:
    """The diff's non-empty sections as tables, in report order, each capped at ``limit``."""
    after, before = diff.after_window.end, diff.before_window.end

    def link(entity: Entity | None, end: datetime = after) -> Cell:
        label = entity.label if entity is not None else ""
        return Cell(label, topology_href(entity, end=end, window_seconds=window_seconds))

    def jump(item: Jump) -> tuple[Cell, ...]:
        return link(item.entity), Cell(item.words), _trend(item)

    def edge(end: datetime) -> Callable[[EdgeChange], tuple[Cell, ...]]:
        def row(item: EdgeChange) -> tuple[Cell, ...]:
            protocol = item.entity.protocol.upper() if item.entity.protocol else ""
            return link(item.entity, end), Cell(protocol), Cell(item.words)

        return row

    def pod(item: PodChange) -> tuple[Cell, ...]:
        return Cell(item.entity.label), link(item.workload), Cell(item.words)

    def rollout(item: Rollout) -> tuple[Cell, ...]:
        return _when(item.at), link(item.entity), Cell(item.words)

    def config(item: ConfigChange) -> tuple[Cell, ...]:
        return _when(item.at), link(item.entity), Cell(item.words)

    def event(item: ClusterEvent) -> tuple[Cell, ...]:
        tone = "warning" if item.warning else ""
        return (
            _when(item.at),
            Cell(item.kind.value, tone=tone),
            link(item.entity),
            Cell(event_words(item)),
        )

    layouts: dict[str, tuple[tuple[str, ...], Callable[[Any], tuple[Cell, ...]]]] = {
        "jumps": (("Where", "Change", ""), jump),
        "edges_added": (("Call", "Protocol", "Traffic after"), edge(after)),
        "edges_vanished": (("Call", "Protocol", "Traffic before"), edge(before)),
        "rollouts": (("When", "Workload", "What"), rollout),
        "pods_added": (("Pod", "Workload", "Details"), pod),
        "pods_removed": (("Pod", "Workload", "Details"), pod),
        "config": (("When", "Object", "What"), config),
        "events": (("When", "Kind", "Object", "What"), event),
    }
    sections = []
    for key, total in diff.counts().items():
        if not total:
            continue
        headers, row = layouts[key]
        items: Sequence[Any] = getattr(diff, key)
        shown = items if limit is None else items[:limit]
        rows = tuple(row(item) for item in shown)
        sections.append(Section(key, SECTION_TITLES[key], headers, rows, total))
    return sections
