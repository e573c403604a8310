"""An Argo Workflow's node map: where the status keeps it, which entries are steps, their order.

Argo records a run as a map of nodes by id. ``Pod`` entries are the steps that ran; ``DAG``,
``Steps``, ``StepGroup``, ``Retry`` and ``TaskGroup`` entries only structure them. Large
workflows keep the map gzipped and base64-encoded in ``status.compressedNodes``, or offload it
to Argo's database (``status.offloadNodeStatusVersion``), where a cluster read cannot reach it.

>>> read_node_map({"offloadNodeStatusVersion": "fnv:1"}).status
'offloaded'
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from collectors.inventory._objects import mapping, sequence, text

Entry = Mapping[str, Any]

MAX_INFLATED_BYTES = 64 * 2**20
"""The most a compressed node map may inflate to: a gzip bomb is refused, not unpacked."""

KFP_EXECUTOR_TEMPLATE = "system-container-impl"
KFP_DRIVER_TEMPLATES = frozenset({"system-container-driver", "system-dag-driver"})


class NodeMapError(ValueError):
    """A compressed node map that cannot be read; the message says why, in one line."""


@dataclass(frozen=True, slots=True)
class NodeMap:
    """A workflow's node map and how it was read.

    ``status`` is ``nodes`` or ``compressed`` when the map was read, ``offloaded``,
    ``unreadable`` (``error`` says why) or ``none`` when there is no map to read.
    """

    status: str
    nodes: Mapping[str, Entry] = field(default_factory=dict)
    error: str = ""

    @property
    def read(self) -> bool:
        """Whether the steps are known (an empty map read from a run is still known)."""
        return self.status in ("nodes", "compressed")


def read_node_map(status: Mapping[str, Any], *, limit: int = MAX_INFLATED_BYTES) -> NodeMap:
    """Read the node map of a workflow status, from ``nodes`` or ``compressedNodes``."""
    nodes = mapping(status.get("nodes"))
    if nodes:
        return NodeMap("nodes", _entries(nodes))
    compressed = status.get("compressedNodes")
    if compressed:
        try:
            return NodeMap("compressed", _entries(inflate_nodes(compressed, limit=limit)))
        except NodeMapError as error:
            return NodeMap("unreadable", error=str(error))
    if status.get("offloadNodeStatusVersion"):
        return NodeMap("offloaded")
    return NodeMap("none")


def inflate_nodes(encoded: object, *, limit: int = MAX_INFLATED_BYTES) -> Mapping[str, Any]:
    """Decode ``status.compressedNodes`` (base64 of gzip of JSON) into the node map.

    Raises :class:`NodeMapError` when the value is not base64, not gzip, cut short, not a
    JSON object, or inflates beyond ``limit`` bytes.

    >>> import gzip
    >>> inflate_nodes(base64.b64encode(gzip.compress(b'{"w": {"type": "DAG"}}')).decode())
    {'w': {'type': 'DAG'}}
    """
    if not isinstance(encoded, str):
        raise NodeMapError("compressedNodes is not a string")
    try:
        packed = base64.b64decode("".join(encoded.split()), validate=True)
    except (binascii.Error, ValueError) as error:
        raise NodeMapError(f"compressedNodes is not base64: {_line(error)}") from None
    inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)  # 16+: expect a gzip header
    try:
        raw = inflater.decompress(packed, limit + 1)
    except zlib.error as error:
        raise NodeMapError(f"compressedNodes is not gzip data: {_line(error)}") from None
    if len(raw) > limit:
        raise NodeMapError(f"compressedNodes inflates to more than {_size(limit)}; not read")
    if not inflater.eof:
        raise NodeMapError("compressedNodes is cut short: its gzip stream does not end")
    try:
        decoded = json.loads(raw)
    except (ValueError, RecursionError) as error:  # bad UTF-8 is a ValueError too
        raise NodeMapError(f"compressedNodes is not JSON: {_line(error)}") from None
    if not isinstance(decoded, dict):
        raise NodeMapError(f"compressedNodes holds a JSON {type(decoded).__name__}, not a map")
    return decoded


def _entries(nodes: Mapping[Any, Any]) -> dict[str, Entry]:
    return {str(key): entry for key, entry in nodes.items() if isinstance(entry, Mapping)}


def _line(error: BaseException) -> str:
    return " ".join(str(error).split()) or type(error).__name__


def _size(limit: int) -> str:
    return f"{limit // 2**20} MiB" if limit % 2**20 == 0 else f"{limit:,} bytes"


def pod_steps(nodes: Mapping[str, Entry]) -> dict[str, Entry]:
    """The entries that ran a pod: the run's steps, by Argo node id."""
    return {key: entry for key, entry in nodes.items() if entry.get("type") == "Pod"}


def _children(entry: Entry) -> list[str]:
    return [text(child) for child in sequence(entry.get("children")) if text(child)]


def parent_map(nodes: Mapping[str, Entry]) -> dict[str, list[str]]:
    """The entries that list each node among their ``children``, by node id."""
    found: dict[str, list[str]] = {}
    for key, entry in nodes.items():
        for child in _children(entry):
            found.setdefault(child, []).append(key)
    return found


def step_order(nodes: Mapping[str, Entry]) -> set[tuple[str, str]]:
    """Pairs ``(a, b)`` of pod steps where ``b`` waits for ``a``: the run's DAG.

    Argo links a task to what follows it through ``children``: a DAG task, or the next
    step group, is a child of the outbound pods of what it depends on, while the children of
    a ``DAG``, ``Steps``, ``StepGroup``, ``TaskGroup`` or ``Retry`` entry are what it holds.
    So ``b`` follows ``a`` when ``b`` is the first pod on a path down ``a``'s children
    through entries that are not pods (an omitted task or a suspend passes its order on).
    Argo links only the last attempt of a retried task onward; every attempt is given what
    follows it here, and attempts never precede one another. A ``Steps`` entry's first child
    is its first group (Argo before 2.3 listed every group there). Steps of a workflow's
    ``onExit`` handler hang under no step and so follow none.
    """
    parents = parent_map(nodes)
    steps = pod_steps(nodes)
    pairs: set[tuple[str, str]] = set()
    for step in steps:
        attempts = _attempts(nodes, parents, step)
        following: set[str] = set()
        for attempt in attempts:
            following |= _next_pods(nodes, attempt)
        pairs.update((step, later) for later in following if later not in attempts)
    return pairs


def _attempts(nodes: Mapping[str, Entry], parents: Mapping[str, list[str]], step: str) -> set[str]:
    """The pods that are attempts of the same retried task as ``step`` (itself included)."""
    found = {step}
    for parent in parents.get(step, []):
        if nodes[parent].get("type") == "Retry":
            found |= {c for c in _children(nodes[parent]) if nodes.get(c, {}).get("type") == "Pod"}
    return found


def _next_pods(nodes: Mapping[str, Entry], start: str) -> set[str]:
    found: set[str] = set()
    seen = {start}
    waiting = _children(nodes[start])
    while waiting:
        key = waiting.pop()
        if key in seen or key not in nodes:
            continue
        seen.add(key)
        entry = nodes[key]
        if entry.get("type") == "Pod":
            found.add(key)
            continue
        children = _children(entry)
        waiting.extend(children[:1] if entry.get("type") == "Steps" else children)
    return found


def step_role(entry: Entry) -> str:
    """``driver`` for KFP v2's driver pods (bookkeeping, not the user's code), else ``""``."""
    return "driver" if text(entry.get("templateName")) in KFP_DRIVER_TEMPLATES else ""


def step_task(
    nodes: Mapping[str, Entry], step: str, parents: Mapping[str, list[str]] | None = None
) -> str:
    """What the user calls a step: the task's name rather than Argo's per-pod display name.

    A KFP v2 executor pod (``system-container-impl``, displayed as ``executor``) takes the
    name of the task node that holds it (its boundary); an attempt of a retried task takes the
    ``Retry`` entry's name (``train``, not ``train(1)``); any other pod its display name.
    ``parents`` is :func:`parent_map` of ``nodes``, computed once per run by callers that ask
    for many steps.
    """
    entry = nodes[step]
    if text(entry.get("templateName")) == KFP_EXECUTOR_TEMPLATE:
        boundary = nodes.get(text(entry.get("boundaryID")), {})
        holder = text(boundary.get("displayName"))
        if holder:
            return holder
    if parents is None:
        parents = parent_map(nodes)
    for parent in parents.get(step, []):
        if nodes[parent].get("type") == "Retry" and text(nodes[parent].get("displayName")):
            return text(nodes[parent].get("displayName"))
    return text(entry.get("displayName"))


def parameter_values(section: Any) -> dict[str, str]:
    """The ``parameters`` of an ``inputs`` or ``arguments`` section, by name."""
    found: dict[str, str] = {}
    for item in sequence(mapping(section).get("parameters")):
        name = text(mapping(item).get("name"))
        if name and "value" in mapping(item):
            found[name] = text(mapping(item).get("value"))
    return found


_PLACEHOLDER = re.compile(r"\{\{\s*([^{}]+?)\s*\}\}")
_ITERATION = re.compile(r"\(\d+(:.*)?\)$")  # "fail(1)" (a retry), "fan(0:a)" (withItems)


def step_parameters(workflow: Entry, nodes: Mapping[str, Entry], step: str) -> dict[str, str]:
    """A step's input parameters by name, as its node records them.

    Argo records every resolved input in the node. Where a stored node lacks one (the KFP
    mock backend's runs drop ``output``), the value the workflow spec passes the task is used,
    with ``{{inputs.parameters.*}}`` (from the enclosing node), ``{{workflow.name}}``,
    ``{{workflow.namespace}}`` and ``{{workflow.parameters.*}}`` filled in; any other
    placeholder is left in place, for the reader to skip.
    """
    entry = nodes[step]
    found = parameter_values(entry.get("inputs"))
    boundary = nodes.get(text(entry.get("boundaryID")), {})
    call = _ITERATION.sub("", text(entry.get("displayName")))
    passed = _spec_arguments(workflow, text(boundary.get("templateName")), call)
    if not passed:
        return found
    meta, spec = mapping(workflow.get("metadata")), mapping(workflow.get("spec"))
    scope = {
        f"inputs.parameters.{k}": v for k, v in parameter_values(boundary.get("inputs")).items()
    }
    scope |= {
        f"workflow.parameters.{k}": v for k, v in parameter_values(spec.get("arguments")).items()
    }
    scope |= {
        "workflow.name": text(meta.get("name")),
        "workflow.namespace": text(meta.get("namespace")),
    }
    for name, value in passed.items():
        if name not in found:
            found[name] = _PLACEHOLDER.sub(lambda m: scope.get(m.group(1), m.group(0)), value)
    return found


def _spec_arguments(workflow: Entry, template: str, task: str) -> dict[str, str]:
    """The parameters the spec's ``template`` passes its step or task named ``task``."""
    if not template:
        return {}
    for item in sequence(mapping(workflow.get("spec")).get("templates")):
        if text(mapping(item).get("name")) != template:
            continue
        calls = [
            mapping(c) for group in sequence(mapping(item).get("steps")) for c in sequence(group)
        ]
        calls += [mapping(c) for c in sequence(mapping(mapping(item).get("dag")).get("tasks"))]
        for call in calls:
            if text(call.get("name")) == task:
                return parameter_values(call.get("arguments"))
    return {}
