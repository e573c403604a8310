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

from dashboard.topology._expression_ast import (
    And,
    ChoiceMatch,
    Expression,
    Filterable,
    FilterItem,
    Flag,
    Not,
    NumberCompare,
    Or,
    TextMatch,
)
from dashboard.topology._expression_grammar import MAX_DEPTH, MAX_LENGTH
from dashboard.topology._expression_parser import ExpressionError, parse

__all__ = [
    "MAX_DEPTH",
    "MAX_LENGTH",
    "And",
    "ChoiceMatch",
    "Expression",
    "ExpressionError",
    "FilterItem",
    "Filterable",
    "Flag",
    "Not",
    "NumberCompare",
    "Or",
    "TextMatch",
    "parse",
]
