"""Analysis of a snapshot: pure functions from :class:`~collectors.model.Snapshot` to findings
people act on (hotspots, incidents, root causes, blast radius, diffs). No Dash, no I/O."""
