"""Artifacts stored inside other artifacts: a folder a step wrote and the files read from it.

Kubeflow Pipelines v1 steps write a folder (``gs://out/run/transform``) and later steps read
files under it (``gs://out/run/transform/train/part-*``); without a link between the two the
lineage stops at the folder.
"""

from __future__ import annotations

from collectors.inventory._objects import PartBuilder
from collectors.kinds import EdgeKind, NodeKind


def enclosing_uris(uri: str) -> list[str]:
    """The folders a storage URI lies in, nearest first, down to its bucket.

    Only whole path segments count, and only within the same scheme and bucket.

    >>> enclosing_uris("s3://b/models/fraud/model.bst")
    ['s3://b/models/fraud', 's3://b/models', 's3://b']
    >>> enclosing_uris("models/fraud"), enclosing_uris("s3://b")
    ([], [])
    """
    scheme, separator, rest = uri.partition("://")
    segments = rest.split("/")
    if not separator or not scheme or not segments[0]:
        return []
    return [f"{scheme}://{'/'.join(segments[:end])}" for end in range(len(segments) - 1, 0, -1)]


def add_containment(builder: PartBuilder) -> None:
    """Add ARTIFACT -[CONTAINS]-> ARTIFACT from the nearest artifact each one lies under.

    ``s3://b/models/fraud`` contains ``s3://b/models/fraud/model.bst`` but not
    ``s3://b/models/fraud-v2``; with ``s3://b/models`` there too, only ``.../fraud`` links to
    the file (no transitive duplicates). Run after every artifact has been added.
    """
    by_uri = {
        node.name: node.id for node in builder.nodes.values() if node.kind is NodeKind.ARTIFACT
    }
    for uri, artifact in by_uri.items():
        container = next((by_uri[u] for u in enclosing_uris(uri) if u in by_uri), None)
        if container is not None:
            builder.edge(container, artifact, EdgeKind.CONTAINS)
