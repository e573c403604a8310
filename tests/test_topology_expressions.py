from __future__ import annotations

import pytest

from collectors.kinds import Health, NodeFlag, Protocol
from dashboard.topology.expressions import (
    MAX_DEPTH,
    MAX_LENGTH,
    And,
    Expression,
    ExpressionError,
    FilterItem,
    Flag,
    Not,
    NumberCompare,
    Or,
    parse,
)

CART = FilterItem(
    name="cartservice",
    namespace="boutique",
    error_pct=7.5,
    rps=12.0,
    p50_ms=40.0,
    p95_ms=250.0,
    p99_ms=1200.0,
    health=Health.DEGRADED,
    protocols=frozenset({Protocol.GRPC}),
    flags=frozenset({NodeFlag.MISSING_SIDECAR, NodeFlag.RESTARTING}),
    mtls=False,
)
GATEWAY = FilterItem(
    name="istio-ingressgateway",
    namespace="istio-system",
    error_pct=0.0,
    rps=3.0,
    p95_ms=12.0,
    health=Health.HEALTHY,
    protocols=frozenset({Protocol.HTTP, Protocol.TCP}),
    flags=frozenset({NodeFlag.ENTRY_POINT}),
    mtls=True,
)
ORPHAN = FilterItem(name="legacy-db", namespace="Data", flags=frozenset({NodeFlag.DEAD}))


def must_parse(text: str) -> Expression:
    expression = parse(text)
    assert expression is not None
    return expression


def matching(text: str) -> list[str]:
    expression = must_parse(text)
    return [item.name for item in (CART, GATEWAY, ORPHAN) if expression.matches(item)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("name contains cart", ["cartservice"]),
        ("name contains CART", ["cartservice"]),
        ("name contains -", ["istio-ingressgateway", "legacy-db"]),
        ("name = cartservice", ["cartservice"]),
        ("name != cartservice", ["istio-ingressgateway", "legacy-db"]),
        ("ns = boutique", ["cartservice"]),
        ("namespace = data", ["legacy-db"]),
        ("namespace != istio-system", ["cartservice", "legacy-db"]),
        ("ns contains system", ["istio-ingressgateway"]),
        ('name contains "ingress gateway"', []),
        ("name contains .*", []),
    ],
)
def test_text_fields_compare_case_insensitively_and_literally(
    text: str, expected: list[str]
) -> None:
    assert matching(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("error% > 5", ["cartservice"]),
        ("error% > 5%", ["cartservice"]),
        ("error% = 0", ["istio-ingressgateway", "legacy-db"]),
        ("error% <= 7.5", ["cartservice", "istio-ingressgateway", "legacy-db"]),
        ("error% < 7.5", ["istio-ingressgateway", "legacy-db"]),
        ("rps >= 12", ["cartservice"]),
        ("rps >= 3", ["cartservice", "istio-ingressgateway"]),
        ("rps != 3", ["cartservice", "legacy-db"]),
    ],
)
def test_numeric_fields(text: str, expected: list[str]) -> None:
    assert matching(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("p95 > 200ms", ["cartservice"]),
        ("p95 > 200", ["cartservice"]),
        ("p95 > 0.2s", ["cartservice"]),
        ("p95 > 0.25s", []),
        ("p99 > 1.1s", ["cartservice"]),
        ("p99 > 1.2S", []),
        ("p50 < 1s", ["cartservice"]),
        # Unknown latencies never match, not even "!=".
        ("p95 != 1ms", ["cartservice", "istio-ingressgateway"]),
        ("p50 != 1ms", ["cartservice"]),
    ],
)
def test_latency_units_and_unknown_values(text: str, expected: list[str]) -> None:
    assert matching(text) == expected


def test_latency_in_seconds_is_stored_in_milliseconds() -> None:
    assert must_parse("p95 > 1.5s") == NumberCompare("p95", ">", 1500.0)
    assert must_parse("p95 > 1.1s") == NumberCompare("p95", ">", 1100.0)


def test_nan_measurement_never_matches() -> None:
    item = FilterItem(name="x", error_pct=float("nan"))
    assert not must_parse("error% != 1").matches(item)
    assert not must_parse("error% < 1").matches(item)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("health = degraded", ["cartservice"]),
        ("health = HEALTHY", ["istio-ingressgateway"]),
        ("health = no_traffic", ["legacy-db"]),
        ("health = failure", []),
        ("health = unhealthy", ["cartservice"]),
        ("health != unhealthy", ["istio-ingressgateway", "legacy-db"]),
        ("protocol = grpc", ["cartservice"]),
        ("protocol = tcp", ["istio-ingressgateway"]),
        ("protocol != http", ["cartservice", "legacy-db"]),
    ],
)
def test_health_and_protocol(text: str, expected: list[str]) -> None:
    assert matching(text) == expected


def test_unhealthy_covers_failure() -> None:
    failing = FilterItem(name="x", health=Health.FAILURE)
    assert must_parse("health = unhealthy").matches(failing)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("dead", ["legacy-db"]),
        ("DEAD", ["legacy-db"]),
        ("missing_sidecar", ["cartservice"]),
        ("nosidecar", ["cartservice"]),
        ("restarting", ["cartservice"]),
        ("entry_point", ["istio-ingressgateway"]),
        ("idle", []),
        ("mtls", ["istio-ingressgateway"]),
        # mTLS unknown (legacy-db) counts as "not mtls": not is plain negation.
        ("!mtls", ["cartservice", "legacy-db"]),
        ("not mtls", ["cartservice", "legacy-db"]),
    ],
)
def test_flags(text: str, expected: list[str]) -> None:
    assert matching(text) == expected


def test_every_node_flag_but_source_only_is_a_word() -> None:
    for flag in NodeFlag:
        if flag is NodeFlag.INBOUND_ONLY_SOURCE:
            continue
        assert must_parse(flag.value) == Flag(flag.value)
        assert must_parse(flag.value).matches(FilterItem(name="x", flags=frozenset({flag})))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # not binds tighter than and, and tighter than or.
        ("dead or restarting and mtls", ["legacy-db"]),
        ("(dead or restarting) and not mtls", ["cartservice", "legacy-db"]),
        ("not dead and not restarting", ["istio-ingressgateway"]),
        ("not (dead or restarting)", ["istio-ingressgateway"]),
        ("!dead AND rps > 1 OR entry_point", ["cartservice", "istio-ingressgateway"]),
        ("not not dead", ["legacy-db"]),
        ("((dead))", ["legacy-db"]),
    ],
)
def test_precedence_and_parentheses(text: str, expected: list[str]) -> None:
    assert matching(text) == expected


def test_tree_shape_follows_precedence() -> None:
    assert must_parse("dead or idle and not mtls") == Or(
        (Flag("dead"), And((Flag("idle"), Not(Flag("mtls")))))
    )


def test_blank_input_means_no_filter() -> None:
    assert parse("") is None
    assert parse("   ") is None


def test_quoted_values_keep_spaces_and_escapes() -> None:
    item = FilterItem(name='say "hi" there')
    assert must_parse('name contains "\\"hi\\" there"').matches(item)
    assert must_parse("name contains 'hi\" t'").matches(item)
    assert str(must_parse("name = 'a b'")) == 'name = "a b"'


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("NS = boutique", "namespace = boutique"),
        ("error_pct>5", "error% > 5"),
        ("error% > 5.50%", "error% > 5.5"),
        ("p99 > 300", "p99 > 300ms"),
        ("p95 > 1.5s", "p95 > 1500ms"),
        ("rps == 10", "rps = 10"),
        ("!nosidecar", "not missing_sidecar"),
        ("(dead and idle) and external", "dead and idle and external"),
        ("(dead or idle) and external", "(dead or idle) and external"),
        ("not (dead and idle)", "not (dead and idle)"),
        ("health = UNHEALTHY", "health = unhealthy"),
        ("name = and", 'name = "and"'),
    ],
)
def test_canonical_text(text: str, canonical: str) -> None:
    assert str(must_parse(text)) == canonical


ROUND_TRIP = [
    "name contains cart",
    "name = 'with space'",
    'name contains "quote\\" and \\\\ backslash"',
    "name = '(weird)'",
    "ns = 'a,b'",
    "namespace != istio-system",
    "error% > 5",
    "error% >= 0.001",
    "rps < 12345678901234567890",
    "rps >= 0.000001",
    "p50 <= 0.0005s",
    "p95 > 200ms",
    "p99 != 1.1s",
    "health = no_traffic",
    "protocol != grpc",
    "dead or idle and not mtls",
    "not (dead or idle) and (external or unknown)",
    "not not not entry_point",
    "((not_ready))",
    "(dead or (idle or external)) and (mtls and (restarting and not_ready))",
]


@pytest.mark.parametrize("text", ROUND_TRIP)
def test_canonical_text_parses_back_to_the_same_expression(text: str) -> None:
    expression = must_parse(text)
    canonical = str(expression)
    assert parse(canonical) == expression
    assert str(must_parse(canonical)) == canonical


@pytest.mark.parametrize(
    ("text", "message", "position"),
    [
        ("erorr% > 5", 'unknown field "erorr%" at column 1; did you mean "error%"?', 0),
        ("deda", 'unknown field or flag "deda" at column 1; did you mean "dead"?', 0),
        ("error% > ", 'expected a number after ">" at column 10', 9),
        ("error% > abc", 'expected a number after ">" at column 10; got "abc"', 9),
        ("rps >= 1.2.3", 'unknown unit ".3" at column 11; rps takes a plain number', 10),
        ("rps > -1", 'expected a number after ">" at column 7; got "-1"', 6),
        ("p95 > 200m", 'unknown unit "m" at column 10; use ms or s (a bare number is ms)', 9),
        (
            "error% > 5ms",
            'unknown unit "ms" at column 11; error% takes a number, optionally followed by %',
            10,
        ),
        ("name =", 'expected a value after "=" at column 7', 6),
        ("health = failed", 'unknown health "failed" at column 10; did you mean "failure"?', 9),
        (
            "health = bad",
            'unknown health "bad" at column 10; '
            "expected healthy, degraded, failure, no_traffic or unhealthy",
            9,
        ),
        ("protocol = http2", 'unknown protocol "http2" at column 12; did you mean "http"?', 11),
        ("(dead and idle", 'unbalanced parenthesis at column 1; this "(" is never closed', 0),
        ("dead or (idle", 'unbalanced parenthesis at column 9; this "(" is never closed', 8),
        ("dead)", 'unbalanced parenthesis at column 5; this ")" has no matching "("', 4),
        (") dead", 'unbalanced parenthesis at column 1; this ")" has no matching "("', 0),
        ("dead idle", 'unexpected "idle" at column 6; expected "and", "or" or end of input', 5),
        ("(dead idle)", 'unexpected "idle" at column 7; expected "and", "or" or ")"', 6),
        ("dead && idle", 'unexpected "&&" at column 6; did you mean "and"?', 5),
        ("dead, idle", '"," is not supported at column 5; use "or" to combine conditions', 4),
        ("dead and", 'expected a condition after "and" at column 9', 8),
        ("dead and or idle", 'expected a condition after "and" at column 10; got "or"', 9),
        ("not", 'expected a condition after "not" at column 4', 3),
        ("()", 'expected a condition after "(" at column 2; got ")"', 1),
        ("name", 'expected an operator after "name" at column 5; name takes =, != or contains', 4),
        (
            "name > 5",
            'operator ">" does not apply to name at column 6; name takes =, != or contains',
            5,
        ),
        ("dead = true", 'flag "dead" takes no value at column 6; write "dead" or "not dead"', 5),
        ("name = 'abc", "unterminated quote at column 8; close it with '", 7),
        (
            "x" * (MAX_LENGTH + 1),
            "expression is too long at column 501; the limit is 500 characters, this has 501",
            500,
        ),
        (
            "(" * (MAX_DEPTH + 1) + "dead" + ")" * (MAX_DEPTH + 1),
            "expression is nested too deeply at column 33; "
            "the limit is 32 levels of parentheses and not",
            32,
        ),
        (
            "!" * (MAX_DEPTH + 1) + "dead",
            "expression is nested too deeply at column 33; "
            "the limit is 32 levels of parentheses and not",
            32,
        ),
    ],
)
def test_errors_say_what_and_where_on_one_line(text: str, message: str, position: int) -> None:
    with pytest.raises(ExpressionError) as caught:
        parse(text)
    assert str(caught.value) == message
    assert caught.value.position == position
    assert isinstance(caught.value, ValueError)


def test_nesting_at_the_limit_is_accepted() -> None:
    text = "(" * MAX_DEPTH + "dead" + ")" * MAX_DEPTH
    assert must_parse(text) == Flag("dead")


def test_hostile_text_in_messages_stays_on_one_line_and_short() -> None:
    with pytest.raises(ExpressionError) as caught:
        parse('health = "bad\nvalue' + "x" * 100 + '"')
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith('unknown health "bad\\nvalue' + "x" * 28 + '..." at column 10')


def test_regex_characters_are_plain_text() -> None:
    item = FilterItem(name="a.b[c]")
    assert must_parse("name contains .b[").matches(item)
    assert not must_parse("name contains a.*").matches(item)
