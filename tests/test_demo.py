"""The built-in demo platform: deterministic, realistic, and its incidents visible in the data."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import numpy as np
import pytest

from collectors.cluster import KubeObject
from collectors.demo import DEMO_END, DemoData, generate_demo
from collectors.gpu_queries import ALL_GPU_QUERIES, DCGM_QUERIES, KSM_QUERIES
from collectors.ids import node_id, parse_node_id
from collectors.istio_queries import ALL_QUERIES, INSTANT_QUERIES, RANGE_QUERIES
from collectors.kinds import FaultKind, NodeKind
from collectors.model import Incident
from collectors.prom import MetricsResults, RangeSeries

WORKLOAD_KINDS = ("Deployment", "StatefulSet", "Job", "DaemonSet")


@pytest.fixture(scope="module")
def demo() -> DemoData:
    return generate_demo()


def of_kind(data: DemoData, kind: str) -> list[KubeObject]:
    return list(data.objects.of_kind(kind))


def find(data: DemoData, kind: str, name: str, namespace: str = "") -> KubeObject:
    for obj in data.objects.of_kind(kind):
        meta = obj["metadata"]
        if meta["name"] == name and (not namespace or meta.get("namespace") == namespace):
            return obj
    raise AssertionError(f"no {kind} {namespace}/{name}")


def incident(data: DemoData, kind: FaultKind) -> Incident:
    return next(i for i in data.incidents if i.kind is kind)


def series(data: DemoData, key: str, **labels: str) -> Iterator[RangeSeries]:
    for found in data.metrics.range[key]:
        if all(found.labels.get(k) == v for k, v in labels.items()):
            yield found


def summed(found: Iterator[RangeSeries], data: DemoData) -> np.ndarray:
    """Sum range series onto the full timeline (missing points count as 0)."""
    start = int(data.metrics.start.timestamp())
    total = np.zeros(len(data.metrics.range["series_requests"][0].timestamps))
    for one in found:
        total[(one.timestamps - start) // data.metrics.step_seconds] += one.values
    return total


def window(data: DemoData, start: Any, end: Any) -> slice:
    """Range-point indices from ``start`` to ``end`` (datetimes)."""
    first = data.metrics.start
    step = data.metrics.step_seconds
    return slice(int((start - first).total_seconds() // step),
                 int((end - first).total_seconds() // step))  # fmt: skip


def metrics_equal(a: MetricsResults, b: MetricsResults) -> bool:
    if a.instant.keys() != b.instant.keys() or a.range.keys() != b.range.keys():
        return False
    for key in a.instant:
        left, right = a.instant[key], b.instant[key]
        if [s.labels for s in left] != [s.labels for s in right]:
            return False
        if not np.array_equal([s.value for s in left], [s.value for s in right], equal_nan=True):
            return False
    for key in a.range:
        for x, y in zip(a.range[key], b.range[key], strict=True):
            if x.labels != y.labels or not np.array_equal(x.timestamps, y.timestamps):
                return False
            if not np.array_equal(x.values, y.values, equal_nan=True):
                return False
    return True


def test_same_seed_gives_identical_output_and_another_seed_differs(demo: DemoData) -> None:
    again = generate_demo(seed=7)
    assert again.objects.items == demo.objects.items
    assert metrics_equal(again.metrics, demo.metrics)
    assert again.incidents == demo.incidents
    other = generate_demo(seed=8)
    assert other.objects.items != demo.objects.items
    assert not metrics_equal(other.metrics, demo.metrics)


def test_platform_has_the_namespaces_and_workloads_asked_for(demo: DemoData) -> None:
    namespaces = {ns["metadata"]["name"]: ns for ns in of_kind(demo, "Namespace")}
    assert {"boutique", "bookinfo", "istio-system", "ml-platform"} <= set(namespaces)
    for name in ("boutique", "bookinfo", "ml-platform"):
        assert namespaces[name]["metadata"]["labels"]["istio-injection"] == "enabled"
    kinds = Counter(o["kind"] for o in demo.objects.items if o["kind"] in WORKLOAD_KINDS)
    assert sum(kinds.values()) >= 30
    assert kinds["StatefulSet"] >= 3 and kinds["Job"] >= 1 and kinds["DaemonSet"] >= 1
    boutique = {d["metadata"]["name"] for d in of_kind(demo, "Deployment")
                if d["metadata"]["namespace"] == "boutique"}  # fmt: skip
    assert {"frontend", "cartservice", "checkoutservice", "loadgenerator",
            "shoppingassistantservice"} <= boutique  # fmt: skip
    assert find(demo, "StatefulSet", "redis-cart", "boutique")
    for name in ("productpage-v1", "details-v1", "ratings-v1", "reviews-v1", "reviews-v2",
                 "reviews-v3"):  # fmt: skip
        assert find(demo, "Deployment", name, "bookinfo")
    for name in ("istiod", "istio-ingressgateway", "istio-egressgateway"):
        assert find(demo, "Deployment", name, "istio-system")
    assert not of_kind(demo, "Secret")


def test_services_keep_the_real_ports_and_port_names(demo: DemoData) -> None:
    def ports(name: str, namespace: str) -> list[tuple[str, int, int]]:
        spec = find(demo, "Service", name, namespace)["spec"]
        return [(p["name"], p["port"], p["targetPort"]) for p in spec["ports"]]

    assert ports("frontend", "boutique") == [("http", 80, 8080)]
    assert ports("emailservice", "boutique") == [("grpc", 5000, 8080)]
    assert ports("redis-cart", "boutique") == [("tcp-redis", 6379, 6379)]
    assert ports("reviews", "bookinfo") == [("http", 9080, 9080)]
    env = find(demo, "Deployment", "frontend", "boutique")["spec"]["template"]["spec"]
    variables = {e["name"]: e["value"] for e in env["containers"][0]["env"]}
    assert variables["PRODUCT_CATALOG_SERVICE_ADDR"] == "productcatalogservice:3550"


def test_traffic_covers_protocols_and_many_call_paths(demo: DemoData) -> None:
    requests = demo.metrics.instant["requests"]
    assert {s.labels["request_protocol"] for s in requests} == {"http", "grpc"}
    tcp = demo.metrics.instant["tcp_sent_bytes"]
    assert {s.labels["request_protocol"] for s in tcp} == {"tcp"}
    assert any(s.labels["destination_workload"] == "redis-cart" for s in tcp)
    paths = {(s.labels["source_workload"], s.labels["destination_workload"]) for s in requests}
    assert len(paths) >= 40
    assert ("productpage-v1", "reviews-v1") in paths
    assert ("reviews-v2", "ratings-v1") in paths
    assert not any(src == "reviews-v1" and dst == "ratings-v1" for src, dst in paths)
    # The 80/20 VirtualService leaves reviews-v3 without traffic.
    assert not any("reviews-v3" in path for path in paths)
    assert {s.labels["response_code"] for s in requests} >= {"200", "302"}  # 3xx are normal


def test_every_query_is_answered_with_prometheus_shaped_labels(demo: DemoData) -> None:
    assert set(demo.metrics.instant) == {q.key for q in (*INSTANT_QUERIES, *KSM_QUERIES)}
    assert set(demo.metrics.range) == {q.key for q in (*RANGE_QUERIES, *DCGM_QUERIES)}
    assert not demo.metrics.failed
    answers: list[tuple[str, list[dict[str, str]]]] = [
        *((k, [s.labels for s in v]) for k, v in demo.metrics.instant.items()),
        *((k, [s.labels for s in v]) for k, v in demo.metrics.range.items()),
    ]
    for key, label_sets in answers:
        query = ALL_QUERIES.get(key) or ALL_GPU_QUERIES[key]
        allowed = {"reporter", *query.group_by}
        assert label_sets, key
        for labels in label_sets:
            assert set(labels) <= allowed, key
            assert all(labels.values()), key  # Prometheus drops empty labels
    for sample in demo.metrics.instant["requests"]:
        labels = sample.labels
        grpc = labels["request_protocol"] == "grpc"
        assert ("grpc_response_status" in labels) == grpc
        if labels["reporter"] == "source":
            assert labels["connection_security_policy"] == "unknown"
        else:
            assert labels["connection_security_policy"] in ("mutual_tls", "none")
        name, namespace = (
            labels["destination_service_name"],
            labels["destination_service_namespace"],
        )
        if "." not in name:
            assert labels["destination_service"] == f"{name}.{namespace}.svc.cluster.local"


def test_range_series_cover_six_hours_at_fifteen_seconds(demo: DemoData) -> None:
    start, end = demo.metrics.start, demo.metrics.end
    assert end == DEMO_END and demo.metrics.step_seconds == 15
    assert end - start == timedelta(seconds=15 * 1439)
    expected = int(start.timestamp()) + 15 * np.arange(1440)
    steady = [s for s in demo.metrics.range["series_requests"]
              if s.labels["destination_workload"] != "unknown"]  # fmt: skip
    assert steady
    for found in steady:
        assert np.array_equal(found.timestamps, expected), found.labels
        assert len(found.values) == 1440


def test_both_reporters_where_both_proxies_exist(demo: DemoData) -> None:
    reporters: dict[tuple[str, str], set[str]] = {}
    for s in demo.metrics.instant["requests"]:
        path = (s.labels["source_workload"], s.labels["destination_workload"])
        reporters.setdefault(path, set()).add(s.labels["reporter"])
    assert reporters[("istio-ingressgateway", "frontend")] == {"source", "destination"}
    assert reporters[("frontend", "cartservice")] == {"source", "destination"}
    # No sidecar on the load generator: only frontend's proxy reports, naming no source.
    assert reporters[("unknown", "frontend")] == {"destination"}
    loadgen = [p for p in of_kind(demo, "Pod") if p["metadata"]["labels"]["app"] == "loadgenerator"]
    assert loadgen and all(
        "istio-proxy" not in {c["name"] for c in p["spec"]["containers"]} for p in loadgen
    )
    frontend = [p for p in of_kind(demo, "Pod") if p["metadata"]["labels"]["app"] == "frontend"]
    assert all("istio-proxy" in {c["name"] for c in p["spec"]["containers"]} for p in frontend)


def test_external_payment_api_is_reached_through_the_egress_gateway(demo: DemoData) -> None:
    entry = find(demo, "ServiceEntry", "payments-api", "boutique")
    (host,) = entry["spec"]["hosts"]
    out = [s for s in demo.metrics.instant["requests"]
           if s.labels["destination_service_name"] == host]  # fmt: skip
    assert out
    for sample in out:
        assert sample.labels["reporter"] == "source"
        assert sample.labels["source_workload"] == "istio-egressgateway"
        assert sample.labels["destination_workload"] == "unknown"
    googleapis = find(demo, "ServiceEntry", "allow-egress-googleapis", "boutique")
    assert "*.googleapis.com" in googleapis["spec"]["hosts"]


def test_istio_config_mirrors_the_bookinfo_samples(demo: DemoData) -> None:
    reviews = find(demo, "VirtualService", "reviews", "bookinfo")["spec"]["http"][0]["route"]
    assert [(r["destination"]["subset"], r["weight"]) for r in reviews] == [("v1", 80), ("v2", 20)]
    rule = find(demo, "DestinationRule", "reviews", "bookinfo")["spec"]
    assert rule["trafficPolicy"]["tls"]["mode"] == "ISTIO_MUTUAL"
    assert [s["name"] for s in rule["subsets"]] == ["v1", "v2", "v3"]
    gateway = find(demo, "Gateway", "bookinfo-gateway", "bookinfo")["spec"]
    assert gateway["selector"] == {"istio": "ingressgateway"}


def test_model_servers_load_what_pipelines_produced_on_gpu_nodes(demo: DemoData) -> None:
    services = of_kind(demo, "InferenceService")
    assert len(services) >= 2
    assert {s["apiVersion"] for s in services} == {"serving.kserve.io/v1beta1"}
    uris = {}
    for isvc in services:
        predictor = isvc["spec"]["predictor"]
        if "model" in predictor:
            uris[isvc["metadata"]["name"]] = predictor["model"]["storageUri"]
        else:  # the older per-framework form
            (spec,) = [v for v in predictor.values() if isinstance(v, dict) and "storageUri" in v]
            uris[isvc["metadata"]["name"]] = spec["storageUri"]
    assert any("model" in s["spec"]["predictor"] for s in services)
    assert any("model" not in s["spec"]["predictor"] for s in services)

    outputs = set()
    for flow in of_kind(demo, "Workflow"):
        assert flow["metadata"]["labels"]["pipeline/runid"]
        assert flow["metadata"]["annotations"]["pipelines.kubeflow.org/run_name"]
        for node in flow["status"]["nodes"].values():
            for artifact in node.get("outputs", {}).get("artifacts", []):
                outputs.add(f"s3://{artifact['s3']['bucket']}/{artifact['s3']['key']}")
    assert set(uris.values()) <= outputs

    nodes = {n["metadata"]["name"]: n for n in of_kind(demo, "Node")}
    products = {n["metadata"]["labels"].get("nvidia.com/gpu.product") for n in nodes.values()}
    assert {"NVIDIA-H100-80GB-HBM3", "NVIDIA-A100-SXM4-40GB", "NVIDIA-L4"} <= products
    for name in uris:
        deployment = find(demo, "Deployment", f"{name}-predictor", "ml-platform")
        assert deployment["metadata"]["ownerReferences"][0]["kind"] == "InferenceService"
        limits = deployment["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"]
        assert int(limits["nvidia.com/gpu"]) >= 1
        pods = [
            p
            for p in of_kind(demo, "Pod")
            if p["metadata"]["labels"].get("serving.kserve.io/inferenceservice") == name
        ]
        assert pods  # fmt: skip
        for pod in pods:
            assert int(nodes[pod["spec"]["nodeName"]]["status"]["allocatable"]["nvidia.com/gpu"])


def test_gpu_requests_fit_on_their_nodes(demo: DemoData) -> None:
    used: Counter[str] = Counter()
    for pod in of_kind(demo, "Pod"):
        if pod["status"]["phase"] in ("Succeeded", "Failed"):  # the scheduler counts them out
            continue
        for container in pod["spec"]["containers"]:
            used[pod["spec"].get("nodeName", "")] += int(
                container["resources"].get("requests", {}).get("nvidia.com/gpu", 0)
            )
    for node in of_kind(demo, "Node"):
        allocatable = int(node["status"]["allocatable"].get("nvidia.com/gpu", 0))
        assert used[node["metadata"]["name"]] <= allocatable
    assert used["gpu-h100-01"] >= 4  # the training job


def test_pods_are_owned_scheduled_and_injected_like_a_cluster_does(demo: DemoData) -> None:
    by_uid = {o["metadata"]["uid"]: o for o in demo.objects.items}
    nodes = {n["metadata"]["name"] for n in of_kind(demo, "Node")}
    injected = {
        n["metadata"]["name"]
        for n in of_kind(demo, "Namespace")
        if n["metadata"].get("labels", {}).get("istio-injection") == "enabled"
    }
    for pod in of_kind(demo, "Pod"):  # fmt: skip
        if pod["status"]["phase"] == "Pending":  # the GPU sweep no node can take
            assert "nodeName" not in pod["spec"] and "containerStatuses" not in pod["status"]
            continue
        assert pod["spec"]["nodeName"] in nodes
        (ref,) = pod["metadata"]["ownerReferences"]
        owner = by_uid[ref["uid"]]
        if owner["kind"] == "ReplicaSet":
            assert by_uid[owner["metadata"]["ownerReferences"][0]["uid"]]["kind"] == "Deployment"
        opted_out = pod["metadata"].get("annotations", {}).get("sidecar.istio.io/inject")
        has_proxy = "istio-proxy" in {c["name"] for c in pod["spec"]["containers"]}
        gateway = pod["metadata"]["labels"].get("istio") in ("ingressgateway", "egressgateway")
        expected = (pod["metadata"]["namespace"] in injected and opted_out != "false") or gateway
        assert has_proxy == expected, pod["metadata"]["name"]
        assert pod["status"]["containerStatuses"]
        assert pod["metadata"]["labels"]["app"]
    redis = [p for p in of_kind(demo, "Pod") if p["metadata"]["name"] == "redis-cart-0"]
    assert redis[0]["metadata"]["ownerReferences"][0]["kind"] == "StatefulSet"


def test_incidents_are_varied_and_rooted_in_real_workloads(demo: DemoData) -> None:
    kinds = {i.kind for i in demo.incidents}
    assert {FaultKind.BAD_ROLLOUT, FaultKind.LATENCY, FaultKind.GPU_MEMORY,
            FaultKind.FAULT_INJECTION, FaultKind.CRASH_LOOP} <= kinds  # fmt: skip
    workloads = {node_id(NodeKind.WORKLOAD, o["metadata"]["name"], o["metadata"]["namespace"])
                 for o in demo.objects.items if o["kind"] in WORKLOAD_KINDS}  # fmt: skip
    for found in demo.incidents:
        assert parse_node_id(found.root_cause)[0] is NodeKind.WORKLOAD
        assert found.root_cause in workloads
        assert found.root_cause in found.affected
        assert set(found.affected) <= workloads
        assert "\n" not in found.summary
        assert demo.metrics.start <= found.start < demo.metrics.end
        assert found.end is None or found.start < found.end < demo.metrics.end
    assert sum(i.end is None for i in demo.incidents) >= 2
    assert sum(i.end is not None for i in demo.incidents) >= 2


def _share(errors: np.ndarray, total: np.ndarray, part: slice) -> float:
    return float(errors[part].sum() / max(total[part].sum(), 1e-9))


def test_bad_rollout_returns_5xx_that_cascade_upstream(demo: DemoData) -> None:
    bad = incident(demo, FaultKind.BAD_ROLLOUT)
    assert bad.end is not None
    name = parse_node_id(bad.root_cause)[3]
    onset = bad.start + timedelta(minutes=2)
    before, during = window(demo, demo.metrics.start, bad.start), window(demo, onset, bad.end)
    # The bad version fails over half its requests; its callers fail a part of theirs.
    for workload, least in ((name, 0.4), ("reviews-v2", 0.1), ("productpage-v1", 0.01)):
        errors = summed(series(demo, "series_errors", destination_workload=workload,
                               reporter="destination"), demo)  # fmt: skip
        total = summed(series(demo, "series_requests", destination_workload=workload,
                              reporter="destination"), demo)  # fmt: skip
        assert _share(errors, total, before) == 0.0, workload
        assert _share(errors, total, during) > least, workload
    sets = [rs for rs in of_kind(demo, "ReplicaSet")
            if rs["metadata"]["ownerReferences"][0]["name"] == name]  # fmt: skip
    assert len(sets) >= 2
    created = {rs["metadata"]["creationTimestamp"] for rs in sets}
    assert bad.start.strftime("%Y-%m-%dT%H:%M:%SZ") in created
    scaled = [e for e in of_kind(demo, "Event") if e["reason"] == "ScalingReplicaSet"
              and e["involvedObject"]["name"] == name]  # fmt: skip
    assert any(e["firstTimestamp"] == bad.start.strftime("%Y-%m-%dT%H:%M:%SZ") for e in scaled)


def _median_p95(data: DemoData, workload: str, part: slice) -> float:
    (found,) = series(data, "series_node_latency_p95", destination_workload=workload)
    return float(np.nanmedian(found.values[part]))


def test_saturated_database_slows_its_callers(demo: DemoData) -> None:
    slow = incident(demo, FaultKind.LATENCY)
    assert slow.end is not None
    assert parse_node_id(slow.root_cause)[3] == "redis-cart"
    before = window(demo, demo.metrics.start, slow.start)
    during = window(demo, slow.start + timedelta(minutes=5), slow.end)
    # Latency adds up along the graph: most for the direct client, less further up.
    for caller, factor in (("cartservice", 3.0), ("checkoutservice", 1.2), ("frontend", 1.2)):
        slower = _median_p95(demo, caller, during) / _median_p95(demo, caller, before)
        assert slower > factor, caller
    assert node_id(NodeKind.WORKLOAD, "cartservice", "boutique") in slow.affected


def test_model_server_latency_climbs_with_gpu_memory(demo: DemoData) -> None:
    gpu = incident(demo, FaultKind.GPU_MEMORY)
    name = parse_node_id(gpu.root_cause)[3]
    before = window(demo, demo.metrics.start, gpu.start)
    last = window(demo, demo.metrics.end - timedelta(minutes=15), demo.metrics.end)
    assert _median_p95(demo, name, last) > 3 * _median_p95(demo, name, before)
    pod = next(p for p in of_kind(demo, "Pod") if p["metadata"]["name"].startswith(name))
    assert pod["spec"]["nodeName"].startswith("gpu-")


def test_fault_injection_rule_aborts_with_555_fi(demo: DemoData) -> None:
    fault = incident(demo, FaultKind.FAULT_INJECTION)
    assert fault.end is None
    rule = find(demo, "VirtualService", "details", "bookinfo")["spec"]["http"][0]["fault"]
    assert rule["abort"]["httpStatus"] == 555
    aborted = [s for s in demo.metrics.instant["requests"] if s.labels["response_flags"] == "FI"]
    assert aborted and all(s.labels["response_code"] == "555" for s in aborted)
    assert all(s.labels["reporter"] == "source" for s in aborted)
    assert {s.labels["destination_service_name"] for s in aborted} == {"details"}
    share = sum(s.value for s in aborted) / sum(
        s.value for s in demo.metrics.instant["requests"]
        if s.labels["source_workload"] == "productpage-v1" and s.labels["reporter"] == "source"
        and s.labels["destination_service_name"] == "details"
    )  # fmt: skip
    assert share == pytest.approx(rule["abort"]["percentage"]["value"] / 100, abs=0.05)


def test_crash_looping_pod_fails_its_callers_with_upstream_flags(demo: DemoData) -> None:
    crash = incident(demo, FaultKind.CRASH_LOOP)
    assert crash.end is None
    _, _, namespace, name = parse_node_id(crash.root_cause)
    pod = next(p for p in of_kind(demo, "Pod") if p["metadata"]["namespace"] == namespace
               and p["metadata"]["labels"]["app"] == name)  # fmt: skip
    status = pod["status"]["containerStatuses"][0]
    assert status["restartCount"] > 3
    assert status["lastState"]["terminated"]["reason"] == "OOMKilled"
    assert status["state"].get("waiting", {}).get("reason") == "CrashLoopBackOff"
    assert not status["ready"]
    flags = {
        s.labels["response_flags"]
        for s in demo.metrics.instant["requests"]
        if s.labels["destination_service_name"] == name and s.labels["response_code"] == "503"
    }
    assert flags >= {"UH", "URX"} and flags <= {"UH", "URX", "UF"}  # fmt: skip
    backoff = [e for e in of_kind(demo, "Event") if e["reason"] == "BackOff"]
    assert backoff and backoff[0]["involvedObject"]["name"] == pod["metadata"]["name"]


def test_counter_streams_are_whole_growing_and_consistent(demo: DemoData) -> None:
    family = demo.streams.family("istio_requests_total")
    assert demo.streams.family("istio_tcp_sent_bytes_total") is not family
    rows = np.arange(min(50, family.labels.size))
    requests = family.counters("istio_requests_total", rows)[:, 0, :]
    buckets = family.counters("istio_request_duration_milliseconds_bucket", rows)
    assert np.array_equal(buckets[:, -1, :], requests)  # +Inf counts every request
    assert (np.diff(buckets, axis=1) >= 0).all()  # cumulative over le
    for row in rows:
        alive = requests[row, family.birth[row] :]
        assert (np.diff(alive) >= 0).all() and (alive == np.floor(alive)).all()
        assert alive[0] >= 1
    assert family.labels.row(0)["reporter"] in ("source", "destination")


def test_scaling_adds_tenants_with_layered_traffic() -> None:
    data = generate_demo(workloads=300, hours=1.0)
    workloads = [o for o in data.objects.items if o["kind"] in WORKLOAD_KINDS]
    assert len(workloads) >= 300
    tenants = {o["metadata"]["namespace"] for o in workloads
               if o["metadata"]["namespace"].startswith("tenant-")}  # fmt: skip
    assert len(tenants) >= 10
    requests = data.metrics.instant["requests"]
    entered = {s.labels["destination_workload_namespace"] for s in requests
               if s.labels["source_workload"] == "istio-ingressgateway"}  # fmt: skip
    assert tenants <= entered
    tenant_tcp = [
        s
        for s in data.metrics.instant["tcp_sent_bytes"]
        if s.labels["destination_service_namespace"].startswith("tenant-")
    ]
    assert tenant_tcp  # fmt: skip
    assert len(data.metrics.range["series_requests"][0].timestamps) == 240
    assert not math.isnan(sum(s.value for s in requests))
