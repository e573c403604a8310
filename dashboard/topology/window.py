"""Time windows for the topology page: read the URL's choice (``window_traffic`` recomputes it).

A snapshot's edge and node rates cover its last ``meta.rate_window_seconds`` ending at
``meta.end``. When a person picks another window ("last 1 h", or 30 minutes ending at 07:30),
:func:`dashboard.topology.window_traffic.traffic_in_window` recomputes those figures from the
snapshot's series, so the graph the topology page draws tells the story of that window.

Time model: a series point at time ``t`` summarises the step that ends at ``t`` (Prometheus's
``rate()`` window ends at the evaluation time; the demo's scrapes do the same). A window
``(start, end]`` therefore takes the points with ``start < t <= end``, and the data of a snapshot
begins one step before ``meta.start``, its first point: that is the earliest a window may start.

>>> from datetime import UTC, datetime
>>> TimeWindow(datetime(2026, 11, 24, 6, tzinfo=UTC), datetime(2026, 11, 24, 7, tzinfo=UTC)).seconds
3600.0
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from collectors.model import SnapshotMeta

__all__ = [
    "DURATION_CHOICES",
    "TimeWindow",
    "duration_seconds",
    "human_duration",
    "page_window",
    "parse_window",
    "window_bounds",
    "window_choices",
]

DURATION_CHOICES = ("15m", "30m", "1h", "3h", "6h", "12h", "24h")
"""Durations the window dropdown offers when they fit between the rate window and the snapshot."""

_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
# Six digits keep any duration far from datetime's range, so no arithmetic below can overflow.
_DURATION = re.compile(r"(\d{1,6})([smhd])", re.IGNORECASE | re.ASCII)
_ISO_TIME = re.compile(r"[0-9T:.+\-Z ]{4,40}", re.IGNORECASE)
_MAX_WINDOW_TEXT = 16
_HUMAN_UNITS = (("d", 86400), ("h", 3600), ("min", 60), ("s", 1))
_EN_DASH = "\u2013"  # between clock times; an escape, so no one takes it for a hyphen


def human_duration(seconds: float) -> str:
    """Say a duration the way the dropdown does.

    >>> human_duration(600), human_duration(5400), human_duration(21600)
    ('10 min', '1 h 30 min', '6 h')
    """
    left = round(seconds)
    parts = []
    for unit, size in _HUMAN_UNITS:
        count, left = divmod(left, size)
        if count:
            parts.append(f"{count} {unit}")
    return " ".join(parts) or "0 s"


@dataclass(frozen=True)
class TimeWindow:
    """The interval ``(start, end]`` of a snapshot that the topology's numbers cover.

    ``latest`` marks a window that ends where the snapshot ends; people read it as "last …".
    Both times are timezone-aware and kept in UTC.
    """

    start: datetime
    end: datetime
    latest: bool = False

    def __post_init__(self) -> None:
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise ValueError("TimeWindow needs timezone-aware times")
        if self.end <= self.start:
            raise ValueError("TimeWindow must end after it starts")
        object.__setattr__(self, "start", self.start.astimezone(UTC))
        object.__setattr__(self, "end", self.end.astimezone(UTC))

    @property
    def seconds(self) -> float:
        """Length of the window."""
        return (self.end - self.start).total_seconds()

    @property
    def label(self) -> str:
        """The window for people: ``last 1 h``, or its clock times joined by an en dash."""
        if self.latest:
            return f"last {human_duration(self.seconds)}"
        whole_minutes = all(t.second == 0 and t.microsecond == 0 for t in (self.start, self.end))
        clock = "%H:%M" if whole_minutes else "%H:%M:%S"
        if self.start.date() == self.end.date():
            return f"{self.start.strftime(clock)}{_EN_DASH}{self.end.strftime(clock)} UTC"
        dated = f"%Y-%m-%d {clock}"
        return f"{self.start.strftime(dated)} {_EN_DASH} {self.end.strftime(dated)} UTC"


def _data_start(meta: SnapshotMeta) -> datetime:
    return meta.start - timedelta(seconds=max(meta.step_seconds, 0))


def window_choices(meta: SnapshotMeta) -> list[tuple[str, str]]:
    """Return ``(value, label)`` pairs for the window dropdown, the snapshot's own rates first.

    Durations are offered only when longer than the rate window and shorter than the snapshot;
    ``all`` always closes the list.
    """
    span = (meta.end - _data_start(meta)).total_seconds()
    rate_window = meta.rate_window_seconds
    choices = [("", f"last {human_duration(rate_window)} (snapshot rates)")]
    for value in DURATION_CHOICES:
        seconds = duration_seconds(value)
        if seconds is not None and rate_window < seconds < span:
            choices.append((value, f"last {human_duration(seconds)}"))
    choices.append(("all", f"whole snapshot ({human_duration(span)})"))
    return choices


def duration_seconds(text: str) -> int | None:
    """Seconds in a Prometheus-style duration ("90s", "10m", "6h", "1d"), else None.

    >>> duration_seconds("10m"), duration_seconds("10 minutes")
    (600, None)
    """
    found = _DURATION.fullmatch(text)
    if found is None:
        return None
    return int(found.group(1)) * _UNIT_SECONDS[found.group(2).lower()]


def _shown(value: str) -> str:
    """Hostile URL text made safe for a one-line message: printable and short."""
    printable = "".join(ch if ch.isprintable() else "?" for ch in value[:24])
    return f'"{printable}…"' if len(value) > 24 else f'"{printable}"'


def _clock(moment: datetime) -> str:
    return moment.strftime("%H:%M UTC" if moment.second == 0 else "%H:%M:%S UTC")


def _parse_end(end: str, meta: SnapshotMeta) -> tuple[datetime, str | None]:
    """The window's end, falling back to the snapshot's end when ``end`` is unusable."""
    text = end.strip()
    moment: datetime | None = None
    if _ISO_TIME.fullmatch(text):
        try:
            parsed = datetime.fromisoformat(text)
            # A time without an offset is read as UTC: every time the dashboard shows is UTC.
            moment = parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
        except (ValueError, OverflowError):  # year 9999 with a negative offset overflows
            moment = None
    if moment is None:
        return meta.end, (
            f"End time {_shown(end)} is not a UTC time like 2026-11-24T07:30Z; "
            f"showing up to {_clock(meta.end)}."
        )
    if moment > meta.end:
        return meta.end, f"End time {_shown(end)} is after the snapshot ends ({_clock(meta.end)})."
    if moment < meta.start:
        return meta.end, (
            f"End time {_shown(end)} is before the snapshot starts ({_clock(meta.start)}); "
            f"showing up to {_clock(meta.end)}."
        )
    return moment, None


def parse_window(
    window: str | None, end: str | None, meta: SnapshotMeta
) -> tuple[TimeWindow | None, str | None]:
    """Read the URL's ``window`` and ``end`` into a window of ``meta``'s snapshot.

    ``window`` is empty for the snapshot's own rates, ``all`` for the whole snapshot, or a
    duration such as ``30m``, ``1h``, ``2d``; ``end`` an ISO-8601 time, the snapshot's end by
    default. An empty ``window`` with an earlier ``end`` means the rate window's length ending
    there. Returns ``(None, ...)`` for the snapshot's own rates. Never raises: anything unusable
    is dropped or clipped, and the message says what happened in one line for people.
    """
    notes: list[str] = []
    stop = meta.end
    if end is not None and end.strip():
        stop, note = _parse_end(end[:64], meta)
        if note:
            notes.append(note)
    text = (window or "").strip()
    data_start = _data_start(meta)
    if len(text) > _MAX_WINDOW_TEXT:
        seconds: int | None = None
    elif text.lower() == "all":
        seconds = max(0, round((stop - data_start).total_seconds()))
    else:
        seconds = duration_seconds(text) if text else meta.rate_window_seconds
    if not seconds:
        notes.append(
            f"Time window {_shown(text)} is not understood (try 30m, 1h, 6h or all); "
            "showing the snapshot's own rates."
        )
        return None, " ".join(notes)
    seconds = max(seconds, meta.step_seconds)  # shorter than a step could hold no point at all
    start = stop - timedelta(seconds=seconds)
    if start < data_start:
        start = data_start
        if text.lower() != "all":
            notes.append(
                f"Time window {_shown(text)} reaches before the snapshot starts; "
                f"clipped to {_clock(data_start)}."
            )
    message = " ".join(notes) or None
    own_rates = stop - timedelta(seconds=meta.rate_window_seconds)
    if stop == meta.end and start == max(own_rates, data_start):
        return None, message
    if start >= stop:
        return None, " ".join([*notes, "The snapshot has no time range to choose from."])
    return TimeWindow(start, stop, latest=stop == meta.end), message


def page_window(window: str, end: str, meta: SnapshotMeta) -> tuple[TimeWindow | None, list[str]]:
    """The stretch of the snapshot a page that reads whole histories looks at (Triage, GPU).

    Unlike Topology, such a page shows the whole snapshot (None) when the URL names no
    ``window`` and no ``end``; the shell's "snapshot rates" choice then means the rate window
    at the end. Returns the window and one line per value that was clipped or ignored.
    """
    if not window and not end:
        return None, []
    found, note = parse_window(window or "all", end or None, meta)
    notes = [note] if note else []
    if found is None and note is None:
        # parse_window's "own rates" answer: a window as long as the rate window, at the end.
        start = max(meta.end - timedelta(seconds=meta.rate_window_seconds), meta.start)
        if start < meta.end:
            found = TimeWindow(start, meta.end, latest=True)
    return found, notes


def window_bounds(window: TimeWindow | None) -> dict[str, datetime]:
    """``start``/``end`` keywords for analysis functions; none for the whole snapshot (None)."""
    return {} if window is None else {"start": window.start, "end": window.end}
