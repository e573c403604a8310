"""The topology legend: what colours, shapes and line styles mean (the panel's idle content)."""

from __future__ import annotations

from dash import html

from dashboard.figures.topology import HEALTH_COLOURS


def legend() -> html.Div:
    """Health colours, shapes, edge styles and flags, as the stylesheet draws them."""
    swatches = [
        html.Li([html.Span("●", style={"color": colour}), f" {health.value.replace('_', ' ')}"])
        for health, colour in HEALTH_COLOURS.items()
    ]
    return html.Div(
        [
            html.P(
                "Click a node or an edge for its traffic over the window, its callers and "
                "callees, and its response codes.",
                className="small",
            ),
            html.H6("Health (border and edge colour)"),
            html.Ul(swatches, className="list-unstyled small"),
            html.H6("Shapes"),
            html.Ul(
                [
                    html.Li("rounded box: workload · circle: app · triangle: service"),
                    html.Li("diamond: unknown caller · pentagon: external service"),
                    html.Li("hexagon: a collapsed namespace"),
                ],
                className="small",
            ),
            html.H6("Edges and flags"),
            html.Ul(
                [
                    html.Li("dashed edge: TCP · solid: HTTP or gRPC"),
                    html.Li("hollow circle at the caller's end: mutual TLS"),
                    html.Li(
                        "dashed border: idle (no traffic) · faded, double border: dead (no pods)"
                    ),
                    html.Li("dotted orange outline: pods without the Istio sidecar"),
                ],
                className="small",
            ),
        ],
        id="topology-legend",
    )
