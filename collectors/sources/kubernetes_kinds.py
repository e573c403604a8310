"""The kinds the live Kubernetes source reads, as data, and how one kind is read.

deploy/meshlens.yaml's ClusterRole must grant ``list`` on each of :data:`LIVE_KINDS` (a test
checks it). Secrets and ConfigMaps are deliberately absent: meshlens never asks for them.
:class:`KindReader` lists one kind page by page, at the first version served, and turns what
went wrong into a few words for ``missing``, or a :class:`KubernetesError` when it is fatal.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from kubernetes import client
from kubernetes.client.exceptions import ApiException
from urllib3.exceptions import HTTPError, ReadTimeoutError

from collectors.cluster import KubeObject, KubernetesError

__all__ = [
    "LIVE_KINDS",
    "NOT_INSTALLED",
    "KindRead",
    "KindReader",
    "KubernetesError",
    "LiveKind",
    "one_line",
    "raw_json",
    "raw_options",
]

log = logging.getLogger(__name__)

NOT_INSTALLED = "CRD not installed"


@dataclass(frozen=True, slots=True)
class LiveKind:
    """One kind read from the API server.

    ``versions`` are tried in order, moving on when the API server answers 404 (custom
    resources whose CRD serves older versions only). ``crd`` kinds exist only where their
    CustomResourceDefinition is installed; the others are built into every API server.
    """

    kind: str
    group: str  # "" for the core group
    versions: tuple[str, ...]
    plural: str
    namespaced: bool = True
    crd: bool = False
    field_selector: str = ""  # narrows the list on the server side

    def api_version(self, version: str) -> str:
        """Return the ``apiVersion`` of this kind at ``version`` (``v1``, ``apps/v1``)."""
        return f"{self.group}/{version}" if self.group else version

    @property
    def method_stem(self) -> str:
        """The snake-case name the typed client uses in its list methods (``replica_set``)."""
        return re.sub(r"(?<!^)(?=[A-Z])", "_", self.kind).lower()


def _custom(kind: str, group: str, versions: tuple[str, ...], plural: str) -> LiveKind:
    return LiveKind(kind, group, versions, plural, crd=True)


_NETWORKING, _NETWORKING_VERSIONS = "networking.istio.io", ("v1", "v1beta1", "v1alpha3")
_SECURITY, _SECURITY_VERSIONS = "security.istio.io", ("v1", "v1beta1")

LIVE_KINDS: tuple[LiveKind, ...] = (
    LiveKind("Namespace", "", ("v1",), "namespaces", namespaced=False),
    LiveKind("Node", "", ("v1",), "nodes", namespaced=False),
    LiveKind("Pod", "", ("v1",), "pods"),
    LiveKind("Deployment", "apps", ("v1",), "deployments"),
    LiveKind("ReplicaSet", "apps", ("v1",), "replicasets"),
    LiveKind("StatefulSet", "apps", ("v1",), "statefulsets"),
    LiveKind("DaemonSet", "apps", ("v1",), "daemonsets"),
    LiveKind("Job", "batch", ("v1",), "jobs"),
    LiveKind("CronJob", "batch", ("v1",), "cronjobs"),
    LiveKind("Service", "", ("v1",), "services"),
    LiveKind("EndpointSlice", "discovery.k8s.io", ("v1",), "endpointslices"),
    LiveKind("HorizontalPodAutoscaler", "autoscaling", ("v2",), "horizontalpodautoscalers"),
    # The API server keeps events for about an hour: the warnings are the recent trouble.
    LiveKind("Event", "", ("v1",), "events", field_selector="type=Warning"),
    _custom("VirtualService", _NETWORKING, _NETWORKING_VERSIONS, "virtualservices"),
    _custom("DestinationRule", _NETWORKING, _NETWORKING_VERSIONS, "destinationrules"),
    _custom("Gateway", _NETWORKING, _NETWORKING_VERSIONS, "gateways"),
    _custom("ServiceEntry", _NETWORKING, _NETWORKING_VERSIONS, "serviceentries"),
    _custom("Sidecar", _NETWORKING, _NETWORKING_VERSIONS, "sidecars"),
    _custom("PeerAuthentication", _SECURITY, _SECURITY_VERSIONS, "peerauthentications"),
    _custom("AuthorizationPolicy", _SECURITY, _SECURITY_VERSIONS, "authorizationpolicies"),
    _custom("Workflow", "argoproj.io", ("v1alpha1",), "workflows"),
    _custom("InferenceService", "serving.kserve.io", ("v1beta1",), "inferenceservices"),
)
"""Every kind the live source lists, in the order its objects come out."""


@dataclass(frozen=True, slots=True)
class _Scope:
    """One list's reach: a namespace (``None``: all, or cluster-scoped) and a field selector."""

    namespace: str | None = None
    field_selector: str = ""


@dataclass(slots=True)
class KindRead:
    """What was read of one kind, and why (some of) it is missing."""

    kind: LiveKind
    items: list[KubeObject] = field(default_factory=list)
    reason: str = ""  # empty when everything asked for was read
    answered: bool = False  # at least one of its lists succeeded


class _ListFailed(Exception):
    """One list could not be read; the message is the reason."""


_BUILTIN_APIS: dict[tuple[str, str], Callable[[client.ApiClient], Any]] = {
    ("", "v1"): client.CoreV1Api,
    ("apps", "v1"): client.AppsV1Api,
    ("batch", "v1"): client.BatchV1Api,
    ("discovery.k8s.io", "v1"): client.DiscoveryV1Api,
    ("autoscaling", "v2"): client.AutoscalingV2Api,
}


@dataclass(frozen=True, slots=True)
class KindReader:
    """Reads kinds through one API client; ``display`` names the cluster in fatal errors."""

    api: client.ApiClient
    display: str
    namespaces: tuple[str, ...] = ()
    page_size: int = 500
    timeout_seconds: float = 30.0

    def read(self, kind: LiveKind) -> KindRead:
        """List every object of ``kind`` in the namespaces asked for (all when none)."""
        read = KindRead(kind)
        versions = list(kind.versions)
        problems: dict[str, list[str]] = {}
        for scope in self._scopes(kind):
            started = time.perf_counter()
            try:
                items, pages = self._list_any_version(kind, versions, scope)
            except ApiException as error:
                if error.status == 404 and kind.crd and not read.answered:
                    read.reason = NOT_INSTALLED
                    log.info("%s: %s", kind.kind, NOT_INSTALLED)
                    return read
                problems.setdefault(self.failure(error), []).append(scope.namespace or "")
                continue
            except (_ListFailed, HTTPError, ValueError) as error:
                problems.setdefault(self.failure(error), []).append(scope.namespace or "")
                continue
            del versions[1:]  # the version that answered serves the other namespaces too
            read.answered = True
            read.items.extend(items)
            where = f" in {scope.namespace}" if scope.namespace else ""
            elapsed = time.perf_counter() - started
            log.info(
                "listed %d %s%s: %d page(s), %.2f s", len(items), kind.kind, where, pages, elapsed
            )
        read.reason = "; ".join(_where(reason, spaces) for reason, spaces in problems.items())
        if read.reason:
            log.warning("%s not read: %s", kind.kind, read.reason)
        return read

    def failure(self, error: Exception) -> str:
        """Return why a request failed, in a few words; raise :class:`KubernetesError` if fatal."""
        if isinstance(error, ApiException):
            status = int(error.status or 0)
            if status == 401:
                raise KubernetesError(f"{self.display}: 401 unauthorized (credentials rejected)")
            if status == 0:  # the client reports TLS failures as status 0
                raise KubernetesError(f"{self.display}: {one_line(str(error.reason))}")
            return "403 forbidden" if status == 403 else f"{status} {_status_message(error)}"
        if isinstance(error, HTTPError):
            cause = getattr(error, "reason", None) or error
            if isinstance(cause, ReadTimeoutError):
                return f"timed out after {self.timeout_seconds:g} s"
            underlying = cause.__cause__ or cause.__context__
            problem = getattr(underlying, "strerror", None) or one_line(str(cause))
            raise KubernetesError(f"cannot reach {self.display}: {str(problem).lower()}")
        return one_line(str(error)) or type(error).__name__

    def _scopes(self, kind: LiveKind) -> list[_Scope]:
        if self.namespaces and kind.kind == "Namespace":
            return [_Scope(None, f"metadata.name={name}") for name in self.namespaces]
        if not self.namespaces or not kind.namespaced:
            return [_Scope(None, kind.field_selector)]
        return [_Scope(name, kind.field_selector) for name in self.namespaces]

    def _list_any_version(
        self, kind: LiveKind, versions: list[str], scope: _Scope
    ) -> tuple[list[KubeObject], int]:
        """List at the first version served, dropping the versions that answer 404."""
        while True:
            try:
                return self._list_restarting(kind, versions[0], scope)
            except ApiException as error:
                if error.status != 404 or len(versions) == 1:
                    raise
            log.debug("%s: %s not served", kind.kind, kind.api_version(versions.pop(0)))

    def _list_restarting(
        self, kind: LiveKind, version: str, scope: _Scope
    ) -> tuple[list[KubeObject], int]:
        try:
            return self._list(kind, version, scope)
        except ApiException as error:
            if error.status != 410:
                raise
        # The continue token expired mid-list (etcd compacted): a fresh list is consistent again.
        log.info("%s: the list expired while paging (410 Gone); listing again", kind.kind)
        try:
            return self._list(kind, version, scope)
        except ApiException as error:
            if error.status != 410:
                raise
            raise _ListFailed("410 gone: the list expired twice while paging") from None

    def _list(self, kind: LiveKind, version: str, scope: _Scope) -> tuple[list[KubeObject], int]:
        call = self._list_call(kind, version, scope)
        items: list[KubeObject] = []
        token: str | None = None
        pages = 0
        while True:
            options = raw_options(self.timeout_seconds, limit=self.page_size, _continue=token)
            if scope.field_selector:
                options["field_selector"] = scope.field_selector
            answer = raw_json(call(**options))
            pages += 1
            api_version = str(answer.get("apiVersion") or kind.api_version(version))
            for item in answer.get("items") or []:
                if not isinstance(item, dict):
                    raise ValueError("a list item is not an object")
                # Typed lists leave kind and apiVersion off their items; kubectl puts them back.
                items.append({"apiVersion": api_version, "kind": kind.kind, **item})
            metadata = answer.get("metadata")
            token = metadata.get("continue") if isinstance(metadata, dict) else None
            if not token:
                return items, pages

    def _list_call(self, kind: LiveKind, version: str, scope: _Scope) -> Callable[..., Any]:
        if kind.crd:
            custom = client.CustomObjectsApi(self.api)
            if scope.namespace:
                return partial(
                    custom.list_namespaced_custom_object,
                    kind.group,
                    version,
                    scope.namespace,
                    kind.plural,
                )
            return partial(custom.list_cluster_custom_object, kind.group, version, kind.plural)
        typed = _BUILTIN_APIS[(kind.group, version)](self.api)
        if scope.namespace:
            return partial(getattr(typed, f"list_namespaced_{kind.method_stem}"), scope.namespace)
        suffix = "_for_all_namespaces" if kind.namespaced else ""
        listed: Callable[..., Any] = getattr(typed, f"list_{kind.method_stem}{suffix}")
        return listed


def raw_options(timeout_seconds: float, **extra: Any) -> dict[str, Any]:
    """Keyword arguments for a typed client call that returns the raw JSON answer."""
    # No model round trip: it is slow, and it drops fields the models do not know.
    return {"_preload_content": False, "_request_timeout": timeout_seconds, **extra}


def raw_json(response: Any) -> KubeObject:
    """Read a raw (``_preload_content=False``) answer as a JSON object; ``ValueError`` if not."""
    try:
        body = response.data
    finally:
        response.release_conn()
    try:
        answer = json.loads(body)
    except ValueError:
        raise ValueError("the answer is not JSON") from None
    if not isinstance(answer, dict) or not isinstance(answer.get("items", []), list):
        raise ValueError("the answer is not a Kubernetes list")
    return answer


def one_line(text: str, limit: int = 160) -> str:
    """Return ``text`` on one line, cut to ``limit`` characters."""
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


def _status_message(error: ApiException) -> str:
    try:
        message = json.loads(error.body or "").get("message", "")
    except (ValueError, AttributeError):
        message = ""
    reason = str(error.reason or "error")
    return f"{reason}: {one_line(message)}" if message else reason


def _where(reason: str, namespaces: list[str]) -> str:
    named = [name for name in namespaces if name]
    if not named:
        return reason
    return f"{reason} in namespace{'s' if len(named) > 1 else ''} {', '.join(named)}"
