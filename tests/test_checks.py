"""Every troubleshooting check: a case where it fires, and a near miss where it stays quiet.

Each case is the smallest set of objects that shows the condition; the quiet case changes the
one fact that makes the difference, so a check that fires on everything (or nothing) fails.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest
from check_objects import (
    autoscaler,
    call,
    container,
    deployment,
    destination_rule,
    findings,
    gateway,
    machine,
    namespace,
    pod,
    policy,
    route,
    service,
    virtual_service,
)

from collectors.checks import all_checks
from collectors.cluster import KubeObject
from collectors.model import Edge


@dataclass(frozen=True)
class Case:
    """Objects on which ``code`` fires (``fires``), with ``says`` in its message, on ``at``."""

    code: str
    fires: list[KubeObject]
    quiet: list[KubeObject]
    says: str
    at: str  # the finding's object, as "Kind namespace/name"
    node: str = ""  # the node it is drawn on, when it has one
    calls: list[Edge] = field(default_factory=list)
    quiet_calls: list[Edge] = field(default_factory=list)


def _with(obj: KubeObject, **changes: Any) -> KubeObject:
    return {**obj, **changes}


CART = [namespace(), deployment("cart", replicas=1, available=1)]
WORKLOAD = "workload:Kubernetes/shop/cart"
CRASHING = container(ready=False, waiting="CrashLoopBackOff", last="Error", restarts=7)
GPU_FULL = ("Unschedulable", "0/3 nodes are available: 3 Insufficient nvidia.com/gpu.")
STATEFUL = _with(
    deployment("db", replicas=3), kind="StatefulSet", status={"readyReplicas": 2, "replicas": 3}
)
LIMITED = {"type": "ScalingLimited", "status": "True", "reason": "TooManyReplicas"}
BLIND = {"type": "ScalingActive", "status": "False", "reason": "FailedGetResourceMetric"}
JOB = {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "train", "namespace": "shop"}}
FAILED_JOB = _with(
    JOB,
    status={
        "failed": 6,
        "conditions": [{"type": "Failed", "status": "True", "reason": "BackoffLimitExceeded"}],
    },
)
DONE_JOB = _with(
    JOB, status={"succeeded": 1, "conditions": [{"type": "Complete", "status": "True"}]}
)
ISTIO_SYSTEM = [
    namespace("istio-system", mesh=False),
    deployment("istiod", "istio-system", labels={"istio": "pilot"}),
]
INGRESS = deployment("istio-ingressgateway", "istio-system", labels={"istio": "ingressgateway"})
CART_DR = destination_rule("cart", subsets={"v1": {"version": "v1"}, "v2": {"version": "v2"}})
CART_V1 = [
    namespace(),
    deployment("cart", labels={"app": "cart", "version": "v1"}),
    service("cart"),
]
ABORT = {
    "match": [{"headers": {"end-user": {"exact": "jason"}}}],
    "fault": {"abort": {"httpStatus": 503, "percentage": {"value": 50}}},
    "route": [route("cart")],
}
STRICT = policy("PeerAuthentication", "cart", selector={"app": "cart"}, mode="STRICT")
STRICT_NS = policy("PeerAuthentication", "default", selector=None, mode="STRICT")
WEB_AND_CART = [*CART, deployment("web", available=1), service("cart")]

CASES = [
    Case(
        "POD001",
        [*CART, pod("cart-1", owner="cart", statuses=[CRASHING], ready=False)],
        [*CART, pod("cart-1", owner="cart", statuses=[container(waiting="ContainerCreating")])],
        "container app crash-loops: 7 restarts, last exit Error (exit code 137)",
        "Pod shop/cart-1",
        WORKLOAD,
    ),
    Case(
        "POD002",
        [*CART, pod("cart-1", owner="cart", statuses=[container(waiting="ImagePullBackOff")])],
        [*CART, pod("cart-1", owner="cart", statuses=[container(waiting="ContainerCreating")])],
        "cannot pull registry.example/app:1: ImagePullBackOff",
        "Pod shop/cart-1",
        WORKLOAD,
    ),
    Case(
        "POD003",
        [
            *CART,
            pod(
                "cart-1",
                owner="cart",
                statuses=[container(last="OOMKilled", restarts=1)],
                memory_limit="300Mi",
            ),
        ],
        [*CART, pod("cart-1", owner="cart", statuses=[container(last="Error", restarts=1)])],
        "container app was OOMKilled at its 300Mi memory limit",
        "Pod shop/cart-1",
        WORKLOAD,
    ),
    Case(
        "POD004",
        [*CART, pod("cart-1", owner="cart", statuses=[container(last="Error", restarts=6)])],
        [
            *CART,
            pod("cart-1", owner="cart", statuses=[container(last="Error", restarts=4)]),
            pod("cart-2", owner="cart", statuses=[CRASHING], ready=False),  # POD001's
        ],
        "container app restarted 6 times, last stopped by Error",
        "Pod shop/cart-1",
        WORKLOAD,
    ),
    Case(
        "POD005",
        [
            *CART,
            pod("cart-1", owner="cart", phase="Pending", ready=False, gpus=2, scheduled=GPU_FULL),
        ],
        [*CART, pod("cart-1", owner="cart", phase="Pending", ready=False, gpus=2)],
        "no node has 2 free nvidia.com/gpu (0/3 nodes are available: 3 Insufficient nvidia.com/gpu.)",  # noqa: E501
        "Pod shop/cart-1",
        WORKLOAD,
    ),
    Case(
        "POD006",
        [*CART, pod("cart-1", owner="cart", ready=False, statuses=[container(ready=False)])],
        [*CART, pod("cart-1", owner="cart")],
        "running but not ready: app not ready",
        "Pod shop/cart-1",
        WORKLOAD,
    ),
    Case(
        "POD007",
        [*CART, pod("cart-1", owner="cart", phase="Failed", ready=False, reason="Evicted")],
        [namespace(), pod("train-x", owner="train", owner_kind="Job", phase="Failed", ready=False)],
        "Evicted",
        "Pod shop/cart-1",
        WORKLOAD,
    ),
    Case(
        "WKL001",
        [namespace(), deployment("cart", replicas=2, available=0)],
        [namespace(), deployment("cart", replicas=2)],  # as written: nothing observed yet
        "0 of 2 replicas available",
        "Deployment shop/cart",
        WORKLOAD,
    ),
    Case(
        "WKL002",
        [namespace(), deployment("cart", replicas=3, available=1)],
        [namespace(), deployment("cart", replicas=3, available=3)],
        "2 of 3 replicas unavailable (1 available)",
        "Deployment shop/cart",
        WORKLOAD,
    ),
    Case(
        "WKL003",
        [namespace(), STATEFUL],
        [namespace(), _with(STATEFUL, status={"readyReplicas": 3})],
        "2 of 3 replicas ready",
        "StatefulSet shop/db",
        "workload:Kubernetes/shop/db",
    ),
    Case(
        "WKL004",
        [*CART, autoscaler("cart", maximum=5, current=5, desired=5, conditions=[LIMITED])],
        [*CART, autoscaler("cart", maximum=5, current=5, desired=3)],
        "cart runs 5 of at most 5 replicas and wants more",
        "HorizontalPodAutoscaler shop/cart",
        WORKLOAD,
    ),
    Case(
        "WKL005",
        [*CART, autoscaler("cart", conditions=[BLIND])],
        [*CART, autoscaler("cart", conditions=[{**BLIND, "status": "True"}])],
        "cannot scale: FailedGetResourceMetric",
        "HorizontalPodAutoscaler shop/cart",
        WORKLOAD,
    ),
    Case(
        "WKL006",
        [namespace(), FAILED_JOB],
        [namespace(), DONE_JOB],
        "failed (BackoffLimitExceeded) after 6 failed pod(s)",
        "Job shop/train",
        "workload:Kubernetes/shop/train",
    ),
    Case(
        "WKL007",
        [*CART, pod("cart-1", owner="cart", sidecar=False)],
        [
            namespace(mesh=False),
            deployment("cart", available=1),
            pod("cart-1", owner="cart", sidecar=False),
        ],
        "runs without the istio-proxy sidecar in a mesh namespace",
        "Deployment shop/cart",
        WORKLOAD,
    ),
    Case(
        "SVC001",
        [namespace(), deployment("web"), service("cart")],
        [namespace(), deployment("cart"), service("cart")],  # the template's labels count
        "selector app=cart matches no pod in shop",
        "Service shop/cart",
        "service:Kubernetes/shop/cart",
    ),
    Case(
        "SVC002",
        [
            *CART,
            service("cart"),
            pod("cart-1", owner="cart", ready=False),
            pod("cart-2", owner="cart", ready=False),
        ],
        [
            *CART,
            service("cart"),
            pod("cart-1", owner="cart", ready=False),
            pod("cart-2", owner="cart"),
        ],
        "0 of 2 selected pods ready",
        "Service shop/cart",
        "service:Kubernetes/shop/cart",
    ),
    Case(
        "SVC003",
        [*CART, service("cart", ports=[{"name": "web", "port": 80}, {"port": 9090}])],
        [
            *CART,
            service(
                "cart",
                ports=[
                    {"name": "http-web", "port": 80},
                    {"name": "web", "port": 81, "appProtocol": "http"},
                ],
            ),
            namespace("legacy", mesh=False),
            service("old", "legacy", ports=[{"name": "web", "port": 80}]),
        ],
        "port 80 is named 'web', not <protocol>[-suffix]; port 9090 has no name and no appProtocol",
        "Service shop/cart",
        "service:Kubernetes/shop/cart",
    ),
    Case(
        "NOD001",
        [machine(conditions={"Ready": "False"})],
        [machine(conditions={"Ready": "True"})],
        "Ready=False",
        "Node node-1",
        "node:Kubernetes/node-1",
    ),
    Case(
        "NOD002",
        [machine(conditions={"MemoryPressure": "True"})],
        [machine(conditions={"MemoryPressure": "False"})],
        "under MemoryPressure",
        "Node node-1",
        "node:Kubernetes/node-1",
    ),
    Case(
        "NOD003",
        [machine(gpus=(8, 6))],
        [machine(gpus=(8, 8))],
        "6 of 8 nvidia.com/gpu allocatable",
        "Node node-1",
        "node:Kubernetes/node-1",
    ),
    Case(
        "NOD004",
        [machine(cordoned=True)],
        [machine()],
        "cordoned: no new pods are scheduled here (taints: node.kubernetes.io/unschedulable)",
        "Node node-1",
        "node:Kubernetes/node-1",
    ),
    Case(
        "IST001",
        [*CART_V1, virtual_service("cart", http=[{"route": [route("carts")]}])],
        [
            *CART_V1,
            virtual_service(
                "cart", http=[{"route": [route("cart"), route("cart.other.svc.cluster.local")]}]
            ),
            {
                "apiVersion": "networking.istio.io/v1",
                "kind": "ServiceEntry",
                "metadata": {"name": "pay", "namespace": "shop"},
                "spec": {"hosts": ["*.payments.example"]},
            },
            virtual_service(
                "pay",
                hosts=["api.payments.example"],
                http=[{"route": [route("api.payments.example")]}],
            ),
        ],
        "http[0] routes to carts.shop.svc.cluster.local, which is no Service or ServiceEntry",
        "VirtualService shop/cart",
    ),
    Case(
        "IST002",
        [*CART_V1, CART_DR, virtual_service("cart", http=[{"route": [route("cart", "v3")]}])],
        [*CART_V1, CART_DR, virtual_service("cart", http=[{"route": [route("cart", "v2")]}])],
        "http[0] routes to subset v3 of cart.shop.svc.cluster.local, defined by no DestinationRule",
        "VirtualService shop/cart",
        "service:Kubernetes/shop/cart",
    ),
    Case(
        "IST003",
        [*CART_V1, CART_DR],
        [*CART_V1, destination_rule("cart", subsets={"v1": {"version": "v1"}})],
        "subset v2 (version=v2) matches no pod of cart",
        "DestinationRule shop/cart",
        "service:Kubernetes/shop/cart",
    ),
    Case(
        "IST004",
        [*CART_V1, virtual_service("cart"), virtual_service("cart-canary", hosts=["cart"])],
        [
            *CART_V1,
            virtual_service("cart"),
            virtual_service("cart-edge", hosts=["cart"], gateways=["edge"]),
        ],
        "2 VirtualServices route cart.shop.svc.cluster.local: shop/cart, shop/cart-canary",
        "VirtualService shop/cart",
    ),
    Case(
        "IST005",
        [*CART_V1, virtual_service("cart", http=[ABORT])],
        [
            *CART_V1,
            virtual_service(
                "cart",
                http=[{"route": [route("cart")], "retries": {"attempts": 3}, "timeout": "2s"}],
            ),
        ],
        "http[0] injects abort 503 for 50% of requests when end-user exact jason, on cart",
        "VirtualService shop/cart",
        "service:Kubernetes/shop/cart",
    ),
    Case(
        "IST006",
        [
            *CART_V1,
            CART_DR,
            virtual_service(
                "cart", http=[{"route": [route("cart", "v1", 80), route("cart", "v2", 10)]}]
            ),
        ],
        [
            *CART_V1,
            CART_DR,
            virtual_service(
                "cart", http=[{"route": [route("cart", "v1", 80), route("cart", "v2", 20)]}]
            ),
        ],
        "http[0] weights add up to 90, not 100",
        "VirtualService shop/cart",
    ),
    Case(
        "IST007",
        [*CART_V1, *ISTIO_SYSTEM, gateway("edge", selector={"istio": "ingressgateway"})],
        [*CART_V1, *ISTIO_SYSTEM, INGRESS, gateway("edge", selector={"istio": "ingressgateway"})],
        "selector istio=ingressgateway matches no gateway pod",
        "Gateway shop/edge",
    ),
    Case(
        "IST008",
        [*CART_V1, virtual_service("cart", gateways=["shop/missing"])],
        [
            *CART_V1,
            gateway("edge", selector={"istio": "ingressgateway"}),
            virtual_service("cart", gateways=["shop/edge", "mesh"]),
        ],
        "bound to gateway shop/missing, which does not exist",
        "VirtualService shop/cart",
    ),
    Case(
        "IST009",
        [*CART_V1, destination_rule("carts")],
        [
            *CART_V1,
            destination_rule("cart"),
            destination_rule("elsewhere", host="cart.unread.svc.cluster.local"),
        ],
        "host carts.shop.svc.cluster.local is no Service or ServiceEntry",
        "DestinationRule shop/carts",
    ),
    Case(
        "IST010",
        [*CART_V1, destination_rule("cart"), destination_rule("cart-tls", host="cart")],
        [
            *CART_V1,
            destination_rule("cart"),
            namespace("web"),
            destination_rule("cart", "web", host="cart.shop"),
        ],
        "2 DestinationRules for cart.shop.svc.cluster.local: shop/cart, shop/cart-tls",
        "DestinationRule shop/cart",
        "service:Kubernetes/shop/cart",
    ),
    Case(
        "IST011",
        [*WEB_AND_CART, STRICT],
        [*WEB_AND_CART, STRICT],
        "requires mutual TLS, but web (0% mTLS) call it in plaintext",
        "Deployment shop/cart",
        WORKLOAD,
        calls=[call("web", "cart", mtls=0.0)],
        quiet_calls=[call("web", "cart", mtls=1.0)],
    ),
    Case(
        "IST012",
        [*WEB_AND_CART, STRICT_NS, destination_rule("cart", tls="DISABLE")],
        [
            *WEB_AND_CART,
            _with(STRICT_NS, spec={"mtls": {"mode": "PERMISSIVE"}}),
            destination_rule("cart", tls="DISABLE"),
        ],
        "tls.mode DISABLE to cart.shop.svc.cluster.local, whose cart require mutual TLS",
        "DestinationRule shop/cart",
        "service:Kubernetes/shop/cart",
    ),
    Case(
        "IST013",
        [*CART_V1, policy("AuthorizationPolicy", "cart", selector={"app": "carts"})],
        [
            *CART_V1,
            policy("AuthorizationPolicy", "cart", selector={"app": "cart"}),
            policy("Sidecar", "all", selector=None),
        ],
        "selector app=carts matches no pod in shop",
        "AuthorizationPolicy shop/cart",
    ),
]


def test_every_check_has_a_case_and_every_case_a_check() -> None:
    assert sorted(case.code for case in CASES) == [known.code for known in all_checks()]
    assert len(CASES) >= 20


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.code)
def test_the_check_fires_on_its_condition(case: Case) -> None:
    found = [f for f in findings(case.fires, calls=case.calls) if f.code == case.code]
    assert found, f"{case.code} did not fire"
    first = found[0]
    assert first.object == case.at
    assert case.says in first.message
    assert first.node == case.node
    assert first.hint and "\n" not in first.message


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.code)
def test_the_check_stays_quiet_on_the_near_miss(case: Case) -> None:
    found = [f for f in findings(case.quiet, calls=case.quiet_calls) if f.code == case.code]
    assert found == []


def test_the_gateway_selector_is_not_judged_without_istio_workloads() -> None:
    # An application's manifests do not hold the ingress gateway istioctl installed.
    items = [*CART_V1, gateway("edge", selector={"istio": "ingressgateway"})]
    assert [f for f in findings(items) if f.code == "IST007"] == []


def test_a_pending_pod_without_gpus_says_what_the_scheduler_said() -> None:
    why = ("Unschedulable", "0/3 nodes are available: 3 Insufficient cpu.")
    items = [*CART, pod("cart-1", owner="cart", phase="Pending", ready=False, scheduled=why)]
    (found,) = [f for f in findings(items) if f.code == "POD005"]
    assert found.message == "Pending, unschedulable: 0/3 nodes are available: 3 Insufficient cpu."
