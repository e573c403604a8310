"""The inventory transform: cluster objects to nodes, structural edges and flags."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from collectors.cluster import ClusterObjects, KubeObject
from collectors.ids import node_id
from collectors.inventory import inventory_graph
from collectors.kinds import EdgeKind, NodeFlag, NodeKind
from collectors.model import GraphPart, Node
from collectors.sources.manifests import load_manifests

BOUTIQUE = {
    "frontend", "cartservice", "productcatalogservice", "currencyservice", "paymentservice",
    "shippingservice", "emailservice", "checkoutservice", "recommendationservice", "adservice",
    "loadgenerator", "redis-cart",
}  # fmt: skip


class Graph:
    """A graph part with lookups by kind and name, for readable assertions."""

    def __init__(self, part: GraphPart, cluster: str = "Kubernetes") -> None:
        self.nodes = {node.id: node for node in part.nodes}
        self.edges = part.edges
        self.cluster = cluster
        assert len(self.nodes) == len(part.nodes), "node ids must be unique"
        for edge in part.edges:
            assert edge.source in self.nodes and edge.target in self.nodes

    def node(self, kind: NodeKind, name: str, namespace: str = "shop") -> Node:
        return self.nodes[node_id(kind, name, namespace, self.cluster)]

    def names(self, kind: NodeKind) -> set[str]:
        return {node.name for node in self.nodes.values() if node.kind is kind}

    def targets(self, source: Node, kind: EdgeKind) -> set[str]:
        found = (e.target for e in self.edges if e.source == source.id and e.kind is kind)
        return {self.nodes[target].name for target in found}

    def sources(self, target: Node, kind: EdgeKind) -> set[str]:
        found = (e.source for e in self.edges if e.target == target.id and e.kind is kind)
        return {self.nodes[source].name for source in found}


def graph(*objects: KubeObject, cluster: str = "Kubernetes") -> Graph:
    return Graph(inventory_graph(ClusterObjects(list(objects)), cluster=cluster), cluster)


def from_files(*paths: Path) -> Graph:
    objects = ClusterObjects()
    for path in paths:
        objects.extend(load_manifests(path).items)
    return Graph(inventory_graph(objects))


# --- hand-made objects ---------------------------------------------------------------------


def meta(name: str, namespace: str | None, **extra: Any) -> dict[str, Any]:
    found: dict[str, Any] = {"name": name, **{k: v for k, v in extra.items() if v}}
    if namespace is not None:
        found["namespace"] = namespace
    return found


def owned_by(kind: str, name: str) -> list[dict[str, Any]]:
    return [{"apiVersion": "apps/v1", "kind": kind, "name": name, "controller": True}]


def controller(
    kind: str,
    name: str,
    namespace: str | None = "shop",
    *,
    labels: dict[str, str] | None = None,
    replicas: int | None = None,
    status: dict[str, Any] | None = None,
    template_annotations: dict[str, str] | None = None,
    owner: tuple[str, str] | None = None,
) -> KubeObject:
    template = {
        "metadata": {"labels": labels or {"app": name}, "annotations": template_annotations or {}},
        "spec": {"containers": [{"name": "main", "image": f"example/{name}:1"}]},
    }
    spec: dict[str, Any] = {"template": template}
    if kind == "CronJob":
        spec = {"schedule": "*/5 * * * *", "jobTemplate": {"spec": {"template": template}}}
    if replicas is not None:
        spec["replicas"] = replicas
    obj: KubeObject = {
        "apiVersion": "batch/v1" if kind in ("Job", "CronJob") else "apps/v1",
        "kind": kind,
        "metadata": meta(name, namespace, ownerReferences=owned_by(*owner) if owner else None),
        "spec": spec,
    }
    if status is not None:
        obj["status"] = status
    return obj


def pod(
    name: str,
    namespace: str | None = "shop",
    *,
    owner: tuple[str, str] | None = None,
    labels: dict[str, str] | None = None,
    annotations: dict[str, str] | None = None,
    sidecar: bool = False,
    ready: bool = True,
    phase: str = "Running",
    restarts: int = 0,
    node: str = "",
    gpus: int = 0,
) -> KubeObject:
    main: dict[str, Any] = {"name": "main", "image": "example/app:1"}
    if gpus:
        main["resources"] = {"limits": {"nvidia.com/gpu": gpus}}
    containers = [main, *([{"name": "istio-proxy", "image": "istio/proxyv2"}] if sidecar else [])]
    statuses: list[dict[str, Any]] = [
        {
            "name": "main",
            "ready": ready,
            "restartCount": restarts,
            "state": {"running": {}} if ready else {"waiting": {"reason": "CrashLoopBackOff"}},
            "lastState": {"terminated": {"reason": "OOMKilled"}} if restarts else {},
        }
    ]
    spec: dict[str, Any] = {"containers": containers}
    if node:
        spec["nodeName"] = node
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": meta(
            name,
            namespace,
            labels=labels or {"app": "web"},
            annotations=annotations,
            ownerReferences=owned_by(*owner) if owner else None,
        ),
        "spec": spec,
        "status": {
            "phase": phase,
            "conditions": [{"type": "Ready", "status": "True" if ready else "False"}],
            "containerStatuses": statuses,
        },
    }


def replica(deployment: str, suffix: str, **kwargs: Any) -> KubeObject:
    """A pod of ReplicaSet ``<deployment>-1``, labelled as the Deployment controller does."""
    labels = {"app": deployment, "pod-template-hash": "1"}
    return pod(
        f"{deployment}-1-{suffix}", owner=("ReplicaSet", f"{deployment}-1"), labels=labels, **kwargs
    )


def namespace(name: str, labels: dict[str, str]) -> KubeObject:
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": labels}}


def service(name: str, selector: dict[str, str], namespace: str = "shop") -> KubeObject:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {"selector": selector, "ports": [{"name": "http-web", "port": 80}]},
    }


# --- real-world fixtures -------------------------------------------------------------------


def test_bookinfo_reviews_service_selects_its_three_versions(fixtures_dir: Path) -> None:
    g = from_files(fixtures_dir / "k8s" / "bookinfo.yaml")
    reviews = g.node(NodeKind.SERVICE, "reviews", "default")
    assert g.targets(reviews, EdgeKind.SELECTS) == {"reviews-v1", "reviews-v2", "reviews-v3"}
    v2 = g.node(NodeKind.WORKLOAD, "reviews-v2", "default")
    assert (v2.app, v2.version) == ("reviews", "v2")
    assert v2.attrs["images"] == "registry.istio.io/release/examples-bookinfo-reviews-v2:1.20.3"
    # Manifests carry no status: nothing is known to be dead or unready.
    assert all(not node.flags for node in g.nodes.values())


def test_online_boutique_deployments_are_workloads_with_app_labels(fixtures_dir: Path) -> None:
    g = from_files(fixtures_dir / "k8s" / "online-boutique.yaml")
    workloads = [n for n in g.nodes.values() if n.kind is NodeKind.WORKLOAD]
    assert {n.name for n in workloads} == BOUTIQUE
    for workload in workloads:
        assert workload.attrs["workload_kind"] == "Deployment"
        assert (workload.app, workload.version) == (workload.name, "latest")
        assert workload.namespace == "default"
        assert workload.attrs["replicas"] == 1
    # frontend and frontend-external both select the frontend Deployment.
    selecting_frontend = {
        g.nodes[e.source].name
        for e in g.edges
        if e.kind is EdgeKind.SELECTS
        and e.target == g.node(NodeKind.WORKLOAD, "frontend", "default").id
    }
    assert selecting_frontend == {"frontend", "frontend-external"}


def test_redis_cart_service_port_and_type(fixtures_dir: Path) -> None:
    g = from_files(fixtures_dir / "k8s" / "online-boutique.yaml")
    redis = g.node(NodeKind.SERVICE, "redis-cart", "default")
    assert redis.attrs["ports"] == "tcp-redis:6379/tcp"
    assert redis.attrs["type"] == "ClusterIP"
    assert redis.attrs["selector"] == "app=redis-cart"
    external = g.node(NodeKind.SERVICE, "frontend-external", "default")
    assert (external.attrs["type"], external.attrs["ports"]) == ("LoadBalancer", "http:80/http")


def test_kserve_sklearn_serves_its_storage_uri(fixtures_dir: Path) -> None:
    g = from_files(fixtures_dir / "kserve" / "sklearn-v2.yaml")
    isvc = g.node(NodeKind.INFERENCE_SERVICE, "sklearn-irisv2", "default")
    assert isvc.attrs["storage_uri"] == "gs://seldon-models/sklearn/iris"
    assert isvc.attrs["model_format"] == "sklearn"
    model = g.node(NodeKind.ARTIFACT, "gs://seldon-models/sklearn/iris", "")
    assert model.id == "artifact:Kubernetes//gs://seldon-models/sklearn/iris"
    assert g.sources(isvc, EdgeKind.SERVES) == {"gs://seldon-models/sklearn/iris"}


def test_kserve_custom_container_without_storage_uri(fixtures_dir: Path, tmp_path: Path) -> None:
    # The published sample has an `image: {username}/...` placeholder; fill it in, as its
    # instructions say, to read the object.
    sample = (fixtures_dir / "kserve" / "torchserve-gpu.yaml").read_text()
    (tmp_path / "torchserve.yaml").write_text(sample.replace("{username}", "example"))
    g = from_files(tmp_path / "torchserve.yaml")
    isvc = g.node(NodeKind.INFERENCE_SERVICE, "torchserve-custom-gpu", "default")
    assert isvc.attrs["storage_uri"] == ""
    assert isvc.attrs["gpu_requested"] == 1
    assert g.names(NodeKind.ARTIFACT) == set()
    assert not [e for e in g.edges if e.kind is EdgeKind.SERVES]


def test_argo_failed_retries_run_and_steps(fixtures_dir: Path) -> None:
    g = from_files(fixtures_dir / "argo" / "steps-failed-retries.yaml")
    run = g.node(NodeKind.PIPELINE_RUN, "failed-retries-tjjsc", "default")
    assert run.attrs["phase"] == "Running"
    assert run.attrs["started"] == "2019-01-03T01:23:18Z"
    assert (run.attrs["steps"], run.attrs["failed_steps"]) == (4, 4)
    # Only the Pod entries become steps; Steps, StepGroup and Retry entries do not.
    assert g.targets(run, EdgeKind.OWNS) == {
        "failed-retries-tjjsc-1229492679",
        "failed-retries-tjjsc-759866442",
        "failed-retries-tjjsc-1375221696",
        "failed-retries-tjjsc-2113289837",
    }
    step = g.node(NodeKind.PIPELINE_STEP, "failed-retries-tjjsc-759866442", "default")
    assert step.attrs["display_name"] == "fail(1)"
    assert step.attrs["template"] == "fail"
    assert step.attrs["phase"] == "Failed"
    assert step.attrs["message"] == "failed with exit code 1"


def test_argo_phase_falls_back_to_the_phase_label(fixtures_dir: Path) -> None:
    g = from_files(fixtures_dir / "argo" / "dag_retry_succeeded.yaml")
    run = g.node(NodeKind.PIPELINE_RUN, "dag-with-retries-4wkh8", "default")
    assert run.attrs["phase"] == "Failed"  # status.phase is absent in this stored workflow
    succeeded = g.node(NodeKind.PIPELINE_STEP, "dag-with-retries-4wkh8-2172006682", "default")
    assert (succeeded.attrs["display_name"], succeeded.attrs["phase"]) == ("step1(2)", "Succeeded")


def test_argo_step_outputs_become_artifacts(fixtures_dir: Path) -> None:
    g = from_files(fixtures_dir / "argo" / "dag-exhausted-retries-xfail.yaml")
    uri = "s3://my-bucket/retry-with-dags/retry-with-dags-731586981/main.log"
    log = g.node(NodeKind.ARTIFACT, uri, "")
    # The Retry entry repeats its child's outputs; only the Pod step produces the file.
    assert g.sources(log, EdgeKind.PRODUCES) == {"retry-with-dags-731586981"}
    assert log.attrs["logs"] is True
    assert len(g.names(NodeKind.ARTIFACT)) == 3


def test_kfp_runs(fixtures_dir: Path) -> None:
    g = from_files(fixtures_dir / "kfp")
    # artifacts_simple.yaml is a compiled pipeline, never submitted: no name, so no run.
    assert g.names(NodeKind.PIPELINE_RUN) == {"xgboost-training-gzkm9"}
    run = g.node(NodeKind.PIPELINE_RUN, "xgboost-training-gzkm9", "default")
    assert (run.attrs["phase"], run.attrs["steps"], run.attrs["failed_steps"]) == (
        "Succeeded",
        7,
        1,
    )
    matrix = g.node(NodeKind.PIPELINE_STEP, "xgboost-training-gzkm9-2203328319", "default")
    assert matrix.attrs["display_name"] == "confusionmatrix"
    assert matrix.attrs["phase"] == "Failed"
    assert matrix.attrs["message"] == (
        "Mock backend could not schedule pod; no k8s implementation in Javascript (yet)."
    )
    train = g.node(NodeKind.PIPELINE_STEP, "xgboost-training-gzkm9-2365787662", "default")
    # Its UI metadata file, and the model folder its `output` parameter names.
    assert g.targets(train, EdgeKind.PRODUCES) == {
        "s3://somebucket/model",
        "gs://sample-xgbbost-cm-output/xgboost-training-gzkm9/model",
    }
    # KFP v1's UI files are Argo artifacts; the data moves as URI parameters (the full
    # lineage is in test_lineage_collector).
    artifacts = g.names(NodeKind.ARTIFACT)
    assert {a for a in artifacts if a.startswith("s3://")} == {
        "s3://somebucket/analysis",
        "s3://somebucket/transform",
        "s3://somebucket/model",
        "s3://somebucket/confusionmatrix",
    }
    assert len(artifacts) == 4 + 13


def test_every_fixture_folder_builds_a_consistent_graph(fixtures_dir: Path) -> None:
    for folder in ("k8s", "argo", "kfp"):
        part = inventory_graph(load_manifests(fixtures_dir / folder))
        Graph(part)  # unique ids, edges between known nodes
        assert not [e for e in part.edges if e.kind in (EdgeKind.USES_GPU, EdgeKind.CALLS)]


# --- ownership -----------------------------------------------------------------------------


def test_pod_replicaset_deployment_chain() -> None:
    replicaset = controller("ReplicaSet", "web-7d9f8", owner=("Deployment", "web"))
    replicaset["metadata"]["annotations"] = {"deployment.kubernetes.io/revision": "4"}
    g = graph(
        controller("Deployment", "web", replicas=2),
        replicaset,
        pod("web-7d9f8-abcde", owner=("ReplicaSet", "web-7d9f8")),
        pod("web-7d9f8-fghij", owner=("ReplicaSet", "web-7d9f8")),
    )
    web = g.node(NodeKind.WORKLOAD, "web")
    assert g.targets(web, EdgeKind.OWNS) == {"web-7d9f8-abcde", "web-7d9f8-fghij"}
    assert "web-7d9f8" not in g.names(NodeKind.WORKLOAD)  # ReplicaSets are not nodes
    first = g.node(NodeKind.POD, "web-7d9f8-abcde")
    assert (first.attrs["replicaset"], first.attrs["revision"]) == ("web-7d9f8", "4")
    assert first.attrs["workload_kind"] == "Deployment"


def test_pod_of_an_unread_replicaset_finds_its_deployment_by_template_hash() -> None:
    g = graph(
        controller("Deployment", "api"),
        pod(
            "api-5c6b-x1",
            owner=("ReplicaSet", "api-5c6b"),
            labels={"app": "api", "pod-template-hash": "5c6b"},
        ),
    )
    assert g.targets(g.node(NodeKind.WORKLOAD, "api"), EdgeKind.OWNS) == {"api-5c6b-x1"}
    assert g.names(NodeKind.WORKLOAD) == {"api"}


def test_pod_job_cronjob_chain() -> None:
    g = graph(
        controller("CronJob", "report"),
        controller("Job", "report-28950000", owner=("CronJob", "report")),
        pod(
            "report-28950000-q7x", owner=("Job", "report-28950000"), phase="Succeeded", ready=False
        ),
        # Job not read: the name tells the CronJob, as Istio names the workload.
        pod(
            "report-28950005-a1b", owner=("Job", "report-28950005"), phase="Succeeded", ready=False
        ),
        controller("Job", "migrate"),
        pod("migrate-zz9", owner=("Job", "migrate"), phase="Succeeded", ready=False),
    )
    report = g.node(NodeKind.WORKLOAD, "report")
    assert report.attrs["workload_kind"] == "CronJob"
    assert report.attrs["schedule"] == "*/5 * * * *"
    assert g.targets(report, EdgeKind.OWNS) == {"report-28950000-q7x", "report-28950005-a1b"}
    assert g.node(NodeKind.POD, "report-28950000-q7x").attrs["job"] == "report-28950000"
    assert g.names(NodeKind.WORKLOAD) == {"report", "migrate"}  # a CronJob's Jobs are not nodes
    assert g.targets(g.node(NodeKind.WORKLOAD, "migrate"), EdgeKind.OWNS) == {"migrate-zz9"}
    # Finished batch work is neither dead nor unready.
    assert not report.flags and not g.node(NodeKind.WORKLOAD, "migrate").flags


def test_statefulset_daemonset_and_bare_pods() -> None:
    g = graph(
        controller("StatefulSet", "db", replicas=1),
        pod(
            "db-0",
            owner=("StatefulSet", "db"),
            labels={"app": "db", "controller-revision-hash": "db-6f9"},
        ),
        controller("DaemonSet", "agent", status={"desiredNumberScheduled": 1, "numberReady": 1}),
        pod("agent-x", owner=("DaemonSet", "agent")),
        pod("debug", labels={"run": "debug"}),
    )
    assert g.targets(g.node(NodeKind.WORKLOAD, "db"), EdgeKind.OWNS) == {"db-0"}
    assert g.node(NodeKind.POD, "db-0").attrs["revision"] == "db-6f9"
    assert g.targets(g.node(NodeKind.WORKLOAD, "agent"), EdgeKind.OWNS) == {"agent-x"}
    bare = g.node(NodeKind.WORKLOAD, "debug")
    assert bare.attrs["workload_kind"] == "Pod"
    assert (bare.attrs["replicas"], bare.attrs["ready_replicas"]) == (1, 1)
    assert g.targets(bare, EdgeKind.OWNS) == {"debug"}


def test_workload_known_only_from_its_pods() -> None:
    g = graph(
        pod(
            "cart-6d4-p1",
            owner=("ReplicaSet", "cart-6d4"),
            labels={"app": "cart", "version": "v2", "pod-template-hash": "6d4"},
        )
    )
    cart = g.node(NodeKind.WORKLOAD, "cart")
    assert cart.attrs["workload_kind"] == "Deployment"
    assert cart.labels == {"app": "cart", "version": "v2"}  # per-pod hash label left out
    assert (cart.app, cart.version) == ("cart", "v2")


def test_canonical_app_and_version_follow_istio_precedence() -> None:
    g = graph(
        controller(
            "Deployment",
            "a",
            labels={
                "service.istio.io/canonical-name": "shop",
                "app.kubernetes.io/name": "ignored",
                "app": "ignored",
                "app.kubernetes.io/version": "2.1",
                "version": "ignored",
            },
        ),
        controller("Deployment", "b", labels={"tier": "fe"}),
    )
    a, b = g.node(NodeKind.WORKLOAD, "a"), g.node(NodeKind.WORKLOAD, "b")
    assert (a.app, a.version) == ("shop", "2.1")
    assert (b.app, b.version) == ("b", "latest")


def test_pods_run_on_machines_and_gpus_are_devices_of_machines() -> None:
    gpu_node: KubeObject = {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "name": "gpu-1",
            "labels": {"nvidia.com/gpu.product": "NVIDIA-A100-SXM4-80GB"},
        },
        "spec": {"taints": [{"key": "nvidia.com/gpu", "effect": "NoSchedule"}]},
        "status": {
            "capacity": {"cpu": "96", "memory": "1Gi", "nvidia.com/gpu": "2"},
            "allocatable": {"cpu": "95500m", "memory": "512Mi", "nvidia.com/gpu": "2"},
            "conditions": [{"type": "Ready", "status": "True"}],
        },
    }
    g = graph(
        gpu_node,
        pod("trainer", node="gpu-1", gpus=1, labels={"app": "trainer"}),
        pod("web", node="cpu-9"),
    )
    machine = g.nodes[node_id(NodeKind.MACHINE, "gpu-1")]
    assert machine.attrs["gpu_capacity"] == 2
    assert machine.attrs["cpu_allocatable"] == 95.5
    assert machine.attrs["memory_capacity"] == 1024**3
    assert machine.attrs["gpu_product"] == "NVIDIA-A100-SXM4-80GB"
    assert (machine.attrs["ready"], machine.attrs["taints"]) == (True, 1)
    gpus = [n for n in g.nodes.values() if n.kind is NodeKind.GPU]
    assert sorted(n.id for n in gpus) == ["gpu:Kubernetes/gpu-1/0", "gpu:Kubernetes/gpu-1/1"]
    assert {(n.attrs["machine"], n.attrs["index"], n.attrs["gpu_product"]) for n in gpus} == {
        ("gpu-1", 0, "NVIDIA-A100-SXM4-80GB"),
        ("gpu-1", 1, "NVIDIA-A100-SXM4-80GB"),
    }
    trainer = g.node(NodeKind.POD, "trainer")
    assert trainer.attrs["gpu_requested"] == 1
    assert g.targets(trainer, EdgeKind.RUNS_ON) == {"gpu-1"}
    # A machine named by a pod but not read still gets a node, so the edge has both ends.
    assert g.targets(g.node(NodeKind.POD, "web"), EdgeKind.RUNS_ON) == {"cpu-9"}
    assert g.nodes[node_id(NodeKind.MACHINE, "cpu-9")].attrs["observed"] is False
    assert not [e for e in g.edges if e.kind is EdgeKind.USES_GPU]


# --- selectors and flags -------------------------------------------------------------------


def test_selector_needs_every_label_and_the_same_namespace() -> None:
    g = graph(
        controller("Deployment", "fe-v1", labels={"app": "web", "tier": "fe", "version": "v1"}),
        controller("Deployment", "be", labels={"app": "web", "tier": "be"}),
        controller("Deployment", "fe-elsewhere", "other", labels={"app": "web", "tier": "fe"}),
        pod("bare-fe", labels={"app": "web", "tier": "fe"}),
        service("web-fe", {"app": "web", "tier": "fe"}),
    )
    web = g.node(NodeKind.SERVICE, "web-fe")
    assert g.targets(web, EdgeKind.SELECTS) == {"fe-v1", "bare-fe"}
    assert web.attrs["ports"] == "http-web:80/http"


def test_dead_workloads_and_services() -> None:
    g = graph(
        controller("Deployment", "down", replicas=2, status={"replicas": 2, "readyReplicas": 0}),
        controller("Deployment", "scaled-to-zero", replicas=0, status={"observedGeneration": 3}),
        controller("Deployment", "half", replicas=2, status={"readyReplicas": 1}),
        controller("Deployment", "podless"),  # no status, but pods were listed: none is its
        controller("Deployment", "up"),
        replica("up", "a"),
        service("to-down", {"app": "down"}),
        service("to-nothing", {"app": "gone"}),
        service("to-up", {"app": "up"}),
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": "external", "namespace": "shop"},
            "spec": {"type": "ExternalName", "externalName": "db.example.com"},
        },
    )
    flags = {
        n.name: n.flags for n in g.nodes.values() if n.kind in (NodeKind.WORKLOAD, NodeKind.SERVICE)
    }
    assert flags == {
        "down": {NodeFlag.DEAD},
        "scaled-to-zero": set(),
        "half": {NodeFlag.NOT_READY},
        "podless": {NodeFlag.DEAD},
        "up": set(),
        "to-down": {NodeFlag.DEAD},
        "to-nothing": {NodeFlag.DEAD},
        "to-up": set(),
        "external": set(),
    }


def test_missing_sidecar_in_mesh_namespaces() -> None:
    g = graph(
        namespace("shop", {"istio-injection": "enabled"}),
        namespace("plain", {}),
        namespace("amb", {"istio.io/dataplane-mode": "ambient"}),
        namespace("canary", {"istio.io/rev": "1-24"}),
        pod("meshed", sidecar=True, labels={"app": "meshed"}),
        pod("bypassed", sidecar=False, labels={"app": "bypassed"}),
        controller(
            "Deployment", "opted-out", template_annotations={"sidecar.istio.io/inject": "false"}
        ),
        pod("outside", "plain", labels={"app": "outside"}),
        pod("wants-one", "plain", labels={"app": "w", "sidecar.istio.io/inject": "true"}),
        pod("ztunnel-user", "amb", labels={"app": "z"}),
        pod("rev-pod", "canary", labels={"app": "r"}),
    )
    missing = {n.name for n in g.nodes.values() if NodeFlag.MISSING_SIDECAR in n.flags}
    assert missing == {"bypassed", "opted-out", "wants-one", "rev-pod"}
    assert g.node(NodeKind.POD, "meshed").attrs["sidecar"] is True
    mesh = {
        name: g.nodes[node_id(NodeKind.NAMESPACE, name)].attrs["mesh"]
        for name in ("shop", "plain", "amb", "canary")
    }
    assert mesh == {"shop": True, "plain": False, "amb": True, "canary": True}


def test_restarting_and_not_ready_pods_mark_their_workload() -> None:
    g = graph(
        controller("Deployment", "flappy", replicas=2, labels={"app": "flappy"}),
        replica("flappy", "a", restarts=3, ready=False),
        replica("flappy", "b", restarts=2),
        controller("Deployment", "steady", labels={"app": "steady"}),
        replica("steady", "a", restarts=2),
    )
    crashing = g.node(NodeKind.POD, "flappy-1-a")
    assert crashing.flags == {NodeFlag.RESTARTING, NodeFlag.NOT_READY}
    assert crashing.attrs["restarts"] == 3
    assert crashing.attrs["waiting_reason"] == "CrashLoopBackOff"
    assert crashing.attrs["last_termination_reason"] == "OOMKilled"
    assert g.node(NodeKind.POD, "flappy-1-b").flags == set()
    assert g.node(NodeKind.WORKLOAD, "flappy").flags == {NodeFlag.RESTARTING, NodeFlag.NOT_READY}
    assert g.node(NodeKind.WORKLOAD, "steady").flags == set()


def test_ingress_gateway_is_an_entry_point() -> None:
    gateway = controller(
        "Deployment",
        "istio-ingressgateway",
        "istio-system",
        labels={"app": "istio-ingressgateway", "istio": "ingressgateway"},
    )
    g = graph(gateway, controller("Deployment", "web"))
    assert g.node(NodeKind.WORKLOAD, "istio-ingressgateway", "istio-system").flags == {
        NodeFlag.ENTRY_POINT
    }
    assert g.node(NodeKind.WORKLOAD, "web").flags == set()


# --- namespaces, ids, purity ---------------------------------------------------------------


def test_objects_without_namespace_land_in_default_and_machines_have_none() -> None:
    g = graph(
        controller("Deployment", "web", namespace=None),
        {"apiVersion": "v1", "kind": "Node", "metadata": {"name": "n1"}},
        cluster="east",
    )
    assert g.node(NodeKind.WORKLOAD, "web", "default").id == "workload:east/default/web"
    assert g.nodes["node:east/n1"].namespace == ""
    default = g.nodes["namespace:east/default"]
    assert default.attrs == {"mesh": False, "ambient": False, "revision": "", "observed": False}


def test_the_last_copy_of_an_object_wins_and_input_is_not_modified() -> None:
    old = controller("Deployment", "web", replicas=1)
    new = controller("Deployment", "web", replicas=3)
    objects = ClusterObjects([old, new])
    before = copy.deepcopy(objects.items)
    g = Graph(inventory_graph(objects))
    assert g.node(NodeKind.WORKLOAD, "web").attrs["replicas"] == 3
    assert objects.items == before


# --- serving and pipelines -----------------------------------------------------------------


def isvc(name: str, predictor: dict[str, Any], status: dict[str, Any] | None = None) -> KubeObject:
    obj: KubeObject = {
        "apiVersion": "serving.kserve.io/v1beta1",
        "kind": "InferenceService",
        "metadata": {"name": name, "namespace": "ml"},
        "spec": {"predictor": predictor},
    }
    if status is not None:
        obj["status"] = status
    return obj


def test_inference_service_serves_its_predictor_workload() -> None:
    g = graph(
        isvc(
            "fraud",
            {"model": {"modelFormat": {"name": "xgboost"}, "storageUri": "s3://models/fraud/v3/"}},
            {
                "url": "http://fraud.ml.example.com",
                "conditions": [{"type": "Ready", "status": "False"}],
            },
        ),
        controller("Deployment", "fraud-predictor", "ml", labels={"app": "fraud-predictor"}),
        controller(
            "Deployment",
            "fraud-predictor-00001-deployment",
            "ml",
            labels={"serving.kserve.io/inferenceservice": "fraud", "component": "predictor"},
        ),
        controller(
            "Deployment",
            "fraud-transformer",
            "ml",
            labels={"serving.kserve.io/inferenceservice": "fraud", "component": "transformer"},
        ),
    )
    fraud = g.node(NodeKind.INFERENCE_SERVICE, "fraud", "ml")
    assert g.targets(fraud, EdgeKind.SERVES) == {
        "fraud-predictor",
        "fraud-predictor-00001-deployment",
    }
    assert g.sources(fraud, EdgeKind.SERVES) == {"s3://models/fraud/v3"}
    assert (fraud.attrs["model_format"], fraud.attrs["url"]) == (
        "xgboost",
        "http://fraud.ml.example.com",
    )
    assert fraud.attrs["ready"] is False and NodeFlag.NOT_READY in fraud.flags


def workflow(name: str, status: dict[str, Any], **metadata: Any) -> KubeObject:
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Workflow",
        "metadata": {"name": name, "namespace": "ml", **metadata},
        "spec": {"entrypoint": "main", "templates": []},
        "status": status,
    }


def test_workflow_output_and_inference_service_meet_on_one_artifact() -> None:
    train = workflow(
        "train-8xk2p",
        {
            "phase": "Succeeded",
            "artifactRepositoryRef": {"artifactRepository": {"s3": {"bucket": "ml-artifacts"}}},
            "nodes": {
                "train-8xk2p-1": {
                    "type": "Pod",
                    "displayName": "prepare",
                    "phase": "Succeeded",
                    "inputs": {
                        "artifacts": [
                            {"name": "raw", "gcs": {"bucket": "lake", "key": "events/2026/"}}
                        ]
                    },
                    "outputs": {
                        "artifacts": [{"name": "features", "s3": {"key": "features/train-8xk2p"}}]
                    },
                },
                "train-8xk2p-2": {
                    "type": "Pod",
                    "displayName": "fit",
                    "phase": "Succeeded",
                    "inputs": {
                        "artifacts": [{"name": "features", "s3": {"key": "features/train-8xk2p"}}]
                    },
                    "outputs": {
                        "artifacts": [
                            {"name": "model", "s3": {"bucket": "models", "key": "fraud/v3"}}
                        ]
                    },
                },
            },
        },
        labels={"pipeline/runid": "1b7c-44"},
        annotations={"pipelines.kubeflow.org/run_name": "nightly fraud"},
    )
    g = graph(train, isvc("fraud", {"xgboost": {"storageUri": "s3://models/fraud/v3/"}}))
    run = g.node(NodeKind.PIPELINE_RUN, "train-8xk2p", "ml")
    assert (run.attrs["kfp_run_id"], run.attrs["run_name"]) == ("1b7c-44", "nightly fraud")
    model = g.node(NodeKind.ARTIFACT, "s3://models/fraud/v3", "")
    assert g.sources(model, EdgeKind.PRODUCES) == {"train-8xk2p-2"}
    assert g.targets(model, EdgeKind.SERVES) == {"fraud"}
    features = g.node(NodeKind.ARTIFACT, "s3://ml-artifacts/features/train-8xk2p", "")
    assert g.targets(features, EdgeKind.CONSUMES) == {"train-8xk2p-2"}
    assert g.sources(features, EdgeKind.PRODUCES) == {"train-8xk2p-1"}
    raw = g.node(NodeKind.ARTIFACT, "gs://lake/events/2026", "")
    assert g.targets(raw, EdgeKind.CONSUMES) == {"train-8xk2p-1"}


def test_key_only_artifact_without_repository_keeps_the_key() -> None:
    g = graph(
        workflow(
            "w",
            {
                "nodes": {
                    "w-1": {
                        "type": "Pod",
                        "outputs": {"artifacts": [{"name": "o", "s3": {"key": "out/o.tgz"}}]},
                    }
                }
            },
        )
    )
    assert g.names(NodeKind.ARTIFACT) == {"out/o.tgz"}


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        # Cut short in the middle of its base64: cannot be decoded, so not read either.
        ({"phase": "Running", "compressedNodes": "H4sIAAAAAAAA..."}, "unreadable"),
        ({"phase": "Running", "offloadNodeStatusVersion": "fnv:1234"}, "offloaded"),
    ],
)
def test_compressed_or_offloaded_node_status_is_marked_not_read(
    status: dict[str, Any], expected: str
) -> None:
    g = graph(workflow("big", status))
    run = g.node(NodeKind.PIPELINE_RUN, "big", "ml")
    assert run.attrs["nodes_status"] == expected
    assert "steps" not in run.attrs  # unknown, not zero
    assert g.names(NodeKind.PIPELINE_STEP) == set()


def test_step_owns_the_pod_that_ran_it() -> None:
    step_pod = pod(
        "w-1",
        "ml",
        owner=("Workflow", "w"),
        labels={"workflows.argoproj.io/workflow": "w"},
        annotations={"workflows.argoproj.io/node-id": "w-1"},
        phase="Succeeded",
        ready=False,
    )
    g = graph(workflow("w", {"nodes": {"w-1": {"type": "Pod", "phase": "Succeeded"}}}), step_pod)
    step = g.node(NodeKind.PIPELINE_STEP, "w-1", "ml")
    assert g.targets(step, EdgeKind.OWNS) == {"w-1"}


# --- GPU facts -----------------------------------------------------------------------------


def test_a_mig_machine_counts_its_physical_gpus_and_its_slices() -> None:
    # GPU 3 is in MIG mode (mixed strategy): the device plugin offers 3 whole GPUs and its slices.
    mig_node: KubeObject = {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "name": "gpu-a100-01",
            "labels": {
                "nvidia.com/gpu.product": "NVIDIA-A100-SXM4-40GB",
                "nvidia.com/gpu.count": "4",
            },
        },
        "status": {
            "capacity": {
                "nvidia.com/gpu": "3",
                "nvidia.com/mig-1g.5gb": "2",
                "nvidia.com/mig-2g.10gb": "1",
                "nvidia.com/mig-3g.20gb": "1",
            },
            "allocatable": {
                "nvidia.com/gpu": "3",
                "nvidia.com/mig-1g.5gb": "1",
                "nvidia.com/mig-3g.20gb": "1",
            },
        },
    }
    g = graph(mig_node)
    machine = g.nodes[node_id(NodeKind.MACHINE, "gpu-a100-01")]
    assert (machine.attrs["gpu_capacity"], machine.attrs["gpu_devices"]) == (3, 4)
    assert (machine.attrs["mig_capacity"], machine.attrs["mig_allocatable"]) == (4, 2)
    gpus = sorted(n.id for n in g.nodes.values() if n.kind is NodeKind.GPU)
    assert gpus == [f"gpu:Kubernetes/gpu-a100-01/{index}" for index in range(4)]
    # What the cluster cannot know is left for DCGM to say (the cluster's view wins a merge).
    assert g.nodes[gpus[3]].attrs == {
        "gpu_product": "NVIDIA-A100-SXM4-40GB",
        "machine": "gpu-a100-01",
        "index": 3,
    }


def test_a_machine_without_the_count_label_has_its_capacity_of_devices() -> None:
    plain: KubeObject = {
        "kind": "Node",
        "metadata": {"name": "gpu-l4-01"},
        "status": {"capacity": {"nvidia.com/gpu": "2"}},
    }
    machine = graph(plain).nodes[node_id(NodeKind.MACHINE, "gpu-l4-01")]
    assert (machine.attrs["gpu_devices"], machine.attrs["mig_capacity"]) == (2, 0)


def test_a_pending_gpu_pod_says_what_it_waits_for_and_why() -> None:
    waiting = pod("llm-finetune-sweep-8xk2p", namespace="ml", phase="Pending", ready=False, gpus=4)
    waiting["metadata"]["creationTimestamp"] = "2026-11-25T11:35:00Z"
    waiting["spec"]["nodeSelector"] = {"nvidia.com/gpu.product": "NVIDIA-H100-80GB-HBM3"}
    waiting["status"]["conditions"] = [
        {
            "type": "PodScheduled",
            "status": "False",
            "reason": "Unschedulable",
            "message": "0/5 nodes are available: 1 Insufficient nvidia.com/gpu,\n"
            "  4 node(s) didn't match Pod's node affinity/selector.",
        }
    ]
    running = pod("web-1", namespace="ml")
    running["status"]["conditions"].append({"type": "PodScheduled", "status": "True"})
    g = graph(waiting, running)
    facts = g.node(NodeKind.POD, "llm-finetune-sweep-8xk2p", "ml").attrs
    assert facts["gpu_requested"] == 4
    assert (facts["mig_requested"], facts["mig_profile_requested"]) == (0, "")
    assert facts["gpu_product_wanted"] == "NVIDIA-H100-80GB-HBM3"
    assert facts["scheduling_message"] == (
        "0/5 nodes are available: 1 Insufficient nvidia.com/gpu, "
        "4 node(s) didn't match Pod's node affinity/selector."
    )
    assert facts["created"] == "2026-11-25T11:35:00Z"
    web = g.node(NodeKind.POD, "web-1", "ml").attrs
    assert (web["scheduling_message"], web["gpu_product_wanted"], web["created"]) == ("", "", "")


def test_mig_requests_come_from_limits_else_requests() -> None:
    notebook = pod("bob-0", namespace="team")
    notebook["spec"]["containers"][0]["resources"] = {
        "limits": {"nvidia.com/mig-1g.5gb": 1, "cpu": "2"},
        "requests": {"nvidia.com/mig-1g.5gb": 1, "cpu": "1"},
    }
    notebook["spec"]["containers"].append(
        {"name": "helper", "resources": {"requests": {"nvidia.com/mig-2g.10gb": "2"}}}
    )
    facts = graph(notebook).node(NodeKind.POD, "bob-0", "team").attrs
    assert (facts["gpu_requested"], facts["mig_requested"]) == (0, 3)
    assert facts["mig_profile_requested"] == "1g.5gb,2g.10gb"
