"""The Lineage page's state: its URL query read back, and its links. Pure.

Everything a person would share lives in the URL: ``run`` (the open run, a pipeline run node
id) and ``node`` (where the artifact explorer starts: an artifact, a pipeline step, a model
server or the workload serving one).

>>> query, problems = parse_lineage_query({"run": "workload:Kubernetes/ml/x", "node": ""})
>>> query, problems
(LineageQuery(run='', node=''), ["ignored run 'workload:Kubernetes/ml/x': not a pipeline run id"])
>>> lineage_href(LineageQuery(node="artifact:Kubernetes//s3://b/m"))
'/lineage?node=artifact%3AKubernetes%2F%2Fs3%3A%2F%2Fb%2Fm'

Nothing here raises: a value that cannot be read is dropped, and one line says so.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlencode

from collectors.ids import parse_node_id
from collectors.kinds import NodeKind
from dashboard.components.page_query import query_text, shown_text

__all__ = [
    "PATH",
    "PICK",
    "QUERY_KEYS",
    "LineageQuery",
    "lineage_href",
    "parse_lineage_query",
    "query_after_pick",
]

PATH = "/lineage"
PICK = "lineage-pick"
"""The artifact explorer's picker: choosing in it moves the walk's focus."""
QUERY_KEYS = ("run", "node")
_MAX_TEXT = 600  # artifact ids carry whole storage URIs
_WALKABLE = frozenset(
    {NodeKind.ARTIFACT, NodeKind.PIPELINE_STEP, NodeKind.INFERENCE_SERVICE, NodeKind.WORKLOAD}
)


@dataclass(frozen=True, slots=True)
class LineageQuery:
    """What the page shows, as the URL says it."""

    run: str = ""  # a pipeline run node id; empty: none open
    node: str = ""  # where the explorer's walk starts; empty: nothing picked


def _kind(text: str) -> NodeKind | None:
    try:
        kind, _, _, _ = parse_node_id(text)
    except ValueError:
        return None
    return kind


def parse_lineage_query(query: Mapping[str, Any]) -> tuple[LineageQuery, list[str]]:
    """Read the page's keys from URL query values; other keys are ignored. Never raises."""
    problems: list[str] = []
    values: dict[str, str] = {}
    for key in QUERY_KEYS:
        text = query_text(query.get(key, "")).strip()
        if len(text) > _MAX_TEXT:
            problems.append(f"ignored {key}: longer than {_MAX_TEXT} characters")
        elif text:
            values[key] = text
    found = LineageQuery()
    if "run" in values:
        if _kind(values["run"]) is NodeKind.PIPELINE_RUN:
            found = replace(found, run=values["run"])
        else:
            problems.append(f"ignored run {shown_text(values['run'])}: not a pipeline run id")
    if "node" in values:
        if _kind(values["node"]) in _WALKABLE:
            found = replace(found, node=values["node"])
        else:
            problems.append(
                f"ignored node {shown_text(values['node'])}: not a dataset, model, step or "
                "model server id"
            )
    return found, problems


def query_after_pick(picked: str | None, shown: Mapping[str, Any]) -> dict[str, Any] | None:
    """The query after the explorer's picker chose ``picked``; None when it changes nothing.

    The open run stays open; clearing the picker drops ``node``.

    >>> query_after_pick("artifact:Kubernetes//s3://b/m", {"run": "r"})
    {'run': 'r', 'node': 'artifact:Kubernetes//s3://b/m'}
    >>> query_after_pick(None, {"run": "r", "node": "n"}), query_after_pick("n", {"node": "n"})
    ({'run': 'r'}, None)
    """
    if (picked or "") == shown.get("node", ""):
        return None  # a redrawn picker showing what the URL says
    query = {key: value for key, value in shown.items() if key != "node"}
    return {**query, "node": picked} if picked else query


def lineage_href(query: LineageQuery) -> str:
    """The page's URL for a query, leaving out empty keys so shared links stay short."""
    values = {key: getattr(query, key) for key in QUERY_KEYS if getattr(query, key)}
    return f"{PATH}?{urlencode(values)}" if values else PATH
