"""Every setting is documented, and the CLI offers it with its environment variable."""

from __future__ import annotations

from click.testing import CliRunner

from dashboard.cli import main
from dashboard.settings import SETTINGS, Settings
from tests_paths import REPO


def test_every_setting_is_documented() -> None:
    docs = (REPO / "docs" / "settings.md").read_text()
    for setting in SETTINGS:
        assert f"`{setting.flag}`" in docs, setting.name
        assert f"`{setting.env}`" in docs, setting.name


def test_serve_help_lists_every_setting() -> None:
    result = CliRunner().invoke(main, ["serve", "--help"])
    assert result.exit_code == 0
    for setting in SETTINGS:
        assert setting.flag in result.output
        assert setting.env in result.output


def test_url_for_wildcard_and_ipv6_hosts() -> None:
    assert Settings(host="0.0.0.0", port=9000).url == "http://127.0.0.1:9000/"
    assert Settings(host="::1").url == "http://[::1]:8050/"
