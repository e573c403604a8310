"""Topology: graph-type projections, server-side layout and the find/hide language (pure)."""
