from __future__ import annotations

import pytest

from runner.histogram import QUANTILES
from runner.results import JourneyRun, JourneyTally, StepResult
from runner.serve.slis import Sli, slis_of
from runner.slo.objectives import evaluate_journey
from runner.spec import Journey, load_journey_text, load_journeys
from runner.spec.thresholds import journey_bounds
from runner.vocabulary import ENGINES, Engine, Outcome
from tests.conftest import JOURNEYS

T0 = 1_800_000_000.0

POLLING = """
journey: sli check
slo:
  success: 99.5%
  latency: {p95: 2s, max: 5s}
  freshness: {p95: 3s}
  steps:
    browse: {p99: 1s}
    pay: {success: 99%, p95: 500ms, freshness: {max: 4s}}
    home: {p50: 200ms}
http:
  - name: browse
    request: {url: /}
  - name: pay
    request: {url: /pay}
    until: {timeout: 10s}
browser:
  - name: home
    goto: /
"""


def journey_of(text: str) -> Journey:
    return load_journey_text(text, path="sli.yaml").spec


def expected(journey: Journey, engine: Engine) -> list[tuple[object, ...]]:
    """What evaluate_journey judges for the flow, as (kind, step, threshold, target)."""
    out: list[tuple[object, ...]] = []
    for o in evaluate_journey(journey, JourneyTally(journey.journey, engine)):
        if o.kind == "success":
            out.append((o.kind, o.step, None, o.target))
        else:
            share = 1.0 if o.stat == "max" else QUANTILES[o.stat]
            out.append((o.kind, o.step, o.target, share))
    return out


def shape(slis: list[Sli]) -> list[tuple[object, ...]]:
    return [(s.kind, s.step, s.threshold_s, s.target) for s in slis]


def test_the_shipped_journeys_have_one_sli_per_objective_judged() -> None:
    flows = 0
    for loaded in load_journeys([str(JOURNEYS)]):
        for engine in loaded.spec.flows():
            slis = slis_of(loaded.spec, engine)
            assert shape(slis) == expected(loaded.spec, engine), (loaded.name, engine)
            labels = [s.objective for s in slis]
            assert len(set(labels)) == len(labels)
            assert all(0 < len(label) <= 100 for label in labels)
            flows += 1
    assert flows >= 5  # every shipped journey, both flows where it has them


def test_a_flow_gets_only_its_own_steps_and_freshness_only_when_it_polls() -> None:
    journey = journey_of(POLLING)
    assert [s.objective for s in slis_of(journey, "http")] == [
        "success",
        "latency p95",
        "latency max",
        "freshness p95",
        "step browse p99",
        "step pay success",
        "step pay p95",
        "step pay freshness max",
    ]
    # the browser flow has no until: and only the step `home`
    assert [s.objective for s in slis_of(journey, "browser")] == [
        "success",
        "latency p95",
        "latency max",
        "step home p50",
    ]
    for engine in ENGINES:
        assert shape(slis_of(journey, engine)) == expected(journey, engine)


def test_a_journey_without_an_slo_has_success_at_100_percent() -> None:
    journey = journey_of("journey: bare\nhttp:\n  - name: home\n    request: {url: /}\n")
    assert slis_of(journey, "http") == [Sli("success", "success", None, None, 1.0)]


def test_percentile_targets_are_the_share_that_must_be_within() -> None:
    targets = {s.objective: s.target for s in slis_of(journey_of(POLLING), "http")}
    assert targets["latency p95"] == 0.95
    assert targets["latency max"] == 1.0
    assert targets["step browse p99"] == 0.99
    assert targets["success"] == 0.995


def test_colliding_labels_are_made_unique() -> None:
    text = """
journey: clash
slo:
  steps:
    pay: {freshness: {p95: 2s}}
    pay freshness: {p95: 1s}
http:
  - name: pay
    request: {url: /pay}
    until: {timeout: 5s}
  - name: pay freshness
    request: {url: /x}
"""
    labels = [s.objective for s in slis_of(journey_of(text), "http")]
    assert labels == ["success", "step pay freshness p95", "step pay freshness p95 (2)"]


def step(
    name: str, outcome: Outcome, started: float, duration: float, freshness_s: float | None = None
) -> StepResult:
    return StepResult(
        "sli check", name, "http", outcome, started, duration, freshness_s=freshness_s
    )


def runs() -> list[JourneyRun]:
    """Runs of POLLING's http flow: passing, slow, failing at pay, and one that never started."""
    out = []
    for i in range(40):
        at = T0 + 10 * i
        browse = step("browse", "passed", at, 0.2 + 0.05 * i)  # crosses 1 s at i = 16
        freshness = 0.5 * (i % 10)  # 0 … 4.5 s: over 3 s and over 4 s now and then
        fails = i % 7 == 3
        pay_outcome: Outcome = "failed" if fails else "passed"
        pay = step("pay", pay_outcome, at + 1, 0.1 * (i % 9), freshness_s=freshness)
        duration = 1.0 + 0.15 * i  # crosses 2 s and 5 s
        out.append(JourneyRun("sli check", "http", i, at, duration, (browse, pay)))
    out.append(JourneyRun("sli check", "http", 99, T0, 0.0, (), reason="feeder ran out"))
    out.append(JourneyRun("sli check", "http", 98, T0, 2.0, (step("browse", "error", T0, 2.0),)))
    return out


def test_counted_events_are_what_the_run_tallies_feed_the_histograms() -> None:
    journey = journey_of(POLLING)
    tally = JourneyTally("sli check", "http", bounds=journey_bounds(journey))
    for run in runs():
        tally.add(run)
    slis = slis_of(journey, "http")
    for sli in slis:
        good = total = 0
        for run in runs():
            g, t = sli.count(run)
            good, total = good + g, total + t
        if sli.kind == "success" and sli.step is None:
            assert (good, total) == (tally.successes, tally.attempts)
            continue
        if sli.kind == "success":
            st = tally.steps[sli.step or ""]
            assert (total - good, total) == (st.failures, st.attempts)
            continue
        assert sli.threshold_s is not None
        if sli.step is None:
            histogram = tally.latency if sli.kind == "latency" else tally.freshness
        else:
            st = tally.steps[sli.step]
            histogram = st.latency if sli.kind == "latency" else st.freshness
        assert total == histogram.count, sli.objective
        assert total - good == histogram.above(sli.threshold_s), sli.objective
        assert 0 < total - good < total, sli.objective  # the runs exercise both sides
    objectives = evaluate_journey(journey, tally)
    assert [o.samples for o in objectives] == [
        sum(sli.count(run)[1] for run in runs()) for sli in slis
    ]


@pytest.mark.parametrize(
    ("objective", "expected"),
    [
        ("success", (0, 1)),
        ("latency p95", (0, 0)),
        ("freshness p95", (0, 0)),
        ("step pay success", (0, 0)),
    ],
)
def test_a_run_that_never_started_is_a_failed_run_and_no_other_sample(
    objective: str, expected: tuple[int, int]
) -> None:
    sli = next(s for s in slis_of(journey_of(POLLING), "http") if s.objective == objective)
    run = JourneyRun("sli check", "http", 1, T0, 0.0, (), reason="feeder ran out")
    assert sli.count(run) == expected


def test_a_sample_at_the_threshold_is_good_and_a_failed_run_is_a_latency_sample() -> None:
    by_label = {s.objective: s for s in slis_of(journey_of(POLLING), "http")}
    failed = JourneyRun(
        "sli check", "http", 1, T0, 2.0, (step("browse", "failed", T0, 1.0, freshness_s=3.0),)
    )
    assert by_label["latency p95"].count(failed) == (1, 1)
    assert by_label["latency max"].count(failed) == (1, 1)
    assert by_label["step browse p99"].count(failed) == (1, 1)
    assert by_label["freshness p95"].count(failed) == (1, 1)  # any step's freshness
    assert by_label["step pay freshness max"].count(failed) == (0, 0)  # not pay's
    assert by_label["success"].count(failed) == (0, 1)
    slow = JourneyRun("sli check", "http", 2, T0, 2.001, (step("browse", "passed", T0, 1.001),))
    assert by_label["latency p95"].count(slow) == (0, 1)
    assert by_label["step browse p99"].count(slow) == (0, 1)


def test_a_step_that_neither_failed_nor_erred_is_a_good_step_success_as_in_the_tally() -> None:
    sli = next(s for s in slis_of(journey_of(POLLING), "http") if s.objective == "step pay success")
    skipped = JourneyRun("sli check", "http", 1, T0, 1.0, (step("pay", "skipped", T0, 0.0),))
    erred = JourneyRun("sli check", "http", 2, T0, 1.0, (step("pay", "error", T0, 0.5),))
    assert (sli.count(skipped), sli.count(erred)) == ((1, 1), (0, 1))
    tally = JourneyTally("sli check", "http")
    tally.add(skipped)
    tally.add(erred)
    assert (tally.steps["pay"].attempts, tally.steps["pay"].failures) == (2, 1)
