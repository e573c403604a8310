"""The command line's options, declared once from :data:`dashboard.settings.SETTINGS`.

Commands pick groups of them (the demo, the snapshot, the cluster, Prometheus), and
:func:`settings_from` turns what a command received into :class:`Settings`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from dashboard.cli_types import Duration
from dashboard.settings import SETTINGS_BY_NAME, Settings

F = TypeVar("F", bound=Callable[..., Any])


def option(name: str, **kwargs: Any) -> Callable[[F], F]:
    """A click option declared from its :data:`SETTINGS` entry (flag, env var, default, help)."""
    setting = SETTINGS_BY_NAME[name]
    return click.option(
        setting.flag,
        name,
        envvar=setting.env,
        default=setting.default,
        show_default=setting.default is not None,
        show_envvar=True,
        help=setting.help,
        **kwargs,
    )


_FILE = click.Path(path_type=Path, dir_okay=False)


def options(*decorators: Callable[[F], F]) -> Callable[[F], F]:
    """Several options applied as one decorator, in the order given (as ``--help`` lists them)."""

    def apply(func: F) -> F:
        for decorator in reversed(decorators):
            func = decorator(func)
        return func

    return apply


demo_options = options(
    option("demo_seed", type=int),
    option("demo_workloads", type=click.IntRange(min=1)),
)
source_options = options(option("snapshot", type=_FILE), demo_options)
"""Options that choose the snapshot: a saved file, or the demo platform and its scale."""

prometheus_options = options(
    option("prometheus", metavar="URL"),
    option("prometheus_token_file", type=_FILE),
    option("prometheus_user"),
    option("prometheus_password_file", type=_FILE),
    option("prometheus_ca_file", type=_FILE),
    option("prometheus_insecure", is_flag=True),
    option("prometheus_timeout", type=click.FloatRange(min=0.1)),
    option("prometheus_retries", type=click.IntRange(min=0, max=10)),
    option("window", type=Duration()),
    option("history", type=Duration()),
)
"""Options of the live metrics: where Prometheus is, how to reach it, what to ask."""

cluster_options = options(
    option("namespace", multiple=True),
    option("manifests", type=click.Path(path_type=Path)),
    option("kubeconfig", type=_FILE),
    option("context"),
    option("in_cluster", is_flag=True),
)
"""Options of the cluster objects: manifests, or an API server, and the namespace filter."""

live_options = options(prometheus_options, cluster_options)
"""Everything a live snapshot is collected from."""


def settings_from(**given: Any) -> Settings:
    """Settings from a command's options (the CLI names differ from the fields in a few places).

    Raises :class:`click.UsageError` for sources that cannot be combined.
    """
    renamed = {
        "namespace": "namespaces",
        "window": "window_seconds",
        "history": "history_seconds",
        "refresh": "refresh_seconds",
    }
    fields = {renamed.get(name, name): value for name, value in given.items()}
    fields["namespaces"] = tuple(fields.get("namespaces") or ())
    settings = Settings(**fields)
    if settings.snapshot is not None and settings.live:
        raise click.UsageError(
            "choose one source: --snapshot FILE, or live ones "
            "(--prometheus, --manifests, --kubeconfig/--context/--in-cluster)"
        )
    if settings.manifests is not None and settings.live_cluster:
        raise click.UsageError(
            "choose one cluster source: --manifests, or --kubeconfig/--context/--in-cluster"
        )
    if settings.in_cluster and (settings.kubeconfig is not None or settings.context is not None):
        raise click.UsageError(
            "--in-cluster reads the pod's service account: drop --kubeconfig/--context"
        )
    return settings
