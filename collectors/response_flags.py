"""Envoy response flags in plain words, for the ``response_flags`` label of Istio metrics.

>>> explain_flags("UF,URX")
['UF: could not connect to the upstream', 'URX: gave up after the retry limit was reached']
"""

from __future__ import annotations

from collectors.traffic_stats import split_flags

__all__ = ["RESPONSE_FLAGS", "explain_flag", "explain_flags"]

RESPONSE_FLAGS: dict[str, str] = {
    "UH": "no healthy upstream: every instance behind the service was down or ejected",
    "UF": "could not connect to the upstream",
    "UO": "upstream overflow: the circuit breaker rejected the request",
    "NR": "no route matched the request (or no cluster for it)",
    "URX": "gave up after the retry limit was reached",
    "NC": "the upstream cluster was not found",
    "DT": "the request ran past its maximum duration",
    "DC": "the caller disconnected before the response was complete",
    "LH": "the local instance failed its own health check",
    "UT": "the upstream did not answer in time (request timeout)",
    "LR": "the connection was reset locally by the proxy",
    "UR": "the upstream reset the connection",
    "UC": "the upstream closed the connection",
    "DI": "the request was delayed on purpose by fault injection",
    "FI": "the request was aborted on purpose by fault injection",
    "RL": "rate limited by the local or global rate limiter",
    "UAEX": "denied by the external authorization service",
    "RLSE": "the rate limit service failed, so the request was rejected",
    "IH": "rejected for an invalid header value",
    "SI": "the stream was idle for too long",
    "DPE": "the caller broke the HTTP protocol (downstream protocol error)",
    "UPE": "the upstream broke the HTTP protocol (upstream protocol error)",
    "UMSDR": "the upstream stream ran past its maximum duration",
    "OM": "rejected by the proxy's overload manager",
    "DF": "DNS lookup of the upstream failed",
    "DO": "dropped by the proxy's overload protection (drop overload)",
}
"""Every flag Envoy sets on ``response_flags``, with a one-line explanation."""


def explain_flag(flag: str) -> str:
    """Explain one flag as ``"FLAG: what happened"``; unknown flags say so."""
    explanation = RESPONSE_FLAGS.get(flag.strip().upper())
    return f"{flag}: {explanation or 'unknown response flag'}"


def explain_flags(flags: str) -> list[str]:
    """Explain a ``response_flags`` value such as ``"UF,URX"``; ``"-"`` (none) gives ``[]``.

    Never raises: anything unrecognised is explained as unknown.
    """
    return [explain_flag(flag) for flag in split_flags(flags)]
