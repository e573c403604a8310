"""The deployment manifests never grant access to Secrets or ConfigMaps."""

from __future__ import annotations

import yaml

from tests_paths import REPO


def test_cluster_role_never_reads_secrets() -> None:
    docs = list(yaml.safe_load_all((REPO / "deploy" / "meshlens.yaml").read_text()))
    (role,) = [d for d in docs if d["kind"] == "ClusterRole"]
    resources = {r for rule in role["rules"] for r in rule["resources"]}
    assert "pods" in resources and "virtualservices" in resources
    assert not resources & {"secrets", "configmaps", "*"}
    verbs = {v for rule in role["rules"] for v in rule["verbs"]}
    assert verbs == {"get", "list", "watch"}
