"""The inventory transform: cluster objects in, the object graph out. Pure: no I/O.

>>> part = inventory_graph(load_manifests(Path("bookinfo.yaml")))  # doctest: +SKIP
>>> sorted(n.name for n in part.nodes if n.kind is NodeKind.WORKLOAD)  # doctest: +SKIP
['details-v1', 'productpage-v1', 'ratings-v1', 'reviews-v1', 'reviews-v2', 'reviews-v3']

What becomes a node, and the flags set here (DEAD, NOT_READY, RESTARTING, MISSING_SIDECAR,
ENTRY_POINT), are described in the modules: :mod:`.namespaces`, :mod:`.machines`,
:mod:`.workloads` (with :mod:`.pods`), :mod:`.services`, :mod:`.serving`, :mod:`.pipelines`
(with :mod:`.argo_nodes`, :mod:`.artifacts` and :mod:`.artifact_links`).
Traffic-derived flags (IDLE, UNKNOWN, ...) belong to later steps.
"""

from __future__ import annotations

from collectors.cluster import ClusterObjects, KubeObject
from collectors.ids import DEFAULT_CLUSTER
from collectors.inventory._objects import PartBuilder, name_of, namespace_of
from collectors.inventory.artifact_links import add_containment
from collectors.inventory.istio_config import add_istio_config
from collectors.inventory.machines import add_machines
from collectors.inventory.namespaces import add_namespaces
from collectors.inventory.pipelines import add_pipeline_runs
from collectors.inventory.services import add_services
from collectors.inventory.serving import add_inference_services
from collectors.inventory.workloads import add_workloads
from collectors.model import GraphPart

__all__ = ["in_namespaces", "inventory_graph", "latest_objects"]


def in_namespaces(objects: ClusterObjects, namespaces: tuple[str, ...]) -> ClusterObjects:
    """Keep those namespaces' objects and the cluster-wide ones (Nodes...); all when empty.

    An object without a namespace lives in ``default``, as ``kubectl apply`` would put it.
    """
    if not namespaces:
        return objects
    wanted = set(namespaces)

    def kept(item: KubeObject) -> bool:
        if item.get("kind") == "Namespace":
            return name_of(item) in wanted
        namespace = namespace_of(item)
        return namespace == "" or namespace in wanted

    return ClusterObjects([item for item in objects.items if kept(item)], dict(objects.missing))


def inventory_graph(objects: ClusterObjects, *, cluster: str = DEFAULT_CLUSTER) -> GraphPart:
    """Return the nodes and structural edges described by a set of cluster objects.

    An object read twice (the same kind, namespace and name in two files) counts once, the
    last one read winning, as with ``kubectl apply``. The objects are not modified.
    """
    items = latest_objects(objects.items)
    builder = PartBuilder(cluster)
    meshes = add_namespaces(builder, items)
    add_machines(builder, items)
    workloads = add_workloads(builder, items, meshes)
    add_services(builder, items, workloads)
    add_inference_services(builder, items, workloads)
    add_pipeline_runs(builder, items)
    add_containment(builder)  # after every source of artifacts
    add_istio_config(builder, items)
    return builder.part()


def latest_objects(items: list[KubeObject]) -> list[KubeObject]:
    """The objects with each (group, kind, namespace, name) once: its last occurrence."""
    latest: dict[tuple[str, str, str, str], KubeObject] = {}
    unnamed: list[KubeObject] = []
    for item in items:
        name = name_of(item)
        if not name:
            unnamed.append(item)
            continue
        key = (
            str(item.get("apiVersion", "")).split("/")[0],
            str(item.get("kind", "")),
            namespace_of(item),
            name,
        )
        latest.pop(key, None)  # re-insert so the order follows the last occurrence
        latest[key] = item
    return [*latest.values(), *unnamed]
