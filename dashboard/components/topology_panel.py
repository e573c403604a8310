"""The topology side panel: details of the selected node or edge, or the legend.

The panel's frame and buttons are static (callbacks need their ids present from the start);
``panel_contents`` fills the body and says which buttons apply to the selection.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import dash_bootstrap_components as dbc
from dash import dcc, html

from collectors.kinds import Health
from collectors.model import Finding, TrafficStats
from dashboard.components.topology_legend import legend
from dashboard.components.topology_panel_ml import gpu_section, model_section
from dashboard.components.topology_toolbar import focus_controls
from dashboard.figures.checks_table import SEVERITY_COLOURS
from dashboard.figures.sparklines import red_sparklines
from dashboard.figures.topology import HEALTH_COLOURS
from dashboard.topology.controls import Control, namespace_of_box
from dashboard.topology.details import CodeRow, Details, FlagRow, Neighbour, element_details
from dashboard.topology.scene import Scene
from dashboard.topology.state import TopologyState, to_query

__all__ = ["PanelContents", "panel", "panel_contents"]

_HIDDEN = {"display": "none"}
_SHOWN: dict[str, str] = {}
MAX_NEIGHBOURS = 25  # a hub has hundreds of callers; the busiest ones are what people read
MAX_FINDINGS = 10  # the worst ones; the Checks page lists them all


def panel(contents: PanelContents, state: TopologyState) -> dbc.Card:
    """The panel's frame, first filled with ``contents``."""
    body, actions_style, focus_disabled, unfocus_style, toggle_text, toggle_style = (
        contents.outputs()
    )
    return dbc.Card(
        [
            dbc.CardHeader(
                [
                    html.Span("Details", className="fw-bold"),
                    html.Button(
                        id=Control.CLOSE_PANEL,
                        className="btn-close float-end",
                        title="Clear the selection",
                    ),
                ]
            ),
            dbc.CardBody(
                [
                    html.Div(
                        [
                            *focus_controls(state),
                            dbc.Button(
                                "Focus on this node",
                                id=Control.FOCUS,
                                size="sm",
                                disabled=focus_disabled,
                                className="me-2",
                            ),
                            dbc.Button(
                                "Clear focus",
                                id=Control.UNFOCUS,
                                size="sm",
                                outline=True,
                                color="secondary",
                                style=unfocus_style,
                            ),
                            dbc.Button(
                                toggle_text,
                                id=Control.TOGGLE_NAMESPACE,
                                size="sm",
                                outline=True,
                                color="secondary",
                                className="mt-2",
                                style=toggle_style,
                            ),
                            html.Hr(),
                        ],
                        id="topology-panel-actions",
                        style=actions_style,
                    ),
                    html.Div(body, id="topology-panel-body"),
                ],
            ),
        ],
        id="topology-panel",
    )


@dataclass(frozen=True)
class PanelContents:
    """What the panel shows for one state."""

    body: list[Any]
    show_actions: bool
    can_focus: bool
    focused: bool
    namespace_action: str  # "" when the selection is not a namespace

    def outputs(
        self,
    ) -> tuple[list[Any], dict[str, str], bool, dict[str, str], str, dict[str, str]]:
        """Values for the panel callback's outputs, in order."""
        return (
            self.body,
            _SHOWN if self.show_actions else _HIDDEN,
            not self.can_focus,
            _SHOWN if self.focused else _HIDDEN,
            self.namespace_action or "Expand namespace",
            _SHOWN if self.namespace_action else _HIDDEN,
        )


def panel_contents(
    scene: Scene, *, rate_window: Scene | None = None, dark: bool = False
) -> PanelContents:
    """The panel for the scene's selection; the legend when nothing (valid) is selected.

    A scene over a chosen time window has no response codes or flags (they are not recorded
    per step); ``rate_window``, the same view over the snapshot's own rates, supplies them.
    """
    state = scene.state
    window = (scene.window.start, scene.window.end) if scene.window else None
    # A scene over a chosen window has a copy of the snapshot without the findings.
    findings = (rate_window or scene).snapshot.findings
    details = element_details(
        scene.snapshot, scene.view, state.selected, window=window, findings=findings
    )
    breakdown = details
    if details is not None and rate_window is not None:
        breakdown = element_details(rate_window.snapshot, rate_window.view, state.selected)
    if details is None:
        idle: list[Any] = [legend()]
        if state.selected:
            idle.insert(0, dbc.Alert("The selected item is not in this view.", color="info"))
        return PanelContents(idle, bool(state.focus), False, bool(state.focus), "")
    namespace = namespace_of_box(details.id)
    action = ""
    if namespace is not None:
        action = (
            f"Expand {namespace}" if details.id.startswith("nsnode:") else "Collapse to one node"
        )
    start, end = window or (scene.snapshot.meta.start, scene.snapshot.meta.end)
    figure = red_sparklines(details.series, start=start, end=end, dark=dark)
    body: list[Any] = [
        html.H5(details.title, className="text-break mb-1", id="topology-panel-title"),
        html.Div(details.subtitle, className="text-muted small mb-2"),
        _health_badge(details.health),
        *(
            dbc.Badge(words, color="secondary", className="me-1", title=flag)
            for flag, words in details.flags
        ),
        _numbers(details.stats),
        dcc.Graph(figure=figure, config={"displayModeBar": False}, id="topology-sparklines"),
        *_checks(details.findings),
        *gpu_section(scene, details.id),
        *model_section(scene, details.id),
        *_istio(details.istio),
        *_neighbours("Callers", details.callers, state),
        *_neighbours("Callees", details.callees, state),
        *_breakdown(breakdown, rate_window),
        *(html.P(note, className="small text-muted mb-1") for note in details.notes),
    ]
    return PanelContents(body, True, details.element == "node", bool(state.focus), action)


def _breakdown(details: Details | None, rate_window: Scene | None) -> list[Any]:
    if details is None:
        return []
    parts = [
        *_codes("Response codes", details.codes),
        *_codes("gRPC statuses", details.grpc_statuses),
        *_flags(details.response_flags),
    ]
    if parts and rate_window is not None:
        minutes = rate_window.snapshot.meta.rate_window_seconds // 60
        parts.append(
            html.P(
                f"Codes and flags are those of the snapshot's last {minutes} min: they are not "
                "recorded per step, so they cannot follow the chosen window.",
                className="small text-muted",
            )
        )
    return parts


def _checks(findings: Sequence[Finding]) -> list[Any]:
    if not findings:
        return []
    items = [
        html.Li(
            [
                dbc.Badge(f.severity.value, color=SEVERITY_COLOURS[f.severity], className="me-1"),
                html.Code(f.code),
                f" {f.object}: {f.message}",
                html.Div(f.hint, className="text-muted"),
            ],
            className="mb-1",
        )
        for f in findings[:MAX_FINDINGS]
    ]
    more = len(findings) - MAX_FINDINGS
    if more > 0:
        items.append(html.Li(f"and {more} more", className="text-muted"))
    return [
        html.H6(f"Checks ({len(findings)})", className="mt-3"),
        html.Ul(items, className="list-unstyled small", id="topology-panel-checks"),
        dcc.Link("All findings", href="/checks", className="small"),
    ]


def _istio(rows: Sequence[tuple[str, str]]) -> list[Any]:
    if not rows:
        return []
    return [
        html.H6("Istio configuration", className="mt-3"),
        html.Ul(
            [
                html.Li([html.Span(f"{label}: ", className="text-muted"), value])
                for label, value in rows
            ],
            className="list-unstyled small",
            id="topology-panel-istio",
        ),
    ]


def _health_badge(health: Health) -> dbc.Badge:
    return dbc.Badge(
        health.value.replace("_", " "),
        color=HEALTH_COLOURS[health],
        className="me-1",
        id="topology-panel-health",
    )


def _numbers(stats: TrafficStats | None) -> html.Div:
    if stats is None:
        return html.Div("No traffic in the window.", className="small text-muted my-2")
    cells = [
        ("requests/s", f"{stats.request_rate:.2f}"),
        ("errors", f"{100 * stats.error_ratio:.1f}%"),
        ("p95", "n/a" if stats.p95_ms is None else f"{stats.p95_ms:.0f} ms"),
    ]
    if stats.throughput > 0:
        cells.append(("bytes/s", f"{stats.throughput:,.0f}"))
    return html.Div(
        [
            html.Div(
                [
                    html.Div(value, className="fw-bold"),
                    html.Div(name, className="small text-muted"),
                ],
                className="me-3",
            )
            for name, value in cells
        ],
        className="d-flex my-2",
    )


def _link(state: TopologyState, element_id: str) -> str:
    return "?" + urlencode(to_query(state.with_changes(selected=element_id)))


def _neighbours(title: str, rows: Sequence[Neighbour], state: TopologyState) -> list[Any]:
    if not rows:
        return []
    items = [
        html.Li(
            [
                dcc.Link(row.label, href=_link(state, row.id)),
                html.Span(
                    f" {row.protocol} · {row.rps:.2f} rps · {row.error_pct:.1f}% errors",
                    className="text-muted",
                ),
            ],
            style={"borderLeft": f"3px solid {HEALTH_COLOURS[row.health]}", "paddingLeft": "4px"},
        )
        for row in rows[:MAX_NEIGHBOURS]
    ]
    more = len(rows) - MAX_NEIGHBOURS
    if more > 0:
        items.append(html.Li(f"and {more} more", className="text-muted"))
    return [
        html.H6(f"{title} ({len(rows)})", className="mt-3"),
        html.Ul(items, className="list-unstyled small"),
    ]


def _codes(title: str, rows: Sequence[CodeRow]) -> list[Any]:
    if not rows:
        return []
    return [
        html.H6(title, className="mt-3"),
        dbc.Table(
            html.Tbody(
                [
                    html.Tr(
                        [
                            html.Td(row.code),
                            html.Td(f"{row.share:.1%}"),
                            html.Td(row.meaning, className="text-muted"),
                        ]
                    )
                    for row in rows
                ]
            ),
            size="sm",
            className="small mb-1",
        ),
    ]


def _flags(rows: Sequence[FlagRow]) -> list[Any]:
    if not rows:
        return []
    return [
        html.H6("Envoy response flags", className="mt-3"),
        html.Ul(
            [
                html.Li([html.Code(row.flag), f" {row.share:.1%}: {row.explanation}"])
                for row in rows
            ],
            className="small",
            id="topology-panel-flags",
        ),
    ]
