"""The Dash application: ``create_app(settings) -> Dash``.

The shell (navigation, source badge) is built here; pages live in ``dashboard/pages`` and
register themselves with Dash Pages. Styles come from the top-level ``assets/`` folder, which is
installed as ``dashboard.assets``, and Bootstrap's CSS from the ``bootstrap-flask`` package, so
nothing is fetched from a CDN (dashboards often run where there is no internet).
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import dash
import dash_bootstrap_components as dbc
import flask
from dash import Dash, dcc, html

from collectors.model import Snapshot
from dashboard.data import SnapshotProvider, load_configured_snapshot
from dashboard.settings import Settings

PROVIDER_KEY = "MESHLENS_PROVIDER"
BOOTSTRAP_URL = "/_meshlens/bootstrap.min.css"
NAV_PAGES = ("Overview", "Topology", "Triage", "GPU", "Lineage")


def create_app(settings: Settings, snapshot: Snapshot | None = None) -> Dash:
    """Build the dashboard app for ``settings``; pass ``snapshot`` to skip loading one."""
    provider = SnapshotProvider(snapshot or load_configured_snapshot(settings))
    app = Dash(
        __name__,
        use_pages=True,
        pages_folder=str(Path(__file__).with_name("pages")),
        assets_folder=_assets_folder(),
        external_stylesheets=[BOOTSTRAP_URL],
        title="meshlens",
        suppress_callback_exceptions=True,
    )
    app.server.config[PROVIDER_KEY] = provider
    app.server.add_url_rule(BOOTSTRAP_URL, "meshlens_bootstrap", _bootstrap_css)
    app.layout = _shell
    return app


def current_snapshot() -> Snapshot:
    """The snapshot of the app serving the current request (for page layouts and callbacks)."""
    provider: SnapshotProvider = flask.current_app.config[PROVIDER_KEY]
    return provider.snapshot


def _shell() -> html.Div:
    snapshot = current_snapshot()
    links = [
        dbc.NavItem(dbc.NavLink(page["name"], href=page["relative_path"], active="exact"))
        for name in NAV_PAGES
        for page in dash.page_registry.values()
        if page["name"] == name
    ]
    return html.Div(
        [
            dbc.Navbar(
                dbc.Container(
                    [
                        dbc.NavbarBrand("meshlens", href="/"),
                        dbc.Nav(links, navbar=True, className="me-auto"),
                        _source_badge(snapshot),
                    ],
                    fluid=True,
                ),
                color="dark",
                dark=True,
                className="mb-3",
            ),
            dbc.Container(dash.page_container, fluid=True, id="shell-page"),
            dcc.Location(id="shell-url"),
        ]
    )


def _source_badge(snapshot: Snapshot) -> html.Span:
    meta = snapshot.meta
    worst = "ok"
    for source in meta.sources:
        if source.state.value != "ok":
            worst = source.state.value
    colour = {"ok": "success", "partial": "warning", "stale": "warning"}.get(worst, "danger")
    window = f"{meta.start:%Y-%m-%d %H:%M} to {meta.end:%H:%M} UTC"
    details = "; ".join(f"{s.kind}: {s.name} {s.state.value}" for s in meta.sources)
    return html.Span(
        [
            dbc.Badge(meta.generator, color=colour, className="me-2", id="shell-source-badge"),
            html.Small(window, className="text-light"),
        ],
        title=details,
    )


def _assets_folder() -> str:
    return str(resources.files("dashboard.assets"))


def _bootstrap_css() -> flask.Response:
    css = resources.files("flask_bootstrap") / "static/bootstrap5/css/bootstrap.min.css"
    response = flask.Response(css.read_bytes(), mimetype="text/css")
    response.cache_control.max_age = 86400
    return response
