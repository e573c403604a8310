"""Topology page: not built yet; says so plainly instead of showing an empty view."""

from __future__ import annotations

from typing import Any

import dash
from dash import html

from dashboard.placeholder import not_built

dash.register_page(__name__, path="/topology", name="Topology", title="meshlens · Topology")


def layout(**_query: Any) -> html.Div:
    """Render the not-yet-built notice."""
    return not_built("Topology")
