"""Live cluster objects from the Kubernetes API, through the official ``kubernetes`` client.

    >>> with LiveCluster(KubernetesConfig(context="kind-meshlens")) as cluster:  # doctest: +SKIP
    ...     objects, status = cluster.collect()
    >>> status.missing  # doctest: +SKIP
    ['AuthorizationPolicy: 403 forbidden', 'InferenceService: CRD not installed']

Each kind of :data:`LIVE_KINDS` is listed in pages (``limit``/``continue``) and read as raw
JSON, so every item comes out as ``kubectl get -o json`` gives it, with ``kind`` and
``apiVersion`` set. A kind the account may not list, or whose CRD is absent, is left out and
named in ``missing``; only a cluster that cannot be reached, rejects the credentials, or lets
nothing be read raises :class:`KubernetesError`. Secrets and ConfigMaps are never requested.
Each :class:`LiveCluster` has a client configuration of its own, so two contexts can be read
side by side.
"""

from __future__ import annotations

import logging
import os
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Self, cast
from urllib.parse import urlsplit, urlunsplit

import yaml
from kubernetes import client
from kubernetes.client.exceptions import ApiException
from kubernetes.config import load_incluster_config, load_kube_config
from urllib3.exceptions import HTTPError
from urllib3.util.retry import Retry

from collectors.cluster import ClusterObjects
from collectors.kinds import SourceState
from collectors.model import SourceStatus
from collectors.sources.kubernetes_kinds import (
    LIVE_KINDS,
    NOT_INSTALLED,
    KindRead,
    KindReader,
    KubernetesError,
    LiveKind,
    one_line,
    raw_json,
    raw_options,
)

__all__ = ["LIVE_KINDS", "KubernetesConfig", "KubernetesError", "LiveCluster", "LiveKind"]

log = logging.getLogger(__name__)

_PARALLEL_LISTS = 4  # enough to hide round trips without bursting into API priority limits


@dataclass(frozen=True, slots=True)
class KubernetesConfig:
    """Which cluster to read and how much of it."""

    kubeconfig: Path | None = None  # None: $KUBECONFIG or ~/.kube/config (as kubectl)
    context: str | None = None  # None: the kubeconfig's current context
    in_cluster: bool = False  # the pod's service account
    namespaces: tuple[str, ...] = ()  # empty: all namespaces
    page_size: int = 500  # list limit; the rest follows metadata.continue
    timeout_seconds: float = 30.0  # per request


class LiveCluster:
    """A cluster read through its API server.

    Raises :class:`KubernetesError` when the kubeconfig (or the service account) is missing or
    unusable, or the context is unknown. Close it (or use ``with``) to release connections.
    """

    def __init__(self, config: KubernetesConfig) -> None:
        self.config = config
        configuration = _own_configuration()
        self._origin = _load_credentials(config, configuration)
        parts = urlsplit(str(configuration.host))
        self._host = urlunsplit((parts.scheme, parts.netloc.rpartition("@")[2], parts.path, "", ""))
        # One quick retry for a dropped connection; a list that timed out would time out again.
        configuration.retries = Retry(total=1, read=0, status=0, redirect=0)
        self._api = client.ApiClient(configuration)
        self._api.user_agent = "meshlens"
        self._reader = KindReader(
            self._api, self.display, config.namespaces, config.page_size, config.timeout_seconds
        )

    @property
    def display(self) -> str:
        """Where the objects come from, for people: never a credential."""
        return f"{self._origin} at {self._host}"

    def close(self) -> None:
        """Close the client's connections."""
        # The client is typed in some releases and not in others: call it as untyped.
        cast(Any, self._api).close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def collect(self) -> tuple[ClusterObjects, SourceStatus]:
        """List every kind once.

        Raises :class:`KubernetesError` when the API server cannot be reached, rejects the
        credentials (401), or lets no kind at all be read.
        """
        started = time.perf_counter()
        version = self._server_version()
        with ThreadPoolExecutor(_PARALLEL_LISTS, thread_name_prefix="meshlens-kube") as pool:
            futures = [pool.submit(self._reader.read, kind) for kind in LIVE_KINDS]
            try:
                reads = [future.result() for future in futures]
            except BaseException:
                for future in futures:
                    future.cancel()
                raise
        if not any(read.answered for read in reads):
            failures = [f"{read.kind.kind}: {read.reason}" for read in reads if read.reason]
            shown = "; ".join(failures[:3]) + ("; ..." if len(failures) > 3 else "")
            raise KubernetesError(f"{self.display}: no kind could be read ({shown})")
        objects = ClusterObjects()
        for read in reads:
            objects.extend(read.items)
            if read.reason:
                objects.missing[read.kind.kind] = read.reason
        log.info(
            "read %d objects of %d kinds from %s in %.2f s",
            len(objects.items),
            sum(read.answered for read in reads),
            self.display,
            time.perf_counter() - started,
        )
        return objects, self._status(objects, reads, version)

    def _status(self, objects: ClusterObjects, reads: list[KindRead], version: str) -> SourceStatus:
        failed = sum(read.reason not in ("", NOT_INSTALLED) for read in reads)
        absent = sum(read.reason == NOT_INSTALLED for read in reads)
        namespaces = self.config.namespaces
        detail = self.display + (f" (Kubernetes {version})" if version else "")
        detail += f": {len(objects.items)} objects"
        detail += f" in namespaces {', '.join(namespaces)}" if namespaces else ""
        detail += f", {failed} kind(s) unreadable" if failed else ""
        detail += f", {absent} custom kind(s) not installed" if absent else ""
        return SourceStatus(
            name="kubernetes",
            kind="cluster",
            # A CRD that is not installed is how that cluster is, not a failure to read it.
            state=SourceState.PARTIAL if failed else SourceState.OK,
            detail=detail,
            fetched_at=datetime.now(UTC),
            missing=[f"{kind}: {reason}" for kind, reason in objects.missing.items()],
        )

    def _server_version(self) -> str:
        """Ask ``/version`` first: an unreachable server or bad credentials fail fast here."""
        try:
            get_code = client.VersionApi(self._api).get_code
            answer = raw_json(get_code(**raw_options(self.config.timeout_seconds)))
        except (ApiException, HTTPError, ValueError) as error:
            reason = self._reader.failure(error)  # raises on the fatal ones
            if reason.startswith("timed out"):
                # Every list would wait as long: better to say so at once.
                raise KubernetesError(f"{self.display}: /version {reason}") from None
            log.debug("no server version from %s: %s", self.display, reason)
            return ""
        return str(answer.get("gitVersion", ""))


def _own_configuration() -> client.Configuration:
    """A client configuration of our own (not the global default), leaving logging alone.

    Some client releases set the "urllib3" and "client" loggers to WARNING process-wide when a
    Configuration is made; the levels meshlens (or a test) chose are put back.
    """
    loggers = [logging.getLogger(name) for name in ("urllib3", "client")]
    levels = [logger.level for logger in loggers]
    configuration = client.Configuration()
    for logger, level in zip(loggers, levels, strict=True):
        logger.setLevel(level)
    return configuration


def _load_credentials(config: KubernetesConfig, configuration: client.Configuration) -> str:
    """Fill ``configuration`` from the kubeconfig or the service account; say which."""
    if config.in_cluster:
        try:
            cast(Any, load_incluster_config)(client_configuration=configuration)
        except Exception as error:  # the loader raises ConfigException or OSError
            raise KubernetesError(
                f"no in-cluster service account: {one_line(str(error))}"
            ) from None
        return "in-cluster service account"
    paths = _kubeconfig_paths(config.kubeconfig)
    shown = os.pathsep.join(str(path) for path in paths)
    existing = [path for path in paths if path.is_file()]
    if not existing:
        raise KubernetesError(f"kubeconfig {shown} not found")
    contexts, current = _contexts(existing)
    context = config.context or current
    if not context or context not in contexts:
        known = ", ".join(contexts) or "none"
        problem = f"context {context!r} not found" if context else "no current context"
        raise KubernetesError(f"kubeconfig {shown}: {problem} (contexts: {known})")
    try:
        cast(Any, load_kube_config)(
            config_file=os.pathsep.join(str(path) for path in existing),
            context=context,
            client_configuration=configuration,
            persist_config=False,  # never rewrite the user's kubeconfig
        )
    except Exception as error:  # malformed files raise anything from KeyError to binascii.Error
        problem = one_line(str(error))
        raise KubernetesError(f"kubeconfig {shown}, context {context}: {problem}") from None
    return f"context {context}"


def _kubeconfig_paths(kubeconfig: Path | None) -> list[Path]:
    if kubeconfig is not None:
        return [kubeconfig.expanduser()]
    listed = os.environ.get("KUBECONFIG", "")
    paths = [Path(part).expanduser() for part in listed.split(os.pathsep) if part]
    return paths or [Path("~/.kube/config").expanduser()]


def _contexts(paths: list[Path]) -> tuple[list[str], str]:
    """Return the context names and the current context (the first file naming one wins)."""
    names: list[str] = []
    current = ""
    for path in paths:
        try:
            loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError) as error:
            raise KubernetesError(f"kubeconfig {path}: cannot read: {error}") from None
        except yaml.YAMLError as error:
            # Only the position: YAML's error text quotes the line, which could hold a token.
            mark = getattr(error, "problem_mark", None)
            line = f" at line {mark.line + 1}" if mark is not None else ""
            raise KubernetesError(f"kubeconfig {path}: invalid YAML{line}") from None
        if not isinstance(loaded, dict):
            raise KubernetesError(f"kubeconfig {path}: not a kubeconfig (empty or not a mapping)")
        for entry in loaded.get("contexts") or []:
            name = entry.get("name") if isinstance(entry, dict) else None
            if isinstance(name, str) and name not in names:
                names.append(name)
        current = current or str(loaded.get("current-context") or "")
    return names, current
