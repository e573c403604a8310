"""The vocabulary of the find/hide language: fields, their operators and units, flags, tokens.

Shared by the parser (which reads it) and the AST (which prints canonical text back).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from types import MappingProxyType
from typing import NamedTuple

MAX_LENGTH = 500
MAX_DEPTH = 32

FIELD_ALIASES = {
    "name": "name",
    "namespace": "namespace",
    "ns": "namespace",
    "error%": "error%",
    "error_pct": "error%",
    "rps": "rps",
    "p50": "p50",
    "p95": "p95",
    "p99": "p99",
    "health": "health",
    "protocol": "protocol",
}
_ORDERED = ("=", "!=", ">", ">=", "<", "<=")
_EQUALITY = ("=", "!=")


class FieldSpec(NamedTuple):
    """How one field is written: its operators, and either units (numbers) or choices."""

    value_noun: str
    operators: tuple[str, ...]
    # Scale factors from each accepted suffix to the unit the AST stores (ms, percent).
    units: Mapping[str, int] = MappingProxyType({})
    unit_hint: str = ""
    canonical_unit: str = ""
    choices: tuple[str, ...] = ()


_TEXT_FIELD = FieldSpec("a value", ("=", "!=", "contains"))
_LATENCY_FIELD = FieldSpec(
    "a number",
    _ORDERED,
    units=MappingProxyType({"": 1, "ms": 1, "s": 1000}),
    unit_hint="use ms or s (a bare number is ms)",
    canonical_unit="ms",
)
FIELDS = {
    "name": _TEXT_FIELD,
    "namespace": _TEXT_FIELD,
    "error%": FieldSpec(
        "a number",
        _ORDERED,
        units=MappingProxyType({"": 1, "%": 1}),
        unit_hint="error% takes a number, optionally followed by %",
    ),
    "rps": FieldSpec(
        "a number", _ORDERED, units=MappingProxyType({"": 1}), unit_hint="rps takes a plain number"
    ),
    "p50": _LATENCY_FIELD,
    "p95": _LATENCY_FIELD,
    "p99": _LATENCY_FIELD,
    "health": FieldSpec(
        "a health value",
        _EQUALITY,
        choices=("healthy", "degraded", "failure", "no_traffic", "unhealthy"),
    ),
    "protocol": FieldSpec("a protocol", _EQUALITY, choices=("http", "grpc", "tcp")),
}
_FLAGS = (
    "dead idle unknown external missing_sidecar not_ready restarting entry_point mtls"
    " virtual_service traffic_shift fault_injection retries timeout circuit_breaker mirroring"
    " mtls_strict check_error check_warning"
)
FLAG_ALIASES = {name: name for name in _FLAGS.split()}
FLAG_ALIASES.update(nosidecar="missing_sidecar", fault="fault_injection", strict="mtls_strict")
KEYWORDS = ("and", "or", "not", "contains")
SYMBOLS = (">=", "<=", "!=", "==", "=", ">", "<", "!")
WORD = re.compile(r"[^\s()=!<>,\"']+")
NUMBER_PREFIX = re.compile(r"([0-9]+(?:\.[0-9]*)?|\.[0-9]+)(.*)", re.DOTALL)
WORD_HINTS = {"&&": "and", "&": "and", "||": "or", "|": "or"}
