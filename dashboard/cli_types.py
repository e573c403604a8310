"""Command-line value types: durations and times as people write them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import click

from dashboard.topology.window import duration_seconds

__all__ = ["Duration", "Moment"]


class Duration(click.ParamType):  # type: ignore[type-arg]  # generic in recent click only
    """A Prometheus-style duration ("90s", "10m", "1h"), as seconds."""

    name = "duration"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        """Seconds, or a usage error naming the value."""
        if isinstance(value, int):
            return value
        seconds = duration_seconds(str(value).strip())
        if not seconds:
            self.fail(f"{value!r} is not a duration like 30s, 10m or 1h", param, ctx)
        return seconds


class Moment(click.ParamType):  # type: ignore[type-arg]
    """A time: ISO 8601 (UTC unless it carries an offset) or Unix seconds."""

    name = "time"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> datetime:
        """A timezone-aware UTC time, or a usage error naming the value."""
        if isinstance(value, datetime):
            return value
        text = str(value).strip()
        try:
            if text.replace(".", "", 1).isdigit():
                return datetime.fromtimestamp(float(text), UTC)
            moment = datetime.fromisoformat(text)
        except (ValueError, OverflowError, OSError):
            self.fail(f"{value!r} is not a time like 2026-11-24T12:00Z or 1795521600", param, ctx)
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
