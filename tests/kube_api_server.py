"""A loopback Kubernetes API server for tests: enough of the REST API for the real client.

It serves a fixed set of objects (dicts as ``kubectl get -o json`` shows them) the way the API
server does: lists under ``/api/v1`` and ``/apis/<group>/<version>``, cluster-wide or per
namespace, with ``limit``/``continue`` paging, ``fieldSelector``, items without ``kind`` and
``apiVersion`` in built-in groups, every served version of a group answering (objects are
converted by rewriting ``apiVersion``), and Status answers for 401, 403, 404 and 410. Every
request is recorded (path and query, never a header's value) so tests can assert what was,
and was never, asked.

    >>> with KubeApiServer(objects, token="s3cret") as server:  # doctest: +SKIP
    ...     kubeconfig = write_kubeconfig(tmp / "config", {"kind-a": server.url}, "s3cret")
"""

from __future__ import annotations

import copy
import itertools
import json
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import yaml

KubeObject = dict[str, Any]

KNOWN_KINDS = (
    *("Namespace", "Node", "Pod", "Service", "Event", "Secret", "ConfigMap", "ServiceAccount"),
    *("Deployment", "ReplicaSet", "StatefulSet", "DaemonSet", "Job", "CronJob"),
    *("EndpointSlice", "Endpoints", "HorizontalPodAutoscaler", "Ingress", "NetworkPolicy"),
    *("VirtualService", "DestinationRule", "Gateway", "ServiceEntry", "Sidecar"),
    *("PeerAuthentication", "AuthorizationPolicy", "HTTPRoute", "Workflow", "InferenceService"),
    *("PersistentVolume", "StorageClass"),
)
"""Kinds whose lists this server names (``PodList``); others get a capitalised plural."""

_IRREGULAR_PLURALS = {"Endpoints": "endpoints"}

CLUSTER_SCOPED = frozenset({"namespaces", "nodes", "persistentvolumes", "storageclasses"})

BUILTIN_GROUPS = frozenset(
    {"", "apps", "batch", "autoscaling", "discovery.k8s.io", "networking.k8s.io", "policy"}
)
"""Groups compiled into the API server: their list items carry no kind or apiVersion."""

SERVED_VERSIONS: dict[str, tuple[str, ...]] = {
    "": ("v1",), "apps": ("v1",), "batch": ("v1",), "autoscaling": ("v2", "v1"),
    "discovery.k8s.io": ("v1",), "networking.k8s.io": ("v1",), "policy": ("v1",),
    "networking.istio.io": ("v1", "v1beta1", "v1alpha3"), "security.istio.io": ("v1", "v1beta1"),
    "gateway.networking.k8s.io": ("v1", "v1beta1"), "argoproj.io": ("v1alpha1",),
    "serving.kserve.io": ("v1beta1",),
}  # fmt: skip
"""What a cluster with Istio, Argo Workflows, KServe and the Gateway API serves."""


def plural_of(kind: str) -> str:
    """Return the resource name of a kind, as the API server spells it.

    >>> plural_of("ServiceEntry"), plural_of("Gateway"), plural_of("Ingress")
    ('serviceentries', 'gateways', 'ingresses')
    """
    if kind in _IRREGULAR_PLURALS:
        return _IRREGULAR_PLURALS[kind]
    lower = kind.lower()
    if lower.endswith("y") and lower[-2:-1] not in ("a", "e", "o", "u"):
        return lower[:-1] + "ies"
    return lower + ("es" if lower.endswith(("s", "x")) else "s")


def group_of(api_version: str) -> str:
    """Return the API group of an apiVersion (``""`` for the core ``v1``)."""
    return api_version.rpartition("/")[0]


@dataclass(frozen=True, slots=True)
class RecordedRequest:
    """One request the server answered."""

    path: str
    query: dict[str, str]
    authorized: bool  # whether it carried the expected bearer token (or none was required)


@dataclass
class _Behaviour:
    token: str | None
    served: dict[str, tuple[str, ...]]
    forbidden: frozenset[str]  # "plural" everywhere, "namespace/plural" in that namespace
    failing: dict[str, int]  # plural -> HTTP status
    slow: dict[str, float]  # plural -> seconds to wait before answering
    expiring: dict[str, int] = field(default_factory=dict)  # plural -> continue tokens to refuse


class KubeApiServer:
    """A Kubernetes API server on 127.0.0.1 and a free port, serving ``objects``.

    ``served`` replaces the group -> versions table (:data:`SERVED_VERSIONS`); ``absent_groups``
    are not served at all (404, as without their CRDs); ``forbidden`` plurals answer 403
    (``"shop/pods"``: only in namespace ``shop``); ``failing`` maps plurals to an error status,
    ``slow`` to seconds to wait before answering; with ``token`` every request must carry it
    as a bearer token (401 otherwise).
    """

    def __init__(
        self,
        objects: Iterable[Mapping[str, Any]] = (),
        *,
        token: str | None = None,
        served: Mapping[str, tuple[str, ...]] | None = None,
        absent_groups: Iterable[str] = (),
        forbidden: Iterable[str] = (),
        failing: Mapping[str, int] | None = None,
        slow: Mapping[str, float] | None = None,
        git_version: str = "v1.31.2",
    ) -> None:
        versions = dict(SERVED_VERSIONS if served is None else served)
        for group in absent_groups:
            versions.pop(group, None)
        self._behaviour = _Behaviour(
            token, versions, frozenset(forbidden), dict(failing or {}), dict(slow or {})
        )
        self.git_version = git_version
        self.requests: list[RecordedRequest] = []
        self.stopped = False
        self._store: dict[tuple[str, str], dict[tuple[str, str], KubeObject]] = {}
        for item in objects:
            self.add(item)
        self._tokens: dict[str, tuple[tuple[str, ...], int]] = {}
        self._counter = itertools.count(1)
        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._httpd.daemon_threads = True
        self._httpd.block_on_close = False
        self._httpd.api = self  # type: ignore[attr-defined]
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def url(self) -> str:
        """The base URL, ``http://127.0.0.1:<port>``."""
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def add(self, item: Mapping[str, Any]) -> None:
        """Store an object; one with the same group, kind, namespace and name is replaced."""
        stored = copy.deepcopy(dict(item))
        plural = plural_of(str(stored.get("kind", "")))
        metadata = stored.setdefault("metadata", {})
        if plural not in CLUSTER_SCOPED and not metadata.get("namespace"):
            metadata["namespace"] = "default"  # where kubectl apply puts it
        key = (str(metadata.get("namespace", "")), str(metadata.get("name", "")))
        objects = self._store.setdefault((group_of(str(stored.get("apiVersion", ""))), plural), {})
        objects.pop(key, None)
        objects[key] = stored

    def expire_continue(self, plural: str, times: int = 1) -> None:
        """Refuse the next ``times`` continue tokens of ``plural`` with 410 Gone."""
        self._behaviour.expiring[plural] = times

    def paths(self) -> list[str]:
        """The paths requested so far, in order."""
        return [request.path for request in self.requests]

    def start(self) -> KubeApiServer:
        """Serve in a background thread."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        self.stopped = True
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> KubeApiServer:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()

    def answer(self, path: str, query: dict[str, str], authorization: str) -> tuple[int, Any]:
        """Return the status and JSON body for one GET (called by the handler)."""
        behaviour = self._behaviour
        authorized = behaviour.token is None or authorization == f"Bearer {behaviour.token}"
        with self._lock:
            self.requests.append(RecordedRequest(path, dict(query), authorized))
        if not authorized:
            return 401, _status(401, "Unauthorized", "Unauthorized")
        if path.rstrip("/") == "/version":
            return 200, self._version()
        route = _route(path)
        if route is None:
            return 404, _not_found()
        group, version, namespace, plural = route
        if version not in behaviour.served.get(group, ()) or (
            namespace is not None and plural in CLUSTER_SCOPED
        ):
            return 404, _not_found()
        if plural in behaviour.forbidden or f"{namespace}/{plural}" in behaviour.forbidden:
            return 403, _forbidden(group, plural, namespace)
        time.sleep(behaviour.slow.get(plural, 0.0))
        if plural in behaviour.failing:
            code = behaviour.failing[plural]
            return code, _status(code, "InternalError", "etcdserver: request timed out")
        return self._list(group, version, namespace, plural, query)

    def _list(
        self, group: str, version: str, namespace: str | None, plural: str, query: dict[str, str]
    ) -> tuple[int, Any]:
        kind = next((k for k in KNOWN_KINDS if plural_of(k) == plural), plural.capitalize())
        api_version = f"{group}/{version}" if group else version
        identity = (group, version, namespace or "", plural, query.get("fieldSelector", ""))
        offset = 0
        with self._lock:
            if "continue" in query:
                if self._behaviour.expiring.get(plural, 0) > 0:
                    self._behaviour.expiring[plural] -= 1
                    return 410, _expired()
                known = self._tokens.get(query["continue"])
                if known is None or known[0] != identity:
                    return 400, _status(400, "BadRequest", "invalid continue token")
                offset = known[1]
            resource_version = str(next(self._counter) + 1000)
        matching = [
            item
            for (space, _), item in sorted(self._store.get((group, plural), {}).items())
            if (namespace is None or space == namespace)
            and _selected(item, query.get("fieldSelector", ""))
        ]
        limit = int(query.get("limit") or 0) or len(matching) or 1
        page = matching[offset : offset + limit]
        metadata: dict[str, Any] = {"resourceVersion": resource_version}
        if offset + limit < len(matching):
            token = f"c{next(self._counter)}"
            with self._lock:
                self._tokens[token] = (identity, offset + limit)
            metadata["continue"] = token
            metadata["remainingItemCount"] = len(matching) - offset - limit
        items = [_as_served(item, group, api_version) for item in page]
        return 200, {
            "kind": f"{kind}List",
            "apiVersion": api_version,
            "metadata": metadata,
            "items": items,
        }

    def _version(self) -> dict[str, str]:
        major, minor = self.git_version.removeprefix("v").split(".")[:2]
        return {
            "major": major,
            "minor": minor,
            "gitVersion": self.git_version,
            "gitCommit": "0" * 40,
            "gitTreeState": "clean",
            "buildDate": "2026-01-01T00:00:00Z",
            "goVersion": "go1.23.4",
            "compiler": "gc",
            "platform": "linux/amd64",
        }


def _route(path: str) -> tuple[str, str, str | None, str] | None:
    """Split a list path into (group, version, namespace or None, plural)."""
    parts = path.strip("/").split("/")
    if parts[:2] == ["api", "v1"]:
        group, version, rest = "", "v1", parts[2:]
    elif parts[0] == "apis" and len(parts) >= 3:
        group, version, rest = parts[1], parts[2], parts[3:]
    else:
        return None
    if len(rest) == 1:
        return group, version, None, rest[0]
    if len(rest) == 3 and rest[0] == "namespaces":
        return group, version, rest[1], rest[2]
    return None


def _selected(item: KubeObject, selector: str) -> bool:
    for term in filter(None, selector.split(",")):
        negated = "!=" in term
        name, _, wanted = term.replace("!=", "=").replace("==", "=").partition("=")
        value: Any = item
        for part in name.split("."):
            value = value.get(part, "") if isinstance(value, dict) else ""
        if (str(value) == wanted) == negated:
            return False
    return True


def _as_served(item: KubeObject, group: str, api_version: str) -> KubeObject:
    served = copy.deepcopy(item)
    if group in BUILTIN_GROUPS:
        served.pop("kind", None)
        served.pop("apiVersion", None)
    else:
        served["apiVersion"] = api_version
    return served


def _status(code: int, reason: str, message: str, **extra: Any) -> dict[str, Any]:
    metadata = extra.pop("metadata", {})
    return {"kind": "Status", "apiVersion": "v1", "metadata": metadata, "status": "Failure",
            "message": message, "reason": reason, "code": code, **extra}  # fmt: skip


def _not_found() -> dict[str, Any]:
    return _status(404, "NotFound", "the server could not find the requested resource")


def _forbidden(group: str, plural: str, namespace: str | None) -> dict[str, Any]:
    where = f'in the namespace "{namespace}"' if namespace else "at the cluster scope"
    message = (
        f'{plural} is forbidden: User "system:serviceaccount:meshlens:meshlens" cannot list '
        f'resource "{plural}" in API group "{group}" {where}'
    )
    return _status(403, "Forbidden", message, details={"group": group, "kind": plural})


def _expired() -> dict[str, Any]:
    message = (
        "The provided continue parameter is too old to display a consistent list result. "
        "You can start a new list without the continue parameter."
    )
    return _status(410, "Expired", message, metadata={"continue": "expired-remainder"})


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the client's connection pool expects
    disable_nagle_algorithm = True  # headers and body go out in two writes: no 40 ms stalls

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
        api: KubeApiServer = self.server.api  # type: ignore[attr-defined]
        if api.stopped:
            # A keep-alive connection outlives shutdown(); a stopped server must not answer on it.
            self.close_connection = True
            return
        code, body = api.answer(parts.path, query, self.headers.get("Authorization", ""))
        payload = json.dumps(body).encode()
        try:
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up waiting (timeout tests)

    def log_message(self, format: str, *args: Any) -> None:
        """Keep test output quiet."""


def write_kubeconfig(
    path: Path, servers: Mapping[str, str], token: str, *, current: str | None = None
) -> Path:
    """Write a kubeconfig with one context (and cluster) per ``servers`` entry, one token user.

    ``current`` defaults to the first context.
    """
    names = list(servers)
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "current-context": current if current is not None else names[0],
        "clusters": [{"name": name, "cluster": {"server": url}} for name, url in servers.items()],
        "users": [{"name": "tester", "user": {"token": token}}],
        "contexts": [
            {"name": name, "context": {"cluster": name, "user": "tester"}} for name in names
        ],
    }
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return path
