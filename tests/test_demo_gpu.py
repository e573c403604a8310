"""The demo's GPU fleet: devices, who holds them, what they report, and the objects behind them.

Every expectation is section 5 of the GPU contract: the layout of the three GPU machines at the
end of the window, the idle notebook, the model server whose GPU memory fills, the MIG slices
and the job no node can take. The answers are checked as Prometheus would give them, and a real
Prometheus backfilled from the OpenMetrics export gives the same.
"""

from __future__ import annotations

import copy
import hashlib
import io
import json
import os
import re
import urllib.parse
import urllib.request
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import collectors.demo as demo_module
from collectors.cluster import KubeObject
from collectors.demo import DEMO_END, DemoData, GaugeSamples, GpuLabelStyle, generate_demo
from collectors.demo.openmetrics import write_gauges, write_openmetrics
from collectors.demo.scenarios import GpuMemory
from collectors.gpu_queries import ALL_GPU_QUERIES, DCGM_QUERIES, KSM_QUERIES
from collectors.kinds import FaultKind
from collectors.prom import RangeSeries

A100_NODE = "gpu-a100-01"
USER_NAMESPACE = "kubeflow-user-example-com"
SWEEP_MESSAGE = (
    "0/6 nodes are available: 1 Insufficient nvidia.com/gpu, 5 node(s) didn't match Pod's node "
    "affinity/selector. preemption: 0/6 nodes are available: 1 No preemption victims found for "
    "incoming pod, 5 Preemption is not helpful for scheduling."
)
LAYOUT: dict[tuple[str, str, str], tuple[str, str] | None] = {
    ("gpu-h100-01", "0", ""): ("ml-platform", "recommender-finetune-"),
    ("gpu-h100-01", "1", ""): ("ml-platform", "recommender-finetune-"),
    ("gpu-h100-01", "2", ""): ("ml-platform", "recommender-finetune-"),
    ("gpu-h100-01", "3", ""): ("ml-platform", "recommender-finetune-"),
    ("gpu-h100-01", "4", ""): ("ml-platform", "llm-assistant-predictor-"),
    ("gpu-h100-01", "5", ""): ("ml-platform", "llm-assistant-predictor-"),
    ("gpu-h100-01", "6", ""): None,
    ("gpu-h100-01", "7", ""): None,
    (A100_NODE, "0", ""): ("ml-platform", "recommender-predictor-"),
    (A100_NODE, "1", ""): ("ml-platform", "recommender-training-"),
    (A100_NODE, "2", ""): (USER_NAMESPACE, "alice-0"),
    (A100_NODE, "3", "1"): ("ml-platform", "feature-embedder-"),
    (A100_NODE, "3", "5"): None,
    (A100_NODE, "3", "13"): (USER_NAMESPACE, "bob-0"),
    (A100_NODE, "3", "14"): None,
    ("gpu-l4-01", "0", ""): ("ml-platform", "fraud-detector-predictor-"),
    ("gpu-l4-01", "1", ""): None,
    ("gpu-l4-01", "2", ""): None,
    ("gpu-l4-01", "3", ""): None,
}
"""(machine, gpu, GPU_I_ID) -> (namespace, pod name or its prefix), None for a free device."""
GPU_ONLY_OBJECTS = [
    ("Namespace", "kubeflow-user-example-com"),
    ("Notebook", "alice"),
    ("StatefulSet", "alice"),
    ("Pod", "alice-0"),
    ("Notebook", "bob"),
    ("StatefulSet", "bob"),
    ("Pod", "bob-0"),
    ("Deployment", "feature-embedder"),
    ("ReplicaSet", "feature-embedder-"),
    ("Pod", "feature-embedder-"),
    ("Job", "llm-finetune-sweep"),
    ("Pod", "llm-finetune-sweep-"),
    ("Event", "llm-finetune-sweep-"),
]
# The default demo of one hour before the GPU fleet existed (seed 7): its objects (the A100
# node as it was) and the labels and timestamps of its Istio answers. A deliberate change to
# the rest of the demo changes them: recompute with ``_objects_digest`` / ``_shape_digest``.
# OBJECTS_BEFORE was recomputed on purpose when the pipeline runs grew for lineage (an older
# recommender run, the LLM fine-tuning that ran out of GPU memory, the failed steps' kept pods,
# the datasets the runs read, ``podGC``); the Istio answers did not move.
OBJECTS_BEFORE = "a1aa92abe05ee1706039269d97fefc07a3d4a00700ce39a90f1d65cb88c55f73"
ISTIO_SHAPE_BEFORE = "28d7753e2de17e100aac71ab482cf75d8c7dd6b009db7b5be6f7f3d62e5889e0"


@pytest.fixture(scope="module")
def data() -> DemoData:
    return generate_demo()


def _pods(data: DemoData) -> dict[str, KubeObject]:
    return {p["metadata"]["name"]: p for p in data.objects.of_kind("Pod")}


def _find(data: DemoData, kind: str, name: str) -> KubeObject:
    return next(o for o in data.objects.of_kind(kind) if o["metadata"]["name"] == name)


def _series(data: DemoData, key: str, **labels: str) -> list[RangeSeries]:
    return [
        s
        for s in data.metrics.range[key]
        if all(s.labels.get(k, "") == v for k, v in labels.items())
    ]


def _one(data: DemoData, key: str, **labels: str) -> RangeSeries:
    (found,) = _series(data, key, **labels)
    return found


def _place(labels: dict[str, str]) -> tuple[str, str, str]:
    return labels["Hostname"], labels["gpu"], labels.get("GPU_I_ID", "")


def test_every_device_is_where_section_5_puts_it_at_the_end(data: DemoData) -> None:
    end = int(DEMO_END.timestamp())
    at_end = [s for s in data.metrics.range["gpu_memory_used"] if s.timestamps[-1] == end]
    holders = {_place(s.labels): s.labels for s in at_end}
    assert holders.keys() == LAYOUT.keys()  # one series per device and MIG instance now
    pods = _pods(data)
    for place, expected in LAYOUT.items():
        labels = holders[place]
        assert labels["pod"].startswith("nvidia-dcgm-exporter-")  # the exporter's own pod
        assert pods[labels["pod"]]["spec"]["nodeName"] == place[0]
        if expected is None:
            assert "exported_pod" not in labels, place
            continue
        namespace, name = expected
        assert labels["exported_namespace"] == namespace, place
        assert labels["exported_pod"].startswith(name), place
        assert pods[labels["exported_pod"]]["spec"]["nodeName"] == place[0]
    profiles = {s.labels["GPU_I_ID"]: s.labels["GPU_I_PROFILE"] for s in at_end if s.labels.get(
        "GPU_I_ID")}  # fmt: skip
    assert profiles == {"1": "3g.20gb", "5": "2g.10gb", "13": "1g.5gb", "14": "1g.5gb"}
    train = holders[(A100_NODE, "1", "")]
    assert "-train-" in train["exported_pod"] and train["exported_container"] == "main"
    models = {s.labels["Hostname"]: s.labels["modelName"] for s in at_end}
    assert models == {"gpu-h100-01": "NVIDIA H100 80GB HBM3", A100_NODE: "NVIDIA A100-SXM4-40GB",
                      "gpu-l4-01": "NVIDIA L4"}  # fmt: skip


def test_the_nightly_training_step_has_its_gpu_only_since_it_started(data: DemoData) -> None:
    started = DEMO_END - timedelta(minutes=39)  # ingest 4 + features 9 minutes into the run
    free, held = sorted(
        _series(data, "gpu_util", Hostname=A100_NODE, gpu="1"),
        key=lambda s: "exported_pod" in s.labels,
    )
    assert "exported_pod" not in free.labels
    assert held.timestamps[0] == started.timestamp()
    assert held.values.min() >= 90
    # Backfilled samples have no staleness markers: the free series is seen 5 more minutes.
    assert free.timestamps[-1] == started.timestamp() - 15 + 300
    assert set(free.values) == {0.0}
    xid = _one(data, "gpu_xid", Hostname=A100_NODE, gpu="1", exported_pod=held.labels[
        "exported_pod"])  # fmt: skip
    assert set(xid.values) == {31.0}  # XID 31 at 11:21, as the step started
    h100_xid = _one(data, "gpu_xid", Hostname="gpu-h100-01", gpu="5")
    first = h100_xid.timestamps[h100_xid.values > 0][0]
    assert first == (DEMO_END - timedelta(hours=3, minutes=48)).timestamp()  # 08:12 UTC
    assert set(h100_xid.values) == {0.0, 63.0}


def test_alice_left_her_notebook_holding_a_whole_a100(data: DemoData) -> None:
    util = _one(data, "gpu_util", exported_pod="alice-0")
    start = data.metrics.start
    forty = np.searchsorted(util.timestamps, (start + timedelta(minutes=40)).timestamp())
    assert util.values[0] >= 20
    assert util.values[: forty + 1].min() >= 20 and util.values[: forty + 1].max() <= 60
    last_five_hours = util.timestamps >= (DEMO_END - timedelta(hours=5)).timestamp()
    assert util.values[last_five_hours].max() < 1
    assert util.values[forty + 1 :].max() < 1
    memory = _one(data, "gpu_memory_used", exported_pod="alice-0").values
    assert np.all(np.abs(memory / 1024 - 9.8) < 0.1)  # ~9.8 GiB held all along
    notebook = _find(data, "Notebook", "alice")
    activity = notebook["metadata"]["annotations"]["notebooks.kubeflow.org/last-activity"]
    assert activity == "2026-11-24T06:40:15Z"  # 40 minutes into the window


def test_recommender_predictor_memory_fills_to_99_percent(data: DemoData) -> None:
    incident = next(i for i in data.incidents if i.kind is FaultKind.GPU_MEMORY)
    assert incident.root_cause.endswith("recommender-predictor")
    used = _one(data, "gpu_memory_used", Hostname=A100_NODE, gpu="0")
    free = _one(data, "gpu_memory_free", Hostname=A100_NODE, gpu="0")
    assert used.labels["exported_pod"].startswith("recommender-predictor-")
    total = used.values + free.values
    assert set(total) == {40960.0}
    assert used.values[-1] / 40960 == pytest.approx(0.99, abs=0.001)
    before = used.timestamps < incident.start.timestamp()
    assert used.values[before].max() < 0.6 * 40960
    util = _one(data, "gpu_util", Hostname=A100_NODE, gpu="0").values
    assert util[-40:].mean() > util[before].mean() + 25  # the load climbs with it


def test_a_gpu_memory_fault_on_another_model_server_fills_its_gpus() -> None:
    fault = GpuMemory("ml-platform/llm-assistant-predictor", 0.25, 0.75)
    data = generate_demo(hours=1.0, scenario=[fault])
    (incident,) = data.incidents
    assert incident.end is not None
    total = 81559.0
    for gpu in ("4", "5"):
        used = _one(data, "gpu_memory_used", Hostname="gpu-h100-01", gpu=gpu)
        start, end = incident.start.timestamp(), incident.end.timestamp()
        before, during = used.timestamps < start, used.timestamps < end
        assert used.values[before].max() < 0.8 * total  # its usual ~62 GiB
        assert used.values[during].max() >= 0.98 * total
        assert used.values[~during].max() < 0.8 * total  # OOMKilled and restarted: empty again
    predictor = _one(data, "gpu_memory_used", Hostname=A100_NODE, gpu="0")
    assert predictor.values.max() < 0.6 * 40960  # no pressure there in this scenario


def test_llm_assistant_follows_its_requests_and_keeps_62_gib(data: DemoData) -> None:
    for gpu in ("4", "5"):
        util = _one(data, "gpu_util", Hostname="gpu-h100-01", gpu=gpu).values
        assert util.min() >= 30 and util.max() <= 60
        memory = _one(data, "gpu_memory_used", Hostname="gpu-h100-01", gpu=gpu).values
        assert np.all(np.abs(memory / 1024 - 62) < 0.5)
    for gpu in ("6", "7"):  # free: idle, nothing in memory, about 70 W
        assert set(_one(data, "gpu_util", Hostname="gpu-h100-01", gpu=gpu).values) == {0.0}
        assert set(_one(data, "gpu_memory_used", Hostname="gpu-h100-01", gpu=gpu).values) == {1.0}
        power = _one(data, "gpu_power", Hostname="gpu-h100-01", gpu=gpu).values
        assert np.all(np.abs(power - 70) < 3)


def test_mig_instances_report_engine_activity_and_no_utilization(data: DemoData) -> None:
    assert not [s for s in data.metrics.range["gpu_util"] if "GPU_I_ID" in s.labels]
    assert not _series(data, "gpu_util", Hostname=A100_NODE, gpu="3")
    for key in ("gpu_temperature", "gpu_power", "gpu_sm_clock", "gpu_xid"):
        (gpu3,) = _series(data, key, Hostname=A100_NODE, gpu="3")
        assert "GPU_I_ID" not in gpu3.labels and "exported_pod" not in gpu3.labels
    for key in ("gpu_memory_used", "gpu_engine_active", "gpu_dram_active", "gpu_tensor_active"):
        ids = {s.labels.get("GPU_I_ID") for s in _series(data, key, Hostname=A100_NODE, gpu="3")}
        assert ids == {"1", "5", "13", "14"}, key
    bob = _one(data, "gpu_engine_active", exported_pod="bob-0").values
    assert bob.min() >= 0.10 and bob.max() <= 0.50
    embedder = _one(data, "gpu_engine_active", Hostname=A100_NODE, GPU_I_ID="1").values
    assert embedder.min() >= 0.40 and embedder.max() <= 0.70
    memory = {s.labels["GPU_I_ID"]: s.values[-1] + _one(data, "gpu_memory_free", **{
        "Hostname": A100_NODE, "GPU_I_ID": s.labels["GPU_I_ID"]}).values[-1]
        for s in _series(data, "gpu_memory_used", Hostname=A100_NODE, gpu="3")}  # fmt: skip
    assert memory == {"1": 19968.0, "5": 9856.0, "13": 4864.0, "14": 4864.0}


def test_the_a100_node_offers_mig_slices_with_the_mixed_strategy(data: DemoData) -> None:
    node = _find(data, "Node", A100_NODE)
    expected = {"nvidia.com/gpu": "3", "nvidia.com/mig-3g.20gb": "1",
                "nvidia.com/mig-2g.10gb": "1", "nvidia.com/mig-1g.5gb": "2"}  # fmt: skip
    for part in ("capacity", "allocatable"):
        offered = {k: v for k, v in node["status"][part].items() if k.startswith("nvidia.com/")}
        assert offered == expected
    labels = node["metadata"]["labels"]
    assert labels["nvidia.com/mig.strategy"] == "mixed"
    assert labels["nvidia.com/mig.capable"] == "true"
    assert labels["nvidia.com/gpu.count"] == "4"
    h100 = _find(data, "Node", "gpu-h100-01")
    assert "nvidia.com/mig.strategy" not in h100["metadata"]["labels"]


def test_notebooks_and_the_embedder_are_kubeflow_and_mig_shaped(data: DemoData) -> None:
    namespace = _find(data, "Namespace", USER_NAMESPACE)
    assert namespace["metadata"]["labels"]["istio-injection"] == "enabled"
    pods = _pods(data)
    by_uid = {o["metadata"]["uid"]: o for o in data.objects.items}
    asks = {"alice": ("nvidia.com/gpu", "1"), "bob": ("nvidia.com/mig-1g.5gb", "1")}
    for name, (resource, count) in asks.items():
        notebook = _find(data, "Notebook", name)
        assert notebook["apiVersion"] == "kubeflow.org/v1"
        assert notebook["status"]["readyReplicas"] == 1
        pod = pods[f"{name}-0"]
        stateful_set = by_uid[pod["metadata"]["ownerReferences"][0]["uid"]]
        assert stateful_set["kind"] == "StatefulSet" and stateful_set["metadata"]["name"] == name
        assert by_uid[stateful_set["metadata"]["ownerReferences"][0]["uid"]] is notebook
        assert pod["metadata"]["namespace"] == USER_NAMESPACE
        assert pod["spec"]["nodeName"] == A100_NODE and pod["status"]["phase"] == "Running"
        containers = [c["name"] for c in pod["spec"]["containers"]]
        assert containers == [name, "istio-proxy"]
        requests = pod["spec"]["containers"][0]["resources"]["requests"]
        assert {k: v for k, v in requests.items() if k.startswith("nvidia")} == {resource: count}
        assert pod["spec"]["nodeSelector"] == {"nvidia.com/gpu.product": "NVIDIA-A100-SXM4-40GB"}
        assert {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"} in pod[
            "spec"]["tolerations"]  # fmt: skip
    (embedder,) = [p for n, p in pods.items() if n.startswith("feature-embedder-")]
    requests = embedder["spec"]["containers"][0]["resources"]["requests"]
    assert requests["nvidia.com/mig-3g.20gb"] == "1" and "nvidia.com/gpu" not in requests
    replica_set = by_uid[embedder["metadata"]["ownerReferences"][0]["uid"]]
    assert replica_set["kind"] == "ReplicaSet"
    assert by_uid[replica_set["metadata"]["ownerReferences"][0]["uid"]]["kind"] == "Deployment"
    ips = [p["status"]["podIP"] for p in pods.values() if "podIP" in p["status"]]
    assert len(ips) == len(set(ips))  # new pods get addresses no other pod has


def test_the_sweep_waits_for_four_h100s_no_node_has(data: DemoData) -> None:
    (pod,) = [p for n, p in _pods(data).items() if n.startswith("llm-finetune-sweep-")]
    assert pod["status"]["phase"] == "Pending"
    assert "nodeName" not in pod["spec"] and "containerStatuses" not in pod["status"]
    assert pod["metadata"]["creationTimestamp"] == "2026-11-24T11:35:00Z"
    assert pod["metadata"]["ownerReferences"][0]["name"] == "llm-finetune-sweep"
    assert pod["spec"]["nodeSelector"] == {"nvidia.com/gpu.product": "NVIDIA-H100-80GB-HBM3"}
    assert pod["spec"]["containers"][0]["resources"]["requests"]["nvidia.com/gpu"] == "4"
    (scheduled,) = pod["status"]["conditions"]
    assert (scheduled["type"], scheduled["status"], scheduled["reason"]) == (
        "PodScheduled", "False", "Unschedulable")  # fmt: skip
    assert scheduled["message"] == SWEEP_MESSAGE
    (event,) = [
        e
        for e in data.objects.of_kind("Event")
        if e["involvedObject"]["uid"] == pod["metadata"]["uid"]
    ]
    assert (event["type"], event["reason"], event["message"]) == (
        "Warning", "FailedScheduling", SWEEP_MESSAGE)  # fmt: skip
    assert event["source"] == {"component": "default-scheduler"}
    assert event["count"] == 6  # tried at creation and every 5 minutes since


def test_the_scheduler_counts_every_node_of_a_bigger_cluster() -> None:
    scaled = generate_demo(workloads=300, hours=0.5)
    nodes = len(list(scaled.objects.of_kind("Node")))
    assert nodes == 21  # 525 CPU pods at 30 a node: 18 CPU nodes, and the 3 GPU nodes
    (pod,) = [p for p in scaled.objects.of_kind("Pod") if p["status"]["phase"] == "Pending"]
    message = pod["status"]["conditions"][0]["message"]
    assert message.startswith(
        "0/21 nodes are available: 1 Insufficient nvidia.com/gpu, 20 node(s) didn't match"
    )


def test_kube_state_metrics_answers_requests_and_allocatable(data: DemoData) -> None:
    requests = {
        (s.labels["namespace"], s.labels["pod"], s.labels.get("node", ""), s.labels["resource"]):
        s.value for s in data.metrics.instant["gpu_requests"]
    }  # fmt: skip
    assert requests[(USER_NAMESPACE, "alice-0", A100_NODE, "nvidia_com_gpu")] == 1
    assert requests[(USER_NAMESPACE, "bob-0", A100_NODE, "nvidia_com_mig_1g_5gb")] == 1
    (sweep,) = [k for k in requests if k[1].startswith("llm-finetune-sweep-")]
    assert sweep[2:] == ("", "nvidia_com_gpu") and requests[sweep] == 4
    per_node: dict[str, float] = {}
    for (_, _, node, resource), value in requests.items():
        if resource == "nvidia_com_gpu":
            per_node[node] = per_node.get(node, 0) + value
    # kube-state-metrics reports every pod the API has, the failed training pods kept by their
    # workflows too (2 GPUs on the H100 node, 1 on the L4 node), though they hold none.
    assert per_node == {"gpu-h100-01": 8, A100_NODE: 3, "gpu-l4-01": 2, "": 4}
    allocatable = {
        (s.labels["node"], s.labels["resource"]): s.value
        for s in data.metrics.instant["gpu_allocatable"]
    }
    assert allocatable == {
        ("gpu-h100-01", "nvidia_com_gpu"): 8,
        (A100_NODE, "nvidia_com_gpu"): 3,
        (A100_NODE, "nvidia_com_mig_3g_20gb"): 1,
        (A100_NODE, "nvidia_com_mig_2g_10gb"): 1,
        (A100_NODE, "nvidia_com_mig_1g_5gb"): 2,
        ("gpu-l4-01", "nvidia_com_gpu"): 4,
    }


def test_answers_keep_only_the_query_labels_with_values(data: DemoData) -> None:
    for query in (*DCGM_QUERIES, *KSM_QUERIES):
        answer = (data.metrics.range if query.is_range else data.metrics.instant)[query.key]
        assert answer, query.key
        for item in answer:
            assert set(item.labels) <= set(query.group_by)
            assert all(item.labels.values())
    step = data.metrics.step_seconds
    for series in data.metrics.range["gpu_util"]:
        assert np.all(np.diff(series.timestamps) == step)
        assert series.timestamps[0] >= data.metrics.start.timestamp()


def test_other_label_styles_name_the_machine_and_pod_differently() -> None:
    style = GpuLabelStyle(hostname_label="hostname", honor_labels=True, ksm_honor_labels=False)
    data = generate_demo(hours=0.5, gpu_labels=style)
    util = data.metrics.range["gpu_util"]
    assert all("Hostname" not in s.labels and "hostname" in s.labels for s in util)
    assert not [s for s in util if any(k.startswith("exported_") for k in s.labels)]
    alice = [s for s in util if s.labels.get("pod") == "alice-0"]
    assert [(s.labels["namespace"], s.labels["container"]) for s in alice] == [
        (USER_NAMESPACE, "alice")
    ]
    free = [s for s in util if (s.labels["hostname"], s.labels["gpu"]) == ("gpu-h100-01", "7")]
    assert [s.labels.get("pod") for s in free] == [None]
    requests = {s.labels["exported_pod"]: s.labels for s in data.metrics.instant["gpu_requests"]}
    assert requests["alice-0"]["exported_node"] == A100_NODE
    assert requests["alice-0"]["pod"].startswith("kube-state-metrics-")
    default = generate_demo(hours=0.5)
    same = {s.labels["UUID"] for s in default.metrics.range["gpu_util"]}
    assert {s.labels["UUID"] for s in util} == same  # the same devices, only named otherwise


def test_same_seed_same_gpus_and_another_seed_other_uuids(data: DemoData) -> None:
    again = generate_demo()
    for key in ALL_GPU_QUERIES:
        first = (data.metrics.range if key in data.metrics.range else data.metrics.instant)[key]
        second = (again.metrics.range if key in again.metrics.range else again.metrics.instant)[key]
        assert repr(first) == repr(second), key
    uuids = {s.labels["UUID"] for s in data.metrics.range["gpu_util"]}
    assert len(uuids) == 15 and all(re.fullmatch(r"GPU-[0-9a-f-]{36}", u) for u in uuids)
    other = generate_demo(seed=8, hours=0.5)
    assert not uuids & {s.labels["UUID"] for s in other.metrics.range["gpu_util"]}


_LINE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)\{(.*)\} (\S+) (\d+)$")
_LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)",?')


def _parse(text: str) -> Iterator[tuple[str, dict[str, str], float, int]]:
    for line in text.splitlines():
        if line == "# EOF":
            continue
        found = _LINE.match(line)
        assert found, line
        metric, inside, value, stamp = found.groups()
        labels = dict(_LABEL.findall(inside))
        yield metric, labels, float(value), int(stamp)


def test_openmetrics_export_gives_back_every_sample_exactly() -> None:
    data = generate_demo(hours=0.25)
    out = io.StringIO()
    written = write_gauges(data.gauges, out)
    text = out.getvalue()
    assert text.endswith("\n# EOF\n") and text.count("# EOF") == 1
    parsed: dict[tuple[str, tuple[tuple[str, str], ...]], list[tuple[int, float]]] = {}
    order: list[str] = []
    for metric, labels, value, stamp in _parse(text):
        if not order or order[-1] != metric:
            assert metric not in order, f"{metric} lines are not together"
            order.append(metric)
        assert labels.pop("job") in ("nvidia-dcgm-exporter", "kube-state-metrics")
        assert labels.pop("instance")
        parsed.setdefault((metric, tuple(sorted(labels.items()))), []).append((stamp, value))
    assert written == sum(len(v) for v in parsed.values())
    times = data.gauges.times
    expected = {
        (s.metric, tuple(sorted(s.labels.items()))): list(
            zip(s.timestamps(times).tolist(), s.values.tolist(), strict=True)
        )
        for s in data.gauges.series
    }
    assert parsed == expected  # every value exact, each series in time order
    util = next(k for k in expected if k[0] == "DCGM_FI_DEV_GPU_UTIL")
    assert len(expected[util]) == data.gauges.times.size  # one sample per scrape


def test_openmetrics_picks_scrapes_and_shares_one_eof_with_the_istio_counters() -> None:
    data = generate_demo(hours=0.25)
    since = int(data.gauges.times[-1]) - 120
    out = io.StringIO()
    write_openmetrics(data.streams, out, every=4, since=since, eof=False)
    counters = out.getvalue()
    assert "# EOF" not in counters
    write_gauges(data.gauges, out, every=4, since=since)
    text = out.getvalue()
    assert text.count("# EOF") == 1 and text.endswith("\n# EOF\n")
    stamps = {stamp for _, _, _, stamp in _parse(text[len(counters) :])}
    first = int(data.gauges.times[0])
    assert stamps and min(stamps) >= since
    assert all((stamp - first) // 15 % 4 == 0 for stamp in stamps)


def _normalised(obj: KubeObject) -> KubeObject:
    """The A100 node as it was before MIG: four whole GPUs on offer."""
    obj = copy.deepcopy(obj)
    if obj["kind"] == "Node" and obj["metadata"]["name"] == A100_NODE:
        for label in ("nvidia.com/mig.capable", "nvidia.com/mig.strategy"):
            del obj["metadata"]["labels"][label]
        for part in ("capacity", "allocatable"):
            offered = obj["status"][part]
            for resource in [r for r in offered if r.startswith("nvidia.com/mig-")]:
                del offered[resource]
            offered["nvidia.com/gpu"] = "4"
    return obj


def _objects_digest(items: list[KubeObject]) -> str:
    return hashlib.sha256(json.dumps(items, sort_keys=True).encode()).hexdigest()


def _shape_digest(data: DemoData) -> str:
    digest = hashlib.sha256()
    for key in sorted(set(data.metrics.range) - set(ALL_GPU_QUERIES)):
        for series in data.metrics.range[key]:
            digest.update(json.dumps([key, series.labels], sort_keys=True).encode())
            digest.update(series.timestamps.tobytes())
    for key in sorted(set(data.metrics.instant) - set(ALL_GPU_QUERIES)):
        for sample in data.metrics.instant[key]:
            digest.update(json.dumps([key, sample.labels], sort_keys=True).encode())
    return digest.hexdigest()


def test_the_rest_of_the_demo_is_what_it_was_before_the_gpu_fleet(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    data = generate_demo(hours=1.0)
    items = data.objects.items
    tail = items[-len(GPU_ONLY_OBJECTS) :]
    assert [(o["kind"], o["metadata"]["name"]) for o in tail] == [
        (kind, o["metadata"]["name"]) for (kind, _), o in zip(GPU_ONLY_OBJECTS, tail, strict=True)
    ]
    assert all(
        o["kind"] == kind and o["metadata"]["name"].startswith(name)
        for (kind, name), o in zip(GPU_ONLY_OBJECTS, tail, strict=True)
    )
    before = items[: -len(GPU_ONLY_OBJECTS)]
    assert _objects_digest([_normalised(o) for o in before]) == OBJECTS_BEFORE
    assert _shape_digest(data) == ISTIO_SHAPE_BEFORE
    # Without the fleet at all, the Istio answers are the very same numbers.
    monkeypatch.setattr(demo_module, "gpu_objects", lambda *args: [])
    monkeypatch.setattr(demo_module, "gpu_gauges", lambda *args: GaugeSamples())
    without = generate_demo(hours=1.0)
    assert without.objects.items == before
    for key, answer in without.metrics.range.items():
        if key in ALL_GPU_QUERIES:
            assert answer == []
            continue
        for x, y in zip(answer, data.metrics.range[key], strict=True):
            assert x.labels == y.labels and np.array_equal(x.values, y.values, equal_nan=True)
    for key, samples in without.metrics.instant.items():
        if key not in ALL_GPU_QUERIES:
            assert repr(samples) == repr(data.metrics.instant[key]), key


def _range_query(url: str, promql: str, start: float, end: float, step: int) -> list[Any]:
    query = urllib.parse.urlencode({"query": promql, "start": start, "end": end, "step": step})
    with urllib.request.urlopen(f"{url}/api/v1/query_range?{query}", timeout=30) as answer:
        body = json.load(answer)
    assert body["status"] == "success", body
    result: list[Any] = body["data"]["result"]
    return result


def test_a_real_prometheus_backfilled_with_the_export_answers_the_same(tmp_path: Path) -> None:
    from prometheus_server import MISSING, backfill, instant_query, running_prometheus

    if MISSING:
        if os.environ.get("CI"):
            pytest.fail(MISSING)
        pytest.skip(MISSING)
    data = generate_demo(hours=1.0)
    openmetrics = tmp_path / "gpu.om"
    with openmetrics.open("w") as out:
        write_gauges(data.gauges, out)
    backfill(openmetrics, tmp_path / "tsdb")
    metrics = data.metrics
    start, end = metrics.start.timestamp(), metrics.end.timestamp()
    with running_prometheus(tmp_path / "tsdb", tmp_path) as url:
        for query in DCGM_QUERIES:
            real = {
                tuple(sorted(item["metric"].items())): [(int(t), float(v)) for t, v in
                                                        item["values"]]
                for item in _range_query(url, query.promql(), start, end, metrics.step_seconds)
            }  # fmt: skip
            expected = {
                tuple(sorted(s.labels.items())): list(
                    zip(s.timestamps.tolist(), s.values.tolist(), strict=True)
                )
                for s in metrics.range[query.key]
            }
            assert real == expected, query.key
        for query in KSM_QUERIES:
            answer = instant_query(url, query.promql(), end)
            real_instant = {
                tuple(sorted(i["metric"].items())): float(i["value"][1]) for i in answer
            }
            assert real_instant == {
                tuple(sorted(s.labels.items())): s.value for s in metrics.instant[query.key]
            }, query.key
