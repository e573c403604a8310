"""How the demo's GPU workloads use their devices, and the XID errors the fleet raised.

The ranges are section 5 of the GPU contract: what the GPU views are checked against.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta


@dataclass(frozen=True, slots=True)
class Profile:
    """How a workload uses a GPU while it works."""

    util: tuple[float, float]  # percent
    memory_gib: float
    tensor: tuple[float, float]  # 0-1 while working flat out
    dram: tuple[float, float]
    follows_requests: bool = False  # load follows the request rate it serves
    memory_wobble: float = 0.002  # relative spread of the memory it holds


PROFILES = {
    "recommender-finetune": Profile((85, 98), 75.0, (0.55, 0.7), (0.35, 0.5), memory_wobble=0.012),
    "recommender-training": Profile((90, 98), 35.5, (0.5, 0.65), (0.35, 0.5), memory_wobble=0.01),
    "llm-assistant-predictor": Profile((30, 60), 62.0, (0.3, 0.45), (0.3, 0.45), True),
    "recommender-predictor": Profile((25, 45), 14.0, (0.15, 0.3), (0.2, 0.3), True),
    "fraud-detector-predictor": Profile((10, 25), 5.5, (0.05, 0.15), (0.1, 0.2), True),
    "feature-embedder": Profile((40, 70), 11.5, (0.25, 0.4), (0.2, 0.35)),
    "alice": Profile((20, 60), 9.8, (0.1, 0.3), (0.1, 0.25)),
    "bob": Profile((10, 50), 3.1, (0.05, 0.2), (0.05, 0.2)),
}
DEFAULT_PROFILE = Profile((30, 60), 8.0, (0.1, 0.3), (0.1, 0.3))


@dataclass(frozen=True, slots=True)
class XidError:
    """An XID error a GPU raised, some time before the end of the window."""

    machine: str
    index: int
    code: int
    before_end: timedelta


XID_ERRORS = (
    XidError("gpu-h100-01", 5, 63, timedelta(hours=3, minutes=48)),  # row remapping
    XidError("gpu-a100-01", 1, 31, timedelta(minutes=39)),  # GPU memory page fault
)
