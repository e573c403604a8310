"""Reading manifests and ``kubectl get -o yaml`` dumps from disk."""

from __future__ import annotations

import json
import logging
from collections import Counter
from pathlib import Path

import pytest

from collectors.sources.manifests import ManifestError, load_manifests


def kinds(path: Path) -> Counter[str]:
    return Counter(str(item["kind"]) for item in load_manifests(path).items)


def test_bookinfo_file_gives_its_services_accounts_and_deployments(fixtures_dir: Path) -> None:
    assert kinds(fixtures_dir / "k8s" / "bookinfo.yaml") == {
        "Service": 4,
        "ServiceAccount": 4,
        "Deployment": 6,
    }


def test_directory_is_read_recursively_in_path_order(fixtures_dir: Path) -> None:
    items = load_manifests(fixtures_dir / "k8s").items
    names = [(item["kind"], item["metadata"]["name"]) for item in items]
    # "-" sorts before ".": bookinfo-networking/ before bookinfo.yaml, and
    # online-boutique-istio.yaml before online-boutique.yaml.
    assert names[0] == ("Gateway", "bookinfo-gateway")
    order = [
        ("VirtualService", "reviews"),  # bookinfo-networking/virtual-service-reviews-80-20.yaml
        ("Service", "details"),  # bookinfo.yaml
        ("ServiceEntry", "allow-egress-googleapis"),  # online-boutique-istio.yaml
        ("Deployment", "frontend"),  # online-boutique.yaml
    ]
    assert [names.index(entry) for entry in order] == sorted(names.index(e) for e in order)
    assert Counter(kind for kind, _ in names)["Deployment"] == 6 + 12


def test_argo_workflows_without_type_header_are_recognised(fixtures_dir: Path) -> None:
    # steps-failed-retries.yaml and the KFP run JSON carry no apiVersion/kind.
    assert kinds(fixtures_dir / "argo") == {"Workflow": 4}
    workflow = load_manifests(fixtures_dir / "kfp" / "xgboost-training-run-v1.json").items[0]
    assert workflow["kind"] == "Workflow"
    assert workflow["apiVersion"] == "argoproj.io/v1alpha1"
    assert workflow["metadata"]["name"] == "xgboost-training-gzkm9"


def test_unquoted_yaml_timestamps_stay_api_strings(fixtures_dir: Path) -> None:
    (workflow,) = load_manifests(fixtures_dir / "argo" / "dag_retry_succeeded.yaml").items
    assert workflow["metadata"]["creationTimestamp"] == "2018-08-01T10:22:43Z"
    assert workflow["status"]["startedAt"] == "2018-08-01T10:22:43Z"


def test_multi_document_yaml_skips_empty_and_scalar_documents(tmp_path: Path) -> None:
    file = tmp_path / "many.yaml"
    file.write_text(
        "---\n"
        "apiVersion: v1\nkind: Service\nmetadata: {name: a}\n"
        "---\n"
        "---\n"
        "just a string\n"
        "---\n"
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: b, namespace: shop}\n"
        "---\n"
        "name: values-like-file-without-kind\n"
    )
    items = load_manifests(file).items
    assert [(i["kind"], i["metadata"]["name"]) for i in items] == [
        ("Service", "a"),
        ("Deployment", "b"),
    ]
    assert "namespace" not in items[0]["metadata"]  # kept as read: no namespace, not invented


def test_kubectl_list_dumps_are_flattened(tmp_path: Path) -> None:
    (tmp_path / "dump.yaml").write_text(
        "apiVersion: v1\nkind: List\nitems:\n"
        "- apiVersion: v1\n  kind: Pod\n  metadata: {name: p1, namespace: shop}\n"
        "- apiVersion: v1\n  kind: Pod\n  metadata: {name: p2, namespace: shop}\n"
        "metadata: {resourceVersion: ''}\n"
    )
    # The raw API's typed lists leave kind off the items.
    (tmp_path / "raw.json").write_text(
        json.dumps(
            {
                "apiVersion": "apps/v1",
                "kind": "DeploymentList",
                "items": [{"metadata": {"name": "d1", "namespace": "shop"}}],
            }
        )
    )
    items = load_manifests(tmp_path).items
    assert [(i["apiVersion"], i["kind"], i["metadata"]["name"]) for i in items] == [
        ("v1", "Pod", "p1"),
        ("v1", "Pod", "p2"),
        ("apps/v1", "Deployment", "d1"),
    ]


def test_json_and_other_files_in_a_directory(tmp_path: Path) -> None:
    (tmp_path / "svc.json").write_text(
        json.dumps({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "j"}})
    )
    (tmp_path / "notes.txt").write_text("kind: [not read")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "dep.yml").write_text("kind: Deployment\nmetadata: {name: y}\n")
    assert [i["metadata"]["name"] for i in load_manifests(tmp_path).items] == ["y", "j"]


def test_secrets_are_dropped_and_counted(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    (tmp_path / "app.yaml").write_text(
        "apiVersion: v1\nkind: Secret\nmetadata: {name: db-password}\n"
        "data: {password: aHVudGVyMg==}\n"
        "---\n"
        "apiVersion: v1\nkind: Service\nmetadata: {name: db}\n"
    )
    (tmp_path / "list.yaml").write_text(
        "kind: SecretList\napiVersion: v1\nitems:\n- metadata: {name: tls}\n  data: {k: dg==}\n"
    )
    with caplog.at_level(logging.DEBUG, logger="collectors.sources.manifests"):
        objects = load_manifests(tmp_path)
    assert [i["kind"] for i in objects.items] == ["Service"]
    assert "hunter2" not in caplog.text and "aHVudGVyMg" not in repr(objects.items)
    assert any("dropped 2 Secret" in record.getMessage() for record in caplog.records)


def test_configmap_data_is_dropped(tmp_path: Path) -> None:
    applied = json.dumps({"kind": "ConfigMap", "data": {"DB_URL": "postgres://u:pw@db"}})
    (tmp_path / "cm.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\n"
        "metadata:\n  name: settings\n  labels: {app: shop}\n"
        f"  annotations:\n    kubectl.kubernetes.io/last-applied-configuration: '{applied}'\n"
        "    team: payments\n"
        "data: {DB_URL: 'postgres://u:pw@db'}\nbinaryData: {blob: AAEC}\n"
    )
    (configmap,) = load_manifests(tmp_path).items
    assert configmap == {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {
            "name": "settings",
            "labels": {"app": "shop"},
            "annotations": {"team": "payments"},
        },
    }


def test_malformed_yaml_names_file_and_line(tmp_path: Path) -> None:
    file = tmp_path / "broken.yaml"
    file.write_text("apiVersion: v1\nkind: Service\nmetadata:\n  name: [a, b\n  labels: {}\n")
    with pytest.raises(ManifestError, match=r"broken\.yaml:\d+: invalid YAML") as caught:
        load_manifests(tmp_path)
    assert "\n" not in str(caught.value)


def test_kserve_torchserve_sample_is_not_valid_yaml_as_published(fixtures_dir: Path) -> None:
    # The sample leaves an `image: {username}/...` placeholder, which no YAML parser accepts.
    with pytest.raises(ManifestError, match=r"torchserve-gpu\.yaml:8: invalid YAML"):
        load_manifests(fixtures_dir / "kserve" / "torchserve-gpu.yaml")


def test_malformed_json_names_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "x.json").write_text('{"kind": "Service",\n "metadata": }')
    with pytest.raises(ManifestError, match=r"x\.json:2: invalid JSON"):
        load_manifests(tmp_path)


def test_missing_path_is_a_manifest_error(tmp_path: Path) -> None:
    with pytest.raises(ManifestError, match=r"nowhere\.yaml: no such file"):
        load_manifests(tmp_path / "nowhere.yaml")


def test_unreadable_file_is_a_manifest_error(tmp_path: Path) -> None:
    (tmp_path / "latin1.yaml").write_bytes(b"kind: Service\nmetadata: {name: caf\xe9}\n")
    with pytest.raises(ManifestError, match=r"latin1\.yaml: cannot read"):
        load_manifests(tmp_path)


def test_structurally_wrong_object_is_a_manifest_error(tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text(
        "kind: Service\nmetadata: {name: ok}\n---\nkind: Pod\nmetadata: [x]\n"
    )
    with pytest.raises(ManifestError, match=r"bad\.yaml: document 2: metadata is not a mapping"):
        load_manifests(tmp_path)
