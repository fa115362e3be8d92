"""Judging what a rehearsal measured: conservation, stages not reached, what dropped arrivals say."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from runner.builder.rehearsal import load_section, rehearsed
from runner.document import part_to_json
from runner.engines.load.outcome import RehearsalOutcome
from runner.engines.load.timeline import plan_stages
from runner.results import JourneyRun, JourneyTally, StepResult
from runner.slo.rehearsal import judge_rehearsal
from runner.spec.loader import load_journeys
from runner.spec.loadprofile import LoadProfile, Peak, load_profile

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


SHIPPED = Path(__file__).resolve().parent.parent / "loadprofiles"


def shipped(name: str) -> LoadProfile:
    return load_profile(SHIPPED / f"{name}.yaml")


def said(profile: LoadProfile, time_scale: float = 1.0, stopped_at: float | None = None) -> str:
    """What the report's first line says the rehearsal of `profile` held."""
    outcome = RehearsalOutcome(plan_stages(profile, time_scale), started=START, ended=START + 60)
    if stopped_at is not None:
        outcome.interrupted, outcome.stopped_at_s = True, stopped_at
    return rehearsed(profile, outcome, time_scale)


def test_a_profile_with_an_expected_peak_says_the_multiple_it_held() -> None:
    assert said(shipped("flash-sale")) == (
        "held 60 users for 10 min: 1.0\u00d7 the expected flash sale peak"
    )
    half = shipped("flash-sale").model_copy(update={"peak": Peak(event="flash sale", users=120)})
    assert said(half).endswith(": 0.5\u00d7 the expected flash sale peak")
    assert said(shipped("black-friday")) == (
        "held 28 arrivals/s for 2 min: 1.0\u00d7 the expected Black Friday doorbuster peak"
    )


def test_without_an_expected_peak_it_is_not_a_peak_rehearsal_whatever_its_name() -> None:
    assert said(shipped("smoke")) == "held 8 users for 18 s: not a peak rehearsal"
    unnamed_peak = shipped("flash-sale").model_copy(update={"peak": None})
    assert unnamed_peak.profile == "flash-sale"
    assert said(unnamed_peak) == "held 60 users for 10 min: not a peak rehearsal"


def test_a_time_scaled_rehearsal_states_the_real_hold_durations() -> None:
    assert said(shipped("flash-sale"), 0.05) == (
        "held 60 users for 10 min: 1.0\u00d7 the expected flash sale peak; "
        "played at 0.05\u00d7: each hold lasted 30 s, not 10 min"
    )


def test_a_rehearsal_stopped_before_its_peak_says_it_never_held_it() -> None:
    # flash-sale's peak hold starts at 2 min 30 s: stopped at 100 s, it was never held
    assert said(shipped("flash-sale"), stopped_at=100.0).startswith(
        "never held 60 users: stopped at 1 min 40 s: "
    )
    # stopped 4 minutes into the 10-minute hold: 4 minutes held, not 10
    assert said(shipped("flash-sale"), stopped_at=390.0).startswith("held 60 users for 4 min:")
