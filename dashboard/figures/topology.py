"""Cytoscape.js elements and stylesheet for a :class:`TopologyView`.

Plain dicts and lists only, so a notebook can build them without Dash. Element ids are the view
ids unchanged, so a click on an element maps straight back to the view (and to the snapshot
through ``members``). Names reach Cytoscape only as ``data`` values, which it draws as text,
never as markup.

Styling is by class: each element carries its kind, ``health-<health>``, ``flag-<flag>`` per
flag, ``box`` for namespace and app boxes, ``badged`` on nodes whose caption has a second line,
and ``mtls`` on edges whose traffic is mutual TLS; the stylesheet lives in
``dashboard.figures.topology_style`` and is re-exported here.

A node's ``caption`` (what is drawn under it) is its name, then a line of badges: the Istio
configuration applying to it (``VS TS`` for a VirtualService splitting its traffic) and its
check findings (``✖ 2`` errors, ``⚠ 1`` warnings), and the GPUs its workloads hold
(``GPU 4 · 92%``). ``label`` stays the plain name.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from enum import StrEnum
from typing import Any

from collectors.inventory.istio_config import ISTIO_FLAG_WORDS
from collectors.kinds import NodeFlag, Protocol, Severity
from collectors.model import Finding, TrafficStats
from dashboard.analysis.gpu_types import WorkloadGpus
from dashboard.figures.topology_style import (
    HEALTH_COLOURS,
    LARGE_GRAPH_ELEMENTS,
    topology_stylesheet,
)
from dashboard.topology.projection import TopologyView, ViewEdge, ViewNode

__all__ = [
    "CHECK_MARKS",
    "HEALTH_COLOURS",
    "LARGE_GRAPH_ELEMENTS",
    "MAX_CAPTION_NAME",
    "EdgeLabel",
    "edge_label_text",
    "gpu_badge",
    "node_badges",
    "topology_elements",
    "topology_stylesheet",
]


class EdgeLabel(StrEnum):
    """Which number an edge's label shows."""

    REQUEST_RATE = "request_rate"
    ERROR_PCT = "error_pct"
    P95 = "p95"
    THROUGHPUT = "throughput"
    NONE = "none"


_FLAG_WORDS: Mapping[str, str] = {
    NodeFlag.DEAD.value: "dead",
    NodeFlag.IDLE.value: "idle",
    NodeFlag.MISSING_SIDECAR.value: "no sidecar",
    NodeFlag.NOT_READY.value: "not ready",
    NodeFlag.RESTARTING.value: "restarting",
    NodeFlag.ENTRY_POINT.value: "entry point",
}


CHECK_MARKS: Mapping[Severity, str] = {Severity.ERROR: "✖", Severity.WARNING: "⚠"}
"""The mark of error and warning findings in a node's caption (info findings get none)."""

MAX_CAPTION_NAME = 24
"""Characters of the name kept in a two-line caption: a wrapped caption cannot ellipsize it."""

_CHECK_FLAGS: Mapping[Severity, str] = {
    Severity.ERROR: NodeFlag.CHECK_ERROR.value,
    Severity.WARNING: NodeFlag.CHECK_WARNING.value,
}


def node_badges(flags: frozenset[str] | set[str], findings: Sequence[Finding] | None = None) -> str:
    """The badge line of a node with ``flags``: Istio badges, then check marks; "" for none.

    With ``findings`` (those drawn on the node), marks carry counts (``✖ 2 ⚠ 1``); without,
    the check flags give a bare mark for the worst severity.

    >>> node_badges({"virtual_service", "traffic_shift"}, [])
    'VS TS'
    """
    words = [word for flag, word in ISTIO_FLAG_WORDS.items() if flag.value in flags]
    if findings is None:
        if NodeFlag.CHECK_ERROR.value in flags:
            words.append(CHECK_MARKS[Severity.ERROR])
        elif NodeFlag.CHECK_WARNING.value in flags:
            words.append(CHECK_MARKS[Severity.WARNING])
    else:
        for severity, mark in CHECK_MARKS.items():
            count = sum(1 for finding in findings if finding.severity is severity)
            if count:
                words.append(f"{mark} {count}")
    return " ".join(words)


def _caption(label: str, badges: str) -> str:
    if not badges:
        return label
    if len(label) > MAX_CAPTION_NAME:
        label = label[: MAX_CAPTION_NAME - 1] + "…"
    return f"{label}\n{badges}"


def _rate_text(rate: float) -> str:
    if rate <= 0:
        return ""
    if rate >= 100:
        return f"{rate:.0f} rps"
    return f"{rate:.1f} rps" if rate >= 10 else f"{rate:.2f} rps"


def _error_text(stats: TrafficStats) -> str:
    if stats.request_rate <= 0 or stats.error_rate <= 0:
        return ""
    percent = 100.0 * stats.error_ratio
    # A real but tiny error share must not read as "0.0%".
    return "<0.1%" if percent < 0.05 else f"{percent:.1f}%"


def _latency_text(p95_ms: float | None) -> str:
    if p95_ms is None:
        return ""
    if p95_ms >= 1000:
        return f"{p95_ms / 1000:.2f} s"
    return f"{p95_ms:.0f} ms" if p95_ms >= 10 else f"{p95_ms:.1f} ms"


def _throughput_text(bytes_per_second: float) -> str:
    if bytes_per_second <= 0:
        return ""
    for unit, scale in (("GB/s", 1e9), ("MB/s", 1e6), ("kB/s", 1e3)):
        if bytes_per_second >= scale:
            return f"{bytes_per_second / scale:.1f} {unit}"
    return f"{bytes_per_second:.0f} B/s"


def edge_label_text(protocol: str, stats: TrafficStats, edge_label: EdgeLabel) -> str:
    """The label of an edge carrying ``stats`` over ``protocol``; "" when there is nothing to say.

    TCP has no requests, so the request-rate mode shows its throughput instead.

    >>> edge_label_text("tcp", TrafficStats(bytes_to_destination=1200.0), EdgeLabel.REQUEST_RATE)
    '1.2 kB/s'
    """
    match EdgeLabel(edge_label):
        case EdgeLabel.REQUEST_RATE:
            if protocol == Protocol.TCP.value:
                return _throughput_text(stats.throughput)
            return _rate_text(stats.request_rate)
        case EdgeLabel.ERROR_PCT:
            return _error_text(stats)
        case EdgeLabel.P95:
            return _latency_text(stats.p95_ms)
        case EdgeLabel.THROUGHPUT:
            return _throughput_text(stats.throughput)
        case EdgeLabel.NONE:
            return ""


def _traffic_summary(stats: TrafficStats | None) -> str:
    if stats is None:
        return ""
    if stats.request_rate <= 0:
        return _throughput_text(stats.throughput)
    return " · ".join(part for part in (_rate_text(stats.request_rate), _error_text(stats)) if part)


def _node_findings(
    node: ViewNode, findings: Mapping[str, Sequence[Finding]] | None
) -> list[Finding] | None:
    if findings is None:
        return None
    # Members can share a finding (a service's, on each workload it selects): count it once.
    return list(dict.fromkeys(one for member in node.members for one in findings.get(member, ())))


def gpu_badge(node: ViewNode, gpus: Mapping[str, WorkloadGpus] | None) -> str:
    """The GPU badge of a node whose members hold GPUs: ``GPU 4 · 92%`` (devices, mean
    utilization over the window); "" for none.

    >>> from collectors.kinds import Health
    >>> view = ViewNode("w", "workload", "t", "ml", "t", "", Health.HEALTHY, frozenset(), None,
    ...                 ("a", "b"), None)
    >>> gpu_badge(view, {"a": WorkloadGpus("a", 3, 90.0), "b": WorkloadGpus("b", 1, 10.0)})
    'GPU 4 · 70%'
    """
    held = [gpus[member] for member in node.members if gpus and member in gpus]
    devices = sum(one.devices for one in held)
    if not devices:
        return ""
    weighted = [(one.util_mean, one.devices) for one in held if one.util_mean is not None]
    if not weighted:
        return f"GPU {devices}"
    mean = sum(util * count for util, count in weighted) / sum(count for _, count in weighted)
    return f"GPU {devices} · {mean:.0f}%"


def _node_element(
    node: ViewNode,
    *,
    box: bool,
    findings: Mapping[str, Sequence[Finding]] | None = None,
    gpus: Mapping[str, WorkloadGpus] | None = None,
) -> dict[str, Any]:
    found = None if box else _node_findings(node, findings)
    flagged = set(node.flags)
    for severity, flag in _CHECK_FLAGS.items():
        if found is not None and any(one.severity is severity for one in found):
            flagged.add(flag)
    flags = sorted(flagged)
    badges = "" if box else node_badges(node.flags, found)
    gpu = "" if box else gpu_badge(node, gpus)
    badges = " ".join(part for part in (badges, gpu) if part)
    data: dict[str, Any] = {
        "id": node.id,
        "label": node.label,
        "caption": _caption(node.label, badges),
        "kind": node.kind,
        "namespace": node.namespace,
        "app": node.app,
        "version": node.version,
        "health": node.health.value,
        "flags": flags,
        "traffic": _traffic_summary(node.inbound),
        "badges": ", ".join(_FLAG_WORDS[flag] for flag in flags if flag in _FLAG_WORDS),
        "gpu": gpu,
    }
    if node.parent is not None:
        data["parent"] = node.parent
    classes = [node.kind, f"health-{node.health.value}", *(f"flag-{flag}" for flag in flags)]
    if box:
        classes.append("box")
    if badges:
        classes.append("badged")
    if gpu:
        classes.append("gpu")
    return {"group": "nodes", "data": data, "classes": " ".join(classes)}


def _edge_element(edge: ViewEdge, edge_label: EdgeLabel) -> dict[str, Any]:
    classes = [edge.protocol, f"health-{edge.health.value}"]
    if edge.mtls:
        classes.append("mtls")
    return {
        "group": "edges",
        "data": {
            "id": edge.id,
            "source": edge.source,
            "target": edge.target,
            "protocol": edge.protocol,
            "health": edge.health.value,
            "mtls": edge.mtls,
            "label": edge_label_text(edge.protocol, edge.traffic, edge_label),
        },
        "classes": " ".join(classes),
    }


def topology_elements(
    view: TopologyView,
    positions: Mapping[str, tuple[float, float]],
    *,
    edge_label: EdgeLabel = EdgeLabel.REQUEST_RATE,
    flat_boxes: bool = False,
    findings: Mapping[str, Sequence[Finding]] | None = None,
    gpus: Mapping[str, WorkloadGpus] | None = None,
) -> list[dict[str, Any]]:
    """Cytoscape.js elements for ``view``: boxes, nodes, then edges.

    Leaf nodes found in ``positions`` get a ``position`` (for the "preset" layout). Boxes are
    compound parents, which Cytoscape sizes from their children, unless ``flat_boxes``: then each
    box is a plain node (class ``flat``) drawn behind its children, sized here from their
    positions. Compound nodes cost Cytoscape about as much as everything else together on a big
    graph (0.8 of 1.6 s at 2,000 nodes); a flat box does not follow a node dragged out of it.

    ``findings`` maps snapshot node ids to the findings drawn on them (see
    ``dashboard.topology.details.findings_by_node``): a node's caption then counts its members'
    errors and warnings, and the node gets ``flag-check_error`` / ``flag-check_warning`` even when
    the finding is on a service that selects it. Without it, the check flags give bare marks.
    ``gpus`` maps workload ids to the GPUs they hold: such nodes get a ``GPU 4 · 92%`` badge
    and the class ``gpu``.
    """
    edge_label = EdgeLabel(edge_label)  # a plain string from a dropdown works too
    elements = [_node_element(box, box=True) for box in view.boxes]
    if flat_boxes:
        _flatten(elements, view, positions)
    for node in view.nodes:
        element = _node_element(node, box=False, findings=findings, gpus=gpus)
        if flat_boxes:
            element["data"].pop("parent", None)
        point = positions.get(node.id)
        if point is not None:
            element["position"] = {"x": point[0], "y": point[1]}
        elements.append(element)
    elements.extend(_edge_element(edge, edge_label) for edge in view.edges)
    return elements


FLAT_BOX_PADDING = 30.0  # px around a flat box's children: half a node plus room to breathe
FLAT_BOX_LABEL_ROOM = 24.0  # px below the lowest child for its label


def _flatten(
    boxes: list[dict[str, Any]], view: TopologyView, positions: Mapping[str, tuple[float, float]]
) -> None:
    """Turn compound box elements into plain nodes around their (positioned) descendants."""
    parent_of = {item.id: item.parent for item in (*view.nodes, *view.boxes)}
    inside: dict[str, list[tuple[float, float]]] = {}
    for node in view.nodes:
        point = positions.get(node.id)
        box = node.parent
        while point is not None and box is not None:
            inside.setdefault(box, []).append(point)
            box = parent_of.get(box)
    for element in boxes:
        data = element["data"]
        data.pop("parent", None)
        points = inside.get(data["id"])
        element["classes"] += " flat"
        element["grabbable"] = False  # moving it would not move its children
        if not points:
            continue
        xs, ys = [x for x, _ in points], [y for _, y in points]
        left, right = min(xs) - FLAT_BOX_PADDING, max(xs) + FLAT_BOX_PADDING
        top, bottom = min(ys) - FLAT_BOX_PADDING, max(ys) + FLAT_BOX_PADDING + FLAT_BOX_LABEL_ROOM
        element["position"] = {"x": (left + right) / 2, "y": (top + bottom) / 2}
        data["width"], data["height"] = right - left, bottom - top
