"""Judging what a rehearsal measured: conservation, stages not reached, what dropped arrivals say."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from runner.builder.rehearsal import load_section
from runner.document import part_to_json
from runner.engines.load.outcome import RehearsalOutcome
from runner.engines.load.timeline import plan_stages
from runner.results import JourneyRun, JourneyTally, StepResult
from runner.slo.rehearsal import judge_rehearsal
from runner.spec.loader import load_journeys
from runner.spec.loadprofile import LoadProfile

JOURNEYS = load_journeys([str(Path(__file__).resolve().parent.parent / "journeys")])
START = 1_000_000


def profile() -> LoadProfile:
    return LoadProfile.model_validate(
        {
            "profile": "p",
            "stages": [
                {"name": "one", "duration": "10s", "rate": "4/s"},
                {"name": "two", "duration": "10s", "rate": "4/s"},
            ],
            "mix": {"search": 1},
            "max_users": 10,
        }
    )


def run(second: int, outcome: str) -> JourneyRun:
    step = StepResult(
        "search",
        "search page",
        "http",
        outcome,
        second + 0.1,
        0.2,
        "x" if outcome != "passed" else "",
    )  # type: ignore[arg-type]
    return JourneyRun("search", "http", 0, second + 0.1, 0.2, (step,))


def measured(*, seconds: int, aborted_at: float | None = None) -> RehearsalOutcome:
    """4 arrivals asked a second: 3 started (2 passed, 1 failed), 1 dropped."""
    outcome = RehearsalOutcome(plan_stages(profile()), started=START, ended=START + seconds)
    for second in range(START, START + seconds):
        tally = JourneyTally("search", "http")
        for result in ("passed", "passed", "failed"):
            tally.add(run(second, result))
        outcome.seconds[second] = {"search": tally}
        outcome.arrivals[second], outcome.dropped[second] = 4, 1
        outcome.asked[second] = 4.0
        outcome.in_flight[second] = {"w": {"search / search page": 3}}
    if aborted_at is not None:
        outcome.aborted, outcome.aborted_at_s = "a rail fired", aborted_at
        outcome.stopped_at_s = aborted_at
    return outcome


class Judged:
    """The judgement, and the load section the builder shapes from it, as results.json has it."""

    def __init__(self, outcome: RehearsalOutcome) -> None:
        judgement = judge_rehearsal(profile(), JOURNEYS, outcome)
        self.judged = judgement.judged
        self.objectives = judgement.objectives
        self.verdict = judgement.verdict
        section = load_section(profile(), "p.yaml", outcome, judgement.split, 1.0)
        self.load: dict[str, Any] = part_to_json(section)  # type: ignore[assignment]


def judge(outcome: RehearsalOutcome) -> Judged:
    return Judged(outcome)


def test_every_iteration_is_accounted_for_per_stage_and_in_all() -> None:
    load = judge(measured(seconds=20)).load
    assert load["iterations"] == {
        "asked": 80,
        "started": 60,
        "dropped": 20,
        "completed": 40,
        "failed": 20,
        "cut_off": 0,
    }
    for stage in load["stages"]:
        c = stage["conservation"]
        assert (
            c["asked"] == c["started"] + c["dropped"]
            and c["started"] == c["completed"] + c["failed"]
        )
    assert load["stages"][0]["reasons"] == {"search / search page: x": 10}


def test_an_aborted_rehearsal_meets_nothing_and_names_the_stage_it_never_reached() -> None:
    judgement = judge(measured(seconds=6, aborted_at=5.5))
    assert judgement.verdict == "aborted"
    assert [s["judged"] for s in judgement.load["stages"]] == ["judged", "not reached"]
    objectives = judgement.objectives + [o for j in judgement.judged for o in j.objectives]
    assert objectives and not any(o.met for o in objectives)
    assert {o.state for o in objectives} <= {"missed", "not judged"}
    assert all("not judged past the abort at 5.5s" in o.detail for o in objectives)


def test_dropped_arrivals_name_the_bottleneck_the_figures_show() -> None:
    # users all busy on the target: more of them would only queue more requests
    busy = measured(seconds=20)
    busy.in_flight[START + 3] = {"w": {"search / search page": 9}}
    note = judge(busy).load["dropped_note"]
    assert note.startswith("20 arrivals dropped: the users of the pool were all waiting")
    assert "9 requests outstanding of max_users 10" in note
    # the generator short of CPU
    hot = measured(seconds=20)
    hot.overloaded_seconds, hot.cpu_max = 5, 97.0
    assert "97% CPU" in judge(hot).load["dropped_note"]
    # neither: the pool is simply too small
    assert judge(measured(seconds=20)).load["dropped_note"].endswith("raise max_users")
    clean = measured(seconds=20)
    clean.dropped = Counter()
    assert judge(clean).load["dropped_note"] == ""
