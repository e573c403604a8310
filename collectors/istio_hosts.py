"""Istio host names: how a rule's ``host`` names a Service, and what the mesh knows as hosts.

Istio resolves a short host (``reviews``) in the namespace of the rule that names it; Kiali also
reads ``reviews.bookinfo`` and ``reviews.bookinfo.svc`` as that Service, which is how people
write them and how Kubernetes DNS answers them. Wildcards (``*.example.com``, ``*``) match by
suffix.

>>> fqdn("reviews", "bookinfo")
'reviews.bookinfo.svc.cluster.local'
>>> service_of("reviews.bookinfo.svc.cluster.local")
('bookinfo', 'reviews')
>>> host_matches("*.bookinfo.svc.cluster.local", "reviews.bookinfo.svc.cluster.local")
True
"""

from __future__ import annotations

from collections.abc import Iterable

CLUSTER_DOMAIN = "svc.cluster.local"


def fqdn(host: str, namespace: str) -> str:
    """The fully qualified name of ``host`` as written in a rule living in ``namespace``."""
    host = host.strip().lower()
    parts = host.split(".")
    if "*" in host or not all(parts):  # a wildcard, or a malformed name: kept as written
        return host
    if len(parts) == 1:
        return f"{host}.{namespace}.{CLUSTER_DOMAIN}"
    if len(parts) == 2 or (len(parts) == 3 and parts[2] == "svc"):
        return f"{parts[0]}.{parts[1]}.{CLUSTER_DOMAIN}"
    return host


def service_of(name: str) -> tuple[str, str] | None:
    """``(namespace, service)`` when a fully qualified host is a cluster Service's name."""
    suffix = f".{CLUSTER_DOMAIN}"
    if not name.endswith(suffix):
        return None
    parts = name.removesuffix(suffix).split(".")
    return (parts[1], parts[0]) if len(parts) == 2 and "*" not in name else None


def host_matches(pattern: str, name: str) -> bool:
    """Whether a (possibly wildcard) fully qualified host pattern covers ``name``."""
    if pattern == "*" or pattern == name:
        return True
    if pattern.startswith("*."):
        return name.endswith(pattern[1:])
    return False


def any_host_matches(patterns: Iterable[str], name: str) -> bool:
    """Whether any pattern covers ``name``."""
    return any(host_matches(pattern, name) for pattern in patterns)
