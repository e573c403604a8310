"""The topology side panel's sections about ML workloads: the GPUs a workload holds, and the
model a model server serves, each linked to the page that tells more (GPU, Lineage)."""

from __future__ import annotations

from typing import Any

from dash import dcc, html

from dashboard.analysis.lineage_walk import model_servers_of
from dashboard.analysis.service_series import label as node_label
from dashboard.components.gpu_state import GpuQuery, device_label, gpu_href
from dashboard.components.lineage_state import LineageQuery, lineage_href
from dashboard.topology.scene import Scene

__all__ = ["gpu_section", "model_section"]


def gpu_section(scene: Scene, element_id: str) -> list[Any]:
    """The GPUs the selected node's workloads hold, each a link to it on the GPU page."""
    node = next((n for n in scene.view.nodes if n.id == element_id), None)
    held = [scene.gpus[m] for m in node.members if m in scene.gpus] if node else []
    devices = sorted(device for one in held for device in one.device_ids)
    if not devices:
        return []
    utils = [(one.util_mean, one.devices) for one in held if one.util_mean is not None]
    mean = sum(u * n for u, n in utils) / sum(n for _, n in utils) if utils else None
    summary = "" if mean is None else f", {mean:.0f}% mean utilization"
    links = [
        html.Li(dcc.Link(device_label(device), href=gpu_href(GpuQuery(), device)))
        for device in devices
    ]
    return [
        html.H6(f"GPUs ({len(devices)}{summary})", className="mt-3"),
        html.Ul(links, className="small mb-1", id="topology-panel-gpus"),
    ]


def model_section(scene: Scene, element_id: str) -> list[Any]:
    """The model servers the selected node's workloads are, each linked to its lineage."""
    node = next((n for n in scene.view.nodes if n.id == element_id), None)
    snapshot = scene.snapshot
    servers = sorted(
        {
            server
            for member in (node.members if node else ())
            if member in snapshot.graph
            for server in model_servers_of(snapshot, member)
        }
    )
    if not servers:
        return []
    items = [
        html.Li(
            [
                html.Span(f"{node_label(server)} serves "),
                html.Code(str(snapshot.node(server).attrs.get("storage_uri", "")) or "no model"),
                html.Div(
                    dcc.Link(
                        "Where did this model come from?",
                        href=lineage_href(LineageQuery(node=server)),
                        id=f"topology-panel-lineage-{n}",
                    )
                ),
            ],
            className="mb-1",
        )
        for n, server in enumerate(servers)
    ]
    return [
        html.H6("Model", className="mt-3"),
        html.Ul(items, className="list-unstyled small mb-1 text-break", id="topology-panel-models"),
    ]
