"""The Dash application: ``create_app(settings) -> Dash``.

The shell (navigation, source badge) is built here; pages live in ``dashboard/pages`` and
register themselves with Dash Pages. Styles come from the top-level ``assets/`` folder, which is
installed as ``dashboard.assets``, and Bootstrap's CSS from the ``bootstrap-flask`` package, so
nothing is fetched from a CDN (dashboards often run where there is no internet).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import dash
import dash_bootstrap_components as dbc
import flask
import werkzeug
from dash import ClientsideFunction, Dash, Input, Output, State, dcc, html

from collectors.kinds import SourceState
from collectors.model import Snapshot
from dashboard.data import LiveSource, SnapshotProvider, load_configured_snapshot
from dashboard.live import LiveRefresher
from dashboard.settings import Settings
from dashboard.summary import freshness, source_notes, stale_message
from dashboard.topology.scene import TopologyEngine
from dashboard.topology.window import window_choices

PROVIDER_KEY = "MESHLENS_PROVIDER"
REFRESHER_KEY = "MESHLENS_REFRESHER"
ENGINE_KEY = "MESHLENS_TOPOLOGY"
BOOTSTRAP_URL = "/_meshlens/bootstrap.min.css"
SNAPSHOT_VERSION = "shell-snapshot-version"  # pages listen to it to redraw on a new snapshot
HOME_PATH = "/topology"  # the page people open first
NAV_PAGES = ("Topology", "Overview", "Checks", "Triage", "What changed", "GPU", "Lineage")


def create_app(
    settings: Settings,
    snapshot: Snapshot | None = None,
    *,
    collect: Callable[[], Snapshot] | None = None,
) -> Dash:
    """Build the dashboard app for ``settings``; pass ``snapshot`` to skip loading one.

    Live mode (``settings.prometheus``, or an explicit ``collect``) re-collects every
    ``settings.refresh_seconds`` on a background thread, kept in ``server.config`` under
    ``REFRESHER_KEY`` (stop it with ``.stop()`` when the app is discarded).
    """
    if collect is None and settings.prometheus is not None:
        collect = LiveSource(settings).collect
    if snapshot is None:
        snapshot = collect() if collect is not None else load_configured_snapshot(settings)
    live = collect is not None and settings.refresh_seconds > 0
    provider = SnapshotProvider(
        snapshot, refresh_seconds=settings.refresh_seconds if live else None
    )
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
    app.server.config[ENGINE_KEY] = TopologyEngine()
    if live and collect is not None:
        refresher = LiveRefresher(provider, collect, settings.refresh_seconds)
        app.server.config[REFRESHER_KEY] = refresher
        refresher.start()
    app.server.add_url_rule(BOOTSTRAP_URL, "meshlens_bootstrap", _bootstrap_css)
    app.server.before_request(_home_redirect)
    app.layout = _shell
    _shell_callbacks(app)
    return app


def current_provider() -> SnapshotProvider:
    """The snapshot holder of the app serving the current request (snapshot, version, staleness)."""
    provider: SnapshotProvider = flask.current_app.config[PROVIDER_KEY]
    return provider


def current_snapshot() -> Snapshot:
    """The snapshot of the app serving the current request (for page layouts and callbacks)."""
    return current_provider().snapshot


def current_engine() -> TopologyEngine:
    """The topology engine (caches of views and layouts) of the app serving this request."""
    engine: TopologyEngine = flask.current_app.config[ENGINE_KEY]
    return engine


def _home_redirect() -> werkzeug.Response | None:
    """Send "/" to the Topology page, keeping the query so old links still work."""
    if flask.request.path != "/":
        return None
    query = flask.request.query_string.decode()
    return flask.redirect(HOME_PATH + (f"?{query}" if query else ""))


def _shell() -> html.Div:
    provider = current_provider()
    snapshot = provider.snapshot
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
                        dbc.NavbarBrand("meshlens", href=HOME_PATH),
                        dbc.Nav(links, navbar=True, className="me-auto"),
                        _window_selector(snapshot),
                        html.Span(_source_badge(provider), id="shell-source"),
                        dbc.Switch(
                            id="shell-theme",
                            label="Dark",
                            value=False,
                            persistence=True,
                            persistence_type="local",
                            className="text-light ms-3 mb-0",
                        ),
                    ],
                    fluid=True,
                ),
                color="dark",
                dark=True,
                className="mb-3",
            ),
            dbc.Container(
                [html.Div(_banners(provider), id="shell-banner"), dash.page_container],
                fluid=True,
                id="shell-page",
            ),
            dcc.Location(id="shell-url"),
            dcc.Store(id=SNAPSHOT_VERSION, data=provider.version),
            dcc.Interval(
                id="shell-refresh",
                # Poll twice per collection, so a new snapshot shows within one interval.
                interval=max(1000, 500 * (provider.refresh_seconds or 0)),
                disabled=provider.refresh_seconds is None,
            ),
            dcc.Store(id="shell-theme-sink"),
            dcc.Store(id="shell-window-sink"),
        ]
    )


def _window_selector(snapshot: Snapshot) -> html.Div:
    """Which part of the snapshot's window the pages show; kept in the URL as ``window``."""
    options = [{"label": label, "value": value} for value, label in window_choices(snapshot.meta)]
    return html.Div(
        dcc.Dropdown(
            id="shell-window",
            options=options,
            value="",
            clearable=False,
            searchable=False,
            style={"minWidth": "15rem"},
        ),
        className="me-3",
        title="Time window of the traffic shown",
    )


def _shell_callbacks(app: Dash) -> None:
    @app.callback(
        Output("shell-source", "children"),
        Output("shell-banner", "children"),
        Output(SNAPSHOT_VERSION, "data"),
        Input("shell-refresh", "n_intervals"),
        State(SNAPSHOT_VERSION, "data"),
        prevent_initial_call=True,
    )
    def _poll_status(_ticks: int, shown: int | None) -> tuple[Any, ...]:
        """Show staleness at once; pages listening to the version redraw on a new snapshot."""
        provider = current_provider()
        version = provider.version
        return (
            _source_badge(provider),
            _banners(provider),
            dash.no_update if version == shown else version,
        )

    @app.callback(
        Output("shell-window", "options"),
        Output("shell-window", "value"),
        Input("shell-url", "search"),
        State("shell-window", "options"),
    )
    def _window_from_url(
        search: str | None, options: list[dict[str, str]]
    ) -> tuple[list[dict[str, str]], str]:
        value = parse_qs((search or "").lstrip("?")).get("window", [""])[-1][:40]
        if all(option["value"] != value for option in options):
            # A link may carry a window the presets lack ("2h"): show it rather than nothing.
            options = [*options, {"label": value, "value": value}]
        return options, value

    app.clientside_callback(
        ClientsideFunction(namespace="meshlens", function_name="setWindow"),
        Output("shell-window-sink", "data"),
        Input("shell-window", "value"),
        prevent_initial_call=True,
    )
    app.clientside_callback(
        ClientsideFunction(namespace="meshlens", function_name="setTheme"),
        Output("shell-theme-sink", "data"),
        Input("shell-theme", "value"),
    )


def _source_badge(provider: SnapshotProvider) -> list[Any]:
    meta = provider.snapshot.meta
    whole = provider.stale is None and all(s.state is SourceState.OK for s in meta.sources)
    details = "; ".join(f"{s.kind}: {s.name} {s.state.value}" for s in meta.sources)
    return [
        dbc.Badge(
            meta.generator,
            color="success" if whole else "warning",
            className="me-2",
            id="shell-source-badge",
            title=f"{meta.start:%Y-%m-%d %H:%M} to {meta.end:%H:%M} UTC; {details}",
        ),
        html.Small(freshness(meta, datetime.now(UTC)), className="text-light"),
    ]


def _banners(provider: SnapshotProvider) -> list[dbc.Alert]:
    """The stale-metrics warning, then one line per source that is not fully there."""
    alerts = []
    if provider.stale is not None:
        text = stale_message(provider.stale, provider.refresh_seconds)
        alerts.append(dbc.Alert(text, color="warning", className="py-2 mb-2", id="shell-stale"))
    for number, line in enumerate(source_notes(provider.snapshot.meta)):
        alerts.append(
            dbc.Alert(
                line, color="secondary", className="py-1 mb-2 small", id=f"shell-note-{number}"
            )
        )
    return alerts


def _assets_folder() -> str:
    return str(resources.files("dashboard.assets"))


def _bootstrap_css() -> flask.Response:
    css = resources.files("flask_bootstrap") / "static/bootstrap5/css/bootstrap.min.css"
    response = flask.Response(css.read_bytes(), mimetype="text/css")
    response.cache_control.max_age = 86400
    return response
