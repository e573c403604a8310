"""Lineage around one node: upstream to the data it came from, downstream to who uses it.

The walk follows data, not control: a dataset is read by a step, the step writes a model,
a model server loads the model, a Deployment in the mesh serves it, and workloads call it::

    dataset -CONSUMES-> step -PRODUCES-> model -SERVES-> InferenceService -SERVES-> workload

Upstream it goes from a step to what the step read (not to the steps merely before it in the
DAG), from a model server to its model, from a serving workload to its model server.
Downstream it stops one hop into the mesh: the callers of a serving workload are listed, their
own callers are the Topology page's business.

Artifacts stored under one another (``CONTAINS``: a folder a step wrote and the file a model
server loads from it) are the same data: the walk crosses such a link once, then goes on only
along the pipeline edges, so a file never drags in its siblings.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator

from collectors.kinds import EdgeKind, NodeKind
from collectors.model import Node, Snapshot
from dashboard.analysis.lineage_roles import (
    artifact_role,
    neighbours,
    owner_of,
    run_title,
    step_task,
)
from dashboard.analysis.lineage_types import (
    FAILED_PHASES,
    Lineage,
    LineageEdge,
    LineageNode,
    Role,
)
from dashboard.analysis.service_series import label

WALK_LIMIT = 400  # nodes; a walk this big is no longer readable as a picture
_Hop = tuple[str, EdgeKind, bool]  # (next node, edge kind, reached through CONTAINS)


def lineage(snapshot: Snapshot, focus: str, *, limit: int = WALK_LIMIT) -> Lineage | None:
    """Everything upstream and downstream of ``focus``; None when it is not a lineage node."""
    if focus not in snapshot.graph or not is_lineage_node(snapshot, focus):
        return None
    distances = {focus: 0}
    edges: set[tuple[str, str, EdgeKind]] = set()
    for upstream, sign in ((True, -1), (False, 1)):
        queue = deque([(focus, False)])
        while queue and len(distances) < limit:
            current, aliased = queue.popleft()
            for nxt, kind, via_alias in _hops(snapshot, current, upstream, aliased):
                flow = (nxt, current) if upstream else (current, nxt)
                if kind is EdgeKind.CONTAINS:
                    flow = _container_first(snapshot, *flow)
                edges.add((*flow, kind))
                if nxt in distances:
                    continue
                distances[nxt] = distances[current] + sign
                if len(distances) >= limit:
                    break
                if kind is not EdgeKind.CALLS:
                    queue.append((nxt, via_alias))
    nodes = sorted(
        (_lineage_node(snapshot, node_id, distance) for node_id, distance in distances.items()),
        key=lambda n: (n.distance, n.role != Role.STEP, n.label, n.id),
    )
    runs = sorted({n.run for n in nodes if n.run})
    kept = [
        LineageEdge(s, t, k)
        for s, t, k in sorted(edges)
        if s in distances and t in distances and s != t
    ]
    return Lineage(focus, tuple(nodes), tuple(kept), tuple(runs))


def is_lineage_node(snapshot: Snapshot, node_id: str) -> bool:
    """Whether a walk can start at a node: an artifact, step, model server or serving workload."""
    node = snapshot.node(node_id)
    if node.kind in (NodeKind.ARTIFACT, NodeKind.PIPELINE_STEP, NodeKind.INFERENCE_SERVICE):
        return True
    return node.kind is NodeKind.WORKLOAD and bool(model_servers_of(snapshot, node_id))


def starting_points(snapshot: Snapshot) -> dict[Role, list[tuple[str, str]]]:
    """What a walk can start from, as (node id, label) by role: datasets, models, model servers.

    Step logs and KFP's UI files are left out: nobody asks where a log came from.
    """
    found: dict[Role, list[tuple[str, str]]] = {Role.DATASET: [], Role.MODEL: [],
                                                Role.MODEL_SERVER: []}  # fmt: skip
    for artifact in snapshot.nodes(NodeKind.ARTIFACT):
        role = artifact_role(snapshot, artifact)
        if role in found:
            found[role].append((artifact.id, artifact.name))
    for server in snapshot.nodes(NodeKind.INFERENCE_SERVICE):
        found[Role.MODEL_SERVER].append((server.id, label(server.id)))
    return {role: sorted(points, key=lambda p: (p[1], p[0])) for role, points in found.items()}


def model_servers_of(snapshot: Snapshot, workload_id: str) -> list[str]:
    """The InferenceServices a workload serves (the Topology link "where did this come from")."""
    return [
        s
        for s in neighbours(snapshot, workload_id, EdgeKind.SERVES, upstream=True)
        if snapshot.node(s).kind is NodeKind.INFERENCE_SERVICE
    ]


def _hops(snapshot: Snapshot, node_id: str, upstream: bool, aliased: bool) -> Iterator[_Hop]:
    kind = snapshot.node(node_id).kind
    if kind is NodeKind.ARTIFACT:
        flow = EdgeKind.PRODUCES if upstream else EdgeKind.CONSUMES
        for other in neighbours(snapshot, node_id, flow, upstream=upstream):
            yield other, flow, False
        if not upstream:
            for server in neighbours(snapshot, node_id, EdgeKind.SERVES, upstream=False):
                yield server, EdgeKind.SERVES, False
        if not aliased:
            for side in (True, False):
                for other in neighbours(snapshot, node_id, EdgeKind.CONTAINS, upstream=side):
                    yield other, EdgeKind.CONTAINS, True
    elif kind is NodeKind.PIPELINE_STEP:
        flow = EdgeKind.CONSUMES if upstream else EdgeKind.PRODUCES
        for other in neighbours(snapshot, node_id, flow, upstream=upstream):
            yield other, flow, False
    elif kind is NodeKind.INFERENCE_SERVICE:
        for other in neighbours(snapshot, node_id, EdgeKind.SERVES, upstream=upstream):
            wanted = NodeKind.ARTIFACT if upstream else NodeKind.WORKLOAD
            if snapshot.node(other).kind is wanted:
                yield other, EdgeKind.SERVES, False
    elif kind is NodeKind.WORKLOAD:
        if upstream:
            for server in model_servers_of(snapshot, node_id):
                yield server, EdgeKind.SERVES, False
        else:
            for caller in neighbours(snapshot, node_id, EdgeKind.CALLS, upstream=True):
                if snapshot.node(caller).kind is NodeKind.WORKLOAD:
                    yield caller, EdgeKind.CALLS, False


def _container_first(snapshot: Snapshot, a: str, b: str) -> tuple[str, str]:
    return (a, b) if b in neighbours(snapshot, a, EdgeKind.CONTAINS, upstream=False) else (b, a)


def _lineage_node(snapshot: Snapshot, node_id: str, distance: int) -> LineageNode:
    node = snapshot.node(node_id)
    role, detail, failed, run = _describe(snapshot, node, distance)
    name = step_task(node) if node.kind is NodeKind.PIPELINE_STEP else label(node_id)
    if node.kind is NodeKind.ARTIFACT:
        name = node.name
    return LineageNode(node_id, role, name, distance, detail, run, failed)


def _describe(snapshot: Snapshot, node: Node, distance: int) -> tuple[Role, str, bool, str]:
    """Role, one-line detail, whether it failed, and the run of a step."""
    attrs = node.attrs
    if node.kind is NodeKind.PIPELINE_STEP:
        run = owner_of(snapshot, node.id, NodeKind.PIPELINE_RUN)
        phase = str(attrs.get("phase", ""))
        title = run_title(snapshot.node(run)) if run else str(attrs.get("run", ""))
        return Role.STEP, f"{phase} · {title}" if phase else title, phase in FAILED_PHASES, run
    if node.kind is NodeKind.ARTIFACT:
        return artifact_role(snapshot, node), str(attrs.get("scheme", "")), False, ""
    if node.kind is NodeKind.INFERENCE_SERVICE:
        state = str(attrs.get("model_state", ""))
        ready = attrs.get("ready")
        parts = (
            "ready" if ready is True else "not ready" if ready is False else "",
            f"model {state}" if state else "",
            str(attrs.get("model_failure", "")),
            str(attrs.get("conditions_failing", "")),
        )
        detail = ", ".join(part for part in parts if part)
        return Role.MODEL_SERVER, detail, ready is False, ""
    role = (
        Role.CALLER if distance > 0 and not model_servers_of(snapshot, node.id) else Role.WORKLOAD
    )
    return role, str(node.health.value), False, ""


def behind_text(snapshot: Snapshot, walk: Lineage) -> str:
    """One sentence: which runs and datasets lie behind the focus, or what it feeds."""
    run_titles = {run: run_title(snapshot.node(run)) for run in walk.runs}
    focus = snapshot.node(walk.focus)
    name = label(walk.focus) if focus.kind is not NodeKind.ARTIFACT else focus.name
    upstream = [n for n in walk.nodes if n.distance < 0]
    # The data the pipelines read from outside, not the datasets their own steps wrote.
    written = {e.target for e in walk.edges if e.kind is EdgeKind.PRODUCES}
    datasets = [n.label for n in upstream if n.role is Role.DATASET and n.id not in written]
    runs = sorted({run_titles.get(n.run, n.run) for n in upstream if n.run})
    if not upstream:
        downstream = [n for n in walk.nodes if n.distance > 0]
        return (f"{name}: nothing upstream of it is in this snapshot; {len(downstream)} "
                "steps, artifacts and servers are downstream.")  # fmt: skip
    if not runs:
        nearest = max(upstream, key=lambda n: n.distance)
        return f"{name} comes from {nearest.label}, which no pipeline run in this snapshot wrote."
    said = f"{name} comes from pipeline run{'s' if len(runs) > 1 else ''} {', '.join(runs)}"
    if datasets:
        said += f", reading dataset{'s' if len(datasets) > 1 else ''} {', '.join(datasets)}"
    return said + "."
