from __future__ import annotations

import time

import yaml

from runner.results import JourneyRun, JourneyTally, StepResult
from runner.slo import evaluate_journey, journey_verdict, run_verdict
from runner.spec.loader import load_journey_text

JOURNEY = {
    "journey": "j",
    "slo": {"success": "90%", "latency": {"p95": "1s"}, "steps": {"a": {"p95": "100ms"}}},
    "http": [{"name": "a", "request": {"url": "/a"}}],
}


def run(outcome: str, duration_s: float) -> JourneyRun:
    step = StepResult("j", "a", "http", outcome, time.time(), duration_s, responded=True)  # type: ignore[arg-type]
    return JourneyRun("j", "http", 0, time.time(), duration_s, (step,))


def spec():  # type: ignore[no-untyped-def]
    return load_journey_text(yaml.safe_dump(JOURNEY), path="j.yaml").spec


def test_an_objective_without_samples_is_never_met() -> None:
    objectives = evaluate_journey(spec(), JourneyTally("j", "http"))
    assert [o.met for o in objectives] == [False, False, False]
    assert {o.detail for o in objectives} == {"no data"}
    # a journey that never ran is "not run" (issue 10), never a pass; the run fails on it
    assert journey_verdict(JourneyTally("j", "http"), objectives) == "not run"
    assert run_verdict(["not run", "pass"], interrupted=False) == "fail"


def test_success_latency_and_step_objectives_are_judged() -> None:
    tally = JourneyTally("j", "http")
    for _ in range(18):
        tally.add(run("passed", 0.05))
    for _ in range(2):
        tally.add(run("failed", 0.5))
    success, latency, step = evaluate_journey(spec(), tally)
    assert (success.actual, success.met) == (0.9, True)
    assert success.error_budget_remaining == 0.0  # 10 % allowed, 10 % spent
    # every run is a latency sample, the failed ones too: their 500 ms make the p95
    assert latency.met and latency.actual == 0.5, latency
    assert not step.met  # the failed steps took 500 ms: the step's p95 is over 100 ms
    assert journey_verdict(tally, [success, latency, step]) == "fail"


def test_a_journey_without_slo_must_pass_every_run() -> None:
    bare = load_journey_text(yaml.safe_dump({**JOURNEY, "slo": None}), path="j.yaml").spec
    tally = JourneyTally("j", "http")
    tally.add(run("passed", 0.1))
    tally.add(run("failed", 0.1))
    (objective,) = evaluate_journey(bare, tally)
    assert objective.target == 1.0 and not objective.met


def test_run_verdict_words() -> None:
    assert run_verdict(["pass", "pass"], interrupted=False) == "pass"
    assert run_verdict(["pass", "fail"], interrupted=False) == "fail"
    assert run_verdict(["error", "error"], interrupted=False) == "error"
    assert run_verdict(["pass"], interrupted=True) == "interrupted"
    assert run_verdict([], interrupted=False) == "fail"


def test_success_is_judged_even_when_the_slo_only_bounds_latency() -> None:
    latency_only = load_journey_text(
        yaml.safe_dump({**JOURNEY, "slo": {"latency": {"p95": "1s"}}}), path="j.yaml"
    ).spec
    tally = JourneyTally("j", "http")
    tally.add(run("failed", 0.1))
    objectives = evaluate_journey(latency_only, tally)
    # the failed run is a latency sample too (0.1 s, within 1 s): success alone is missed
    assert [(o.kind, o.met) for o in objectives] == [("success", False), ("latency", True)]
    assert journey_verdict(tally, objectives) == "fail"


def test_a_timed_out_run_is_a_latency_sample_at_its_timeout() -> None:
    # a stall that fails 10 % of runs at a 5 s timeout must not leave p95 "met"
    tally = JourneyTally("j", "http")
    for _ in range(85):
        tally.add(run("passed", 0.05))
    for _ in range(15):
        tally.add(run("failed", 5.0))
    _, latency, _ = evaluate_journey(spec(), tally)
    assert latency.samples == 100 and not latency.met and latency.actual == 5.0, latency
