"""The response codes, gRPC statuses and Envoy flags behind an error ratio, in words.

>>> from collectors.model import TrafficStats
>>> stats = TrafficStats(request_rate=10, error_rate=3, response_codes={"200": 7, "503": 3},
...                      response_flags={"UH": 3})
>>> error_words(stats)  # doctest: +ELLIPSIS
'503 (server error: Service Unavailable) 30% of requests; UH (no healthy upstream: ...) 30%'
"""

from __future__ import annotations

from collectors.model import TrafficStats
from dashboard.topology._details_words import (
    code_rows,
    flag_rows,
    grpc_status_name,
    http_code_meaning,
)

__all__ = ["error_words"]


def error_words(stats: TrafficStats | None, *, limit: int = 3) -> str:
    """The errored codes and flags of ``stats`` as one line; "" when nothing failed."""
    if stats is None or stats.request_rate <= 0:
        return ""
    parts: list[str] = []
    for row in code_rows(stats.response_codes, http_code_meaning):
        if row.code.isdigit() and (row.code == "0" or int(row.code) >= 400):
            parts.append(f"{row.code} ({row.meaning}) {row.rps / stats.request_rate:.0%}")
    for row in code_rows(stats.grpc_statuses, grpc_status_name):
        if row.code != "0":
            parts.append(f"gRPC {row.meaning} {row.rps / stats.request_rate:.0%}")
    words = [f"{p} of requests" if i == 0 else p for i, p in enumerate(parts[:limit])]
    flags = [f"{r.flag} ({r.explanation}) {r.share:.0%}" for r in flag_rows(stats) if r.flag != "-"]
    return "; ".join(words + flags[:limit])
