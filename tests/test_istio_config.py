"""Istio configuration on the graph: which services and workloads get which badges and facts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from collectors.cluster import ClusterObjects, KubeObject
from collectors.ids import node_id
from collectors.inventory import inventory_graph
from collectors.inventory.istio_config import ISTIO_ATTRS, ISTIO_FLAG_WORDS
from collectors.kinds import NodeFlag, NodeKind
from collectors.model import Node, Snapshot
from collectors.sources.manifests import load_manifests

VS = NodeFlag.VIRTUAL_SERVICE
TS = NodeFlag.TRAFFIC_SHIFT
FI = NodeFlag.FAULT_INJECTION
ISTIO_FLAGS = frozenset(ISTIO_FLAG_WORDS)


class Graph:
    """Nodes of an inventory graph by kind, namespace and name."""

    def __init__(self, objects: list[KubeObject]) -> None:
        self.nodes = {node.id: node for node in inventory_graph(ClusterObjects(objects)).nodes}

    def service(self, name: str, namespace: str = "shop") -> Node:
        return self.nodes[node_id(NodeKind.SERVICE, name, namespace)]

    def workload(self, name: str, namespace: str = "shop") -> Node:
        return self.nodes[node_id(NodeKind.WORKLOAD, name, namespace)]


def badges(node: Node) -> set[NodeFlag]:
    return node.flags & ISTIO_FLAGS


# --- hand-made objects ---------------------------------------------------------------------


def app(
    name: str, namespace: str = "shop", *, labels: dict[str, str] | None = None
) -> list[KubeObject]:
    """A Deployment ``<name>-v1`` and the Service ``<name>`` selecting it by ``app``."""
    pod_labels = {"app": name, "version": "v1", **(labels or {})}
    deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": f"{name}-v1", "namespace": namespace},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": pod_labels},
            "template": {
                "metadata": {"labels": pod_labels},
                "spec": {"containers": [{"name": name, "image": f"example/{name}:1"}]},
            },
        },
    }
    service = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {"selector": {"app": name}, "ports": [{"name": "http", "port": 80}]},
    }
    return [deployment, service]


def istio(
    kind: str, name: str, namespace: str | None, spec: Any, *, created: str = ""
) -> KubeObject:
    group = "security" if kind == "PeerAuthentication" else "networking"
    meta: dict[str, Any] = {"name": name}
    if namespace is not None:
        meta["namespace"] = namespace
    if created:
        meta["creationTimestamp"] = created
    return {"apiVersion": f"{group}.istio.io/v1", "kind": kind, "metadata": meta, "spec": spec}


def to(host: str, subset: str = "", weight: int | None = None) -> dict[str, Any]:
    destination: dict[str, Any] = {"host": host}
    if subset:
        destination["subset"] = subset
    found: dict[str, Any] = {"destination": destination}
    if weight is not None:
        found["weight"] = weight
    return found


def virtual_service(
    name: str, hosts: list[str], http: list[dict[str, Any]], namespace: str = "shop", **spec: Any
) -> KubeObject:
    return istio("VirtualService", name, namespace, {"hosts": hosts, "http": http, **spec})


def one_route(host: str, **features: Any) -> KubeObject:
    """A VirtualService for ``host`` in shop whose one HTTP route has these features."""
    return virtual_service(host, [host], [{"route": [to(host)], **features}])


# --- the Bookinfo samples ------------------------------------------------------------------


def bookinfo(fixtures_dir: Path, *networking: str) -> Graph:
    objects = ClusterObjects()
    objects.extend(load_manifests(fixtures_dir / "k8s" / "bookinfo.yaml").items)
    for name in networking:
        path = fixtures_dir / "k8s" / "bookinfo-networking" / name
        objects.extend(load_manifests(path).items)
    return Graph(objects.items)


def test_bookinfo_reviews_80_20_shifts_traffic_on_the_service_and_all_its_workloads(
    fixtures_dir: Path,
) -> None:
    g = bookinfo(fixtures_dir, "virtual-service-reviews-80-20.yaml")
    for node in (
        g.service("reviews", "default"),
        *(g.workload(f"reviews-{v}", "default") for v in ("v1", "v2", "v3")),
    ):
        assert badges(node) == {VS, TS}, node.id
        assert node.attrs["istio_traffic_shift"] == "v1 80% · v2 20%"
        assert node.attrs["istio_virtual_services"] == "reviews"
    assert badges(g.service("ratings", "default")) == set()
    assert "istio_traffic_shift" not in g.workload("ratings-v1", "default").attrs


def test_bookinfo_ratings_abort_and_delay_only_for_jason(fixtures_dir: Path) -> None:
    for sample, fault in (
        ("abort", "abort 500 for 100% of requests"),
        ("delay", "delay 7s for 100% of requests"),
    ):
        g = bookinfo(fixtures_dir, f"virtual-service-ratings-test-{sample}.yaml")
        for node in (g.service("ratings", "default"), g.workload("ratings-v1", "default")):
            assert badges(node) == {VS, FI}
            assert node.attrs["istio_fault"] == f"{fault} when end-user exact jason"
            assert node.attrs["istio_virtual_services"] == "ratings"  # named once, two routes
        assert FI not in g.service("reviews", "default").flags


def test_bookinfo_details_fault_applies_to_every_request(fixtures_dir: Path) -> None:
    g = bookinfo(fixtures_dir, "fault-injection-details-v1.yaml")
    details = g.service("details", "default")
    assert badges(details) == {VS, FI}
    assert details.attrs["istio_fault"] == "abort 555 for 100% of requests"
    assert g.workload("details-v1", "default").attrs["istio_fault"] == details.attrs["istio_fault"]
    # The file's own DestinationRule (subsets only) sets no TLS mode.
    assert details.attrs["istio_destination_rule"] == "details"
    assert "istio_client_tls" not in details.attrs


def test_bookinfo_mtls_rules_set_client_tls_and_the_gateway_route_marks_productpage_only(
    fixtures_dir: Path,
) -> None:
    g = bookinfo(fixtures_dir, "destination-rule-all-mtls.yaml", "bookinfo-gateway.yaml")
    for name in ("productpage", "reviews", "ratings", "details"):
        assert g.service(name, "default").attrs["istio_client_tls"] == "ISTIO_MUTUAL"
        assert NodeFlag.CIRCUIT_BREAKER not in g.service(name, "default").flags
    assert g.workload("reviews-v2", "default").attrs["istio_client_tls"] == "ISTIO_MUTUAL"
    # "*" in a gateway-bound VirtualService names what the gateway serves, not mesh services.
    assert badges(g.service("productpage", "default")) == {VS}
    assert g.workload("productpage-v1", "default").attrs["istio_virtual_services"] == "bookinfo"
    for name in ("reviews", "ratings", "details"):
        assert badges(g.service(name, "default")) == set()
    # No PeerAuthentication in the samples: Istio's default.
    assert g.workload("reviews-v1", "default").attrs["istio_mtls"] == "PERMISSIVE"
    assert g.service("reviews", "default").attrs["istio_mtls"] == "PERMISSIVE"


# --- host names ----------------------------------------------------------------------------


@pytest.mark.parametrize("host", ["web", "web.shop", "web.shop.svc", "WEB.shop.svc.cluster.local"])
def test_every_way_of_naming_a_service_reaches_it(host: str) -> None:
    g = Graph([*app("web"), virtual_service("web", [host], [{"route": [to(host)]}])])
    assert badges(g.service("web")) == {VS}


def test_a_short_name_is_read_in_the_rules_namespace() -> None:
    g = Graph(
        [
            *app("web"),
            *app("web", "other"),
            virtual_service("web", ["web"], [{"route": [to("web")], "timeout": "3s"}], "other"),
        ]
    )
    assert badges(g.service("web", "other")) == {VS, NodeFlag.TIMEOUT}
    assert badges(g.service("web")) == set()
    assert "istio_timeout" not in g.workload("web-v1").attrs


def test_names_outside_the_cluster_reach_no_service() -> None:
    g = Graph([*app("web"), one_route("web.example.com", timeout="3s")])
    assert badges(g.service("web")) == set()


def test_wildcard_hosts_cover_the_services_under_them() -> None:
    objects = [*app("web"), *app("api"), *app("db", "data")]
    g = Graph([*objects, virtual_service("all", ["*.shop.svc.cluster.local"], [{
        "route": [to("web")], "retries": {"attempts": 2}}])])  # fmt: skip
    assert badges(g.service("web")) == badges(g.service("api")) == {VS, NodeFlag.RETRIES}
    assert g.workload("api-v1").attrs["istio_retries"] == "2 attempts"
    assert badges(g.service("db", "data")) == set()
    g = Graph([*objects, virtual_service("all", ["*"], [{"route": [to("web")]}], "data")])
    assert all(badges(g.service(*where)) == {VS} for where in [("web",), ("db", "data")])


def test_a_gateway_only_route_marks_its_destinations_not_its_hosts() -> None:
    objects = [*app("web"), *app("api")]
    route = {"route": [to("web")], "fault": {"delay": {"fixedDelay": "2s",
             "percentage": {"value": 10}}}}  # fmt: skip
    g = Graph([*objects, virtual_service("edge", ["api.shop"], [route], gateways=["edge-gw"])])
    assert g.service("web").attrs["istio_fault"] == "delay 2s for 10% of requests"
    assert badges(g.service("api")) == set()
    # Bound to the mesh as well, its hosts are reached too ...
    both = ["edge-gw", "mesh"]
    g = Graph([*objects, virtual_service("edge", ["api.shop"], [route], gateways=both)])
    assert badges(g.service("api")) == {VS, FI}
    # ... unless the route itself only serves the gateway.
    gateway_route = {**route, "match": [{"gateways": ["edge-gw"], "uri": {"prefix": "/v2"}}]}
    g = Graph([*objects, virtual_service("edge", ["api.shop"], [gateway_route], gateways=both)])
    assert badges(g.service("api")) == set()
    assert g.service("web").attrs["istio_fault"] == (
        "delay 2s for 10% of requests when uri prefix /v2"
    )


# --- route features ------------------------------------------------------------------------


def test_weights_are_shares_of_their_sum_and_hosts_name_the_split_across_services() -> None:
    g = Graph([*app("web"), virtual_service("web", ["web"], [
        {"route": [to("web", "v1", 1), to("web", "v2", 3)]}])])  # fmt: skip
    assert g.service("web").attrs["istio_traffic_shift"] == "v1 25% · v2 75%"
    g = Graph([*app("blue"), *app("green"), virtual_service("web", ["blue"], [
        {"route": [to("blue", weight=90), to("green", weight=10)]}])])  # fmt: skip
    for name in ("blue", "green"):
        assert g.service(name).attrs["istio_traffic_shift"] == "blue 90% · green 10%"
        assert TS in g.workload(f"{name}-v1").flags


@pytest.mark.parametrize(
    "http",
    [
        [{"route": [to("web", "v1", 100)]}],
        [{"route": [to("web", "v1", 100), to("web", "v2", 0)]}],
        [{"route": [to("web", "v1"), to("web", "v2")]}],  # no weights: nothing to split by
        [  # request routing by header is not a weighted split
            {"match": [{"headers": {"end-user": {"exact": "jason"}}}], "route": [to("web", "v2")]},
            {"route": [to("web", "v1")]},
        ],
    ],
)
def test_routes_that_do_not_split_traffic_are_no_shift(http: list[dict[str, Any]]) -> None:
    g = Graph([*app("web"), virtual_service("web", ["web"], http)])
    assert badges(g.service("web")) == {VS}
    assert "istio_traffic_shift" not in g.service("web").attrs


def test_faults_that_fire_and_faults_that_cannot() -> None:
    both = {
        "delay": {"fixedDelay": "5s", "percentage": {"value": 0.5}},
        "abort": {"grpcStatus": "UNAVAILABLE", "percentage": {"value": 20}},
    }
    g = Graph([*app("web"), one_route("web", fault=both)])
    assert g.service("web").attrs["istio_fault"] == (
        "delay 5s for 0.5% of requests, abort gRPC UNAVAILABLE for 20% of requests"
    )
    catch_all = [{"uri": {"prefix": "/a"}}, {"name": "everything else"}]
    g = Graph([*app("web"), one_route("web", fault=both, match=catch_all)])
    assert "when" not in str(g.service("web").attrs["istio_fault"])
    for idle in (
        {"abort": {"httpStatus": 503}},  # no percentage: Istio injects nothing
        {"abort": {"httpStatus": 503, "percentage": {"value": 0}}},
        {"delay": {"percentage": {"value": 50}}},  # no delay given
    ):
        g = Graph([*app("web"), one_route("web", fault=idle)])
        assert badges(g.service("web")) == {VS}, idle
        assert "istio_fault" not in g.service("web").attrs


def test_retries_timeout_and_mirroring_are_badged_with_their_settings() -> None:
    g = Graph(
        [
            *app("web"),
            *app("shadow"),
            one_route(
                "web",
                retries={"attempts": 3, "perTryTimeout": "2s", "retryOn": "5xx"},
                timeout="10s",
                mirror={"host": "shadow", "subset": "v1"},
                mirrorPercentage={"value": 50},
                match=[{"uri": {"prefix": "/api"}, "port": 80}, {"method": {"exact": "GET"}}],
            ),
        ]
    )
    web = g.workload("web-v1")
    when = " when uri prefix /api and port 80 or method exact GET"
    assert badges(web) == {VS, NodeFlag.RETRIES, NodeFlag.TIMEOUT, NodeFlag.MIRRORING}
    assert web.attrs["istio_retries"] == "3 attempts · 2s per try · on 5xx" + when
    assert web.attrs["istio_timeout"] == "10s" + when
    assert web.attrs["istio_mirror"] == "shadow v1 (50%)" + when
    # The mirror target itself is not routed to.
    assert badges(g.service("shadow")) == set()
    g = Graph([*app("web"), one_route("web", mirrors=[{"destination": {"host": "shadow"}}])])
    assert g.service("web").attrs["istio_mirror"] == "shadow"


def test_disabled_retries_zero_timeouts_and_zero_mirrors_are_not_badged() -> None:
    g = Graph(
        [
            *app("web"),
            one_route(
                "web",
                retries={"attempts": 0},
                timeout="0s",
                mirror={"host": "shadow"},
                mirrorPercentage={"value": 0},
            ),
        ]
    )
    assert badges(g.service("web")) == {VS}
    assert not set(g.service("web").attrs) & {"istio_retries", "istio_timeout", "istio_mirror"}


def test_a_workload_behind_two_services_gets_both_findings() -> None:
    shared = {"app": "web", "tier": "front"}
    other = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "front", "namespace": "shop"},
        "spec": {"selector": {"tier": "front"}},
    }
    g = Graph(
        [
            *app("web", labels=shared),
            other,
            one_route("web", timeout="1s"),
            one_route("front", timeout="5s"),
        ]
    )
    assert g.workload("web-v1").attrs["istio_timeout"] == "1s; 5s"
    assert g.workload("web-v1").attrs["istio_virtual_services"] == "front; web"


# --- DestinationRules ----------------------------------------------------------------------


BREAKER = {
    "connectionPool": {
        "tcp": {"maxConnections": 1},
        "http": {"http1MaxPendingRequests": 1, "maxRequestsPerConnection": 1},
    },
    "outlierDetection": {"consecutive5xxErrors": 1, "interval": "1s", "baseEjectionTime": "3m",
                         "maxEjectionPercent": 100},
}  # fmt: skip


def test_circuit_breakers_from_host_subset_and_port_policies() -> None:
    rule = istio("DestinationRule", "web", "shop", {"host": "web", "trafficPolicy": BREAKER})
    g = Graph([*app("web"), rule])
    expected = (
        "pool max 1 connections, 1 pending, 1 requests/connection; "
        "outlier 1 consecutive 5xx, every 1s, eject 3m, max 100%"
    )
    for node in (g.service("web"), g.workload("web-v1")):
        assert badges(node) == {NodeFlag.CIRCUIT_BREAKER}
        assert node.attrs["istio_circuit_breaker"] == expected
        assert node.attrs["istio_destination_rule"] == "web"
    rule = istio("DestinationRule", "web", "shop", {"host": "web", "subsets": [
        {"name": "v2", "trafficPolicy": {"outlierDetection": {}}},
        {"name": "v1", "trafficPolicy": {"portLevelSettings": [
            {"port": {"number": 80}, "connectionPool": {"http": {"http2MaxRequests": 9}}}]}},
    ]})  # fmt: skip
    g = Graph([*app("web"), rule])
    assert g.service("web").attrs["istio_circuit_breaker"] == (
        "subset v2: outlier detection; subset v1 port 80: pool max 9 requests"
    )


def test_a_rule_without_pool_or_outlier_settings_is_no_circuit_breaker() -> None:
    spec = {"host": "web", "trafficPolicy": {"loadBalancer": {"simple": "ROUND_ROBIN"},
            "connectionPool": "lots"}}  # fmt: skip
    g = Graph([*app("web"), istio("DestinationRule", "web", "shop", spec)])
    assert badges(g.service("web")) == set()
    assert "istio_circuit_breaker" not in g.service("web").attrs


def test_client_tls_with_port_exceptions() -> None:
    policy = {
        "tls": {"mode": "DISABLE"},
        "portLevelSettings": [{"port": {"number": 443}, "tls": {"mode": "SIMPLE"}}],
    }
    spec = {"host": "web.shop.svc.cluster.local", "trafficPolicy": policy}
    g = Graph([*app("web"), istio("DestinationRule", "web-tls", "other", spec)])
    assert g.service("web").attrs["istio_client_tls"] == "DISABLE; port 443 SIMPLE"
    assert g.service("web").attrs["istio_destination_rule"] == "other/web-tls"


def test_the_services_own_namespace_then_the_root_then_exact_hosts_then_the_oldest_win() -> None:
    def rule(name: str, namespace: str, host: str, mode: str, created: str = "") -> KubeObject:
        spec = {"host": host, "trafficPolicy": {"tls": {"mode": mode}}}
        return istio("DestinationRule", name, namespace, spec, created=created)

    mesh = rule("mesh", "istio-system", "*.local", "ISTIO_MUTUAL")
    client = rule("client", "other", "web.shop", "MUTUAL")
    g = Graph([*app("web"), client, mesh])
    assert g.service("web").attrs["istio_client_tls"] == "ISTIO_MUTUAL"  # root beats client ns
    own_wildcard = rule("wild", "shop", "*.shop.svc.cluster.local", "SIMPLE", "2025-01-01")
    g = Graph([*app("web"), client, mesh, own_wildcard])
    assert g.service("web").attrs["istio_client_tls"] == "SIMPLE"
    exact = rule("exact", "shop", "web", "DISABLE", created="2026-01-02T00:00:00Z")
    g = Graph([*app("web"), client, mesh, own_wildcard, exact])
    assert g.service("web").attrs["istio_client_tls"] == "DISABLE"
    older = rule("older", "shop", "web.shop.svc", "MUTUAL", created="2025-12-01T00:00:00Z")
    g = Graph([*app("web"), exact, older])
    assert g.service("web").attrs["istio_destination_rule"] == "older"


# --- PeerAuthentication --------------------------------------------------------------------


def peer(name: str, namespace: str, mode: str, selector: dict[str, str] | None = None,
         **spec: Any) -> KubeObject:  # fmt: skip
    body: dict[str, Any] = {"mtls": {"mode": mode}, **spec}
    if selector:
        body["selector"] = {"matchLabels": selector}
    return istio("PeerAuthentication", name, namespace, body)


def test_workload_policy_beats_namespace_policy_beats_mesh_policy() -> None:
    objects = [*app("web"), *app("api"), *app("db", "data")]
    mesh = peer("default", "istio-system", "STRICT")
    g = Graph([*objects, mesh])
    for node in (g.workload("web-v1"), g.workload("db-v1", "data"), g.service("db", "data")):
        assert node.attrs["istio_mtls"] == "STRICT"
        assert badges(node) == {NodeFlag.MTLS_STRICT}
    g = Graph([*objects, mesh, peer("default", "shop", "PERMISSIVE")])
    assert g.workload("web-v1").attrs["istio_mtls"] == "PERMISSIVE"
    assert NodeFlag.MTLS_STRICT not in g.service("web").flags
    assert g.workload("db-v1", "data").attrs["istio_mtls"] == "STRICT"
    web_only = peer("web", "shop", "STRICT", {"app": "web"}, portLevelMtls={"9090": {
        "mode": "DISABLE"}, 8080: {"mode": "PERMISSIVE"}, "80": {"mode": "UNSET"}})  # fmt: skip
    g = Graph([*objects, mesh, peer("default", "shop", "PERMISSIVE"), web_only])
    web = g.workload("web-v1")
    assert web.attrs["istio_mtls"] == "STRICT (port 8080 PERMISSIVE, port 9090 DISABLE)"
    assert NodeFlag.MTLS_STRICT in web.flags
    assert g.service("web").attrs["istio_mtls"] == web.attrs["istio_mtls"]
    assert g.workload("api-v1").attrs["istio_mtls"] == "PERMISSIVE"


def test_unset_inherits_and_a_selector_elsewhere_does_not_apply() -> None:
    objects = [*app("web"), peer("default", "istio-system", "DISABLE")]
    g = Graph([*objects, peer("default", "shop", "UNSET"), peer("x", "other", "STRICT")])
    assert g.workload("web-v1").attrs["istio_mtls"] == "DISABLE"
    unset = peer("web", "shop", "UNSET", {"app": "web"}, portLevelMtls={"80": {"mode": "STRICT"}})
    g = Graph([*objects, peer("default", "shop", "STRICT"), unset])
    assert g.workload("web-v1").attrs["istio_mtls"] == "STRICT"
    g = Graph([*objects, peer("web", "other", "STRICT", {"app": "web"})])
    assert g.workload("web-v1").attrs["istio_mtls"] == "DISABLE"


def test_a_service_whose_workloads_disagree_names_each_mode() -> None:
    canary = app("web", labels={"version": "v2"})[0]
    canary["metadata"]["name"] = "web-v2"
    g = Graph([*app("web"), canary, peer("v2", "shop", "STRICT", {"version": "v2"})])
    assert g.service("web").attrs["istio_mtls"] == "PERMISSIVE on web-v1; STRICT on web-v2"
    assert NodeFlag.MTLS_STRICT not in g.service("web").flags
    assert NodeFlag.MTLS_STRICT in g.workload("web-v2").flags


# --- robustness and the public constants ---------------------------------------------------


def test_malformed_istio_objects_never_raise() -> None:
    garbage: list[KubeObject] = [
        {"kind": "VirtualService", "metadata": {"name": "a"}, "spec": ["not", "a", "map"]},
        {"kind": "VirtualService", "metadata": {"name": "b", "namespace": "shop"},
         "spec": {"hosts": "web", "http": {"route": []}, "gateways": "mesh"}},
        {"kind": "VirtualService", "metadata": {"name": "c", "namespace": "shop"},
         "spec": {"hosts": [None, 7, {"x": 1}, "*.", "w*b", ".."], "http": [None, "x", {
             "route": [{"destination": "web", "weight": "abc"}, {"destination": {"host": 5}}],
             "fault": {"abort": {"httpStatus": [], "percentage": "all"}, "delay": 3},
             "retries": {"attempts": "many"}, "timeout": {"s": 1}, "mirror": "web",
             "mirrors": [None, {"destination": None}], "match": "everything"}],
             "tcp": [{"route": None}], "tls": "x"}},
        {"kind": "DestinationRule", "metadata": {"name": "d", "namespace": "shop"},
         "spec": {"host": ["web"], "trafficPolicy": [], "subsets": [None, {"trafficPolicy": 1}]}},
        {"kind": "DestinationRule", "metadata": {"name": "e", "namespace": "shop"}, "spec": {
            "host": "web", "trafficPolicy": {"tls": "x", "portLevelSettings": [{"port": 5}],
                                             "outlierDetection": {"interval": None}}}},
        {"kind": "PeerAuthentication", "metadata": {"name": "f", "namespace": "shop"},
         "spec": {"selector": "app=web", "mtls": "STRICT", "portLevelMtls": [1]}},
        {"kind": "PeerAuthentication", "metadata": {"name": "g", "namespace": "shop"},
         "spec": {"selector": {"matchLabels": {"app": "web"}}, "mtls": {"mode": 1},
                  "portLevelMtls": {"80": "STRICT"}}},
        {"kind": "PeerAuthentication", "metadata": "none"},
        {"kind": "VirtualService"},
        {"apiVersion": "example.com/v1", "kind": "VirtualService",
         "metadata": {"name": "not-istio", "namespace": "shop"},
         "spec": {"hosts": ["web"], "http": [{"route": [{"destination": {"host": "web"}}]}]}},
    ]  # fmt: skip
    g = Graph([*app("web"), *garbage])
    web = g.service("web")
    # Only what could be read: rule "e" applies to web with an outlier detection of defaults.
    assert badges(web) == {NodeFlag.CIRCUIT_BREAKER}
    assert web.attrs["istio_circuit_breaker"] == "outlier detection"
    assert web.attrs["istio_mtls"] == g.workload("web-v1").attrs["istio_mtls"] == "PERMISSIVE"


def test_flag_words_and_attribute_keys_cover_what_the_step_sets() -> None:
    assert dict(ISTIO_FLAG_WORDS) == {
        NodeFlag.VIRTUAL_SERVICE: "VS",
        NodeFlag.TRAFFIC_SHIFT: "TS",
        NodeFlag.FAULT_INJECTION: "FI",
        NodeFlag.RETRIES: "RT",
        NodeFlag.TIMEOUT: "TO",
        NodeFlag.CIRCUIT_BREAKER: "CB",
        NodeFlag.MIRRORING: "MI",
        NodeFlag.MTLS_STRICT: "mTLS",
    }
    everything = {
        "route": [to("web", "v1", 50), to("web", "v2", 50)],
        "fault": {"abort": {"httpStatus": 500, "percentage": {"value": 1}}},
        "retries": {"attempts": 1},
        "timeout": "1s",
        "mirror": {"host": "web"},
    }
    rule = {"host": "web", "trafficPolicy": {**BREAKER, "tls": {"mode": "ISTIO_MUTUAL"}}}
    g = Graph(
        [
            *app("web"),
            virtual_service("web", ["web"], [everything]),
            istio("DestinationRule", "web", "shop", rule),
            peer("default", "shop", "STRICT"),
        ]
    )
    for node in (g.service("web"), g.workload("web-v1")):
        assert badges(node) == ISTIO_FLAGS
        assert {key for key in node.attrs if key.startswith("istio_")} == set(ISTIO_ATTRS)
        assert all("\n" not in str(node.attrs[key]) for key in ISTIO_ATTRS)


# --- the demo ------------------------------------------------------------------------------


def test_the_demo_shows_its_traffic_shift_fault_and_mutual_tls_rules(demo: Snapshot) -> None:
    reviews = demo.node(node_id(NodeKind.SERVICE, "reviews", "bookinfo"))
    assert badges(reviews) == {VS, TS}
    assert reviews.attrs["istio_traffic_shift"] == "v1 80% · v2 20%"
    details = demo.node(node_id(NodeKind.WORKLOAD, "details-v1", "bookinfo"))
    assert badges(details) == {VS, FI}
    assert details.attrs["istio_fault"] == "abort 555 for 30% of requests"
    ratings = demo.node(node_id(NodeKind.SERVICE, "ratings", "bookinfo"))
    assert badges(ratings) == set()  # a DestinationRule but no route
    assert ratings.attrs["istio_client_tls"] == "ISTIO_MUTUAL"
    # The mesh-wide PeerAuthentication is PERMISSIVE: no workload is STRICT.
    workloads = list(demo.nodes(NodeKind.WORKLOAD))
    assert workloads and all(w.attrs["istio_mtls"] == "PERMISSIVE" for w in workloads)
