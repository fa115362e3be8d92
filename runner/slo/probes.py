"""Judging probe runs: each journey's verdict from its objectives, and the run's one word.

Shared by `run` and the probes of `load`, and by the canary and scheduled probes to come.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from runner.results import JourneyTally
from runner.slo.objectives import DEFAULT_CONFIDENCE, Objective, evaluate_journey
from runner.spec.loader import LoadedJourney
from runner.vocabulary import (
    ERROR,
    FAIL,
    INTERRUPTED,
    NOT_RUN,
    PASS,
    JourneyVerdict,
    RunVerdict,
)


def journey_verdict(tally: JourneyTally, objectives: list[Objective]) -> JourneyVerdict:
    """Pass when every objective is met; error when the target never answered; else fail.

    "Not run" when no run started (the run stopped first): shown apart, never as a failure.
    """
    if not tally.attempts:
        return NOT_RUN
    if tally.unreachable == tally.attempts:
        return ERROR
    return PASS if objectives and all(o.met for o in objectives) else FAIL


def run_verdict(verdicts: list[JourneyVerdict], *, interrupted: bool) -> RunVerdict:
    """The run's one word: interrupted wins, then error (unreachable), fail, pass.

    A journey that never ran is no pass: the run fails (what was not seen never passes).
    """
    if interrupted:
        return INTERRUPTED
    if verdicts and all(v == ERROR for v in verdicts):
        return ERROR
    return PASS if verdicts and all(v == PASS for v in verdicts) else FAIL


@dataclass(frozen=True, slots=True)
class Judged:
    """One journey on one engine, judged: what outputs report per journey entry."""

    journey: LoadedJourney
    tally: JourneyTally
    objectives: list[Objective]
    verdict: JourneyVerdict


def judge_runs(
    journeys: Sequence[LoadedJourney],
    tallies: Mapping[tuple[str, str], JourneyTally],
    confidence: float = DEFAULT_CONFIDENCE,
) -> list[Judged]:
    """Judge every (journey, engine) tally, in journey order, http before browser."""
    judged = []
    for journey in journeys:
        for engine in journey.spec.flows():
            tally = tallies.get((journey.name, engine))
            if tally is None:
                continue  # this engine was not asked for
            objectives = evaluate_journey(journey.spec, tally, confidence)
            verdict = journey_verdict(tally, objectives)
            judged.append(Judged(journey, tally, objectives, verdict))
    return judged
