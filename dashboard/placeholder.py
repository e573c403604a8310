"""The notice shown by pages whose view has not been built yet."""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import html


def not_built(title: str) -> html.Div:
    """A plain statement that this page is not built yet, and where to look meanwhile."""
    return html.Div(
        [
            html.H2(title),
            dbc.Alert(
                [
                    f"The {title} view is not built yet. ",
                    "The data behind it is in the snapshot: see the Overview page, or ",
                    html.Code("meshlens export --format json"),
                    ".",
                ],
                color="info",
                id="placeholder-notice",
            ),
        ]
    )
