"""The find/hide language of the topology view: ``error% > 5 and not ns = istio-system``.

``parse`` turns text typed by people (or read from a URL, so hostile) into a small immutable
AST whose ``matches`` tests one node or edge. Grammar, fields and flags: docs/find-hide.md.

>>> expression = parse("name contains cart and p95 > 200ms")
>>> expression.matches(FilterItem(name="cartservice", p95_ms=250.0))
True
>>> str(parse("NS = boutique OR !mtls"))
'namespace = boutique or not mtls'
"""

from __future__ import annotations

import difflib
import json
import math
import operator
import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from types import MappingProxyType
from typing import NamedTuple, Protocol

MAX_LENGTH = 500
MAX_DEPTH = 32

_FIELD_ALIASES = {
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


class _FieldSpec(NamedTuple):
    """How one field is written: its operators, and either units (numbers) or choices."""

    value_noun: str
    operators: tuple[str, ...]
    # Scale factors from each accepted suffix to the unit the AST stores (ms, percent).
    units: Mapping[str, int] = MappingProxyType({})
    unit_hint: str = ""
    canonical_unit: str = ""
    choices: tuple[str, ...] = ()


_TEXT_FIELD = _FieldSpec("a value", ("=", "!=", "contains"))
_LATENCY_FIELD = _FieldSpec(
    "a number",
    _ORDERED,
    units=MappingProxyType({"": 1, "ms": 1, "s": 1000}),
    unit_hint="use ms or s (a bare number is ms)",
    canonical_unit="ms",
)
_FIELDS = {
    "name": _TEXT_FIELD,
    "namespace": _TEXT_FIELD,
    "error%": _FieldSpec(
        "a number",
        _ORDERED,
        units=MappingProxyType({"": 1, "%": 1}),
        unit_hint="error% takes a number, optionally followed by %",
    ),
    "rps": _FieldSpec(
        "a number", _ORDERED, units=MappingProxyType({"": 1}), unit_hint="rps takes a plain number"
    ),
    "p50": _LATENCY_FIELD,
    "p95": _LATENCY_FIELD,
    "p99": _LATENCY_FIELD,
    "health": _FieldSpec(
        "a health value",
        _EQUALITY,
        choices=("healthy", "degraded", "failure", "no_traffic", "unhealthy"),
    ),
    "protocol": _FieldSpec("a protocol", _EQUALITY, choices=("http", "grpc", "tcp")),
}
_FLAGS = "dead idle unknown external missing_sidecar not_ready restarting entry_point mtls"
_FLAG_ALIASES = {name: name for name in _FLAGS.split()}
_FLAG_ALIASES["nosidecar"] = "missing_sidecar"
_KEYWORDS = ("and", "or", "not", "contains")
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
_SYMBOLS = (">=", "<=", "!=", "==", "=", ">", "<", "!")
_WORD = re.compile(r"[^\s()=!<>,\"']+")
_NUMBER_PREFIX = re.compile(r"([0-9]+(?:\.[0-9]*)?|\.[0-9]+)(.*)", re.DOTALL)
_WORD_HINTS = {"&&": "and", "&": "and", "||": "or", "|": "or"}


class ExpressionError(ValueError):
    """An expression that cannot be parsed. The message is one line for people.

    ``position`` is the 0-based column of the offending text; the message shows it 1-based.
    """

    def __init__(self, problem: str, position: int, hint: str = "") -> None:
        super().__init__(f"{problem} at column {position + 1}" + (f"; {hint}" if hint else ""))
        self.position = position


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
        unit = _FIELDS[self.field].canonical_unit
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


def parse(text: str) -> Expression | None:
    """Parse a find/hide expression; blank text gives None, meaning "no filter".

    None rather than a match-everything expression, because an empty *hide* box must hide
    nothing while an empty *find* box must highlight nothing: each caller decides.
    Raises ``ExpressionError`` with a one-line message and the 0-based ``position``.
    """
    if len(text) > MAX_LENGTH:
        hint = f"the limit is {MAX_LENGTH} characters, this has {len(text)}"
        raise ExpressionError("expression is too long", MAX_LENGTH, hint)
    if not text.strip():
        return None
    return _Parser(_tokenize(text)).parse()


@dataclass(frozen=True)
class _Token:
    kind: str  # word, string, symbol, "(", ")" or end
    text: str
    position: int


def _tokenize(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    index = 0
    while index < len(text):
        char = text[index]
        if char.isspace():
            index += 1
        elif char in "()":
            tokens.append(_Token(char, char, index))
            index += 1
        elif char == ",":
            raise ExpressionError('"," is not supported', index, 'use "or" to combine conditions')
        elif char in "\"'":
            value, end = _read_quoted(text, index)
            tokens.append(_Token("string", value, index))
            index = end
        else:
            symbol = next((s for s in _SYMBOLS if text.startswith(s, index)), None)
            word = _WORD.match(text, index)
            end = index + len(symbol) if symbol else word.end() if word else index + 1
            tokens.append(_Token("symbol" if symbol else "word", text[index:end], index))
            index = end
    tokens.append(_Token("end", "", len(text)))
    return tokens


def _read_quoted(text: str, start: int) -> tuple[str, int]:
    """The unescaped value of the quoted string at ``start`` and the index after it."""
    quote, chars, index = text[start], [], start + 1
    while index < len(text):
        char = text[index]
        if char == "\\" and index + 1 < len(text):
            chars.append(text[index + 1])
            index += 2
        elif char == quote:
            return "".join(chars), index + 1
        else:
            chars.append(char)
            index += 1
    raise ExpressionError("unterminated quote", start, f"close it with {quote}")


class _Parser:
    """Recursive descent; precedence from loosest: or, and, not; parentheses group."""

    def __init__(self, tokens: list[_Token]) -> None:
        self._tokens = tokens
        self._index = 0
        self._depth = 0

    def parse(self) -> Expression:
        expression = self._or(None)
        token = self._peek()
        if token.kind == ")":
            raise ExpressionError("unbalanced parenthesis", token.position, _NO_OPENER)
        if token.kind != "end":
            raise _unexpected(token, '"and", "or" or end of input')
        return expression

    def _peek(self) -> _Token:
        return self._tokens[self._index]

    def _next(self) -> _Token:
        token = self._tokens[self._index]
        # Never step past the end token, so error paths can always peek at something.
        self._index += min(1, len(self._tokens) - 1 - self._index)
        return token

    def _or(self, after: _Token | None) -> Expression:
        operands = [self._and(after)]
        while _is_keyword(self._peek(), "or"):
            operands.append(self._and(self._next()))
        return _join(Or, operands)

    def _and(self, after: _Token | None) -> Expression:
        operands = [self._unary(after)]
        while _is_keyword(self._peek(), "and"):
            operands.append(self._unary(self._next()))
        return _join(And, operands)

    def _unary(self, after: _Token | None) -> Expression:
        token = self._peek()
        if not (_is_keyword(token, "not") or (token.kind == "symbol" and token.text == "!")):
            return self._atom(after)
        self._enter(self._next())
        operand = self._unary(token)
        self._depth -= 1
        return Not(operand)

    def _enter(self, token: _Token) -> None:
        self._depth += 1
        if self._depth > MAX_DEPTH:
            hint = f"the limit is {MAX_DEPTH} levels of parentheses and not"
            raise ExpressionError("expression is nested too deeply", token.position, hint)

    def _atom(self, after: _Token | None) -> Expression:
        token = self._next()
        if token.kind == "(":
            self._enter(token)
            inner = self._or(token)
            closing = self._next()
            if closing.kind == "end":
                raise ExpressionError("unbalanced parenthesis", token.position, _NEVER_CLOSED)
            if closing.kind != ")":
                raise _unexpected(closing, '"and", "or" or ")"')
            self._depth -= 1
            return inner
        if token.kind == ")" and self._depth == 0:
            raise ExpressionError("unbalanced parenthesis", token.position, _NO_OPENER)
        if token.kind != "word" or token.text.casefold() in ("and", "or"):
            problem = "expected a condition" + (f" after {_show(after.text)}" if after else "")
            hint = "" if token.kind == "end" else f"got {_show(token.text)}"
            raise ExpressionError(problem, token.position, hint)
        return self._condition(token)

    def _condition(self, token: _Token) -> Expression:
        word = token.text.casefold()
        if word in _FIELD_ALIASES:
            return self._comparison(_FIELD_ALIASES[word], token)
        following = self._peek()
        if word in _FLAG_ALIASES:
            flag = _FLAG_ALIASES[word]
            if following.kind == "symbol" and following.text != "!":
                hint = f'write "{flag}" or "not {flag}"'
                raise ExpressionError(f'flag "{flag}" takes no value', following.position, hint)
            return Flag(flag)
        if following.kind == "symbol" or _is_keyword(following, "contains"):
            raise _unknown("field", token, _FIELD_ALIASES)
        raise _unknown("field or flag", token, _FIELD_ALIASES | _FLAG_ALIASES)

    def _comparison(self, field: str, field_token: _Token) -> Expression:
        spec = _FIELDS[field]
        takes = f"{field} takes {_or_list(spec.operators)}"
        op_token = self._next()
        is_operator = op_token.kind == "symbol" or _is_keyword(op_token, "contains")
        op = op_token.text.casefold().replace("==", "=")
        if not is_operator or op == "!":
            problem = f"expected an operator after {_show(field_token.text)}"
            raise ExpressionError(problem, op_token.position, takes)
        if op not in spec.operators:
            problem = f'operator "{op}" does not apply to {field}'
            raise ExpressionError(problem, op_token.position, takes)
        value = self._next()
        if value.kind not in ("word", "string"):
            problem = f"expected {spec.value_noun} after {_show(op_token.text)}"
            hint = "" if value.kind == "end" else f"got {_show(value.text)}"
            raise ExpressionError(problem, value.position, hint)
        if spec.units:
            return NumberCompare(field, op, _number(spec, op_token, value))
        if not spec.choices:
            return TextMatch(field, op, value.text)
        if value.text.casefold() not in spec.choices:
            raise _unknown(field, value, {choice: choice for choice in spec.choices})
        return ChoiceMatch(field, op, value.text.casefold())


_NO_OPENER = 'this ")" has no matching "("'
_NEVER_CLOSED = 'this "(" is never closed'


def _number(spec: _FieldSpec, op_token: _Token, token: _Token) -> float:
    match = _NUMBER_PREFIX.fullmatch(token.text)
    if match is None:
        problem = f"expected a number after {_show(op_token.text)}"
        raise ExpressionError(problem, token.position, f"got {_show(token.text)}")
    digits, unit = match.groups()
    scale = spec.units.get(unit.casefold())
    if scale is None:
        position = token.position + len(digits)
        raise ExpressionError(f"unknown unit {_show(unit)}", position, spec.unit_hint)
    # Decimal keeps "1.1s" at exactly 1100 ms, so the canonical text stays short.
    value = float(Decimal(digits) * scale)
    if not math.isfinite(value):
        raise ExpressionError("number is too large", token.position)
    return value


def _join(kind: type[And] | type[Or], operands: list[Expression]) -> Expression:
    if len(operands) == 1:
        return operands[0]
    # Flattened, so that "(a and b) and c" and "a and b and c" are the same expression.
    flat: list[Expression] = []
    for operand in operands:
        flat.extend(operand.operands if isinstance(operand, kind) else (operand,))
    return kind(tuple(flat))


def _is_keyword(token: _Token, keyword: str) -> bool:
    return token.kind == "word" and token.text.casefold() == keyword


def _unexpected(token: _Token, expected: str) -> ExpressionError:
    suggestion = _WORD_HINTS.get(token.text)
    hint = f'did you mean "{suggestion}"?' if suggestion else f"expected {expected}"
    return ExpressionError(f"unexpected {_show(token.text)}", token.position, hint)


def _unknown(noun: str, token: _Token, aliases: dict[str, str]) -> ExpressionError:
    close = difflib.get_close_matches(token.text.casefold(), aliases, n=1, cutoff=0.6)
    if close:
        hint = f'did you mean "{aliases[close[0]]}"?'
    else:
        hint = f"expected {_or_list(dict.fromkeys(aliases.values()))}"
    return ExpressionError(f"unknown {noun} {_show(token.text)}", token.position, hint)


def _or_list(words: Iterable[str]) -> str:
    items = list(words)
    return ", ".join(items[:-1]) + f" or {items[-1]}" if len(items) > 1 else items[0]


def _show(text: str) -> str:
    """Quote user text for a message: escaped, so the message stays one line, and short."""
    shown = text if len(text) <= 40 else text[:37] + "..."
    return json.dumps(shown, ensure_ascii=False)


def _quote(value: str) -> str:
    if _WORD.fullmatch(value) and value.casefold() not in _KEYWORDS:
        return value
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _format_number(value: float) -> str:
    text = format(Decimal(repr(value)), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def _wrap(expression: Expression, needs_parentheses: tuple[type[Expression], ...]) -> str:
    text = str(expression)
    return f"({text})" if isinstance(expression, needs_parentheses) else text
