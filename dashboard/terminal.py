"""Text for terminals: names from a cluster can hold anything, so no escape reaches the tty."""

from __future__ import annotations


def printable(text: str) -> str:
    """``text`` with every unprintable character (escapes, newlines) shown as ``?``.

    >>> printable("ratings\\x1b[2J")
    'ratings?[2J'
    """
    return "".join(ch if ch.isprintable() else "?" for ch in text)
