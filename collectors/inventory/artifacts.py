"""Artifact nodes: one per storage URI, shared by whoever writes, reads or serves it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from collectors.ids import node_id
from collectors.inventory._objects import PartBuilder, mapping, text
from collectors.kinds import NodeKind
from collectors.model import Node


def normalise_uri(uri: str) -> str:
    """Return the form artifact ids are built from: trimmed, without a trailing ``/``.

    >>> normalise_uri(" gs://models/iris/ ")
    'gs://models/iris'
    """
    return uri.strip().rstrip("/")


def add_artifact(builder: PartBuilder, uri: str) -> Node:
    """Add (or find) the artifact node of a URI.

    Storage URIs are global, so the id carries no namespace and no cluster: a pipeline's
    output and the InferenceService serving it meet on one node wherever each runs.
    """
    normalised = normalise_uri(uri)
    scheme, separator, _ = normalised.partition("://")
    return builder.add(
        Node(
            id=node_id(NodeKind.ARTIFACT, normalised),
            kind=NodeKind.ARTIFACT,
            name=normalised,
            attrs={"uri": normalised, "scheme": scheme if separator else ""},
        )
    )


# Argo location kinds that address an object as bucket + key.
_BUCKET_SCHEMES = {"s3": "s3", "gcs": "gs", "oss": "oss"}


def argo_artifact_uri(artifact: Mapping[str, Any], repository: Mapping[str, Any]) -> str:
    """Return the URI of an Argo artifact, ``""`` for inline (raw) or unknown locations.

    ``repository`` is the workflow's resolved artifact repository
    (``status.artifactRepositoryRef.artifactRepository``): artifacts that give only a key
    live in its bucket. Without one, the key is all there is, and it is kept as is.
    """
    for location, scheme in _BUCKET_SCHEMES.items():
        place = artifact.get(location)
        if not isinstance(place, Mapping):
            continue
        key = text(place.get("key")).lstrip("/")
        bucket = text(place.get("bucket")) or text(mapping(repository.get(location)).get("bucket"))
        if bucket:
            return f"{scheme}://{bucket}/{key}" if key else f"{scheme}://{bucket}"
        return key
    for location in ("http", "artifactory"):
        url = text(mapping(artifact.get(location)).get("url"))
        if url:
            return url
    azure = mapping(artifact.get("azure"))
    if azure:
        container = text(azure.get("container")) or text(
            mapping(repository.get("azure")).get("container")
        )
        endpoint = text(azure.get("endpoint")) or text(
            mapping(repository.get("azure")).get("endpoint")
        )
        path = "/".join(part for part in (container, text(azure.get("blob")).lstrip("/")) if part)
        return f"{endpoint.rstrip('/')}/{path}" if endpoint else f"azure://{path}"
    hdfs = text(mapping(artifact.get("hdfs")).get("path"))
    if hdfs:
        return f"hdfs://{hdfs}"
    return text(mapping(artifact.get("git")).get("repo"))
