"""Browser tests' helpers: waiting for a condition the page reaches on its own time, and where
the browser is."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlparse


def until(condition: Callable[[], bool], timeout: float, what: str = "condition") -> None:
    """Poll ``condition`` every 0.1 s; fail naming ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"never satisfied: {what}")
        time.sleep(0.1)


def url_of(dash_duo: Any) -> tuple[str, dict[str, str]]:
    """The browser's path and query (the last value of each key)."""
    url = urlparse(dash_duo.driver.current_url)
    return url.path, {key: values[-1] for key, values in parse_qs(url.query).items()}


def topology_holds(dash_duo: Any, predicate: str) -> bool:
    """Whether the Topology page's Cytoscape graph ``cy`` satisfies the JavaScript ``predicate``
    (False while it is not drawn yet)."""
    script = (
        "const c = document.getElementById('topology-graph'); if (!c || !c._cyreg) return false; "
        f"const cy = c._cyreg.cy; return Boolean({predicate});"
    )
    return bool(dash_duo.driver.execute_script(script))
