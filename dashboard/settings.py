"""Settings, declared once as data: the CLI options, env variables and docs come from here.

``docs/settings.md`` lists every setting; a test fails when one is undocumented.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class Setting:
    """One setting: its name, default, help text, and where people set it."""

    name: str
    default: str | int | None
    help: str

    @property
    def env(self) -> str:
        """Environment variable that sets it, e.g. ``MESHLENS_PORT``."""
        return f"MESHLENS_{self.name.upper()}"

    @property
    def flag(self) -> str:
        """Command-line flag, e.g. ``--demo-seed``."""
        return "--" + self.name.replace("_", "-")


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
)
SETTINGS_BY_NAME = {s.name: s for s in SETTINGS}


@dataclass(frozen=True, slots=True)
class Settings:
    """Resolved settings for one dashboard process."""

    host: str = "127.0.0.1"
    port: int = 8050
    snapshot: Path | None = None
    demo_seed: int = 7
    demo_workloads: int | None = None

    @property
    def url(self) -> str:
        """Where a browser reaches the dashboard."""
        host = "127.0.0.1" if self.host in ("0.0.0.0", "") else self.host
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{self.port}/"
