"""``meshlens check``: findings printed for people and pipelines, and an exit status CI can use."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from kube_api_server import KubeApiServer, write_kubeconfig

from collectors.checks import all_checks
from collectors.sources.manifests import load_manifests
from dashboard.cli import main

TOKEN = "check-token-do-not-print"


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["check", *args], catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_the_shared_manifests_give_warnings_only_and_pass(fixtures_dir: Path) -> None:
    code, out, _ = run("--manifests", str(fixtures_dir / "k8s"))
    assert code == 0
    assert "WARNING  IST005  VirtualService default/ratings" in out
    assert "injects delay 7s for 100% of requests when end-user exact jason, on ratings" in out
    assert "WARNING  IST005  VirtualService default/details" in out
    assert "subset v2 (version=v2) matches no pod of ratings" in out
    assert out.rstrip().endswith("0 errors, 5 warnings, 0 info on 3 objects (34 checks)")


def test_fail_on_warning_makes_the_same_findings_fail(fixtures_dir: Path) -> None:
    code, _, _ = run("--manifests", str(fixtures_dir / "k8s"), "--fail-on", "warning")
    assert code == 1


def test_json_holds_every_finding_with_its_code_and_object(fixtures_dir: Path) -> None:
    code, out, _ = run("--manifests", str(fixtures_dir / "k8s"), "--format", "json")
    body = json.loads(out)
    assert code == 0
    found = {(f["code"], f["kind"], f["namespace"], f["name"]) for f in body["findings"]}
    assert ("IST005", "VirtualService", "default", "ratings") in found
    assert ("IST005", "VirtualService", "default", "details") in found
    assert all(f["hint"] and f["severity"] == "warning" for f in body["findings"])


def test_the_demo_has_errors_and_fails() -> None:
    code, out, _ = run("--show", "error")
    assert code == 1
    assert "ERROR    POD001  Pod boutique/adservice-" in out
    assert "WARNING" not in out  # --show error hides them, the exit status still counts errors


def test_an_unreadable_source_exits_2_with_one_line(tmp_path: Path) -> None:
    code, out, err = run("--manifests", str(tmp_path / "missing"))
    assert code == 2
    assert out == ""
    assert err.strip().count("\n") == 0 and "no such file or directory" in err


def test_list_names_every_check() -> None:
    code, out, _ = run("--list")
    assert code == 0
    assert [line.split()[0] for line in out.splitlines()] == [c.code for c in all_checks()]


def test_two_cluster_sources_are_refused(tmp_path: Path) -> None:
    code, _, err = run("--manifests", str(tmp_path), "--context", "prod")
    assert code == 2
    assert "choose one cluster source" in err


def test_terminal_escapes_in_a_manifest_are_not_printed(tmp_path: Path) -> None:
    (tmp_path / "svc.yaml").write_text(
        "apiVersion: v1\nkind: Namespace\n"
        "metadata: {name: shop, labels: {istio-injection: enabled}}\n"
        '---\napiVersion: v1\nkind: Service\nmetadata: {name: "web\\e[31m", namespace: shop}\n'
        "spec: {selector: {app: web}, ports: [{name: web, port: 80}]}\n",
        encoding="utf-8",
    )
    code, out, _ = run("--manifests", str(tmp_path))
    assert "\x1b" not in out
    assert "Service shop/web?[31m" in out and code == 0


@pytest.fixture
def boutique_server(fixtures_dir: Path) -> KubeApiServer:
    objects = load_manifests(fixtures_dir / "k8s").items
    with KubeApiServer(objects, token=TOKEN, forbidden=["authorizationpolicies"]) as server:
        yield server


def test_a_live_cluster_is_checked_and_forbidden_kinds_are_named(
    boutique_server: KubeApiServer, tmp_path: Path, fixtures_dir: Path
) -> None:
    kubeconfig = write_kubeconfig(tmp_path / "config", {"lab": boutique_server.url}, TOKEN)
    code, out, err = run("--kubeconfig", str(kubeconfig), "--context", "lab")
    assert code == 0
    offline = run("--manifests", str(fixtures_dir / "k8s"))[1]
    assert out == offline  # the same objects, live or from files, give the same findings
    assert "AuthorizationPolicy: 403 forbidden" in err
    assert TOKEN not in out + err
    assert not [p for p in boutique_server.paths() if "secrets" in p or "configmaps" in p]
