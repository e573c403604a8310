"""Shared fixtures: where the real-world data lives, and browser options for dash_duo."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def _fixtures_root() -> Path:
    # CI clones the repo next to shared/; MESHLENS_FIXTURES points elsewhere when needed.
    return Path(os.environ.get("MESHLENS_FIXTURES", REPO.parent / "shared" / "data"))


@pytest.fixture(scope="session")
def fixtures_dir() -> Path:
    """The real-world fixture folder (../shared/data); skips the test where it is absent."""
    root = _fixtures_root()
    if not (root / "k8s").is_dir():
        pytest.skip(f"real-world fixtures not found at {root} (set MESHLENS_FIXTURES)")
    return root
