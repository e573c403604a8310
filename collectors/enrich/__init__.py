"""Enrichment: small named steps that add what no single source can say on its own.

After the transforms' graph parts are merged into a :class:`~collectors.model.Snapshot`, each
step reads the whole snapshot and marks nodes and edges: idle nodes, missing sidecars, mTLS,
Istio configuration badges, GPU attachment, lineage links, health. One file and one test per
step; every step is a function ``step(snapshot) -> None``.

Rules every step keeps:

- in-memory joins only: build an index (a dict by id, label or namespace) once, then look up;
  never a network call, never a call per node to anything slow;
- a step adds what it knows and leaves the rest alone, so the result does not depend on the
  order the steps run in;
- a step that cannot know something (no telemetry, an unread kind) does nothing rather than
  guess.
"""
