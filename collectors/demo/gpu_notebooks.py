"""Kubeflow notebooks on GPUs: the Notebook, the StatefulSet its controller makes, and its pod.

The notebook controller (kubeflow.org/v1) owns one StatefulSet per Notebook, named after it,
selecting ``statefulset: <name>``; its pod ``<name>-0`` carries the Notebook's labels and, in a
profile namespace with Istio injection, the sidecar. The controller records the Jupyter
kernels' last activity in an annotation, which is how an idle notebook shows.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from collectors.cluster import KubeObject
from collectors.demo.context import Context
from collectors.demo.gpu_fleet import MIG_RESOURCE, NOTEBOOK_ACTIVITY
from collectors.demo.kube import condition, metadata, owner, timestamp
from collectors.demo.names import A100, KUBEFLOW_USER
from collectors.demo.pods import PodPlan, build_pod, pod_template
from collectors.demo.spec import Workload

NOTEBOOK_IMAGE = "kubeflownotebookswg/jupyter-pytorch-cuda-full:v1.9.0"
NOTEBOOK_CREATOR = "user@example.com"


@dataclass(frozen=True, slots=True)
class NotebookSpec:
    """One user's notebook server: what it asks for and when its kernels were last busy."""

    name: str
    gpus: int
    mig_profile: str  # "" for whole GPUs
    created: datetime
    last_activity: datetime
    cpu: str = "4"
    memory: str = "32Gi"


def ask_for_mig(pod_spec: dict[str, Any], profile: str) -> None:
    """Make the main container request one ``nvidia.com/mig-<profile>`` instance."""
    resources = pod_spec["containers"][0]["resources"]
    for section in ("requests", "limits"):
        resources[section][f"{MIG_RESOURCE}{profile}"] = "1"


def _workload(spec: NotebookSpec) -> Workload:
    return Workload(
        KUBEFLOW_USER,
        spec.name,
        spec.name,
        kind="StatefulSet",
        image=NOTEBOOK_IMAGE,
        container=spec.name,
        container_ports=(8888,),
        gpus=spec.gpus,
        gpu_product=A100,
        env=(("NB_PREFIX", f"/notebook/{KUBEFLOW_USER}/{spec.name}"),),
        labels=(("notebook-name", spec.name), ("statefulset", spec.name)),
        service_account="default-editor",
        cpu=spec.cpu,
        memory=spec.memory,
    )


def _template(spec: NotebookSpec, workload: Workload) -> dict[str, Any]:
    template = pod_template(workload)
    pod = template["spec"]
    if spec.mig_profile:
        ask_for_mig(pod, spec.mig_profile)
    main = pod["containers"][0]
    main.pop("readinessProbe", None)  # the controller adds none
    main["volumeMounts"] = [
        {"mountPath": "/dev/shm", "name": "dshm"},
        {"mountPath": "/home/jovyan", "name": f"{spec.name}-workspace"},
    ]
    pod["volumes"] = [
        {"name": "dshm", "emptyDir": {"medium": "Memory"}},
        {"name": f"{spec.name}-workspace",
         "persistentVolumeClaim": {"claimName": f"{spec.name}-workspace"}},
    ]  # fmt: skip
    return template


def notebook_objects(spec: NotebookSpec, ctx: Context) -> list[KubeObject]:
    """The Notebook, its StatefulSet and its running pod ``<name>-0``."""
    workload = _workload(spec)
    template = _template(spec, workload)
    started = spec.created + timedelta(seconds=40)
    annotations = {
        "notebooks.kubeflow.org/creator": NOTEBOOK_CREATOR,
        "notebooks.kubeflow.org/server-type": "jupyter",
        NOTEBOOK_ACTIVITY: timestamp(spec.last_activity),
    }
    ready = [condition(kind, True, started + timedelta(seconds=8))
             for kind in ("Ready", "ContainersReady")]  # fmt: skip
    notebook: KubeObject = {
        "apiVersion": "kubeflow.org/v1",
        "kind": "Notebook",
        "metadata": metadata(spec.name, KUBEFLOW_USER, ctx.namer.uid(), spec.created,
                             labels={"app": spec.name}, annotations=annotations, generation=1),
        "spec": {"template": {"spec": json.loads(json.dumps(template["spec"]))}},
        "status": {
            "conditions": [{**c, "lastProbeTime": timestamp(ctx.now)} for c in ready],
            "containerState": {"running": {"startedAt": timestamp(started + timedelta(seconds=4))}},
            "readyReplicas": 1,
        },
    }  # fmt: skip
    revision = f"{spec.name}-{ctx.namer.suffix(10)}"
    stateful_set: KubeObject = {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": metadata(spec.name, KUBEFLOW_USER, ctx.namer.uid(), spec.created,
                             owners=[owner(notebook)], generation=1),
        "spec": {
            "replicas": 1, "selector": {"matchLabels": {"statefulset": spec.name}},
            "template": template, "podManagementPolicy": "OrderedReady",
            "updateStrategy": {"type": "RollingUpdate"}, "revisionHistoryLimit": 10,
        },
        "status": {"observedGeneration": 1, "replicas": 1, "readyReplicas": 1,
                   "currentReplicas": 1, "updatedReplicas": 1, "availableReplicas": 1,
                   "currentRevision": revision, "updateRevision": revision, "collisionCount": 0},
    }  # fmt: skip
    name = f"{spec.name}-0"
    labels = {"controller-revision-hash": revision, "statefulset.kubernetes.io/pod-name": name,
              "apps.kubernetes.io/pod-index": "0"}  # fmt: skip
    node = ctx.placement.place(workload)
    plan = PodPlan(name, "", owner(stateful_set), labels, node, ctx.placement.node_ips[node],
                   started)  # fmt: skip
    pod = build_pod(workload, template, plan, ctx.namer, ctx.now, injected=True)
    return [notebook, stateful_set, pod]
