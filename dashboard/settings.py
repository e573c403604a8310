"""Settings, declared once as data: the CLI options, env variables and docs come from here.

``docs/settings.md`` lists every setting; a test fails when one is undocumented.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path


@dataclass(frozen=True, slots=True)
class Setting:
    """One setting: its name, default, help text, and where people set it."""

    name: str
    default: str | int | bool | None
    help: str

    @property
    def env(self) -> str:
        """Environment variable that sets it, e.g. ``MESHLENS_PORT``."""
        return f"MESHLENS_{self.name.upper()}"

    @property
    def flag(self) -> str:
        """Command-line flag, e.g. ``--demo-seed``."""
        return "--" + self.name.replace("_", "-")


TOKEN_ENV = "MESHLENS_PROMETHEUS_TOKEN"
"""Bearer token for Prometheus, when it is not in a file: never a flag (``ps`` would show it)."""
PASSWORD_ENV = "MESHLENS_PROMETHEUS_PASSWORD"
"""Basic-auth password for Prometheus, when it is not in a file."""

SETTINGS: tuple[Setting, ...] = (
    Setting("host", "127.0.0.1", "Interface the dashboard listens on."),
    Setting("port", 8050, "Port the dashboard listens on."),
    Setting("snapshot", None, "Open this snapshot file instead of the built-in demo platform."),
    Setting("demo_seed", 7, "Seed of the built-in demo platform (same seed, same platform)."),
    Setting(
        "demo_workloads",
        None,
        "Scale the demo platform to at least this many workloads (default: about 40).",
    ),
    Setting(
        "prometheus",
        None,
        "Read Istio telemetry from this Prometheus-compatible URL (Prometheus, Thanos, Mimir, "
        "VictoriaMetrics) instead of the demo.",
    ),
    Setting(
        "prometheus_token_file",
        None,
        f"File holding a bearer token for Prometheus (or set {TOKEN_ENV}); never logged.",
    ),
    Setting(
        "prometheus_user",
        None,
        f"Basic-auth user for Prometheus; the password comes from {PASSWORD_ENV} "
        "or --prometheus-password-file.",
    ),
    Setting("prometheus_password_file", None, "File holding the basic-auth password."),
    Setting("prometheus_ca_file", None, "CA bundle that signed Prometheus's TLS certificate."),
    Setting("prometheus_insecure", False, "Do not verify Prometheus's TLS certificate (labs)."),
    Setting("prometheus_timeout", 60, "Seconds to wait for each answer of Prometheus."),
    Setting(
        "prometheus_retries",
        2,
        "Retries of a query, with backoff, after a connection error or a 5xx answer.",
    ),
    Setting(
        "namespace",
        None,
        "Only these namespaces (repeat the flag; the variable takes a space-separated list).",
    ),
    Setting(
        "manifests",
        None,
        "Cluster objects from this file or directory of manifests or `kubectl get -o yaml` "
        "dumps, read once.",
    ),
    Setting(
        "kubeconfig",
        None,
        "Read cluster objects live through this kubeconfig (default: $KUBECONFIG or "
        "~/.kube/config when --context is given). Never Secrets, never ConfigMap data.",
    ),
    Setting("context", None, "Kubeconfig context of the cluster to read (default: current)."),
    Setting(
        "in_cluster",
        False,
        "Read cluster objects with the pod's service account (meshlens running in the cluster).",
    ),
    Setting(
        "window",
        "10m",
        "Rate window of the live figures: request rate, error ratio, latency percentiles.",
    ),
    Setting("history", "1h", "How far back the live series (sparklines, time windows) go."),
    Setting(
        "refresh",
        30,
        "Seconds between two live collections; one collection serves every browser.",
    ),
    Setting(
        "at",
        None,
        "Collect as of this time: ISO 8601 (UTC unless it has an offset) or Unix seconds "
        "(default: now).",
    ),
)
SETTINGS_BY_NAME = {s.name: s for s in SETTINGS}


@dataclass(frozen=True, slots=True)
class Settings:
    """Resolved settings for one dashboard process or command (durations in seconds)."""

    host: str = "127.0.0.1"
    port: int = 8050
    snapshot: Path | None = None
    demo_seed: int = 7
    demo_workloads: int | None = None
    prometheus: str | None = None
    prometheus_token_file: Path | None = None
    prometheus_user: str | None = None
    prometheus_password_file: Path | None = None
    prometheus_ca_file: Path | None = None
    prometheus_insecure: bool = False
    prometheus_timeout: float = 60.0
    prometheus_retries: int = 2
    namespaces: tuple[str, ...] = ()
    manifests: Path | None = None
    kubeconfig: Path | None = None
    context: str | None = None
    in_cluster: bool = False
    window_seconds: int = 600
    history_seconds: int = 3600
    refresh_seconds: int = 30
    at: datetime | None = None  # None: now

    @property
    def live_cluster(self) -> bool:
        """Whether cluster objects are read live from an API server."""
        return self.kubeconfig is not None or self.context is not None or self.in_cluster

    @property
    def live(self) -> bool:
        """Whether anything is collected from the outside (and so can be re-collected)."""
        return self.prometheus is not None or self.live_cluster or self.manifests is not None

    @property
    def url(self) -> str:
        """Where a browser reaches the dashboard."""
        host = "127.0.0.1" if self.host in ("0.0.0.0", "") else self.host
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{self.port}/"
