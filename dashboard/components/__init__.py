"""Dash components of the pages, built from view state and pure data (no callbacks here)."""
