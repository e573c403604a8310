"""Hostile namespace values through the PromQL filters, checked by a real Prometheus.

A namespace filter comes from a user (a flag, a URL). Whatever its text, the query must stay
valid PromQL and must never widen: no real namespace is named, so nothing may come back. A
value like ``"} or vector(1) #`` that escaped its string would make the answer non-empty.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from prometheus_server import BackfilledDemo, instant_query

from collectors.istio_queries import INSTANT_QUERIES, NAMESPACE_LABELS

INJECTIONS = [
    '"} or vector(1) #',
    ".*",
    "bookinfo|.*",
    "bookinfo\\",
    'a"b',
    "line\nbreak",
    "\\\\",
    ")|(.*",
    "${}",
    "'",
]
REQUESTS = next(query for query in INSTANT_QUERIES if query.metric == "istio_requests_total")


def _answer(served: BackfilledDemo, namespace: str) -> list[object]:
    at = served.demo.metrics.evaluated_at.timestamp()
    return instant_query(served.url, REQUESTS.promql(600, (namespace,)), at)


def test_known_injections_stay_valid_and_match_nothing(backfilled_demo: BackfilledDemo) -> None:
    assert _answer(backfilled_demo, "bookinfo")  # a real namespace does match: the test can fail
    for value in INJECTIONS:
        assert _answer(backfilled_demo, value) == [], value


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.text(
        alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
        min_size=1,
        max_size=40,
    )
)
def test_any_namespace_text_stays_valid_and_never_widens(
    backfilled_demo: BackfilledDemo, namespace: str
) -> None:
    # instant_query asserts that Prometheus parsed the query ("status": "success"). Anything
    # that comes back must really be in the namespace named, character for character.
    for sample in _answer(backfilled_demo, namespace):
        assert isinstance(sample, dict)
        assert namespace in {sample["metric"].get(label) for label in NAMESPACE_LABELS}
