"""What the benchmark scripts share: a child process per size, and the tests' helpers."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
from pathlib import Path
from typing import Any


def measure_in_child(command: list[str], size: int) -> dict[str, Any] | None:
    """Run ``command``; its last line of output is the size's JSON row (None if it failed)."""
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        print(f"{size} workloads failed ({done.returncode}): {done.stderr[-2000:]}", flush=True)
        return None
    row: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return row


TESTS = Path(__file__).resolve().parent.parent / "tests"


def test_helper(name: str) -> Any:
    """Import a module of ``tests/`` (not a package) by name.

    Typed ``Any`` so mypy checks a benchmark the same with or without tests/ on its path.
    """
    if str(TESTS) not in sys.path:
        sys.path.insert(0, str(TESTS))
    return importlib.import_module(name)
