"""Artifact nodes: one per storage URI, shared by whoever writes, reads or serves it."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from collectors.ids import node_id
from collectors.inventory._objects import PartBuilder, mapping, text
from collectors.kinds import NodeKind
from collectors.model import Node


def normalise_uri(uri: str) -> str:
    """Return the form artifact ids are built from: trimmed, without a trailing ``/``.

    ``minio://bucket/key`` (Kubeflow Pipelines v2's default pipeline root) is the S3 object
    ``s3://bucket/key``, the form a KServe ``storageUri`` gives it.

    >>> normalise_uri(" gs://models/iris/ "), normalise_uri("minio://mlpipeline/v2/model")
    ('gs://models/iris', 's3://mlpipeline/v2/model')
    """
    trimmed = uri.strip().rstrip("/")
    scheme, separator, rest = trimmed.partition("://")
    if separator and scheme.lower() == "minio":
        return f"s3://{rest}"
    return trimmed


def add_artifact(builder: PartBuilder, uri: str) -> Node:
    """Add (or find) the artifact node of a URI.

    Storage URIs are global, so the id carries no namespace and no cluster: a pipeline's
    output and the InferenceService serving it meet on one node wherever each runs. When
    normalising changed the URI's scheme, the node keeps the URI as given in ``original_uri``.
    """
    given = uri.strip().rstrip("/")
    normalised = normalise_uri(uri)
    scheme, separator, _ = normalised.partition("://")
    node = builder.add(
        Node(
            id=node_id(NodeKind.ARTIFACT, normalised),
            kind=NodeKind.ARTIFACT,
            name=normalised,
            attrs={"uri": normalised, "scheme": scheme if separator else ""},
        )
    )
    if given != normalised:
        node.attrs.setdefault("original_uri", given)
    return node


STORAGE_SCHEMES = frozenset({"s3", "gs", "minio", "hdfs", "abfs", "abfss", "az"})
"""Schemes of object and file stores whose URIs, passed as a parameter, name data.
``http(s)`` is left out: a parameter holding a URL is far more often an endpoint to call."""

_GLOB = re.compile(r"[*?\[]")


def parameter_uri(value: str) -> str:
    """Return the storage URI a step parameter's value names, ``""`` when it names none.

    Kubeflow Pipelines v1 passes data between steps as parameters holding URIs. A value
    naming files by a pattern (``.../train/part-*``) names the folder they are in; a value
    with a placeholder left in it (``{{inputs.parameters.output}}/model``) names nothing yet.

    >>> parameter_uri("gs://out/run-1/transform/train/part-*"), parameter_uri("news_label")
    ('gs://out/run-1/transform/train', '')
    """
    candidate = value.strip()
    scheme, separator, rest = candidate.partition("://")
    bucket = rest.split("/", 1)[0]
    if not separator or scheme.lower() not in STORAGE_SCHEMES or not bucket or "{{" in rest:
        return ""
    if any(character.isspace() for character in candidate):
        return ""  # a command line or a list, not one location
    folder, slash, last = candidate.rstrip("/").rpartition("/")
    if slash and folder != f"{scheme}:/" and _GLOB.search(last):
        return folder
    return candidate


_WRITE_WORDS = frozenset({"out", "output", "outputs", "staging"})


def names_a_destination(parameter: str) -> bool:
    """Whether a parameter's name says the step writes to the URI it holds.

    It does when one of the name's words (split at ``_``, ``-``, ``.`` and camelCase) is
    ``out``, ``output``, ``outputs`` or ``staging``: ``output``, ``output_path``,
    ``model-output``, ``outDir``, and the ``staging`` bucket a Dataproc cluster writes to (as
    in the KFP xgboost sample). Any other URI parameter (``train``, ``model``, ``analysis``)
    is one the step reads.

    >>> names_a_destination("output"), names_a_destination("outDir"), names_a_destination("model")
    (True, True, False)
    """
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", parameter).lower()
    return any(word in _WRITE_WORDS for word in re.split(r"[^a-z0-9]+", spaced))


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
