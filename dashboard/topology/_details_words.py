"""Words for the side panel: HTTP codes, gRPC statuses and Envoy flags, and their table rows."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from http import HTTPStatus

from collectors.model import TrafficStats
from collectors.response_flags import explain_flag


@dataclass(frozen=True, slots=True)
class CodeRow:
    """One HTTP response code or gRPC status: its rate, share of all codes, and meaning."""

    code: str
    rps: float
    share: float  # 0..1 of the rows' total
    meaning: str


@dataclass(frozen=True, slots=True)
class FlagRow:
    """One Envoy response flag: its rate, share of requests (of connections for TCP), meaning."""

    flag: str
    rps: float
    share: float
    explanation: str


# eq=False: a DataFrame field has no truth value, so generated equality would raise.


_GRPC_NAMES = [
    "OK",
    "CANCELLED",
    "UNKNOWN",
    "INVALID_ARGUMENT",
    "DEADLINE_EXCEEDED",
    "NOT_FOUND",
    "ALREADY_EXISTS",
    "PERMISSION_DENIED",
    "RESOURCE_EXHAUSTED",
    "FAILED_PRECONDITION",
    "ABORTED",
    "OUT_OF_RANGE",
    "UNIMPLEMENTED",
    "INTERNAL",
    "UNAVAILABLE",
    "DATA_LOSS",
    "UNAUTHENTICATED",
]

_HTTP_FAMILIES = {
    1: "informational",
    2: "success",
    3: "redirect (not an error)",
    4: "client error",
    5: "server error",
}


def _is_number(text: str) -> bool:
    return text.isascii() and text.isdigit()


def http_code_meaning(code: str) -> str:
    """Say what an Istio ``response_code`` means; never raises.

    >>> http_code_meaning("503")
    'server error: Service Unavailable'
    >>> http_code_meaning("0")
    'no response (connection failed or reset)'
    """
    text = code.strip()
    if not _is_number(text) or len(text) > 3:
        return "not an HTTP status"
    value = int(text)
    if value == 0:
        return "no response (connection failed or reset)"
    family = _HTTP_FAMILIES.get(value // 100)
    if family is None:
        return "not an HTTP status"
    try:
        return f"{family}: {HTTPStatus(value).phrase}"
    except ValueError:
        return family  # a code outside the standard list, such as fault injection's 555


def grpc_status_name(status: str) -> str:
    """Name a ``grpc_response_status`` as ``"14 UNAVAILABLE"``; never raises."""
    text = status.strip()
    if _is_number(text) and len(text) <= 2 and int(text) < len(_GRPC_NAMES):
        return f"{int(text)} {_GRPC_NAMES[int(text)]}"
    return f"{text} (not a gRPC status)"


def code_rows(rates: Mapping[str, float], meaning: Callable[[str], str]) -> tuple[CodeRow, ...]:
    present = sorted(((code, rps) for code, rps in rates.items() if rps > 0), key=_by_rate)
    total = sum(rps for _, rps in present)
    return tuple(CodeRow(code, rps, rps / total, meaning(code)) for code, rps in present)


def _by_rate(item: tuple[str, float]) -> tuple[float, str]:
    return -item[1], item[0]


def flag_rows(stats: TrafficStats | None) -> tuple[FlagRow, ...]:
    if stats is None:
        return ()
    base = stats.request_rate if stats.request_rate > 0 else stats.connection_rate
    present = sorted(((f, rps) for f, rps in stats.response_flags.items() if rps > 0), key=_by_rate)
    return tuple(
        FlagRow(flag, rps, rps / base if base > 0 else 0.0, _flag_words(flag))
        for flag, rps in present
    )


def _flag_words(flag: str) -> str:
    return explain_flag(flag).removeprefix(f"{flag}: ")
