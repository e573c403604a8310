"""The Triage page's hotspots: what is furthest from its own baseline now, worst first, each
linked to the Topology page."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import dash_bootstrap_components as dbc
from dash import dcc, html

from dashboard.analysis.hotspots import Hotspot
from dashboard.analysis.triage import SIGNAL_WORDS
from dashboard.components.triage_state import topology_href
from dashboard.topology.projection import GraphType

__all__ = ["MAX_HOTSPOTS", "hotspot_link", "hotspots_section", "value_text"]

MAX_HOTSPOTS = 10
_GRAPHS = {"service": GraphType.SERVICE}  # workloads and calls open the workload graph


def value_text(signal: str, value: float) -> str:
    """A signal's value as people read it: ``88.5%``, ``342 ms``, ``22.74/s``."""
    if math.isnan(value):
        return "no traffic"
    if signal == "error_ratio":
        return f"{value:.1%}"
    if signal == "p95_ms":
        return f"{value:.0f} ms"
    return f"{value:.2f}/s"


def hotspot_link(hotspot: Hotspot, hops: int) -> str:
    """The Topology page focused on the hotspot's node (a call: its callee)."""
    return topology_href(
        hotspot.node, hops=hops, graph=_GRAPHS.get(hotspot.kind, GraphType.WORKLOAD)
    )


def _row(number: int, hotspot: Hotspot, hops: int) -> html.Tr:
    signal = hotspot.signal
    return html.Tr(
        [
            html.Td(
                [
                    dcc.Link(
                        hotspot.label,
                        href=hotspot_link(hotspot, hops),
                        id=f"triage-hotspot-{number}-topology",
                    ),
                    dbc.Badge(hotspot.kind, color="light", text_color="dark", className="ms-1"),
                ]
            ),
            html.Td(SIGNAL_WORDS.get(signal, signal)),
            html.Td(
                f"{value_text(signal, hotspot.now.get(signal, math.nan))} "
                f"(baseline {value_text(signal, hotspot.baseline.get(signal, math.nan))})"
            ),
            html.Td(hotspot.words, className="small"),
        ]
    )


def hotspots_section(found: Sequence[Hotspot], *, hops: int, at: datetime | None) -> html.Div:
    """The top hotspots as a table; ``at`` is the time they were judged at (None: now)."""
    when = "now" if at is None else f"at {at:%H:%M} UTC"
    shown = list(found)[:MAX_HOTSPOTS]
    body: Any
    if not shown:
        body = html.P(
            f"Nothing is far from its baseline {when}.",
            className="text-muted",
            id="triage-no-hotspots",
        )
    else:
        body = dbc.Table(
            [
                html.Thead(
                    html.Tr([html.Th(h) for h in ("What", "Signal", "Now", "What changed")])
                ),
                html.Tbody([_row(number, hotspot, hops) for number, hotspot in enumerate(shown)]),
            ],
            size="sm",
            striped=True,
            className="small",
            id="triage-hotspot-table",
        )
    return html.Div(
        [
            html.H4(f"Hotspots {when}"),
            html.P(
                "Workloads, Services and calls furthest from their own recent baseline, in "
                "units of their own noise.",
                className="small text-muted",
            ),
            body,
        ],
        id="triage-hotspots",
        className="mt-4",
    )
