"""Durations and times as people type them on the command line."""

from __future__ import annotations

from datetime import UTC, datetime

import click
import pytest

from dashboard.cli_types import Duration, Moment

NOON = datetime(2026, 11, 24, 12, tzinfo=UTC)


@pytest.mark.parametrize(
    "text",
    [
        "1795521600",
        "1795521600.0",
        "2026-11-24T12:00Z",
        "2026-11-24T13:00+01:00",
        "2026-11-24 12:00",
    ],
)
def test_times_in_every_accepted_form_mean_the_same_utc_moment(text: str) -> None:
    assert Moment().convert(text, None, None) == NOON


@pytest.mark.parametrize("text", ["yesterday", "-5", "12:00:00:00", "99999999999999999999"])
def test_other_times_are_refused_with_the_value_named(text: str) -> None:
    with pytest.raises(click.BadParameter, match="is not a time like"):
        Moment().convert(text, None, None)


def test_durations() -> None:
    assert [Duration().convert(t, None, None) for t in ("90s", "10m", "1h", "1d")] == [
        90,
        600,
        3600,
        86400,
    ]
    for bad in ("0m", "10", "10 minutes", "-1h"):
        with pytest.raises(click.BadParameter, match="is not a duration"):
            Duration().convert(bad, None, None)
