"""Collectors: sources, transforms and the snapshot they produce. Never imports Dash."""
