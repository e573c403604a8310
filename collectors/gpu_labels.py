"""Which labels of a GPU answer name the machine, the device and the pod: the label variants.

DCGM exporter and kube-state-metrics answers come in several label dialects, depending on the
exporter's version and on how Prometheus scraped it:

- the machine is ``Hostname`` (dcgm-exporter before 4.x) or ``hostname`` (newer);
- with ``honor_labels: false`` (the Helm chart's default) Prometheus renames a scraped label
  that clashes with a target label to ``exported_<name>``: the pod using a GPU then arrives as
  ``exported_pod`` while ``pod`` names the exporter's own pod. An answer with ``exported_pod``
  anywhere in it was scraped that way, so a plain ``pod`` in it is never a user;
- a MIG instance carries ``GPU_I_PROFILE`` and ``GPU_I_ID`` on top of its GPU's ``gpu``;
- kube-state-metrics names a resource with dots, dashes and slashes turned into underscores:
  ``nvidia_com_gpu``, ``nvidia_com_mig_1g_5gb``.

Every function here is pure and reads one label set (or one answer's label sets).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

__all__ = [
    "EXPORTER_MARK",
    "MigInstance",
    "PodRef",
    "assigned_pod",
    "device_index",
    "ksm_label",
    "machine_of",
    "mig_instance",
    "mig_weight",
    "renamed_labels",
    "resource_profile",
]

EXPORTER_MARK = "dcgm-exporter"
"""Part of the exporter's own pod and container names (``nvidia-dcgm-exporter-x7k2p``)."""

EXPORTED_PREFIX = "exported_"

_WHOLE_GPU_RESOURCE = "nvidia_com_gpu"
_MIG_RESOURCE_PREFIX = "nvidia_com_mig_"
_MIG_SLICES = re.compile(r"^(?:\d+c\.)?(\d+)g\.")


@dataclass(frozen=True, slots=True)
class PodRef:
    """The pod (and container) a DCGM series is attributed to."""

    namespace: str
    pod: str
    container: str = ""


@dataclass(frozen=True, slots=True)
class MigInstance:
    """A MIG GPU instance: its profile (``1g.5gb``) and its id on its GPU (``GPU_I_ID``)."""

    profile: str
    instance_id: int


def machine_of(labels: Mapping[str, str]) -> str:
    """The Kubernetes node a DCGM series was measured on; ``""`` when it does not say.

    >>> machine_of({"Hostname": "gpu-a"}), machine_of({"hostname": "gpu-b"}), machine_of({})
    ('gpu-a', 'gpu-b', '')
    """
    return labels.get("Hostname") or labels.get("hostname") or ""


def device_index(labels: Mapping[str, str]) -> int | None:
    """The device's position on its machine (DCGM's ``gpu``); ``None`` when absent or not a number.

    >>> device_index({"gpu": "3"}), device_index({"gpu": "x"}), device_index({})
    (3, None, None)
    """
    try:
        index = int(labels.get("gpu", ""))
    except ValueError:
        return None
    return index if index >= 0 else None


def renamed_labels(answer: Iterable[Mapping[str, str]]) -> frozenset[str]:
    """Label names an answer carries as ``exported_<name>`` somewhere: Prometheus renamed them.

    >>> sorted(renamed_labels([{"pod": "x"}, {"exported_pod": "web-1", "exported_node": "g1"}]))
    ['node', 'pod']
    """
    return frozenset(
        name.removeprefix(EXPORTED_PREFIX)
        for labels in answer
        for name, value in labels.items()
        if value and name.startswith(EXPORTED_PREFIX)
    )


def assigned_pod(labels: Mapping[str, str], *, renamed: bool) -> PodRef | None:
    """The pod a DCGM series is assigned to, or ``None`` for a free device.

    ``renamed``: the series' answer holds ``exported_pod`` (honor_labels false), so a plain
    ``pod`` is the exporter's own. Otherwise ``pod`` is the user, unless it (or its container)
    is the exporter itself. A pod without a namespace cannot be named, so it counts as none.

    >>> assigned_pod({"exported_pod": "a", "exported_namespace": "ml", "pod": "x"}, renamed=True)
    PodRef(namespace='ml', pod='a', container='')
    >>> assigned_pod({"pod": "nvidia-dcgm-exporter-x7k2p", "namespace": "gpu"}, renamed=False)
    >>> assigned_pod({"pod": "trainer", "namespace": "ml"}, renamed=True)
    >>> assigned_pod({"pod": "trainer", "namespace": "ml", "container": "t"}, renamed=False)
    PodRef(namespace='ml', pod='trainer', container='t')
    """
    if labels.get("exported_pod"):
        prefix = EXPORTED_PREFIX
    elif renamed:
        return None
    else:
        prefix = ""
    pod = labels.get(f"{prefix}pod", "")
    namespace = labels.get(f"{prefix}namespace", "")
    container = labels.get(f"{prefix}container", "")
    if not pod or not namespace:
        return None
    if not prefix and (EXPORTER_MARK in pod or EXPORTER_MARK in container):
        return None
    return PodRef(namespace, pod, container)


def mig_instance(labels: Mapping[str, str]) -> MigInstance | None:
    """The MIG instance a DCGM series measures; ``None`` for a whole GPU.

    >>> mig_instance({"gpu": "3", "GPU_I_PROFILE": "1g.5gb", "GPU_I_ID": "13"})
    MigInstance(profile='1g.5gb', instance_id=13)
    >>> mig_instance({"gpu": "3"}) is None
    True
    """
    profile = labels.get("GPU_I_PROFILE", "")
    try:
        instance_id = int(labels.get("GPU_I_ID", ""))
    except ValueError:
        return None
    return MigInstance(profile, instance_id) if profile else None


def mig_weight(profile: str) -> int:
    """The compute slices a MIG profile holds (``3g.20gb`` -> 3); 1 when the name says nothing.

    >>> mig_weight("3g.20gb"), mig_weight("1c.2g.10gb"), mig_weight("odd")
    (3, 2, 1)
    """
    found = _MIG_SLICES.match(profile)
    return max(int(found.group(1)), 1) if found else 1


def resource_profile(resource: str) -> str | None:
    """What a kube-state-metrics ``resource`` counts: ``""`` whole GPUs, else the MIG profile.

    ``None`` for any other resource.

    >>> resource_profile("nvidia_com_gpu"), resource_profile("nvidia_com_mig_1g_5gb")
    ('', '1g.5gb')
    >>> resource_profile("cpu") is None
    True
    """
    if resource == _WHOLE_GPU_RESOURCE:
        return ""
    if resource.startswith(_MIG_RESOURCE_PREFIX) and len(resource) > len(_MIG_RESOURCE_PREFIX):
        # ``nvidia.com/mig-1g.5gb``: the dot inside the profile was turned into an underscore.
        return resource.removeprefix(_MIG_RESOURCE_PREFIX).replace("_", ".")
    return None


def ksm_label(labels: Mapping[str, str], name: str, *, renamed: frozenset[str]) -> str:
    """A kube-state-metrics label, wherever the scrape put it.

    ``exported_<name>`` when present. Otherwise, when the answer shows ``name`` renamed elsewhere
    (see :func:`renamed_labels`), a plain ``name`` is the scraper's own target label (the node
    kube-state-metrics runs on, say), and an empty value means the metric had none: a pod
    not yet scheduled has no ``node``.

    >>> ksm_label({"node": "ksm-host"}, "node", renamed=frozenset({"node"}))
    ''
    >>> ksm_label({"exported_node": "gpu-1", "node": "ksm-host"}, "node", renamed=frozenset())
    'gpu-1'
    >>> ksm_label({"node": "gpu-1"}, "node", renamed=frozenset())
    'gpu-1'
    """
    exported = labels.get(f"{EXPORTED_PREFIX}{name}", "")
    if exported:
        return exported
    return "" if name in renamed else labels.get(name, "")
