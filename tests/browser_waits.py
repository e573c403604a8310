"""Waiting in browser tests for a condition the page reaches on its own time."""

from __future__ import annotations

import time
from collections.abc import Callable


def until(condition: Callable[[], bool], timeout: float, what: str = "condition") -> None:
    """Poll ``condition`` every 0.1 s; fail naming ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"never satisfied: {what}")
        time.sleep(0.1)
