"""Distractors: ordinary changes around a fault that a naive diagnosis could blame.

A routine rollout, an old container restart, a workload that always fails a little: each leaves
the evidence it would in a real cluster (ReplicaSets and Events, restart counts, error rates)
and no incident.
"""

from __future__ import annotations

from dataclasses import dataclass

from collectors.demo.faults_common import failure_codes, next_image, process_name
from collectors.demo.faults_records import BackgroundErrors, Restart, Rollout, Scenario
from collectors.demo.spec import Platform
from collectors.demo.timeline import Timeline


@dataclass(frozen=True, slots=True)
class RoutineRollout:
    """A distractor: a Deployment rolls out a new image at ``at`` and nothing goes wrong."""

    workload: str
    at: float

    def apply(self, scenario: Scenario, platform: Platform, timeline: Timeline) -> None:
        """Add the rollout (no incident)."""
        image = next_image(platform.workloads[self.workload].image)
        scenario.rollouts.append(Rollout(self.workload, image, timeline.at(self.at), None, 0.0))


@dataclass(frozen=True, slots=True)
class PastRestart:
    """A distractor: one container of the workload restarted once at ``at`` (may be < 0,
    before the window, when its Events have expired but the restart count remains)."""

    workload: str
    at: float
    reason: str = "OOMKilled"  # or "Error"

    def apply(self, scenario: Scenario, platform: Platform, timeline: Timeline) -> None:
        """Add the restart (no incident)."""
        container = platform.workloads[self.workload].container
        exit_code = 137 if self.reason == "OOMKilled" else 1
        process = process_name(platform, self.workload)
        scenario.restarts.append(
            Restart(self.workload, container, timeline.at(self.at), self.reason, exit_code, process)
        )


@dataclass(frozen=True, slots=True)
class SteadyErrors:
    """A distractor: the workload fails ``share`` of its requests all window long."""

    workload: str
    share: float

    def apply(self, scenario: Scenario, platform: Platform, timeline: Timeline) -> None:
        """Add the background errors (no incident)."""
        code, grpc = failure_codes(platform, self.workload, "503", "14")
        scenario.background_errors.append(BackgroundErrors(self.workload, self.share, code, grpc))
