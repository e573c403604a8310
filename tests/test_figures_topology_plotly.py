"""The Plotly topology figure on hand-made views: traces, hover text, colours, boxes, axes."""

from __future__ import annotations

import re
from typing import Any

import plotly.graph_objects as go

from collectors.kinds import Health
from collectors.model import TrafficStats
from dashboard.figures.topology import HEALTH_COLOURS, EdgeLabel
from dashboard.figures.topology_plotly import BOX_PADDING, LABEL_ROOM, topology_figure
from dashboard.topology.projection import GraphType, TopologyView, ViewEdge, ViewNode

NS = "ns:Kubernetes/shop"
WEB = "workload:Kubernetes/shop/web"
API = "service:Kubernetes/shop/api"
DB = "external:Kubernetes/shop/db.example.com"
WEB_TO_API = f"{WEB}->{API}#http"
API_TO_WEB = f"{API}->{WEB}#http"
WEB_TO_DB = f"{WEB}->{DB}#tcp"

FAILING = TrafficStats(
    request_rate=10.0, error_rate=5.0, rate_5xx=5.0, p95_ms=120.0, mtls_ratio=1.0
)
BACK = TrafficStats(request_rate=2.0, mtls_ratio=1.0)
BYTES = TrafficStats(bytes_to_destination=800.0, bytes_to_source=400.0, mtls_ratio=0.0)

POSITIONS = {WEB: (0.0, 0.0), API: (160.0, 0.0), DB: (0.0, 80.0)}


def _node(
    node_id: str,
    kind: str,
    label: str,
    *,
    parent: str | None = NS,
    health: Health = Health.HEALTHY,
    flags: frozenset[str] = frozenset(),
    inbound: TrafficStats | None = None,
    app: str = "",
    version: str = "",
) -> ViewNode:
    return ViewNode(
        id=node_id,
        kind=kind,
        label=label,
        namespace="shop",
        app=app,
        version=version,
        health=health,
        flags=flags,
        inbound=inbound,
        members=(node_id,),
        parent=parent,
    )


def _edge(
    source: str, target: str, protocol: str, traffic: TrafficStats, health: Health, mtls: bool
) -> ViewEdge:
    return ViewEdge(
        id=f"{source}->{target}#{protocol}",
        source=source,
        target=target,
        protocol=protocol,
        traffic=traffic,
        health=health,
        mtls=mtls,
    )


def _view() -> TopologyView:
    nodes = (
        _node(WEB, "workload", "web", flags=frozenset({"entry_point"})),
        _node(API, "service", "api", health=Health.FAILURE, inbound=FAILING),
        _node(
            DB,
            "external",
            "db.example.com",
            parent=None,
            health=Health.NO_TRAFFIC,
            flags=frozenset({"dead"}),
        ),
    )
    edges = (
        _edge(WEB, API, "http", FAILING, Health.FAILURE, True),
        _edge(API, WEB, "http", BACK, Health.HEALTHY, True),
        _edge(WEB, DB, "tcp", BYTES, Health.HEALTHY, False),
    )
    box = _node(NS, "namespace", "shop", parent=None)
    return TopologyView(GraphType.WORKLOAD, nodes, edges, (box,), frozenset())


def _node_traces(figure: go.Figure) -> dict[str, Any]:
    return {
        trace.name: trace
        for trace in figure.data
        if trace.mode == "markers+text" and not trace.name.startswith("calls")
    }


def _edge_markers(figure: go.Figure) -> dict[str, tuple[Any, int]]:
    """Edge id -> (its marker trace, its index in that trace)."""
    found: dict[str, tuple[Any, int]] = {}
    for trace in figure.data:
        if trace.name.startswith("calls") and "markers" in trace.mode:
            for index, edge_id in enumerate(trace.customdata):
                found[edge_id] = (trace, index)
    return found


def _edge_line(figure: go.Figure, edge_id: str) -> tuple[list[float], list[float]]:
    """The segment of ``edge_id`` in the line trace drawn with its marker trace."""
    marker, index = _edge_markers(figure)[edge_id]
    line = figure.data[list(figure.data).index(marker) - 1]
    assert line.mode == "lines" and line.legendgroup == marker.legendgroup
    xs, ys = list(line.x), list(line.y)
    assert xs[3 * index + 2] is None  # segments are None-separated
    return xs[3 * index : 3 * index + 2], ys[3 * index : 3 * index + 2]


def test_nodes_are_one_trace_per_kind_with_the_cytoscape_shapes() -> None:
    nodes = _node_traces(topology_figure(_view(), POSITIONS))
    assert {name: trace.marker.symbol for name, trace in nodes.items()} == {
        "workload": "square",
        "service": "triangle-up",
        "external": "pentagon",
    }
    assert sum(len(trace.x) for trace in nodes.values()) == 3
    assert (nodes["service"].x, nodes["service"].y) == ((160.0,), (0.0,))
    assert nodes["workload"].customdata == (WEB,)
    assert nodes["external"].text == ("db.example.com",)


def test_node_border_is_health_and_dead_nodes_fade() -> None:
    nodes = _node_traces(topology_figure(_view(), POSITIONS))
    assert nodes["service"].marker.line.color == (HEALTH_COLOURS[Health.FAILURE],)
    assert nodes["workload"].marker.line.color == (HEALTH_COLOURS[Health.HEALTHY],)
    assert nodes["external"].marker.line.color == (HEALTH_COLOURS[Health.NO_TRAFFIC],)
    assert nodes["external"].marker.opacity == (0.5,)
    assert nodes["workload"].marker.opacity == (1.0,)


def test_node_hover_says_name_namespace_health_flags_and_traffic() -> None:
    nodes = _node_traces(topology_figure(_view(), POSITIONS))
    (api,) = nodes["service"].hovertext
    assert api == (
        "<b>api</b><br>service in shop<br>health: failure<br>"
        "inbound: 10.0 rps · errors 50.0% · p95 120 ms"
    )
    (web,) = nodes["workload"].hovertext
    assert "flags: entry point" in web and "inbound: no traffic" in web


def test_edges_are_coloured_by_health_one_trace_per_group() -> None:
    figure = topology_figure(_view(), POSITIONS)
    lines = [trace for trace in figure.data if trace.mode == "lines"]
    assert len(lines) == 3  # failure; healthy http (2 edges, one trace); healthy tcp
    colours = {(trace.name, trace.line.dash): trace.line.color for trace in lines}
    assert colours == {
        ("calls: failure", "solid"): HEALTH_COLOURS[Health.FAILURE],
        ("calls: healthy", "solid"): HEALTH_COLOURS[Health.HEALTHY],
        ("calls: healthy", "dash"): HEALTH_COLOURS[Health.HEALTHY],  # TCP is dashed
    }
    markers = _edge_markers(figure)
    assert markers[WEB_TO_API][0].marker.color == HEALTH_COLOURS[Health.FAILURE]
    assert markers[API_TO_WEB][0] is not markers[WEB_TO_DB][0]
    assert sum(trace.showlegend for trace in figure.data if trace.name == "calls: healthy") == 1


def test_edge_hover_and_label() -> None:
    markers = _edge_markers(topology_figure(_view(), POSITIONS))
    trace, index = markers[WEB_TO_API]
    assert trace.hovertext[index] == (
        "<b>web → api</b><br>HTTP · 10.0 rps · errors 50.0% · p95 120 ms<br>health: failure · mTLS"
    )
    assert trace.text[index] == "10.0 rps"
    trace, index = markers[WEB_TO_DB]
    assert "TCP · 1.2 kB/s" in trace.hovertext[index]
    assert "not mTLS (0% mutual TLS)" in trace.hovertext[index]
    unlabelled = _edge_markers(topology_figure(_view(), POSITIONS, edge_label=EdgeLabel.NONE))
    assert unlabelled[WEB_TO_API][0].mode == "markers"


def test_arrowheads_sit_midway_and_point_at_the_target_on_the_reversed_axis() -> None:
    markers = _edge_markers(topology_figure(_view(), POSITIONS))
    # Plotly keeps angles in [-180, 180): compare them modulo a turn, clockwise from up.
    angles = {e: trace.marker.angle[index] % 360 for e, (trace, index) in markers.items()}
    assert angles[WEB_TO_API] == 90.0  # to the right
    assert angles[API_TO_WEB] == 270.0  # to the left
    assert angles[WEB_TO_DB] == 180.0  # down: DB is below web, and y grows downwards
    trace, index = markers[WEB_TO_DB]
    assert (trace.x[index], trace.y[index]) == (0.0, 40.0)


def test_calls_both_ways_are_drawn_apart() -> None:
    figure = topology_figure(_view(), POSITIONS)
    there_x, there_y = _edge_line(figure, WEB_TO_API)
    back_x, back_y = _edge_line(figure, API_TO_WEB)
    assert there_x == [0.0, 160.0] and back_x == [160.0, 0.0]
    assert there_y[0] == there_y[1] and back_y[0] == back_y[1]
    assert abs(there_y[0] - back_y[0]) == 12.0
    assert _edge_line(figure, WEB_TO_DB) == ([0.0, 0.0], [0.0, 80.0])  # alone: not shifted


def _path_bounds(path: str) -> tuple[float, float, float, float]:
    numbers = [float(n) for n in re.findall(r"-?\d+(?:\.\d+)?", path)]
    xs, ys = numbers[0::2], numbers[1::2]
    return min(xs), min(ys), max(xs), max(ys)


def test_namespace_boxes_are_rounded_shapes_around_their_members() -> None:
    figure = topology_figure(_view(), POSITIONS)
    (shape,) = figure.layout.shapes
    assert shape.type == "path" and shape.layer == "below" and " Q" in shape.path
    pad = BOX_PADDING
    # web (0, 0) and api (160, 0) are in the box; db, outside any box, is not.
    assert _path_bounds(shape.path) == (-pad, -pad, 160.0 + pad, pad + LABEL_ROOM)
    (name,) = figure.layout.annotations
    assert (name.text, name.x, name.y, name.yanchor) == ("<b>shop</b>", 80.0, -pad, "bottom")


def test_app_boxes_sit_inside_their_namespace_box() -> None:
    app_box = _node("appbox:Kubernetes/shop/web", "app", "web")
    v1 = _node(
        "vapp:Kubernetes/shop/web/v1", "app", "v1", parent=app_box.id, app="web", version="v1"
    )
    view = TopologyView(
        GraphType.VERSIONED_APP,
        (v1,),
        (),
        (_node(NS, "namespace", "shop", parent=None), app_box),
        frozenset(),
    )
    figure = topology_figure(view, {v1.id: (100.0, 100.0)})
    outer, inner = (_path_bounds(shape.path) for shape in figure.layout.shapes)
    assert (
        outer[0] < inner[0] and outer[1] < inner[1] and outer[2] > inner[2] and outer[3] > inner[3]
    )
    assert [shape.line.dash for shape in figure.layout.shapes] == ["solid", "dash"]
    (trace,) = _node_traces(figure).values()
    assert trace.hovertext[0].startswith("<b>web v1</b>")  # a version label alone says little


def test_axes_are_hidden_equal_and_y_grows_downwards() -> None:
    layout = topology_figure(_view(), POSITIONS).layout
    assert layout.yaxis.autorange == "reversed"
    assert layout.yaxis.scaleanchor == "x" and layout.yaxis.scaleratio == 1
    assert layout.xaxis.visible is False and layout.yaxis.visible is False


def test_find_highlight_fades_the_rest() -> None:
    figure = topology_figure(_view(), POSITIONS, highlight=frozenset({API, WEB_TO_API}))
    underlay = next(trace for trace in figure.data if trace.name == "find matches")
    assert (underlay.x, underlay.y) == ((160.0,), (0.0,))
    faded = {trace.name for trace in figure.data if trace.opacity == 0.2 and trace.x}
    assert faded == {"workload", "external", "calls: healthy"}
    failing_line = next(
        trace for trace in figure.data if trace.mode == "lines" and trace.opacity == 1
    )
    assert failing_line.line.width == 4


def test_dark_changes_the_canvas_and_text() -> None:
    light = topology_figure(_view(), POSITIONS).layout
    dark = topology_figure(_view(), POSITIONS, dark=True).layout
    assert light.paper_bgcolor == "#ffffff" and light.font.color == "#151515"
    assert dark.paper_bgcolor == "#1b1d21" and dark.font.color == "#f0f0f0"


def test_names_reach_plotly_as_text_not_markup() -> None:
    hostile = "<i>x</i>&<br>"
    view = TopologyView(
        GraphType.WORKLOAD, (_node(WEB, "workload", hostile, parent=None),), (), (), frozenset()
    )
    (trace,) = _node_traces(topology_figure(view, POSITIONS)).values()
    assert trace.text == ("&lt;i&gt;x&lt;/i&gt;&amp;&lt;br&gt;",)
    assert "<i>" not in trace.hovertext[0]


def test_items_without_positions_are_left_out() -> None:
    figure = topology_figure(_view(), {WEB: (0.0, 0.0), API: (160.0, 0.0)})
    assert set(_edge_markers(figure)) == {WEB_TO_API, API_TO_WEB}
    assert sum(len(trace.x) for trace in _node_traces(figure).values()) == 2


def test_an_empty_view_says_so() -> None:
    figure = topology_figure(TopologyView(GraphType.WORKLOAD, (), (), (), frozenset()), {})
    assert not figure.data
    assert [note.text for note in figure.layout.annotations] == ["nothing to draw"]


def test_trace_count_does_not_grow_with_the_graph() -> None:
    size = 2000
    healths = list(Health)
    nodes = tuple(
        _node(f"workload:Kubernetes/shop/w{i}", "workload", f"w{i}", health=healths[i % 4])
        for i in range(size)
    )
    edges = tuple(
        _edge(nodes[i].id, nodes[(i * 7 + 1) % size].id, "http", BACK, healths[i % 4], True)
        for i in range(size)
    )
    view = TopologyView(GraphType.WORKLOAD, nodes, edges, (), frozenset())
    positions = {
        node.id: (float(i % 50) * 160, float(i // 50) * 80) for i, node in enumerate(nodes)
    }
    figure = topology_figure(view, positions)
    assert len(figure.data) == 4 * 2 + 1  # lines and arrowheads per health, one node trace
    assert sum(len(trace.customdata or ()) for trace in figure.data) == 2 * size
