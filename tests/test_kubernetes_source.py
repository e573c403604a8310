"""The live Kubernetes source, through the real client, against a loopback API server."""

from __future__ import annotations

import logging
import socket
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from kube_api_server import KubeApiServer, write_kubeconfig
from kubernetes import client

from collectors.cluster import ClusterObjects
from collectors.demo import generate_demo
from collectors.inventory import inventory_graph
from collectors.kinds import SourceState
from collectors.model import GraphPart, SourceStatus
from collectors.sources.kubernetes import (
    LIVE_KINDS,
    KubernetesConfig,
    KubernetesError,
    LiveCluster,
)
from collectors.sources.manifests import load_manifests
from tests_paths import REPO

TOKEN = "tok-7f3a9c-never-print-me"  # distinctive: its absence from messages and logs is real

Serve = Callable[..., tuple[KubeApiServer, Path]]


def obj(
    api_version: str, kind: str, name: str, namespace: str | None = "shop", **fields: Any
) -> dict[str, Any]:
    metadata: dict[str, Any] = {"name": name}
    if namespace is not None:
        metadata["namespace"] = namespace
    return {"apiVersion": api_version, "kind": kind, "metadata": metadata, **fields}


# One object of every kind the live source reads, at the apiVersion it must come out with.
EVERY_KIND = [
    obj("v1", "Namespace", "shop", None),
    obj("v1", "Node", "gpu-node-1", None, spec={"unschedulable": False}),
    obj("v1", "Pod", "web-7d9-abc", spec={"containers": [{"name": "web", "image": "web:1"}]}),
    obj("apps/v1", "Deployment", "web", spec={"replicas": 2}),
    obj("apps/v1", "ReplicaSet", "web-7d9"),
    obj("apps/v1", "StatefulSet", "db"),
    obj("apps/v1", "DaemonSet", "log-agent"),
    obj("batch/v1", "Job", "train-1"),
    obj("batch/v1", "CronJob", "nightly"),
    obj("v1", "Service", "web", spec={"selector": {"app": "web"}}),
    obj("discovery.k8s.io/v1", "EndpointSlice", "web-x1", addressType="IPv4"),
    obj("autoscaling/v2", "HorizontalPodAutoscaler", "web"),
    obj("v1", "Event", "web.17a", type="Warning", reason="BackOff"),
    obj("networking.istio.io/v1", "VirtualService", "web"),
    obj("networking.istio.io/v1", "DestinationRule", "web"),
    obj("networking.istio.io/v1", "Gateway", "web-gateway"),
    obj("networking.istio.io/v1", "ServiceEntry", "payments-api"),
    obj("networking.istio.io/v1", "Sidecar", "default"),
    obj("security.istio.io/v1", "PeerAuthentication", "default"),
    obj("security.istio.io/v1", "AuthorizationPolicy", "allow-web"),
    obj("argoproj.io/v1alpha1", "Workflow", "train-pipeline-x7"),
    obj("serving.kserve.io/v1beta1", "InferenceService", "ranker"),
]
NEVER_READ = [
    obj("v1", "Secret", "db-password", data={"password": "aHVudGVyMg=="}),
    obj("v1", "ConfigMap", "web-config", data={"LOG_LEVEL": "debug"}),
    obj("v1", "Event", "web.17b", type="Normal", reason="Pulled"),
]


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Serve]:
    """Start API servers (stopped after the test); each comes with a kubeconfig for it."""
    started: list[KubeApiServer] = []

    def start(objects: list[dict[str, Any]], **options: Any) -> tuple[KubeApiServer, Path]:
        server = KubeApiServer(objects, token=TOKEN, **options).start()
        started.append(server)
        path = tmp_path / f"kubeconfig-{len(started)}"
        return server, write_kubeconfig(path, {"kind-meshlens": server.url}, TOKEN)

    yield start
    for server in started:
        server.stop()


def collect(kubeconfig: Path, **options: Any) -> tuple[ClusterObjects, SourceStatus]:
    with LiveCluster(KubernetesConfig(kubeconfig=kubeconfig, **options)) as cluster:
        return cluster.collect()


def names(objects: ClusterObjects, kind: str) -> list[str]:
    return [item["metadata"]["name"] for item in objects.of_kind(kind)]


def test_every_kind_comes_out_as_kubectl_shows_it(serve: Serve) -> None:
    server, kubeconfig = serve([*EVERY_KIND, *NEVER_READ])

    objects, status = collect(kubeconfig)

    assert sorted(objects.items, key=str) == sorted(EVERY_KIND, key=str)
    assert objects.missing == {}
    assert status.name == "kubernetes" and status.kind == "cluster"
    assert status.state is SourceState.OK and status.missing == []
    assert status.detail == (
        f"context kind-meshlens at {server.url} (Kubernetes v1.31.2): 22 objects"
    )
    assert status.fetched_at is not None and status.fetched_at.utcoffset() is not None
    asked = server.paths()
    assert not [path for path in asked if "secrets" in path or "configmaps" in path]
    (events,) = [request for request in server.requests if request.path.endswith("/events")]
    assert events.query["fieldSelector"] == "type=Warning"


def test_a_list_is_read_page_by_page(serve: Serve) -> None:
    pods = [obj("v1", "Pod", f"web-{n:02d}") for n in range(23)]
    server, kubeconfig = serve(pods)

    objects, _ = collect(kubeconfig, page_size=5)

    assert names(objects, "Pod") == [f"web-{n:02d}" for n in range(23)]
    asked = [request for request in server.requests if request.path == "/api/v1/pods"]
    assert [request.query.get("limit") for request in asked] == ["5"] * 5
    assert sum("continue" in request.query for request in asked) == 4


def test_an_expired_list_starts_again_once(serve: Serve) -> None:
    pods = [obj("v1", "Pod", f"web-{n:02d}") for n in range(7)]
    server, kubeconfig = serve(pods)
    server.expire_continue("pods", times=1)

    objects, status = collect(kubeconfig, page_size=3)

    assert names(objects, "Pod") == [f"web-{n:02d}" for n in range(7)]  # no duplicates
    assert status.state is SourceState.OK
    fresh = [r for r in server.requests if r.path == "/api/v1/pods" and "continue" not in r.query]
    assert len(fresh) == 2


def test_a_list_expiring_twice_leaves_that_kind_out(serve: Serve) -> None:
    pods = [obj("v1", "Pod", f"web-{n:02d}") for n in range(7)]
    server, kubeconfig = serve([*pods, obj("apps/v1", "Deployment", "web")])
    server.expire_continue("pods", times=2)

    objects, status = collect(kubeconfig, page_size=3)

    assert names(objects, "Pod") == []
    assert objects.missing == {"Pod": "410 gone: the list expired twice while paging"}
    assert status.state is SourceState.PARTIAL
    assert names(objects, "Deployment") == ["web"]


def test_a_forbidden_kind_is_skipped_and_named(serve: Serve) -> None:
    _, kubeconfig = serve(EVERY_KIND, forbidden=["authorizationpolicies"])

    objects, status = collect(kubeconfig)

    assert objects.missing == {"AuthorizationPolicy": "403 forbidden"}
    assert status.missing == ["AuthorizationPolicy: 403 forbidden"]
    assert status.state is SourceState.PARTIAL
    assert status.detail.endswith(": 21 objects, 1 kind(s) unreadable")
    assert names(objects, "PeerAuthentication") == ["default"]
    assert len(objects.items) == len(EVERY_KIND) - 1


def test_a_crd_that_is_not_installed_is_named_but_not_a_failure(serve: Serve) -> None:
    server, kubeconfig = serve(EVERY_KIND, absent_groups=["serving.kserve.io"])

    objects, status = collect(kubeconfig)

    assert objects.missing == {"InferenceService": "CRD not installed"}
    assert status.missing == ["InferenceService: CRD not installed"]
    assert status.state is SourceState.OK
    assert status.detail.endswith(": 21 objects, 1 custom kind(s) not installed")
    kserve = [path for path in server.paths() if "kserve" in path]
    assert kserve == ["/apis/serving.kserve.io/v1beta1/inferenceservices"]


def test_istio_kinds_fall_back_to_the_versions_the_cluster_serves(serve: Serve) -> None:
    served = {"": ("v1",), "networking.istio.io": ("v1alpha3",)}
    services = [obj("networking.istio.io/v1", "VirtualService", "web", space) for space in "ab"]
    server, kubeconfig = serve(services, served=served)

    objects, status = collect(kubeconfig, namespaces=("a", "b"))

    assert [item["apiVersion"] for item in objects.of_kind("VirtualService")] == [
        "networking.istio.io/v1alpha3"
    ] * 2
    asked = [path for path in server.paths() if path.endswith("/virtualservices")]
    assert asked == [
        "/apis/networking.istio.io/v1/namespaces/a/virtualservices",
        "/apis/networking.istio.io/v1beta1/namespaces/a/virtualservices",
        "/apis/networking.istio.io/v1alpha3/namespaces/a/virtualservices",
        "/apis/networking.istio.io/v1alpha3/namespaces/b/virtualservices",
    ]
    # Neither Istio security nor apps is served in this cluster.
    assert objects.missing["AuthorizationPolicy"] == "CRD not installed"
    assert objects.missing["Deployment"] == (
        "404 Not Found: the server could not find the requested resource in namespaces a, b"
    )
    assert status.state is SourceState.PARTIAL


def test_a_failing_kind_is_skipped_with_the_servers_reason(serve: Serve) -> None:
    _, kubeconfig = serve(EVERY_KIND, failing={"jobs": 500})

    objects, status = collect(kubeconfig)

    assert objects.missing == {"Job": "500 Internal Server Error: etcdserver: request timed out"}
    assert status.state is SourceState.PARTIAL
    assert names(objects, "CronJob") == ["nightly"]


def test_a_kind_too_slow_to_answer_is_skipped(serve: Serve) -> None:
    _, kubeconfig = serve(EVERY_KIND, slow={"pods": 1.0})

    objects, status = collect(kubeconfig, timeout_seconds=0.25)

    assert objects.missing == {"Pod": "timed out after 0.25 s"}
    assert status.state is SourceState.PARTIAL
    assert names(objects, "Deployment") == ["web"]


def test_a_namespace_filter_reads_only_those_namespaces(serve: Serve) -> None:
    lab = [obj("v1", "Namespace", "lab", None), obj("v1", "Pod", "notebook", "lab")]
    lab += [obj("networking.istio.io/v1", "VirtualService", "notebook", "lab")]
    server, kubeconfig = serve([*EVERY_KIND, *lab, obj("v1", "Node", "cpu-node-1", None)])

    objects, status = collect(kubeconfig, namespaces=("shop",))

    assert names(objects, "Namespace") == ["shop"]
    assert names(objects, "Pod") == ["web-7d9-abc"]
    assert names(objects, "VirtualService") == ["web"]
    assert names(objects, "Node") == ["cpu-node-1", "gpu-node-1"]  # nodes are read whole
    assert status.detail.endswith(": 23 objects in namespaces shop")
    listed = [path for path in server.paths() if path.rstrip("/") != "/version"]
    cluster_wide = {"/api/v1/namespaces", "/api/v1/nodes"}
    assert [p for p in listed if p not in cluster_wide and "/namespaces/shop/" not in p] == []
    (namespaces,) = [r for r in server.requests if r.path == "/api/v1/namespaces"]
    assert namespaces.query["fieldSelector"] == "metadata.name=shop"


def test_a_namespace_forbidden_is_named_and_the_others_kept(serve: Serve) -> None:
    pods = [obj("v1", "Pod", "web-1", "shop"), obj("v1", "Pod", "notebook", "lab")]
    _, kubeconfig = serve(pods, forbidden=["shop/pods"])

    objects, status = collect(kubeconfig, namespaces=("shop", "lab"))

    assert names(objects, "Pod") == ["notebook"]
    assert objects.missing == {"Pod": "403 forbidden in namespace shop"}
    assert status.state is SourceState.PARTIAL


def test_the_chosen_context_is_the_one_read(serve: Serve, tmp_path: Path) -> None:
    alpha, _ = serve([obj("v1", "Namespace", "alpha-team", None)])
    beta, _ = serve([obj("v1", "Namespace", "beta-team", None)])
    kubeconfig = write_kubeconfig(
        tmp_path / "two-contexts", {"alpha": alpha.url, "beta": beta.url}, TOKEN
    )

    with (
        LiveCluster(KubernetesConfig(kubeconfig=kubeconfig)) as current,
        LiveCluster(KubernetesConfig(kubeconfig=kubeconfig, context="beta")) as chosen,
    ):
        assert current.display == f"context alpha at {alpha.url}"
        assert chosen.display == f"context beta at {beta.url}"
        # Built side by side, each keeps its own configuration.
        assert names(chosen.collect()[0], "Namespace") == ["beta-team"]
        assert names(current.collect()[0], "Namespace") == ["alpha-team"]
    assert client.Configuration.get_default_copy().host == client.Configuration().host


def test_kubeconfig_files_listed_in_the_environment_are_merged(
    serve: Serve, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    alpha, _ = serve([obj("v1", "Namespace", "alpha-team", None)])
    beta, _ = serve([obj("v1", "Namespace", "beta-team", None)])
    first = write_kubeconfig(tmp_path / "first", {"alpha": alpha.url}, TOKEN)
    second = write_kubeconfig(tmp_path / "second", {"beta": beta.url}, TOKEN)
    monkeypatch.setenv("KUBECONFIG", f"{first}:{tmp_path / 'absent'}:{second}")

    with LiveCluster(KubernetesConfig(context="beta")) as cluster:
        assert names(cluster.collect()[0], "Namespace") == ["beta-team"]
    with LiveCluster(KubernetesConfig()) as cluster:  # the first file's current context
        assert cluster.display == f"context alpha at {alpha.url}"


def debug_logs(caplog: pytest.LogCaptureFixture) -> None:
    # Named loggers too: the CLI, run in-process by other tests, quiets urllib3, which would
    # hide the request lines this check is about.
    for name in (None, "urllib3", "collectors", "kubernetes"):
        caplog.set_level(logging.DEBUG, logger=name)


def assert_secret_free(message: str, caplog: pytest.LogCaptureFixture) -> None:
    assert "\n" not in message
    assert TOKEN not in message
    assert caplog.records, "nothing was logged: the log check would prove nothing"
    assert TOKEN not in caplog.text
    assert "bearer " not in caplog.text.lower() and "authorization:" not in caplog.text.lower()


def test_an_unreachable_server_is_one_line_without_the_token(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with socket.socket() as probe:  # a port nothing listens on once the probe is closed
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    kubeconfig = write_kubeconfig(tmp_path / "config", {"kind-meshlens": url}, TOKEN)
    debug_logs(caplog)

    with (
        LiveCluster(KubernetesConfig(kubeconfig=kubeconfig)) as cluster,
        pytest.raises(KubernetesError) as raised,
    ):
        cluster.collect()

    message = str(raised.value)
    assert message == f"cannot reach context kind-meshlens at {url}: connection refused"
    assert_secret_free(message, caplog)


def test_rejected_credentials_end_the_collection_without_the_token(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    debug_logs(caplog)
    with KubeApiServer(EVERY_KIND, token="the-servers-token") as server:
        kubeconfig = write_kubeconfig(tmp_path / "config", {"kind-meshlens": server.url}, TOKEN)
        with (
            LiveCluster(KubernetesConfig(kubeconfig=kubeconfig)) as cluster,
            pytest.raises(KubernetesError) as raised,
        ):
            cluster.collect()

    message = str(raised.value)
    assert (
        message == f"context kind-meshlens at {server.url}: 401 unauthorized (credentials rejected)"
    )
    assert_secret_free(message, caplog)
    assert "/version" in caplog.text  # urllib3's request line was captured
    assert [path.rstrip("/") for path in server.paths()] == ["/version"]  # it stopped at once


def test_a_successful_collection_logs_no_token(
    serve: Serve, caplog: pytest.LogCaptureFixture
) -> None:
    debug_logs(caplog)
    _, kubeconfig = serve(EVERY_KIND)
    with LiveCluster(KubernetesConfig(kubeconfig=kubeconfig)) as cluster:
        cluster.collect()
    assert "listed 1 Pod" in caplog.text
    assert '"GET /api/v1/pods?limit=500 HTTP/1.1" 200' in caplog.text  # urllib3 at DEBUG too
    assert_secret_free(cluster.display, caplog)


def test_nothing_readable_is_fatal(serve: Serve) -> None:
    _, kubeconfig = serve(EVERY_KIND, forbidden=[kind.plural for kind in LIVE_KINDS])

    with pytest.raises(KubernetesError, match=r"no kind could be read \(Namespace: 403 forbidden"):
        collect(kubeconfig)


@pytest.mark.parametrize(
    ("environment", "expected"),
    [
        ({}, "no in-cluster service account: Service host/port is not set."),
        (
            {"KUBERNETES_SERVICE_HOST": "10.96.0.1", "KUBERNETES_SERVICE_PORT": "443"},
            "no in-cluster service account: Service token file does not exist.",
        ),
    ],
    ids=["outside-a-pod", "no-token-file"],
)
def test_in_cluster_outside_a_pod_says_why(
    monkeypatch: pytest.MonkeyPatch, environment: dict[str, str], expected: str
) -> None:
    for variable in ("KUBERNETES_SERVICE_HOST", "KUBERNETES_SERVICE_PORT"):
        monkeypatch.delenv(variable, raising=False)
    for variable, value in environment.items():
        monkeypatch.setenv(variable, value)

    with pytest.raises(KubernetesError) as raised:
        LiveCluster(KubernetesConfig(in_cluster=True))

    assert str(raised.value) == expected


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (None, "kubeconfig {path} not found"),
        ("", "kubeconfig {path}: not a kubeconfig (empty or not a mapping)"),
        (f"users:\n- name: x\n  user: {{token: {TOKEN}\n", "kubeconfig {path}: invalid YAML"),
    ],
    ids=["missing", "empty", "invalid-yaml"],
)
def test_a_bad_kubeconfig_is_one_line(tmp_path: Path, content: str | None, expected: str) -> None:
    path = tmp_path / "config"
    if content is not None:
        path.write_text(content)

    with pytest.raises(KubernetesError) as raised:
        LiveCluster(KubernetesConfig(kubeconfig=path))

    assert str(raised.value).startswith(expected.format(path=path))
    assert TOKEN not in str(raised.value)


def test_an_unknown_context_lists_the_known_ones(tmp_path: Path) -> None:
    servers = {"alpha": "http://127.0.0.1:1", "beta": "http://127.0.0.1:2"}
    path = write_kubeconfig(tmp_path / "config", servers, TOKEN)

    with pytest.raises(KubernetesError) as raised:
        LiveCluster(KubernetesConfig(kubeconfig=path, context="gamma"))

    assert (
        str(raised.value) == f"kubeconfig {path}: context 'gamma' not found (contexts: alpha, beta)"
    )


def test_the_deployed_cluster_role_grants_every_kind_read() -> None:
    documents = yaml.safe_load_all((REPO / "deploy" / "meshlens.yaml").read_text())
    (role,) = [doc for doc in documents if doc and doc["kind"] == "ClusterRole"]
    granted = {
        (group, resource)
        for rule in role["rules"]
        if "list" in rule["verbs"]
        for group in rule["apiGroups"]
        for resource in rule["resources"]
    }
    assert [k.kind for k in LIVE_KINDS if (k.group, k.plural) not in granted] == []


def graph_facts(part: GraphPart) -> tuple[dict[str, Any], set[Any]]:
    nodes = {
        node.id: (node.kind, node.name, node.namespace, node.app, node.version, node.labels,
                  sorted(node.flags), node.attrs)
        for node in part.nodes
    }  # fmt: skip
    edges = {(e.source, e.target, e.kind, tuple(sorted(e.attrs.items()))) for e in part.edges}
    return nodes, edges


def test_live_and_offline_sources_give_the_same_inventory(serve: Serve, fixtures_dir: Path) -> None:
    offline = load_manifests(fixtures_dir / "k8s")
    offline.extend(generate_demo(seed=7).objects.items)
    _, kubeconfig = serve(offline.items)

    live, status = collect(kubeconfig, page_size=50)

    assert status.state is SourceState.OK
    live_nodes, live_edges = graph_facts(inventory_graph(live))
    offline_nodes, offline_edges = graph_facts(inventory_graph(offline))
    assert len(live_nodes) > 100  # the storefronts, the ML platform and the demo's machines
    assert live_nodes == offline_nodes
    assert live_edges == offline_edges
