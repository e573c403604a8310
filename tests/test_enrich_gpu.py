"""The GPU enrichment step: how many devices each workload's pods hold."""

from __future__ import annotations

from datetime import UTC, datetime

from collectors.enrich.gpu import count_workload_gpus
from collectors.ids import node_id
from collectors.kinds import EdgeKind, NodeKind
from collectors.model import Edge, Node, Snapshot, SnapshotMeta

T0 = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


def _snapshot() -> Snapshot:
    return Snapshot(
        meta=SnapshotMeta(
            start=T0, end=T0, step_seconds=60, rate_window_seconds=600, created_at=T0, generator=""
        )
    )


def _add(snapshot: Snapshot, kind: NodeKind, name: str, namespace: str = "ml") -> str:
    node = Node(node_id(kind, name, namespace), kind, name, namespace)
    snapshot.add_node(node)
    return node.id


def test_workloads_count_the_devices_their_pods_hold() -> None:
    snapshot = _snapshot()
    trainer = _add(snapshot, NodeKind.WORKLOAD, "trainer")
    web = _add(snapshot, NodeKind.WORKLOAD, "web")
    step = _add(snapshot, NodeKind.PIPELINE_STEP, "train-123")
    gpus = [_add(snapshot, NodeKind.GPU, name, "gpu-a100-01") for name in ("0", "1", "3/mig-13")]
    pods = [_add(snapshot, NodeKind.POD, name) for name in ("trainer-a", "trainer-b", "web-1")]
    step_pod = _add(snapshot, NodeKind.POD, "train-123-pod")
    for owner, pod in ((trainer, pods[0]), (trainer, pods[1]), (web, pods[2]), (step, step_pod)):
        snapshot.add_edge(Edge(owner, pod, EdgeKind.OWNS))
    # trainer-a holds GPUs 0 and 1, trainer-b a MIG instance; the step's pod (no workload) too.
    for pod, device in ((pods[0], gpus[0]), (pods[0], gpus[1]), (pods[1], gpus[2])):
        snapshot.add_edge(Edge(pod, device, EdgeKind.USES_GPU))
    snapshot.add_edge(Edge(step_pod, gpus[2], EdgeKind.USES_GPU))

    count_workload_gpus(snapshot)

    assert snapshot.node(trainer).attrs["gpus"] == 3
    assert "gpus" not in snapshot.node(web).attrs  # no device: nothing said
    assert "gpus" not in snapshot.node(step).attrs  # only workloads are counted


def test_without_gpu_edges_nothing_changes() -> None:
    snapshot = _snapshot()
    workload = _add(snapshot, NodeKind.WORKLOAD, "trainer")
    pod = _add(snapshot, NodeKind.POD, "trainer-a")
    snapshot.add_edge(Edge(workload, pod, EdgeKind.OWNS))
    count_workload_gpus(snapshot)
    assert snapshot.node(workload).attrs == {}
