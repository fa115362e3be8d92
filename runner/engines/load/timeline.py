"""A profile's stages laid out in run time: what is asked at any second, and what is judged.

Pure arithmetic, shared by the Locust shape (what to ask now), the safety rails and the
results (which seconds belong to which stage, which are ramps). `time_scale` shrinks every
stage, so a 13-minute profile plays in 39 s at 0.05.
"""

from __future__ import annotations

from dataclasses import dataclass

from runner.spec.loadprofile import LoadProfile


@dataclass(frozen=True, slots=True)
class StagePlan:
    """One stage in run time (seconds from the rehearsal's start)."""

    index: int
    name: str
    start_s: float
    ramp_end_s: float
    end_s: float
    from_target: float
    target: float
    unit: str  # "users" or "iterations/s"

    def value_at(self, t: float) -> float:
        """What is asked at run time `t` inside this stage (linear on the ramp)."""
        if t >= self.ramp_end_s or self.ramp_end_s <= self.start_s:
            return self.target
        share = (t - self.start_s) / (self.ramp_end_s - self.start_s)
        return self.from_target + (self.target - self.from_target) * share

    def judged(self, t: float, exclude_ramp: bool) -> bool:
        """Whether second `t` counts for the SLO: not on a ramp, not a cool-down to zero."""
        if not exclude_ramp:
            return True
        return t >= self.ramp_end_s and self.target > 0


def plan_stages(profile: LoadProfile, time_scale: float = 1.0) -> list[StagePlan]:
    """Every stage with its start, ramp end and end, scaled."""
    plans = []
    start = 0.0
    previous = 0.0
    unit = "iterations/s" if profile.open_model else "users"
    for index, stage in enumerate(profile.stages):
        duration = stage.duration * time_scale
        ramp = stage.ramp * time_scale
        verb = "ramp to" if ramp and stage.target != previous else "hold"
        name = stage.name or f"{verb} {stage.target:g} {unit}"
        plans.append(
            StagePlan(
                index, name, start, start + ramp, start + duration, previous, stage.target, unit
            )
        )
        start += duration
        previous = stage.target
    return plans


def stage_at(plans: list[StagePlan], t: float) -> StagePlan | None:
    """The stage running at run time `t`; None before the start or after the end."""
    return next((plan for plan in plans if plan.start_s <= t < plan.end_s), None)
