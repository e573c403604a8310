"""Why a request to Prometheus failed, in a few words, and whether the collection can go on.

The client library hands over urllib3 reprs with the whole query string, and HTTP errors as
``HTTP Status Code 400 (b'{...}')``; people get "connection refused" or Prometheus's own
``error`` text instead.
"""

from __future__ import annotations

import ast
import json
import re
from dataclasses import dataclass
from http import HTTPStatus

import requests
from prometheus_api_client.exceptions import PrometheusApiClientException

__all__ = ["Failure", "failure"]

_ERRNO = re.compile(r"\[Errno -?\d+\] ([^'\")\]]+)")
_STATUS = re.compile(r"HTTP Status Code (\d+) \((.*)\)$", re.DOTALL)
_KNOWN = {status.value for status in HTTPStatus}
_ACCESS_REFUSED = (401, 403)


@dataclass(frozen=True, slots=True)
class Failure:
    """One failed query: a one-line reason, and whether every other query would fail too."""

    reason: str
    ends_collection: bool


def failure(error: Exception, *, timeout_seconds: float, answered: bool) -> Failure:
    """Describe ``error``; ``answered`` says whether this collection got any answer before.

    Unreachable, hung or refusing Prometheus ends the collection. A timeout after other
    queries were answered is one heavy query (the latency quantiles over a big mesh), not a
    dead Prometheus, and so is a query Prometheus rejects: the others go on without it.

    >>> failure(requests.ConnectTimeout("timed out"), timeout_seconds=30, answered=True)
    Failure(reason='no answer within 30 s', ends_collection=False)
    """
    text = str(error)
    if isinstance(error, requests.Timeout) or "timed out" in text:
        # urllib3 wraps a read timeout it gave up retrying in a ConnectionError: hence the text.
        return Failure(f"no answer within {timeout_seconds:g} s", ends_collection=not answered)
    if isinstance(error, requests.RequestException):
        return Failure(_connection_reason(error), ends_collection=True)
    status = _STATUS.match(text) if isinstance(error, PrometheusApiClientException) else None
    if status is not None:
        code = int(status.group(1))
        reason = _api_error(status.group(2)) or (HTTPStatus(code).phrase if code in _KNOWN else "")
        line = _one_line(f"HTTP {code}" + (f": {reason}" if reason else ""))
        return Failure(line, ends_collection=code in _ACCESS_REFUSED)
    return Failure(_one_line(text or type(error).__name__), ends_collection=False)


def _connection_reason(error: requests.RequestException) -> str:
    text = str(error)
    errno = _ERRNO.search(text)
    if errno:
        return errno.group(1).strip().lower()
    if isinstance(error, requests.ConnectionError):
        return "connection closed before an answer" if "aborted" in text else "cannot connect"
    return _one_line(text or type(error).__name__)


def _api_error(body_repr: str) -> str:
    """The ``error`` of Prometheus's JSON error body, which the client hands over as a repr."""
    try:
        body = json.loads(ast.literal_eval(body_repr))
    except (ValueError, SyntaxError, TypeError):
        return ""
    return str(body.get("error", "")) if isinstance(body, dict) else ""


def _one_line(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= 300 else text[:297] + "..."
