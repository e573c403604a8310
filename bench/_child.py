"""Run one benchmark size in a child process, so its peak memory is its own."""

from __future__ import annotations

import json
import subprocess
from typing import Any


def measure_in_child(command: list[str], size: int) -> dict[str, Any] | None:
    """Run ``command``; its last line of output is the size's JSON row (None if it failed)."""
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        print(f"{size} workloads failed ({done.returncode}): {done.stderr[-2000:]}", flush=True)
        return None
    row: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return row
