"""The Checks page: its filter's round trip through URLs, its rows, and the page itself."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from app_requests import components, refresh_page, render_page, shell_layout
from dash import Dash

from collectors.kinds import NodeKind, Severity, SourceState
from collectors.model import Finding, Node, Snapshot, SourceStatus
from collectors.sources.manifests import load_manifests
from collectors.sources.objects import objects_snapshot
from dashboard.app import create_app
from dashboard.figures.checks_table import (
    NO_CLUSTER_OBJECTS,
    CheckFilter,
    check_rows,
    cluster_notes,
    filter_query,
    parse_filter,
    severity_counts,
    topology_link,
)
from dashboard.settings import Settings

CRASH = Finding(
    "POD001",
    Severity.ERROR,
    "Pod",
    "boutique",
    "adservice-1",
    "container server crash-loops: 12 restarts",
    "Read the previous container's log",
    node="workload:Kubernetes/boutique/adservice",
)
FAULT = Finding(
    "IST005",
    Severity.WARNING,
    "VirtualService",
    "bookinfo",
    "ratings",
    "http[0] injects delay 7s for 100% of requests",
    "Remove the fault once the test is over",
    node="service:Kubernetes/bookinfo/ratings",
)
NODE_FULL = Finding("MCH001", Severity.INFO, "Node", "", "gpu-1", "disk pressure", "Free space")
FINDINGS = [NODE_FULL, FAULT, CRASH]
NODES = {
    CRASH.node: Node(CRASH.node, NodeKind.WORKLOAD, "adservice", "boutique"),
    FAULT.node: Node(FAULT.node, NodeKind.SERVICE, "ratings", "bookinfo"),
}


def test_a_url_filter_reads_back_as_the_same_query() -> None:
    query = {"severity": "Error,warning", "namespace": "bookinfo", "code": "ist005", "q": " delay "}
    check_filter, problems = parse_filter({**query, "window": "1h"})

    assert problems == []
    assert check_filter == CheckFilter(("error", "warning"), ("bookinfo",), ("IST005",), "delay")
    assert filter_query(check_filter) == {
        "severity": "error,warning",
        "namespace": "bookinfo",
        "code": "IST005",
        "q": "delay",
    }
    # A key repeated in the URL arrives from Dash Pages as a list.
    assert parse_filter({"severity": ["error", "info"]})[0].severities == ("error", "info")


def test_rows_come_worst_first_filtered_and_linked_to_the_topology() -> None:
    everything = check_rows(FINDINGS, CheckFilter(), NODES)
    assert [row.code for row in everything] == ["POD001", "IST005", "MCH001"]
    crash, fault, node_full = everything
    assert crash.topology == (
        "/topology?ns=boutique&selected=workload%3AKubernetes%2Fboutique%2Fadservice"
    )
    assert fault.topology.startswith("/topology?graph=service&ns=bookinfo&selected=service")
    assert node_full.topology == "" and node_full.object == "Node gpu-1"

    def codes(**query: str) -> list[str]:
        return [row.code for row in check_rows(FINDINGS, parse_filter(query)[0], NODES)]

    assert codes(severity="error") == ["POD001"]
    assert codes(namespace="bookinfo") == ["IST005"]
    assert codes(code="MCH001,POD001") == ["POD001", "MCH001"]
    assert codes(q="VIRTUALSERVICE BOOKINFO") == ["IST005"]  # the object, any case
    assert codes(q="previous container") == ["POD001"]  # the hint
    assert codes(severity="warning", namespace="boutique") == []


def test_hostile_values_match_nothing_and_say_why() -> None:
    check_filter, problems = parse_filter(
        {"namespace": "\x00<script>", "severity": "fatal", "code": "rm -rf"}
    )
    assert check_rows(FINDINGS, check_filter, NODES) == []
    assert problems == [
        "severity 'fatal' is not one of error, warning, info: it matches nothing",
        "namespace '\\x00<script>' is not a Kubernetes name: it matches nothing",
        "code 'RM -RF' is not a check code (such as POD001)",
    ]
    too_long, problems = parse_filter({"q": "x" * 201})
    assert check_rows(FINDINGS, too_long) == []
    assert problems == ["q is longer than 200 characters: nothing matches"]


def test_counts_and_source_notes() -> None:
    assert severity_counts([CRASH, CRASH, FAULT]) == {
        Severity.ERROR: 2,
        Severity.WARNING: 1,
        Severity.INFO: 0,
    }
    telemetry_only = [
        SourceStatus("prometheus", "metrics", SourceState.OK),
        SourceStatus("kubernetes", "cluster", SourceState.UNAVAILABLE, "no cluster access"),
    ]
    assert cluster_notes(telemetry_only) == [NO_CLUSTER_OBJECTS]
    assert cluster_notes(telemetry_only[:1]) == [NO_CLUSTER_OBJECTS]
    partial = SourceStatus(
        "kubernetes", "cluster", SourceState.PARTIAL, missing=["VirtualService", "Gateway"]
    )
    assert cluster_notes([partial]) == [
        "kubernetes could not read VirtualService, Gateway: checks on them did not run"
    ]
    assert topology_link(Node("node:Kubernetes/gpu-1", NodeKind.MACHINE, "gpu-1")) == ""


# The page, served in-process.


@pytest.fixture(scope="module")
def bookinfo_app(fixtures_dir: Path) -> Dash:
    objects = load_manifests(fixtures_dir / "k8s" / "bookinfo.yaml")
    objects.extend(load_manifests(fixtures_dir / "k8s" / "bookinfo-networking").items)
    status = SourceStatus("manifests", "cluster", SourceState.OK, "test")
    end = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    return create_app(
        Settings(), objects_snapshot(objects, status, end=end, span=timedelta(hours=1))
    )


def _table_rows(body: str) -> list[str]:
    """The text of each table row of a rendered page, cells joined by " | "."""
    rows: list[str] = []

    def text(node: Any) -> str:
        if isinstance(node, str):
            return node
        if isinstance(node, list):
            return "".join(text(one) for one in node)
        if isinstance(node, dict):
            return text(node.get("props", {}).get("children", ""))
        return str(node) if node is not None else ""

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "Tr" and node.get("props", {}).get("children"):
                cells = node["props"]["children"]
                if isinstance(cells, list) and cells and cells[0].get("type") == "Td":
                    rows.append(" | ".join(text(cell) for cell in cells))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for one in node:
                walk(one)

    walk(json.loads(body))
    return rows


def test_the_page_lists_the_fault_and_a_link_filters_it_away(bookinfo_app: Dash) -> None:
    rows = _table_rows(render_page(bookinfo_app, "/checks"))
    assert len(rows) == 5  # three unmatched subsets, two faults
    assert (
        "warning | IST005 | VirtualService default/ratings | "
        "http[0] injects delay 7s for 100% of requests when end-user exact jason, on ratings | "
        "Remove the fault from the VirtualService once the test is over"
    ) in rows

    body = render_page(bookinfo_app, "/checks", "?severity=error")
    assert _table_rows(body) == [] and "No findings match." in body
    assert "showing 0 of 5" in body
    only_faults = _table_rows(render_page(bookinfo_app, "/checks", "?code=IST005&q=jason"))
    assert [row.split(" | ")[2] for row in only_faults] == ["VirtualService default/ratings"]


def test_a_hostile_link_gets_an_empty_page_with_a_note(bookinfo_app: Dash) -> None:
    body = render_page(bookinfo_app, "/checks", "?namespace=%00<script>&severity=%3Cb%3E")
    assert _table_rows(body) == []
    assert "is not a Kubernetes name: it matches nothing" in body
    assert "severity '<b>' is not one of error, warning, info" in body  # as text, not markup


def test_the_demo_page_counts_links_and_names_the_crash(demo: Snapshot) -> None:
    app = create_app(Settings(), demo)
    body = render_page(app, "/checks", "?namespace=boutique&severity=error")
    rows = _table_rows(body)
    assert rows[0].startswith("error | POD001 | Pod boutique/adservice-")
    assert "crash-loops" in rows[0]
    assert (
        '"href": "/topology?ns=boutique&selected=workload%3AKubernetes%2Fboutique%2Fadservice"'
        in body
    )
    counts = {
        key: node["props"].get("children")
        for key, node in components(render_page(app, "/checks")).items()
    }
    assert [counts[f"checks-count-{s.value}"] for s in Severity] == [
        # With the GPU sweep no node can take (POD005) and the fraud detector's kept training
        # pod, OOMKilled at its memory limit (POD003).
        "6 error",
        # The sweep's Job opting out of the sidecar (WKL007), as the finetune Job and the three
        # workflows with a pod left do; the two failed training pods kept by theirs (POD007).
        "11 warning",
        "0 info",
    ]
    assert '"Checks"' in shell_layout(app)  # in the navigation


def _refresh(app: Dash, trigger: str, controls: list[Any], shown: dict[str, str]) -> Any:
    """Fire the page's refresh callback as the browser does; the JSON answer."""
    ids = ("checks-severity", "checks-namespace", "checks-code", "checks-text")
    inputs = [(i, "value", v) for i, v in zip(ids, controls, strict=True)]
    inputs.append(("shell-snapshot-version", "data", 2))
    return refresh_page(app, "checks", inputs, trigger, shown)


def test_controls_rewrite_the_query_and_a_new_snapshot_keeps_it(bookinfo_app: Dash) -> None:
    answer = _refresh(
        bookinfo_app, "checks-severity.value", [["warning"], [], ["IST005"], " jason "], {}
    )
    assert answer["checks-query"]["data"] == {"severity": "warning", "code": "IST005", "q": "jason"}
    assert len(_table_rows(json.dumps(answer["checks-body"]["children"]))) == 1

    # Live mode: the shown query (here a link's unreadable one) wins over the controls.
    shown = {"namespace": "\x00<script>"}
    answer = _refresh(bookinfo_app, "shell-snapshot-version.data", [[], [], [], ""], shown)
    assert answer["checks-query"]["data"] == shown
    assert _table_rows(json.dumps(answer["checks-body"]["children"])) == []
