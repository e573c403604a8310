"""The built-in demo platform as a source: generated inputs through the normal pipeline."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from collectors.demo import DEMO_END, FaultSpec, ScenarioSource, generate_demo
from collectors.kinds import SourceState
from collectors.model import Snapshot, SourceStatus
from collectors.pipeline import BuildOptions, build_snapshot


def demo_snapshot(
    *,
    seed: int = 7,
    workloads: int | None = None,
    end: datetime = DEMO_END,
    options: BuildOptions | None = None,
    hours: float = 6.0,
    step_seconds: int = 15,
    scenario: ScenarioSource | Iterable[FaultSpec] | None = None,
    scenario_name: str = "",
) -> Snapshot:
    """Generate the demo platform and build its snapshot, exactly as a live source would.

    ``scenario`` replaces the default incidents (see :func:`collectors.demo.generate_demo`);
    ``scenario_name`` names it in the snapshot's generator and source details.
    """
    data = generate_demo(
        seed=seed,
        workloads=workloads,
        end=end,
        hours=hours,
        step_seconds=step_seconds,
        scenario=scenario,
    )
    now = datetime.now(UTC)
    scale = f" workloads={workloads}" if workloads else ""
    if scenario_name:
        scale += f" scenario={scenario_name}"
    detail = (
        f"built-in demo platform (seed {seed}{scale}), a recording ending {end:%Y-%m-%d %H:%M} UTC"
    )
    sources = [
        SourceStatus("demo", "cluster", SourceState.OK, detail, fetched_at=now),
        SourceStatus("demo", "metrics", SourceState.OK, detail, fetched_at=now),
    ]
    return build_snapshot(
        objects=data.objects,
        metrics=data.metrics,
        sources=sources,
        generator=f"demo seed={seed}{scale}",
        incidents=data.incidents,
        options=options or BuildOptions(),
    )
