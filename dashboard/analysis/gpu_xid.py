"""XID errors: what NVIDIA's driver codes mean, and when a device reported a new one.

DCGM's ``DCGM_FI_DEV_XID_ERRORS`` is a gauge holding the code of the last XID error for a while
after it happened, not a counter; an event is where it turns to a code it did not hold just
before.

>>> from datetime import UTC, datetime, timedelta
>>> t0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
>>> times = [t0 + timedelta(minutes=m) for m in range(4)]
>>> [e.code for e in xid_events("gpu:Kubernetes/gpu-1/0", times, [0, 63, 63, 0])]
[63]
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime

import pandas as pd

from dashboard.analysis.gpu_types import XidEvent

__all__ = ["XID_MEANINGS", "xid_events"]

XID_MEANINGS: Mapping[int, str] = {
    13: "graphics engine exception: usually the program's own fault (bad address, illegal "
    "instruction); look at the job before the GPU",
    31: "GPU memory page fault: a program touched memory it does not own, most often a bug "
    "in the job or a library",
    43: "GPU stopped processing: the running program hit a fault and was stopped; the GPU "
    "itself is usually fine",
    45: "preemptive cleanup after an earlier error or a killed program: read the XID before it",
    48: "double-bit ECC error: memory could not be corrected; drain the node and reset the GPU",
    61: "internal micro-controller breakpoint: firmware trouble; reset the GPU if it repeats",
    62: "internal micro-controller halt: firmware stopped; reset the GPU",
    63: "ECC page retirement or row remapping recorded: bad memory was fenced off; reset the GPU "
    "when it is free to apply it",
    64: "ECC page retirement or row remapping failed: drain the node and have the GPU checked",
    74: "NVLink error: a link between GPUs failed; check NVLink and NVSwitch, then reset",
    79: "GPU has fallen off the bus: it no longer answers; drain the node, check power and "
    "cooling, reboot",
    92: "high single-bit ECC error rate: memory is wearing out; plan a replacement",
    94: "contained ECC error: only the program using that memory was stopped; reset the GPU when "
    "it is free",
    95: "uncontained ECC error: every program on the GPU is affected; drain the node and reset "
    "the GPU",
    119: "GSP RPC timeout: the GPU System Processor stopped answering; reset the GPU, update the "
    "driver if it repeats",
    120: "GSP error: the GPU System Processor reported a fault; reset the GPU, update the driver "
    "if it repeats",
}
"""One line per XID code people meet most, with what to do where it is clear."""


def xid_events(
    device: str, times: Iterable[datetime], values: Iterable[float]
) -> tuple[XidEvent, ...]:
    """The XID events in one device's ``gpu_xid`` samples, oldest first.

    ``times`` and ``values`` are the samples in time order. An event is a sample holding a
    non-zero code other than the one held before it; 0 clears the held code. A missing sample
    (NaN) is a gap in scraping, not a new state: the same code on both sides of it is one event.
    A code already held at the first sample is dated there, the earliest the window can tell.
    """
    events: list[XidEvent] = []
    held = 0
    for at, value in zip(times, values, strict=True):
        if math.isnan(value):
            continue
        code = round(value)
        if code > 0 and code != held:
            events.append(XidEvent(_utc(at), device, code, XID_MEANINGS.get(code, "")))
        held = max(code, 0)
    return tuple(events)


def _utc(at: datetime) -> datetime:
    stamp = pd.Timestamp(at)
    stamp = stamp.tz_localize(UTC) if stamp.tzinfo is None else stamp.tz_convert(UTC)
    return stamp.floor("us").to_pydatetime()
