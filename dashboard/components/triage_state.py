"""The Triage page's state: its URL query read back, the window it picks, and its links. Pure.

Everything a person would share lives in the URL: ``incident`` (which one is open), ``window``
and ``end`` (only incidents overlapping that part of the snapshot; the whole snapshot by
default) and ``hops`` (how far the Topology links reach around a node; 2 by default).

>>> query, problems = parse_query({"incident": "20261124T1110-adservice", "hops": "x"})
>>> query.incident, query.hops, problems
('20261124T1110-adservice', 2, ["ignored hops 'x': expected a number from 0 to 10"])

Query values arrive from URLs, so they are hostile: nothing here raises. A value that cannot
be read falls back to its default, and one line says so.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

import pandas as pd

from collectors.model import SnapshotMeta
from dashboard.analysis.triage import TriagedIncident
from dashboard.components.page_query import WINDOW, query_after, query_text, shown_text
from dashboard.topology.filtering import MAX_HOPS
from dashboard.topology.projection import GraphType
from dashboard.topology.state import TopologyState
from dashboard.topology.state import to_query as topology_query
from dashboard.topology.window import TimeWindow, duration_seconds, page_window

__all__ = [
    "DEFAULT_HOPS",
    "QUERY_KEYS",
    "WINDOW",
    "TriageQuery",
    "hotspot_slot",
    "incident_window",
    "overlapping",
    "parse_query",
    "query_after",
    "query_values",
    "select",
    "topology_href",
    "triage_href",
]

QUERY_KEYS = ("incident", "window", "end", "hops")
"""Every query key the Triage page owns."""

DEFAULT_HOPS = 2
PATH = "/triage"

_MAX_TEXT = 300  # longer values are not read at all
_MAX_WINDOW_TEXT = 16
# What TriagedIncident.id builds: the start minute, then the last part of a node id.
_INCIDENT_ID = re.compile(r"[0-9]{8}T[0-9]{4}-[A-Za-z0-9][A-Za-z0-9._:@-]{0,252}")


@dataclass(frozen=True, slots=True)
class TriageQuery:
    """What the page shows, as the URL says it (``window``/``end`` as their URL text)."""

    incident: str = ""  # empty: the newest incident in the window
    window: str = ""  # empty: the whole snapshot
    end: str = ""  # empty: the snapshot's end
    hops: int = DEFAULT_HOPS


def parse_query(query: Mapping[str, Any]) -> tuple[TriageQuery, list[str]]:
    """Read the page's keys from URL query values; other keys are ignored. Never raises.

    Returns the query and one line per value that was ignored.
    """
    problems: list[str] = []
    values: dict[str, str] = {}
    for key in QUERY_KEYS:
        if key not in query:
            continue
        text = query_text(query[key]).strip()
        if len(text) > _MAX_TEXT:
            problems.append(f"ignored {key}: longer than {_MAX_TEXT} characters")
            continue
        values[key] = text
    changes: dict[str, Any] = {}
    incident = values.get("incident", "")
    if incident and not _INCIDENT_ID.fullmatch(incident):
        problems.append(
            f"ignored incident {shown_text(incident)}: not an incident id "
            "(such as 20261124T1110-adservice); showing the newest incident"
        )
    elif incident:
        changes["incident"] = incident
    window = values.get("window", "")
    readable = window.lower() == "all" or (
        len(window) <= _MAX_WINDOW_TEXT and bool(duration_seconds(window))
    )
    if window and not readable:
        problems.append(
            f"ignored window {shown_text(window)}: expected a duration such as 30m, 1h or 6h, "
            "or all; showing the whole snapshot"
        )
    elif window:
        changes["window"] = window
    if values.get("end"):
        changes["end"] = values["end"]
    if "hops" in values:
        hops = values["hops"]
        if hops.isdigit() and len(hops) <= 3:
            changes["hops"] = min(int(hops), MAX_HOPS)
        else:
            problems.append(
                f"ignored hops {shown_text(hops)}: expected a number from 0 to {MAX_HOPS}"
            )
    return replace(TriageQuery(), **changes), problems


def query_values(query: TriageQuery) -> dict[str, str]:
    """The URL values of ``query``, leaving out defaults so shared links stay short."""
    values = {
        "incident": query.incident,
        "window": query.window,
        "end": query.end,
        "hops": "" if query.hops == DEFAULT_HOPS else str(query.hops),
    }
    return {key: value for key, value in values.items() if value}


def triage_href(query: TriageQuery, incident_id: str) -> str:
    """This page with ``incident_id`` open and the rest of ``query`` kept."""
    return f"{PATH}?{urlencode(query_values(replace(query, incident=incident_id)))}"


def topology_href(node: str, *, hops: int, graph: GraphType = GraphType.WORKLOAD) -> str:
    """The Topology page focused on ``node`` (a view node id of ``graph``), selected, ``hops``
    calls around it.

    Namespaces are not collapsed, so the focused node is drawn however large the mesh is (the
    Topology page collapses every namespace of a big graph otherwise, and the node with them).
    """
    state = TopologyState(graph_type=graph, collapse=(), focus=node, hops=hops, selected=node)
    values = topology_query(state)
    values["hops"] = str(hops)  # kept even at the Topology default, so the link says it
    return f"/topology?{urlencode(values)}"


def incident_window(query: TriageQuery, meta: SnapshotMeta) -> tuple[TimeWindow | None, list[str]]:
    """The part of the snapshot the page looks at; None for all of it (see ``page_window``)."""
    return page_window(query.window, query.end, meta)


def overlapping(
    incidents: Sequence[TriagedIncident], window: TimeWindow | None, snapshot_end: datetime
) -> list[TriagedIncident]:
    """The incidents that were going on at some time in ``window`` (all of them for None)."""
    if window is None:
        return list(incidents)
    return [
        found
        for found in incidents
        if found.incident.start <= window.end
        and (found.incident.end or snapshot_end) >= window.start
    ]


def select(
    shown: Sequence[TriagedIncident], wanted: str
) -> tuple[TriagedIncident | None, str | None]:
    """The incident to open: ``wanted`` when it is shown, else the newest (for no ``wanted``).

    An id that is not among ``shown`` opens nothing, and the note says so.
    """
    if not wanted:
        return (shown[0] if shown else None), None
    found = next((one for one in shown if one.id == wanted), None)
    if found is None:
        return None, f"Incident {wanted} is not in this window: pick one from the list."
    return found, None


def hotspot_slot(times: pd.DatetimeIndex, window: TimeWindow | None) -> int | None:
    """The slot hotspots are judged at: the last one of ``window`` (None: the last slot)."""
    if window is None or window.latest or len(times) == 0:
        return None
    return max(0, int(times.searchsorted(window.end, side="right")) - 1)
