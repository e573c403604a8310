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


def test_every_setting_is_in_the_help_of_a_command() -> None:
    helps = ""
    for command in (["serve"], ["export"], ["snapshot", "save"]):
        result = CliRunner().invoke(main, [*command, "--help"])
        assert result.exit_code == 0
        helps += result.output
    for setting in SETTINGS:
        assert setting.flag in helps
        assert setting.env in helps


def test_url_for_wildcard_and_ipv6_hosts() -> None:
    assert Settings(host="0.0.0.0", port=9000).url == "http://127.0.0.1:9000/"
    assert Settings(host="::1").url == "http://[::1]:8050/"
