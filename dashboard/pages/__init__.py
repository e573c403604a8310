"""Dash Pages: each module registers itself and defines ``layout(**query)``."""
