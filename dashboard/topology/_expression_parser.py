"""Tokenizer and recursive-descent parser for the find/hide language."""

from __future__ import annotations

import difflib
import json
import math
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from dashboard.topology._expression_ast import (
    And,
    ChoiceMatch,
    Expression,
    Flag,
    Not,
    NumberCompare,
    Or,
    TextMatch,
)
from dashboard.topology._expression_grammar import (
    FIELD_ALIASES,
    FIELDS,
    FLAG_ALIASES,
    MAX_DEPTH,
    MAX_LENGTH,
    NUMBER_PREFIX,
    SYMBOLS,
    WORD,
    WORD_HINTS,
    FieldSpec,
)


class ExpressionError(ValueError):
    """An expression that cannot be parsed. The message is one line for people.

    ``position`` is the 0-based column of the offending text; the message shows it 1-based.
    """

    def __init__(self, problem: str, position: int, hint: str = "") -> None:
        super().__init__(f"{problem} at column {position + 1}" + (f"; {hint}" if hint else ""))
        self.position = position


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
            symbol = next((s for s in SYMBOLS if text.startswith(s, index)), None)
            word = WORD.match(text, index)
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
        if word in FIELD_ALIASES:
            return self._comparison(FIELD_ALIASES[word], token)
        following = self._peek()
        if word in FLAG_ALIASES:
            flag = FLAG_ALIASES[word]
            if following.kind == "symbol" and following.text != "!":
                hint = f'write "{flag}" or "not {flag}"'
                raise ExpressionError(f'flag "{flag}" takes no value', following.position, hint)
            return Flag(flag)
        if following.kind == "symbol" or _is_keyword(following, "contains"):
            raise _unknown("field", token, FIELD_ALIASES)
        raise _unknown("field or flag", token, FIELD_ALIASES | FLAG_ALIASES)

    def _comparison(self, field: str, field_token: _Token) -> Expression:
        spec = FIELDS[field]
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


def _number(spec: FieldSpec, op_token: _Token, token: _Token) -> float:
    match = NUMBER_PREFIX.fullmatch(token.text)
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
    suggestion = WORD_HINTS.get(token.text)
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
