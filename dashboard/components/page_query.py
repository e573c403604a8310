"""What pages that keep their state in the URL query share: reading hostile values, and the
shell's time window picker.

Query values arrive from URLs, so they are hostile: nothing here raises.

>>> query_text(["1h", "6h"]), shown_text("x" * 50)[-2:]
('6h', "…'")
"""

from __future__ import annotations

from typing import Any

__all__ = ["WINDOW", "query_after", "query_text", "shown_text"]

WINDOW = "shell-window"
"""The shell's time window picker, whose value pages follow."""


def shown_text(text: str) -> str:
    """URL text made safe and short for a one-line note."""
    return repr(text[:40] + ("…" if len(text) > 40 else ""))


def query_text(raw: Any) -> str:
    """One query value as text."""
    # Dash Pages hands a repeated key over as a list of its values: the last one wins.
    if isinstance(raw, list | tuple):
        raw = raw[-1] if raw else ""
    return raw if isinstance(raw, str) else str(raw)


def query_after(trigger: Any, window: str | None, shown: dict[str, Any]) -> dict[str, Any] | None:
    """The query to draw after ``trigger`` fired; None when the page already shows it.

    The shell's picker writes ``window`` into the URL and drops ``end`` (``meshlens.setWindow``);
    it also fires when it merely shows what the URL says, which changes nothing.
    """
    if trigger != WINDOW:
        return shown  # a new snapshot: the same query, even a link's unreadable values
    picked = (window or "").strip()
    if picked == str(shown.get("window", "")).strip():
        return None
    query = {key: value for key, value in shown.items() if key not in ("window", "end")}
    return {**query, "window": picked} if picked else query
