"""Judging runs against objectives: per journey success, latency and freshness, per step too.

An objective with no samples is never met: it says "no data" (a threshold that silently passes
on zero samples would turn a dead probe green). Error budgets are reported beside success
objectives so a reader sees how much failure is still affordable.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from runner.histogram import Histogram
from runner.results import JourneyTally
from runner.spec.journey import Journey
from runner.spec.slo import JourneySlo, Percentiles

Kind = Literal["success", "latency", "freshness"]
DEFAULT_SLO = JourneySlo()
DEFAULT_SUCCESS = 1.0  # a journey that does not say otherwise must pass every run


@dataclass(frozen=True, slots=True)
class Objective:
    """One objective judged: what was asked, what was measured, whether it was met.

    For success, `target` and `actual` are ratios and higher is better; for latency and
    freshness they are seconds and `target` is an upper bound.
    """

    name: str
    journey: str
    step: str | None
    kind: Kind
    stat: str  # "ratio", "p50" … "p99", "max"
    target: float
    actual: float | None
    samples: int
    met: bool
    detail: str = ""
    error_budget_remaining: float | None = None


def evaluate_journey(journey: Journey, tally: JourneyTally) -> list[Objective]:
    """Every objective of `journey` judged on `tally`, in declaration order."""
    slo = journey.slo or DEFAULT_SLO
    name = journey.journey
    out: list[Objective] = []
    success = DEFAULT_SUCCESS if slo.success is None else slo.success
    out.append(_success(name, None, success, tally.successes, tally.attempts))
    if slo.latency is not None:
        out += _bounds(name, None, "latency", slo.latency, tally.latency)
    if slo.freshness is not None:
        out += _bounds(name, None, "freshness", slo.freshness, tally.freshness)
    for step_name, step_slo in slo.steps.items():
        step = tally.steps.get(step_name)
        attempts = step.attempts if step else 0
        failures = step.failures if step else 0
        if step_slo.success is not None:
            out.append(_success(name, step_name, step_slo.success, attempts - failures, attempts))
        latency = step.latency if step else Histogram()
        out += _bounds(name, step_name, "latency", step_slo, latency)
        if step_slo.freshness is not None:
            freshness = step.freshness if step else Histogram()
            out += _bounds(name, step_name, "freshness", step_slo.freshness, freshness)
    return out


def _label(journey: str, step: str | None) -> str:
    return journey if step is None else f"{journey} / {step}"


def _success(
    journey: str, step: str | None, target: float, successes: int, attempts: int
) -> Objective:
    label = f"{_label(journey, step)} success"
    if attempts == 0:
        return Objective(
            label, journey, step, "success", "ratio", target, None, 0, False, "no data"
        )
    actual = successes / attempts
    budget = 1.0 - target
    spent = 1.0 - actual
    if budget > 0:
        remaining = 1.0 - spent / budget
    else:
        remaining = 1.0 if spent == 0 else 0.0
    return Objective(
        label,
        journey,
        step,
        "success",
        "ratio",
        target,
        round(actual, 6),
        attempts,
        actual >= target,
        f"{successes} of {attempts} runs passed",
        round(remaining, 4),
    )


def _bounds(
    journey: str, step: str | None, kind: Kind, bounds: Percentiles, histogram: Histogram
) -> list[Objective]:
    out = []
    for stat, limit in bounds.bounds():
        label = f"{_label(journey, step)} {kind} {stat}"
        value = histogram.value(stat)
        if value is None:
            out.append(
                Objective(label, journey, step, kind, stat, limit, None, 0, False, "no data")
            )
            continue
        met = value <= limit
        detail = f"{stat} {value:.3f}s {'within' if met else 'over'} {limit:g}s"
        out.append(
            Objective(
                label,
                journey,
                step,
                kind,
                stat,
                limit,
                round(value, 6),
                histogram.count,
                met,
                detail,
            )
        )
    return out


JourneyVerdict = Literal["pass", "fail", "error"]
RunVerdict = Literal["pass", "fail", "error", "interrupted"]


def journey_verdict(tally: JourneyTally, objectives: list[Objective]) -> JourneyVerdict:
    """Pass when every objective is met; error when the target never answered; else fail."""
    if tally.attempts and tally.unreachable == tally.attempts:
        return "error"
    return "pass" if objectives and all(o.met for o in objectives) else "fail"


def run_verdict(verdicts: list[JourneyVerdict], *, interrupted: bool) -> RunVerdict:
    """The run's one word: interrupted wins, then error (unreachable), fail, pass."""
    if interrupted:
        return "interrupted"
    if verdicts and all(v == "error" for v in verdicts):
        return "error"
    return "pass" if verdicts and all(v == "pass" for v in verdicts) else "fail"
