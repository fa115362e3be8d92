"""Objectives judged: per journey success, latency and freshness, per step too.

An objective with no samples is never met: it says "no data" (a threshold that silently passes
on zero samples would turn a dead probe green). Error budgets are reported beside success
objectives so a reader sees how much failure is still affordable.
"""

from __future__ import annotations

from dataclasses import replace

from runner.document import Objective as Objective
from runner.histogram import Histogram
from runner.results import Engine, JourneyTally, StepTally
from runner.spec.journey import Journey
from runner.spec.slo import JourneySlo, Percentiles
from runner.vocabulary import MISSED, NOT_JUDGED, ObjectiveKind

Kind = ObjectiveKind
DEFAULT_SLO = JourneySlo()
DEFAULT_SUCCESS = 1.0  # a journey that does not say otherwise must pass every run


def cut_short(objective: Objective, why: str) -> Objective:
    """`objective` of a run that ended early: a miss stays one; nothing else is met."""
    if objective.state == MISSED:
        return replace(objective, detail=f"{objective.detail}; {why}")
    return replace(objective, met=False, state=NOT_JUDGED, detail=f"{objective.detail}; {why}")


def evaluate_journey(journey: Journey, tally: JourneyTally) -> list[Objective]:
    """Every objective of `journey` for the tally's engine, judged, in declaration order.

    Step objectives apply to the flows that have the step; freshness to flows that poll.
    """
    slo = journey.slo or DEFAULT_SLO
    judge = _Judge(journey.journey, tally.engine)
    flow = journey.http if tally.engine == "http" else journey.browser
    steps = {step.name: step for step in flow}
    success = DEFAULT_SUCCESS if slo.success is None else slo.success
    out = [judge.success(None, success, tally.successes, tally.attempts)]
    if slo.latency is not None:
        out += judge.bounds(None, "latency", slo.latency, tally.latency)
    if slo.freshness is not None and any(step.until for step in flow):
        out += judge.bounds(None, "freshness", slo.freshness, tally.freshness)
    for step_name, step_slo in slo.steps.items():
        if step_name not in steps:
            continue  # the step belongs to the journey's other flow
        step = tally.steps.get(step_name) or StepTally(step_name)
        if step_slo.success is not None:
            passed = step.attempts - step.failures
            out.append(judge.success(step_name, step_slo.success, passed, step.attempts))
        out += judge.bounds(step_name, "latency", step_slo, step.latency)
        if step_slo.freshness is not None:
            out += judge.bounds(step_name, "freshness", step_slo.freshness, step.freshness)
    return out


class _Judge:
    """Builds the objectives of one journey on one engine."""

    def __init__(self, journey: str, engine: Engine) -> None:
        self.journey = journey
        self.engine = engine

    def label(self, step: str | None) -> str:
        base = f"{self.journey} [{self.engine}]"
        return base if step is None else f"{base} / {step}"

    def success(self, step: str | None, target: float, successes: int, attempts: int) -> Objective:
        label = f"{self.label(step)} success"
        common = (label, self.journey, self.engine, step, "success", "ratio", target)
        if attempts == 0:
            return Objective(*common, None, 0, False, "no data")  # type: ignore[arg-type]
        actual = successes / attempts
        budget, spent = 1.0 - target, 1.0 - actual
        if budget > 0:
            remaining = 1.0 - spent / budget
        else:
            remaining = 1.0 if spent == 0 else 0.0
        detail = f"{successes} of {attempts} runs passed"
        return Objective(
            *common,  # type: ignore[arg-type]
            round(actual, 6),
            attempts,
            actual >= target,
            detail,
            round(remaining, 4),
        )

    def bounds(
        self, step: str | None, kind: Kind, bounds: Percentiles, histogram: Histogram
    ) -> list[Objective]:
        out = []
        for stat, limit in bounds.bounds():
            common = (f"{self.label(step)} {kind} {stat}", self.journey, self.engine, step)
            value = histogram.value(stat)
            if value is None:
                out.append(Objective(*common, kind, stat, limit, None, 0, False, "no data"))
                continue
            met = value <= limit
            detail = f"{stat} {value:.3f}s {'within' if met else 'over'} {limit:g}s"
            rounded = round(value, 6)
            out.append(Objective(*common, kind, stat, limit, rounded, histogram.count, met, detail))
        return out
