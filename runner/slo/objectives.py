"""Objectives judged: per journey success, latency and freshness, per step too.

An objective with no samples is never met: it says "no data" (a threshold that silently passes
on zero samples would turn a dead probe green). What was seen decides met or missed, from
exact counts (failed runs; samples above a threshold); the evidence says whether the samples
show it, and the margin how close it came to failing.
"""

from __future__ import annotations

from dataclasses import replace

from runner.document import Objective as Objective
from runner.histogram import QUANTILES, Histogram
from runner.results import Engine, JourneyTally, StepTally
from runner.slo.evidence import Share, evidence
from runner.spec.journey import Journey
from runner.spec.slo import JourneySlo, Percentiles
from runner.vocabulary import (
    MET,
    MET_NOT_SHOWN,
    MISSED,
    NOT_JUDGED,
    OBSERVED,
    ObjectiveKind,
    ObjectiveState,
)

Kind = ObjectiveKind
DEFAULT_SLO = JourneySlo()
DEFAULT_SUCCESS = 1.0  # a journey that does not say otherwise must pass every run
DEFAULT_CONFIDENCE = 0.95
MARGIN_CAP = 100.0  # "100x its objective or worse": a 100 % objective with a failure


def cut_short(objective: Objective, why: str) -> Objective:
    """`objective` of a run that ended early: a miss stays one; nothing else is met."""
    if objective.state == MISSED:
        return replace(objective, detail=f"{objective.detail}; {why}")
    return replace(objective, met=False, state=NOT_JUDGED, detail=f"{objective.detail}; {why}")


def evaluate_journey(
    journey: Journey, tally: JourneyTally, confidence: float = DEFAULT_CONFIDENCE
) -> list[Objective]:
    """Every objective of `journey` for the tally's engine, judged, in declaration order.

    Step objectives apply to the flows that have the step; freshness to flows that poll. Each
    carries its evidence at `confidence` (see runner.slo.evidence).
    """
    slo = journey.slo or DEFAULT_SLO
    judge = _Judge(journey.journey, tally.engine, confidence)
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
    """Builds the objectives of one journey on one engine, each with its evidence."""

    def __init__(self, journey: str, engine: Engine, confidence: float) -> None:
        self.journey = journey
        self.engine = engine
        self.confidence = confidence

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
        share = Share(attempts, attempts - successes, 1.0 - target)
        return judged(
            Objective(
                *common,  # type: ignore[arg-type]
                round(actual, 6),
                attempts,
                actual >= target,
                f"{successes} of {attempts} runs passed",
                round(remaining, 4),
            ),
            share,
            self.confidence,
            claim=f"≥ {percent(target)}",
        )

    def bounds(
        self, step: str | None, kind: Kind, bounds: Percentiles, histogram: Histogram
    ) -> list[Objective]:
        out = []
        for stat, limit in bounds.bounds():
            common = (f"{self.label(step)} {kind} {stat}", self.journey, self.engine, step)
            out.append(percentile_objective(common, kind, stat, limit, histogram, self.confidence))
        return out


def percentile_objective(
    common: tuple[str, str, Engine, str | None],
    kind: Kind,
    stat: str,
    limit: float,
    histogram: Histogram,
    confidence: float,
) -> Objective:
    """A latency or freshness percentile judged on the exact count of samples above `limit`.

    `common` is (name, journey, engine, step). Without an exact count at `limit` (a histogram
    not counted at the run's bounds), it is judged on the sketch and never reads as shown.
    """
    value = histogram.value(stat)
    if value is None:
        return Objective(*common, kind, stat, limit, None, 0, False, "no data")
    above = histogram.above(limit)
    rounded = round(value, 6)
    if above is None:  # no exact count: what the sketch says, and nothing shown
        met = value <= limit
        detail = f"{stat} {value:.3f}s {'within' if met else 'over'} {limit:g}s"
        objective = Objective(*common, kind, stat, limit, rounded, histogram.count, met, detail)
        state: ObjectiveState = MET_NOT_SHOWN if met else MISSED
        return replace(objective, state=state, margin=_ratio(value, limit))
    allowed = 0.0 if stat == "max" else 1.0 - QUANTILES[stat]
    share = Share(histogram.count, above, allowed)
    met = share.within
    detail = f"{stat} {value:.3f}s {'within' if met else 'over'} {limit:g}s"
    objective = Objective(*common, kind, stat, limit, rounded, histogram.count, met, detail)
    objective = replace(objective, margin=_ratio(value, limit))
    return judged(
        objective,
        share,
        confidence,
        claim=f"{stat} ≤ {limit:g} s",
        above=f"above {limit:g} s",
    )


def judged(
    objective: Objective,
    share: Share,
    confidence: float,
    *,
    claim: str,
    above: str | None = None,
    unit: str = "run",
) -> Objective:
    """`objective` with its state, evidence and margin, decided by `share` (what was seen).

    Missed when what was seen is outside the objective; observed when no count can show it
    (100 %, max); met when the bound at `confidence` shows it; else met, not shown.
    """
    met = share.within
    margin = objective.margin
    if margin is None:  # a ratio: the bad share seen against the share allowed
        margin = share_margin(share)
    state: ObjectiveState
    if share.observed:
        state = OBSERVED if met else MISSED
        detail = f"{objective.detail}; can be observed, never shown"
        return replace(objective, met=met, state=state, detail=detail, margin=margin)
    proof = evidence(share, confidence, claim=claim, above=above, unit=unit)
    state = MISSED if not met else (MET if proof.shown else MET_NOT_SHOWN)
    detail = objective.detail if proof.shown or not met else f"{objective.detail}; {proof.note}"
    return replace(objective, met=met, state=state, evidence=proof, detail=detail, margin=margin)


def share_margin(share: Share) -> float:
    """The bad share seen over the share allowed; MARGIN_CAP when none was allowed and some seen."""
    seen = share.bad / share.samples if share.samples else 0.0
    if share.allowed <= 0.0:
        return 0.0 if share.bad == 0 else MARGIN_CAP
    return round(min(seen / share.allowed, MARGIN_CAP), 4)


def percent(ratio: float) -> str:
    """A ratio as people write it in objectives: 0.995 → "99.5 %", 1.0 → "100 %"."""
    return f"{ratio * 100:.4g} %"


def _ratio(value: float, limit: float) -> float:
    return round(min(value / limit, MARGIN_CAP), 4) if limit > 0 else MARGIN_CAP
