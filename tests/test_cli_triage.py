"""``meshlens triage`` on the demo, on a saved snapshot and on bad input."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from collectors.snapshot_io import save_snapshot
from collectors.sources.demo import demo_snapshot
from dashboard.cli import main


def test_triage_prints_every_demo_incident_with_its_suspect_first() -> None:
    result = CliRunner().invoke(main, ["triage"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "5 incidents in 2026-11-24 06:00 to 12:00 UTC, 3 ongoing (newest first)"
    assert lines[2] == "CRITICAL 20261124T1110-adservice  boutique/adservice: errors"
    assert "    1. boutique/adservice  (score " in result.output
    headers = [line.split()[1] for line in lines if line[:1].isupper() and "2026" in line[9:]]
    assert headers == [
        "20261124T1110-adservice",
        "20261124T1029-recommender-predictor",
        "20261124T0922-details-v1",
        "20261124T0759-redis-cart",
        "20261124T0645-ratings-v1",
    ]


def test_one_incident_shows_its_evidence_and_timeline() -> None:
    result = CliRunner().invoke(main, ["triage", "--incident", "20261124T0922-details-v1"])
    assert result.exit_code == 0, result.output
    assert "       - config: VirtualService bookinfo/details: VirtualService bookinfo/details" in (
        result.output
    )
    assert "IST005 VirtualService bookinfo/details: http[0] injects abort 555" in result.output
    assert "    09:21  config     VirtualService bookinfo/details" in result.output


def test_an_unknown_incident_is_one_line_naming_the_known_ones() -> None:
    result = CliRunner().invoke(main, ["triage", "--incident", "nope\x1b[2J"])
    assert result.exit_code == 1
    assert result.output.count("\n") == 1
    assert result.output.startswith("Error: no incident 'nope\\x1b[2J' in this window (known: ")


def test_json_holds_every_incident_with_causes_and_timeline() -> None:
    result = CliRunner().invoke(main, ["triage", "--format", "json"])
    body = json.loads(result.output)
    assert [i["causes"][0]["node"] for i in body["incidents"]] == [
        "workload:Kubernetes/boutique/adservice",
        "workload:Kubernetes/ml-platform/recommender-predictor",
        "workload:Kubernetes/bookinfo/details-v1",
        "workload:Kubernetes/boutique/redis-cart",
        "workload:Kubernetes/bookinfo/ratings-v1",
    ]
    assert body["incidents"][-1]["end"] == "2026-11-24T07:38:00+00:00"


def test_a_saved_snapshot_gives_the_same_triage(tmp_path: Path) -> None:
    path = tmp_path / "incident.meshlens"
    save_snapshot(demo_snapshot(), path)
    from_file = CliRunner().invoke(main, ["triage", "--snapshot", str(path)])
    assert from_file.exit_code == 0, from_file.output
    assert from_file.output == CliRunner().invoke(main, ["triage"]).output


def test_a_broken_snapshot_file_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "broken.meshlens"
    path.write_bytes(b"PK\x03\x04 not a zip")
    result = CliRunner().invoke(main, ["triage", "--snapshot", str(path)])
    assert result.exit_code == 1
    assert result.output.startswith("Error: ") and result.output.count("\n") == 1
