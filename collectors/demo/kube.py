"""Small builders for Kubernetes object parts: metadata, owner references, names, addresses."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

import numpy as np

from collectors.cluster import KubeObject

# Kubernetes' rand.SafeEncodeString alphabet: no vowels, no look-alike characters.
NAME_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"


def timestamp(moment: datetime) -> str:
    """RFC 3339 in UTC with a ``Z``, as the API server writes times."""
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


class Namer:
    """Deterministic uids, generated name suffixes and IP addresses from one generator."""

    def __init__(self, rng: np.random.Generator) -> None:
        self._rng = rng
        self._pod_ips = 0
        self._cluster_ips = 0

    def uid(self) -> str:
        """A random (version 4) UUID."""
        return str(uuid.UUID(bytes=self._rng.bytes(16), version=4))

    def suffix(self, length: int) -> str:
        """A generated-name suffix (``pod-template-hash`` is 10 long, pod names 5)."""
        picks = self._rng.integers(0, len(NAME_ALPHABET), length)
        return "".join(NAME_ALPHABET[i] for i in picks)

    def integer(self, low: int, high: int) -> int:
        """An integer in ``[low, high)``."""
        return int(self._rng.integers(low, high))

    def hex(self, length: int) -> str:
        """Lowercase hex digits (container ids, event name suffixes)."""
        return self._rng.bytes((length + 1) // 2).hex()[:length]

    def pod_ip(self) -> str:
        """The next pod address in 10.244.0.0/14."""
        self._pod_ips += 1
        n = self._pod_ips + 1
        return f"10.{244 + n // 65536}.{n // 256 % 256}.{n % 256}"

    def cluster_ip(self) -> str:
        """The next Service address in 10.96.0.0/12."""
        self._cluster_ips += 1
        n = self._cluster_ips + 10
        return f"10.{96 + n // 65536}.{n // 256 % 256}.{n % 256}"

    def age(self, now: datetime, low_days: float, high_days: float) -> datetime:
        """A moment between ``high_days`` and ``low_days`` before ``now``, on a whole second."""
        seconds = float(self._rng.uniform(low_days, high_days)) * 86400.0
        return (now - timedelta(seconds=seconds)).replace(microsecond=0)


def metadata(
    name: str,
    namespace: str,
    uid: str,
    created: datetime,
    *,
    labels: dict[str, str] | None = None,
    annotations: dict[str, str] | None = None,
    owners: list[dict[str, Any]] | None = None,
    generate_name: str = "",
    generation: int | None = None,
) -> dict[str, Any]:
    """Object metadata as the API server returns it."""
    meta: dict[str, Any] = {"name": name}
    if generate_name:
        meta["generateName"] = generate_name
    if namespace:
        meta["namespace"] = namespace
    meta["uid"] = uid
    meta["resourceVersion"] = str(int(created.timestamp()) % 10_000_000)
    if generation is not None:
        meta["generation"] = generation
    meta["creationTimestamp"] = timestamp(created)
    if labels:
        meta["labels"] = dict(labels)
    if annotations:
        meta["annotations"] = dict(annotations)
    if owners:
        meta["ownerReferences"] = owners
    return meta


def owner(obj: KubeObject, *, controller: bool = True) -> dict[str, Any]:
    """An ownerReference to ``obj``."""
    meta = obj["metadata"]
    return {
        "apiVersion": obj["apiVersion"],
        "kind": obj["kind"],
        "name": meta["name"],
        "uid": meta["uid"],
        "controller": controller,
        "blockOwnerDeletion": True,
    }


def condition(
    kind: str, status: bool, when: datetime, reason: str = "", message: str = ""
) -> dict[str, Any]:
    """A status condition."""
    found: dict[str, Any] = {
        "type": kind,
        "status": "True" if status else "False",
        "lastTransitionTime": timestamp(when),
    }
    if reason:
        found["reason"] = reason
    if message:
        found["message"] = message
    return found
