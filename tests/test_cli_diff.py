"""``meshlens diff``: two saved snapshot files, or two times of one, for people and pipelines."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from test_diff import _pair, shop_series_snapshot

from collectors.snapshot_io import save_snapshot
from dashboard.cli import main


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["diff", *args], catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def saved_pair(tmp_path: Path) -> tuple[Path, Path]:
    before, after = _pair()
    paths = tmp_path / "before.meshlens", tmp_path / "after.meshlens"
    save_snapshot(before, paths[0])
    save_snapshot(after, paths[1])
    return paths


def test_two_files_print_each_section_with_its_count(saved_pair: tuple[Path, Path]) -> None:
    code, out, err = run(*map(str, saved_pair))
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[:3] == [
        "What changed",
        "  before: before, rates over 10 min to 2026-03-01 11:00 UTC",
        "  after:  after, rates over 10 min to 2026-03-01 12:00 UTC",
    ]
    assert "Error, latency and traffic jumps (5)" in lines
    assert "  frontend → cart (shop)    error ratio 1.0% → 20.0%" in lines
    assert "New call edges (1)" in lines
    assert "  frontend → ads (shop)  HTTP 2.00 rps" in lines
    assert "Vanished call edges (1)" in lines
    assert "Pods added (1)" in lines and "Pods removed (1)" in lines
    assert "  shop/cart   revision 3 → 4; images shop/cart:1.4 → shop/cart:1.5" in lines
    assert lines[-1] == (
        "5 jumps, 1 new edge, 1 vanished edge, 3 rollouts, 1 pod added, 1 pod removed, "
        "3 config changes"
    )


def test_limit_caps_each_section_and_json_keeps_ids(saved_pair: tuple[Path, Path]) -> None:
    code, out, _ = run(*map(str, saved_pair), "--limit", "2")
    assert code == 0
    assert out.count("… and 3 more (--limit)") == 1  # only the jumps hold more than two
    code, out, _ = run(*map(str, saved_pair), "--format", "json", "--limit", "1")
    body = json.loads(out)
    assert code == 0
    assert body["counts"]["jumps"] == 5 and len(body["jumps"]) == 1
    assert body["jumps"][0]["entity"]["id"].startswith("workload:Kubernetes/shop/frontend->")
    assert body["edges_added"][0]["entity"]["label"] == "frontend → ads (shop)"


def test_the_same_file_twice_has_no_differences(saved_pair: tuple[Path, Path]) -> None:
    code, out, _ = run(str(saved_pair[0]), str(saved_pair[0]))
    assert code == 0
    assert out.splitlines()[-1] == "No differences."


def test_unreadable_files_exit_2_with_one_line(
    tmp_path: Path, saved_pair: tuple[Path, Path]
) -> None:
    broken = tmp_path / "broken.meshlens"
    broken.write_bytes(b"PK\x03\x04 not really a zip")
    for args in (
        (str(saved_pair[0]), str(broken)),
        (str(tmp_path / "missing.meshlens"), str(saved_pair[0])),
        ("--snapshot", str(tmp_path), "--from", "2026-03-01T10:15Z", "--to", "2026-03-01T10:50Z"),
    ):
        code, out, err = run(*args)
        assert code == 2, args
        assert out == ""
        assert err.startswith("Error: ") and err.count("\n") == 1, err
        assert "Traceback" not in err
    assert "missing.meshlens" in run(str(tmp_path / "missing.meshlens"), str(broken))[2]


def test_two_times_of_one_file(tmp_path: Path) -> None:
    path = tmp_path / "shop.meshlens"
    save_snapshot(shop_series_snapshot(), path)
    code, out, _ = run(
        "--snapshot", str(path), "--from", "2026-03-01T10:15Z", "--to", "2026-03-01T10:50"
    )
    assert code == 0
    assert "  before: 10:10\u201310:15 UTC" in out
    assert "  frontend → cart (shop)    error ratio 1.0% → 30.0%" in out
    code, out, _ = run(
        "--snapshot",
        str(path),
        "--from",
        "1772359800",
        "--to",
        "2026-03-01T10:50Z",
        "--window",
        "1m",
    )
    assert code == 0
    assert "  before: 10:09\u201310:10 UTC" in out  # Unix seconds work too


def test_options_that_do_not_fit_together_are_usage_errors(
    saved_pair: tuple[Path, Path],
) -> None:
    for args, words in (
        ((str(saved_pair[0]),), "give two snapshot files"),
        ((), "give two snapshot files"),
        ((*map(str, saved_pair), "--window", "5m"), "are for two times of one snapshot"),
        (("--from", "2026-03-01T10:50Z", "--to", "2026-03-01T10:15Z"), "earlier than --to"),
        (("--from", "yesterday", "--to", "2026-03-01T10:15Z"), "is not a time"),
        (
            ("--from", "2026-03-01T10:15Z", "--to", "2026-03-01T10:50Z", "--window", "-5m"),
            "not a duration",
        ),
    ):
        code, out, err = run(*args)
        assert code == 2, args
        assert words in err and out == ""


def test_the_demo_rollout_without_a_file() -> None:
    code, out, _ = run("--from", "2026-11-24T06:30Z", "--to", "2026-11-24T07:10Z")
    assert code == 0
    assert "bookinfo/ratings-v1" in out and "error ratio 0% → 5" in out


def test_help_says_both_ways() -> None:
    code, out, _ = run("--help")
    assert code == 0
    assert "meshlens diff A B" in out and "--snapshot FILE --from T1 --to T2" in out
