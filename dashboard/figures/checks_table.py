"""The Checks page's table: findings in, filtered rows out, and the filter's round trip via URLs.

Pure, so a notebook can filter a snapshot's findings the way the page does:

>>> check_filter, problems = parse_filter({"severity": "error", "namespace": "boutique"})
>>> [row.code for row in check_rows(snapshot.findings, check_filter)]  # doctest: +SKIP
['POD001', 'POD003', 'SVC002', 'WKL001']

Query values arrive from URLs, so they are hostile: :func:`parse_filter` never raises. A value
that cannot name anything (a severity that is not one, a namespace that is not a Kubernetes
name, a value too long) stays in the filter, so the table is empty rather than quietly wider
than the link asked for, and one line per value says why.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from collectors.checks import SEVERITY_ORDER
from collectors.kinds import NodeKind, Severity, SourceState
from collectors.model import Finding, Node, Snapshot, SourceStatus
from dashboard.topology.projection import GraphType
from dashboard.topology.state import TopologyState, to_query

__all__ = [
    "MAX_VALUE_LENGTH",
    "NO_CLUSTER_OBJECTS",
    "QUERY_KEYS",
    "SEVERITY_COLOURS",
    "CheckFilter",
    "CheckRow",
    "check_rows",
    "cluster_notes",
    "filter_query",
    "finding_nodes",
    "parse_filter",
    "severity_counts",
    "topology_link",
]

QUERY_KEYS = ("severity", "namespace", "code", "q")
"""Every query key the Checks page owns."""

MAX_VALUE_LENGTH = 200  # longer values are not read at all
MAX_VALUES = 50  # per key: more names than anyone picks by hand

SEVERITY_COLOURS: Mapping[Severity, str] = {
    Severity.ERROR: "danger",
    Severity.WARNING: "warning",
    Severity.INFO: "info",
}
"""Bootstrap colours of the severity badges (the Checks page and the topology side panel)."""

NO_CLUSTER_OBJECTS = "No cluster objects were read: checks need --manifests or --kubeconfig"

_NAMESPACE = re.compile(r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?")  # RFC 1123 label
_CODE = re.compile(r"[A-Z]{2,6}[0-9]{3}")
_SEVERITIES = tuple(severity.value for severity in Severity)
_GRAPH_OF_KIND = {NodeKind.WORKLOAD: GraphType.WORKLOAD, NodeKind.SERVICE: GraphType.SERVICE}


@dataclass(frozen=True, slots=True)
class CheckFilter:
    """Which findings the table shows; an empty tuple or text lets everything through.

    ``blocked`` is set when a value was too long to read: nothing matches then.
    """

    severities: tuple[str, ...] = ()
    namespaces: tuple[str, ...] = ()
    codes: tuple[str, ...] = ()
    text: str = ""
    blocked: bool = False

    def matches(self, finding: Finding) -> bool:
        """Whether ``finding`` passes every part of the filter."""
        if self.blocked:
            return False
        if self.severities and finding.severity.value not in self.severities:
            return False
        if self.namespaces and finding.namespace not in self.namespaces:
            return False
        if self.codes and finding.code not in self.codes:
            return False
        if not self.text:
            return True
        haystack = f"{finding.code} {finding.object} {finding.message} {finding.hint}"
        return self.text.casefold() in haystack.casefold()


@dataclass(frozen=True, slots=True)
class CheckRow:
    """One finding as the table shows it; ``topology`` is "" when no drawn node stands for it."""

    severity: Severity
    code: str
    object: str
    namespace: str
    message: str
    hint: str
    topology: str


def _values(raw: Any) -> str:
    # Dash Pages hands a repeated key over as a list of its values.
    if isinstance(raw, list | tuple):
        return ",".join(str(one) for one in raw)
    return raw if isinstance(raw, str) else str(raw)


def _names(text: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(part.strip() for part in text.split(",") if part.strip()))[
        :MAX_VALUES
    ]


def parse_filter(query: Mapping[str, Any]) -> tuple[CheckFilter, list[str]]:
    """Read the filter from URL query values; other keys are ignored. Never raises.

    Returns the filter and one line per value that cannot match anything.
    """
    problems: list[str] = []
    values: dict[str, str] = {}
    blocked = False
    for key in QUERY_KEYS:
        if key not in query:
            continue
        text = _values(query[key])
        if len(text) > MAX_VALUE_LENGTH:
            problems.append(f"{key} is longer than {MAX_VALUE_LENGTH} characters: nothing matches")
            blocked = True
            continue
        values[key] = text
    severities = tuple(name.lower() for name in _names(values.get("severity", "")))
    for name in severities:
        if name not in _SEVERITIES:
            problems.append(
                f"severity {name[:40]!r} is not one of {', '.join(_SEVERITIES)}: it matches nothing"
            )
    namespaces = _names(values.get("namespace", ""))
    for name in namespaces:
        if not _NAMESPACE.fullmatch(name):
            problems.append(f"namespace {name[:40]!r} is not a Kubernetes name: it matches nothing")
    codes = tuple(name.upper() for name in _names(values.get("code", "")))
    for name in codes:
        if not _CODE.fullmatch(name):
            problems.append(f"code {name[:40]!r} is not a check code (such as POD001)")
    check_filter = CheckFilter(
        severities, namespaces, codes, values.get("q", "").strip(), blocked=blocked
    )
    return check_filter, problems


def filter_query(check_filter: CheckFilter) -> dict[str, str]:
    """The query values of ``check_filter``, leaving out what is empty."""
    query = {
        "severity": ",".join(check_filter.severities),
        "namespace": ",".join(check_filter.namespaces),
        "code": ",".join(check_filter.codes),
        "q": check_filter.text,
    }
    return {key: value for key, value in query.items() if value}


def finding_nodes(snapshot: Snapshot) -> dict[str, Node]:
    """The snapshot nodes the findings are drawn on, by id (what :func:`check_rows` links)."""
    graph = snapshot.graph
    return {f.node: snapshot.node(f.node) for f in snapshot.findings if f.node in graph}


def topology_link(node: Node) -> str:
    """The Topology page with ``node`` selected, in its namespace; "" when no graph draws it.

    Restricting to the namespace keeps it from being folded into a collapsed namespace node.
    """
    graph_type = _GRAPH_OF_KIND.get(node.kind)
    if graph_type is None:
        return ""
    state = TopologyState(
        graph_type=graph_type,
        namespaces=(node.namespace,) if node.namespace else (),
        selected=node.id,
    )
    return "/topology?" + urlencode(to_query(state))


def check_rows(
    findings: Iterable[Finding],
    check_filter: CheckFilter,
    nodes: Mapping[str, Node] | None = None,
) -> list[CheckRow]:
    """The findings ``check_filter`` lets through, worst first, linked to the nodes in ``nodes``."""
    known = nodes or {}
    kept = sorted(
        (finding for finding in findings if check_filter.matches(finding)),
        key=lambda f: (SEVERITY_ORDER[f.severity], f.code, f.namespace, f.name),
    )
    return [
        CheckRow(
            severity=f.severity,
            code=f.code,
            object=f.object,
            namespace=f.namespace,
            message=f.message,
            hint=f.hint,
            topology=topology_link(known[f.node]) if f.node in known else "",
        )
        for f in kept
    ]


def severity_counts(findings: Iterable[Finding]) -> dict[Severity, int]:
    """How many findings of each severity, every severity present (0 when none)."""
    counts = dict.fromkeys(Severity, 0)
    for finding in findings:
        counts[finding.severity] += 1
    return counts


def cluster_notes(sources: Sequence[SourceStatus]) -> list[str]:
    """What the checks could not look at: :data:`NO_CLUSTER_OBJECTS`, or the kinds each cluster
    source failed to read (checks of those kinds found nothing because they saw nothing)."""
    cluster = [source for source in sources if source.kind == "cluster"]
    if all(source.state is SourceState.UNAVAILABLE for source in cluster):
        return [NO_CLUSTER_OBJECTS]
    return [
        f"{source.name} could not read {', '.join(source.missing)}: checks on them did not run"
        for source in cluster
        if source.missing
    ]
