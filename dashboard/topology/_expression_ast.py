"""The AST of the find/hide language and the read-only items it tests."""

from __future__ import annotations

import math
import operator
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

from dashboard.topology._expression_grammar import FIELDS, KEYWORDS, WORD

_COMPARATORS: dict[str, Callable[[float, float], bool]] = {
    "=": operator.eq,
    "!=": operator.ne,
    ">": operator.gt,
    ">=": operator.ge,
    "<": operator.lt,
    "<=": operator.le,
}
_MEASUREMENTS: dict[str, Callable[[Filterable], float | None]] = {
    "error%": lambda item: item.error_pct,
    "rps": lambda item: item.rps,
    "p50": lambda item: item.p50_ms,
    "p95": lambda item: item.p95_ms,
    "p99": lambda item: item.p99_ms,
}


class Filterable(Protocol):
    """What an expression can test: a topology node or edge, seen read-only."""

    @property
    def name(self) -> str:
        """Display name (workload, service or edge label)."""

    @property
    def namespace(self) -> str:
        """Kubernetes namespace, empty when there is none."""

    @property
    def error_pct(self) -> float:
        """Share of failed requests in the window, in percent (0-100)."""

    @property
    def rps(self) -> float:
        """Requests per second over the window."""

    @property
    def p50_ms(self) -> float | None:
        """Median latency in milliseconds, None when unknown."""

    @property
    def p95_ms(self) -> float | None:
        """95th percentile latency in milliseconds, None when unknown."""

    @property
    def p99_ms(self) -> float | None:
        """99th percentile latency in milliseconds, None when unknown."""

    @property
    def health(self) -> str:
        """A ``collectors.kinds.Health`` value."""

    @property
    def protocols(self) -> frozenset[str]:
        """``collectors.kinds.Protocol`` values seen on the item."""

    @property
    def flags(self) -> frozenset[str]:
        """``collectors.kinds.NodeFlag`` values set on the item."""

    @property
    def mtls(self) -> bool | None:
        """Whether traffic is mutual TLS; None when unknown."""


@dataclass(frozen=True)
class FilterItem:
    """A plain ``Filterable``, for tests and for callers that flatten view nodes and edges."""

    name: str
    namespace: str = ""
    error_pct: float = 0.0
    rps: float = 0.0
    p50_ms: float | None = None
    p95_ms: float | None = None
    p99_ms: float | None = None
    health: str = "no_traffic"
    protocols: frozenset[str] = frozenset()
    flags: frozenset[str] = frozenset()
    mtls: bool | None = None


class Expression(ABC):
    """A parsed find/hide expression; ``str()`` gives the canonical text ``parse`` reads back."""

    @abstractmethod
    def matches(self, item: Filterable) -> bool:
        """Whether ``item`` satisfies the expression."""

    @abstractmethod
    def __str__(self) -> str: ...


@dataclass(frozen=True)
class TextMatch(Expression):
    """``name``/``namespace`` compared with ``=``, ``!=`` or ``contains``, ignoring case."""

    field: str
    op: str
    value: str

    def matches(self, item: Filterable) -> bool:
        """Compare (or search) case-insensitively; ``contains`` is a plain substring test."""
        actual = (item.name if self.field == "name" else item.namespace).casefold()
        wanted = self.value.casefold()
        if self.op == "contains":
            return wanted in actual
        return (actual == wanted) == (self.op == "=")

    def __str__(self) -> str:
        return f"{self.field} {self.op} {_quote(self.value)}"


@dataclass(frozen=True)
class NumberCompare(Expression):
    """A numeric field against a number: percent for ``error%``, milliseconds for ``p*``."""

    field: str
    op: str
    value: float

    def matches(self, item: Filterable) -> bool:
        """Compare; an unknown (None or NaN) measurement never matches, not even ``!=``."""
        actual = _MEASUREMENTS[self.field](item)
        if actual is None or math.isnan(actual):
            return False
        return _COMPARATORS[self.op](actual, self.value)

    def __str__(self) -> str:
        unit = FIELDS[self.field].canonical_unit
        return f"{self.field} {self.op} {_format_number(self.value)}{unit}"


@dataclass(frozen=True)
class ChoiceMatch(Expression):
    """``health`` or ``protocol`` against a named value; ``unhealthy`` is degraded or failure."""

    field: str
    op: str
    value: str

    def matches(self, item: Filterable) -> bool:
        """For protocol, ``=`` means the item carries that protocol (among possibly others)."""
        wanted = {"degraded", "failure"} if self.value == "unhealthy" else {self.value}
        if self.field == "health":
            found = item.health.casefold() in wanted
        else:
            found = any(protocol.casefold() in wanted for protocol in item.protocols)
        return found == (self.op == "=")

    def __str__(self) -> str:
        return f"{self.field} {self.op} {self.value}"


@dataclass(frozen=True)
class Flag(Expression):
    """A bare flag such as ``dead``; ``mtls`` tests ``item.mtls is True``."""

    name: str

    def matches(self, item: Filterable) -> bool:
        """Whether the flag is set on the item."""
        return item.mtls is True if self.name == "mtls" else self.name in item.flags

    def __str__(self) -> str:
        return self.name


@dataclass(frozen=True)
class Not(Expression):
    """Logical negation (``not`` or ``!``): ``not mtls`` also matches items of unknown mTLS."""

    operand: Expression

    def matches(self, item: Filterable) -> bool:
        """The opposite of the operand."""
        return not self.operand.matches(item)

    def __str__(self) -> str:
        return f"not {_wrap(self.operand, (And, Or))}"


@dataclass(frozen=True)
class And(Expression):
    """All operands match (two or more, none itself an ``And``)."""

    operands: tuple[Expression, ...]

    def matches(self, item: Filterable) -> bool:
        """Whether every operand matches."""
        return all(operand.matches(item) for operand in self.operands)

    def __str__(self) -> str:
        return " and ".join(_wrap(operand, (Or,)) for operand in self.operands)


@dataclass(frozen=True)
class Or(Expression):
    """Any operand matches (two or more, none itself an ``Or``)."""

    operands: tuple[Expression, ...]

    def matches(self, item: Filterable) -> bool:
        """Whether at least one operand matches."""
        return any(operand.matches(item) for operand in self.operands)

    def __str__(self) -> str:
        return " or ".join(str(operand) for operand in self.operands)


def _quote(value: str) -> str:
    if WORD.fullmatch(value) and value.casefold() not in KEYWORDS:
        return value
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _format_number(value: float) -> str:
    text = format(Decimal(repr(value)), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def _wrap(expression: Expression, needs_parentheses: tuple[type[Expression], ...]) -> str:
    text = str(expression)
    return f"({text})" if isinstance(expression, needs_parentheses) else text
