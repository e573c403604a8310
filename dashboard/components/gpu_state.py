"""The GPU page's state: its URL query read back, and its links. Pure.

Everything a person would share lives in the URL: ``gpu`` (the open device, a GPU node id),
``window`` and ``end`` (the stretch of the snapshot; all of it by default), ``by`` (allocation
per ``namespace`` or ``workload``), and the idle rule: ``idle`` (percent utilization under which
an allocated device does no work, 5 by default) and ``idle_for`` (how long it must stay under,
``30m`` by default).

>>> query, problems = parse_gpu_query({"by": "team", "idle": "7.5"})
>>> query.by, query.rule.threshold_pct, problems
('namespace', 7.5, ["ignored by 'team': expected namespace or workload"])

Nothing here raises: a value that cannot be read falls back to its default, and one line says so.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal
from urllib.parse import urlencode

from collectors.ids import parse_node_id
from collectors.kinds import NodeKind
from dashboard.analysis.gpu_types import IdleRule
from dashboard.components.page_query import query_after, query_text, shown_text
from dashboard.topology.window import duration_seconds, human_duration

__all__ = [
    "BY",
    "GRID",
    "PATH",
    "QUERY_KEYS",
    "GpuQuery",
    "device_label",
    "gpu_href",
    "parse_gpu_query",
    "query_after_event",
    "query_values",
    "rule_text",
]

PATH = "/gpu"
GRID = "gpu-grid"
"""The grid's component id: a click on it opens a device."""
BY = "gpu-by"
"""The allocation switch's component id."""
QUERY_KEYS = ("gpu", "window", "end", "by", "idle", "idle_for")
"""Every query key the GPU page owns."""

_MAX_TEXT = 300
_DEFAULT_RULE = IdleRule()
_MAX_IDLE_FOR_SECONDS = 7 * 86400

Grouping = Literal["namespace", "workload"]


@dataclass(frozen=True, slots=True)
class GpuQuery:
    """What the page shows, as the URL says it."""

    gpu: str = ""  # a GPU node id; empty: none open
    window: str = ""
    end: str = ""
    by: Grouping = "namespace"
    rule: IdleRule = field(default_factory=IdleRule)


def _gpu(text: str) -> tuple[str, str | None]:
    try:
        kind, _, _, _ = parse_node_id(text)
    except ValueError:
        kind = None
    if kind is not NodeKind.GPU:
        return "", f"ignored gpu {shown_text(text)}: not a GPU id (pick one in the grid)"
    return text, None


def _threshold(text: str) -> tuple[float | None, str | None]:
    try:
        value = float(text) if len(text) <= 8 else math.nan
    except ValueError:
        value = math.nan
    if not 0 < value <= 100:  # NaN fails too
        return None, f"ignored idle {shown_text(text)}: expected a percentage above 0, up to 100"
    return value, None


def _idle_for(text: str) -> tuple[float | None, str | None]:
    seconds = duration_seconds(text) if len(text) <= 16 else None
    if not seconds or seconds > _MAX_IDLE_FOR_SECONDS:
        return None, f"ignored idle_for {shown_text(text)}: expected a duration such as 30m or 2h"
    return seconds / 60.0, None


def parse_gpu_query(query: Mapping[str, Any]) -> tuple[GpuQuery, list[str]]:
    """Read the page's keys from URL query values; other keys are ignored. Never raises.

    Returns the query and one line per value that was ignored. ``window`` and ``end`` are kept
    as text: :func:`dashboard.topology.window.page_window` reads them against the snapshot.
    """
    problems: list[str] = []
    values: dict[str, str] = {}
    for key in QUERY_KEYS:
        if key in query:
            text = query_text(query[key]).strip()
            if len(text) > _MAX_TEXT:
                problems.append(f"ignored {key}: longer than {_MAX_TEXT} characters")
            elif text:
                values[key] = text
    changes: dict[str, Any] = {"window": values.get("window", ""), "end": values.get("end", "")}
    if "gpu" in values:
        changes["gpu"], problem = _gpu(values["gpu"])
        problems += [problem] if problem else []
    if "by" in values:
        if values["by"] in ("namespace", "workload"):
            changes["by"] = values["by"]
        else:
            problems.append(
                f"ignored by {shown_text(values['by'])}: expected namespace or workload"
            )
    threshold, minutes = _DEFAULT_RULE.threshold_pct, _DEFAULT_RULE.min_minutes
    if "idle" in values:
        read, problem = _threshold(values["idle"])
        threshold = read if read is not None else threshold
        problems += [problem] if problem else []
    if "idle_for" in values:
        read, problem = _idle_for(values["idle_for"])
        minutes = read if read is not None else minutes
        problems += [problem] if problem else []
    changes["rule"] = IdleRule(threshold, minutes)
    return replace(GpuQuery(), **changes), problems


def query_values(query: GpuQuery) -> dict[str, str]:
    """The URL values of ``query``, leaving out defaults so shared links stay short."""
    rule = query.rule
    values = {
        "gpu": query.gpu,
        "window": query.window,
        "end": query.end,
        "by": "" if query.by == "namespace" else query.by,
        "idle": ""
        if rule.threshold_pct == _DEFAULT_RULE.threshold_pct
        else f"{rule.threshold_pct:g}",
        "idle_for": ""
        if rule.min_minutes == _DEFAULT_RULE.min_minutes
        else f"{rule.min_minutes:g}m",
    }
    return {key: value for key, value in values.items() if value}


def gpu_href(query: GpuQuery, gpu: str) -> str:
    """This page with device ``gpu`` open and the rest of ``query`` kept."""
    return f"{PATH}?{urlencode(query_values(replace(query, gpu=gpu)))}"


def device_label(device: str) -> str:
    """A GPU id as people name the device: ``gpu-a100-01 GPU 3 · MIG #13``.

    >>> device_label("gpu:Kubernetes/gpu-a100-01/3/mig-13"), device_label("x")
    ('gpu-a100-01 GPU 3 · MIG #13', 'x')
    """
    try:
        _, _, machine, name = parse_node_id(device)
    except ValueError:
        return device
    return f"{machine} GPU {name.replace('/mig-', ' · MIG #')}"


def query_after_event(
    trigger: Any,
    window: str | None,
    click: Mapping[str, Any] | None,
    by: str | None,
    shown: dict[str, Any],
) -> dict[str, Any] | None:
    """The query to draw after ``trigger`` fired (the grid, the allocation switch, the shell's
    window or a new snapshot); None when the page already shows it.

    >>> query_after_event(GRID, None, {"points": [{"customdata": "gpu:K/n/1"}]}, None, {})
    {'gpu': 'gpu:K/n/1'}
    >>> query_after_event(BY, None, None, "namespace", {"by": "workload", "gpu": "g"})
    {'gpu': 'g'}
    """
    if trigger == GRID:
        points = (click or {}).get("points") or [{}]
        device = points[0].get("customdata")
        if not isinstance(device, str) or device == shown.get("gpu"):
            return None
        return {**shown, "gpu": device}
    if trigger == BY:
        wanted = by if by in ("namespace", "workload") else "namespace"
        if wanted == shown.get("by", "namespace"):
            return None
        kept = {key: value for key, value in shown.items() if key != "by"}
        return kept if wanted == "namespace" else {**kept, "by": wanted}
    return query_after(trigger, window, shown)


def rule_text(rule: IdleRule) -> str:
    """The idle rule in words: ``under 5% for 30 min``."""
    return f"under {rule.threshold_pct:g}% for {human_duration(rule.min_minutes * 60)}"
