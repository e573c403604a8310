"""From the traffic model to Istio's series: reporters, labels, response codes and flags.

Each path becomes the series its proxies would report. The caller's sidecar (or gateway)
reports ``source``, with ``connection_security_policy="unknown"``; the callee's sidecar reports
``destination``, with ``mutual_tls`` (or ``none`` when the caller has no sidecar). Requests that
never reach a workload (fault-injection aborts ``FI``, no healthy upstream ``UH``) are only
seen by the source, with ``destination_workload="unknown"``; calls to hosts outside the mesh
too. Retries that run out (``URX``) are counted by the source, each failed attempt (``UF``) by
the destination.
"""

from __future__ import annotations

import numpy as np

from collectors.demo.columns import SeriesColumns, Share, drop_unborn
from collectors.demo.spec import Platform, Workload
from collectors.demo.streams import CounterStreams, Indices, ModelledFamily
from collectors.demo.timeline import Timeline
from collectors.demo.traffic import SIDECAR_MS, Path, Traffic
from collectors.ids import DEFAULT_CLUSTER
from collectors.kinds import Protocol

UNKNOWN = "unknown"
PEER_LABELS = ("workload", "workload_namespace", "principal", "app", "version",
               "canonical_service", "canonical_revision", "cluster")  # fmt: skip
SOURCE_LABELS = tuple(f"source_{name}" for name in PEER_LABELS)
DESTINATION_LABELS = (
    *(f"destination_{name}" for name in PEER_LABELS),
    "destination_service", "destination_service_name", "destination_service_namespace",
)  # fmt: skip
TCP_LABEL_NAMES = ("reporter", *SOURCE_LABELS, *DESTINATION_LABELS, "request_protocol",
                   "response_flags", "connection_security_policy")  # fmt: skip
REQUEST_LABEL_NAMES = (*TCP_LABEL_NAMES[:-2], "response_code", "grpc_response_status",
                       *TCP_LABEL_NAMES[-2:])  # fmt: skip
REQUEST_FACTORS = ("istio_requests_total", "istio_request_duration_milliseconds_count",
                   "istio_request_bytes_count", "istio_response_bytes_count")  # fmt: skip
UNKNOWN_PEER = (UNKNOWN,) * len(PEER_LABELS)
ERROR_BODY_BYTES = 95.0  # Envoy's "upstream connect error or disconnect/reset..." and friends
LOCAL_SIGMA = 0.3  # latency spread of answers that skip the real work


def _peer(workload: Workload) -> tuple[str, ...]:
    principal = f"spiffe://cluster.local/ns/{workload.namespace}/sa/{workload.account}"
    return (workload.name, workload.namespace, principal, workload.app,
            workload.version or UNKNOWN, workload.app, workload.canonical_revision,
            DEFAULT_CLUSTER)  # fmt: skip


def build_streams(
    platform: Platform, traffic: Traffic, timeline: Timeline, rng: np.random.Generator
) -> CounterStreams:
    """Every series the demo's proxies report, as counter streams."""
    requests = SeriesColumns(REQUEST_LABEL_NAMES)
    tcp = SeriesColumns(TCP_LABEL_NAMES)
    uptimes = rng.uniform(1.0, 5.0, len(traffic.paths)) * 86400.0
    for path in traffic.paths:
        if path.protocol is Protocol.TCP:
            _tcp_series(tcp, path, traffic, float(uptimes[path.index]))
        else:
            _request_series(requests, path, traffic, float(uptimes[path.index]))
    step = float(timeline.step_seconds)
    request_factors = (*REQUEST_FACTORS, "istio_request_bytes_sum", "istio_response_bytes_sum")
    families = [requests.family(traffic, step, request_factors, histograms=True)]
    tcp_factors = ("istio_tcp_received_bytes_total", "istio_tcp_sent_bytes_total",
                   "istio_tcp_connections_opened_total")  # fmt: skip
    tcp_family = tcp.family(traffic, step, tcp_factors, histograms=False)
    _connection_factors(tcp_family, tcp, traffic)
    families.append(tcp_family)
    for family in families:
        drop_unborn(family, timeline.samples)
    return CounterStreams(timeline.times(), timeline.step_seconds, list(families))


def _sides(path: Path) -> tuple[tuple[str, ...], tuple[str, ...], bool, bool]:
    """Source labels, destination labels, and which reporters exist for a path."""
    source = path.source
    reports_source = source.sidecar or source.gateway
    src = _peer(source) if reports_source else UNKNOWN_PEER
    if path.destination is not None and path.service is not None:
        dst = (*_peer(path.destination), path.service.fqdn, path.service.name,
               path.service.namespace)  # fmt: skip
        reports_destination = path.destination.sidecar and not path.destination.gateway
    else:
        assert path.external is not None
        dst = (*UNKNOWN_PEER, path.external.host, path.external.host, path.external.namespace)
        reports_destination = False
    return src, dst, reports_source, reports_destination


def _unreached(dst: tuple[str, ...]) -> tuple[str, ...]:
    """Destination labels of a request that never got to a workload: only the service known."""
    return (*UNKNOWN_PEER, *dst[len(PEER_LABELS) :])


def _request_series(out: SeriesColumns, path: Path, traffic: Traffic, uptime: float) -> None:
    src, dst, by_source, by_destination = _sides(path)
    grpc = path.protocol is Protocol.GRPC
    index, target = path.index, path.destination
    aborted: Share = traffic.abort[index][0] if index in traffic.abort else 0.0
    unavailable: Share = traffic.unavailable.get(index, 0.0)
    no_upstream = (1.0 - aborted) * unavailable
    retried_out = (1.0 - aborted) * (1.0 - unavailable) * traffic.reset.get(index, 0.0)
    reach = traffic.reach(index)
    own: tuple[Share, str, str] = (0.0, "", "")
    cascade: Share = 0.0
    if target is not None:
        own = traffic.own_error.get(target.key, own)
        cascade = traffic.cascade_error.get(target.key, 0.0)
    ok = reach * (1.0 - own[0]) * (1.0 - cascade)
    codes = [("200", 1.0)]
    if target is not None and not grpc:
        codes = [("200", 1.0 - sum(s for _, s in target.ok_codes)), *target.ok_codes]
    ok_status, down = ("0", "14") if grpc else ("", "")  # gRPC OK / UNAVAILABLE
    failed = ("200", "13", "-") if grpc else ("500", "", "-")  # INTERNAL on an HTTP 200
    sizes_ok = (path.call.request_bytes, path.call.response_bytes)
    sizes_error = (path.call.request_bytes, ERROR_BODY_BYTES)
    row = traffic.latency_row[path.target_key]
    sigma = target.latency_sigma if target else 0.4

    def add(reporter: str, response: tuple[str, str, str], share: Share,
            latency: tuple[int, float, float, float], sizes: tuple[float, float],
            dest: tuple[str, ...] = dst) -> None:  # fmt: skip
        policy = UNKNOWN if reporter == "source" else "mutual_tls" if by_source else "none"
        labels = (reporter, *src, *dest, path.protocol.value, *response, policy)
        out.add(labels, index, share, uptime, latency, (1.0, 1.0, 1.0, 1.0, *sizes))

    for reporter, present, extra in (
        ("source", by_source, SIDECAR_MS),
        ("destination", by_destination, 0.0),
    ):
        if not present:
            continue
        normal, quick = (row, 1.0, extra, sigma), (row, 0.5, extra, LOCAL_SIGMA)
        for code, code_share in codes:
            add(reporter, (code, ok_status, "-"), ok * code_share, normal, sizes_ok)
        add(reporter, (own[1], own[2], "-"), reach * own[0], quick, sizes_error)
        add(reporter, failed, reach * (1.0 - own[0]) * cascade, normal, sizes_error)
    if by_source:
        # Envoy's own replies: quick, small bodies, and for FI and UH no workload reached.
        retries = (-1, 0.0, 30.0, LOCAL_SIGMA)
        add("source", ("503", down, "URX"), retried_out, retries, sizes_error)
        if index in traffic.abort:
            abort = (traffic.abort[index][1], "2" if grpc else "", "FI")
            add("source", abort, aborted, (-1, 0.0, 0.2, LOCAL_SIGMA),
                (path.call.request_bytes, 18.0), _unreached(dst))  # fmt: skip
        add("source", ("503", down, "UH"), no_upstream, (-1, 0.0, 0.15, LOCAL_SIGMA),
            (path.call.request_bytes, 19.0), _unreached(dst))  # fmt: skip
    if by_destination:
        # Every attempt the source retried reached the sidecar and failed to connect.
        add("destination", ("503", down, "UF"), 3.0 * retried_out,
            (-1, 0.0, 0.5, LOCAL_SIGMA), sizes_error)  # fmt: skip


def _tcp_series(out: SeriesColumns, path: Path, traffic: Traffic, uptime: float) -> None:
    src, dst, by_source, by_destination = _sides(path)
    sizes = (path.call.request_bytes, path.call.response_bytes, path.call.connections_per_query)
    for reporter, present, policy in (
        ("source", by_source, UNKNOWN),
        ("destination", by_destination, "mutual_tls" if by_source else "none"),
    ):
        if present:
            labels = (reporter, *src, *dst, "tcp", "-", policy)
            out.add(labels, path.index, 1.0, uptime, (-1, 0.0, 1.0, 0.5), sizes)


def _connection_factors(family: ModelledFamily, columns: SeriesColumns, traffic: Traffic) -> None:
    """Let TCP connection counts follow the incidents' connection storms."""
    keys = [traffic.paths[p].target_key for p in columns.path]
    storms = sorted({k for k in keys if k in traffic.connection_factor})
    if not storms:
        return
    table = np.stack([traffic.connection_factor[k] for k in storms])
    which: Indices = np.array([storms.index(k) if k in storms else -1 for k in keys], dtype=np.intp)
    family.factor_rows["istio_tcp_connections_opened_total"] = (which, table)
