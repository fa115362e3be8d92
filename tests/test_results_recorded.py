"""What a tally keeps of recorded captures and failed answers: every value counted, few kept.

A load rehearsal may place 10^5 orders; the tally (which crosses processes every second and
lives in the master for the whole rehearsal) counts them all and keeps MAX_RECORDED_KEPT.
"""

from __future__ import annotations

from runner.results import (
    MAX_RECORDED_KEPT,
    FailureRecord,
    JourneyRun,
    JourneyTally,
    RecordedValue,
    ResponseTrail,
    StepResult,
    recorded_values,
)


def run(iteration: int, *values: str, outcome: str = "passed") -> JourneyRun:
    """A checkout run whose `place order` recorded `values` as order_number."""
    started = 1_800_000_000.0 + iteration
    steps: tuple[StepResult, ...] = (
        StepResult("checkout", "search", "http", "passed", started, 0.01),
        StepResult(
            "checkout",
            "place order",
            "http",
            "passed",
            started + 0.5,
            0.02,
            recorded=tuple(("order_number", value) for value in values),
        ),
    )
    if outcome != "passed":
        failed = StepResult("checkout", "confirm", "http", "failed", started + 1, 0.01, "boom")
        steps += (failed,)
    return JourneyRun("checkout", "http", iteration, started, 1.1, steps)


def test_every_value_is_counted_and_only_the_first_few_are_kept() -> None:
    tally = JourneyTally("checkout", "http")
    for i in range(1000):
        tally.add(run(i, f"ORD-{i:06d}"))
    assert tally.recorded == 1000
    assert len(tally.recorded_first) == MAX_RECORDED_KEPT
    assert [v.value for v in tally.recorded_first] == [f"ORD-{i:06d}" for i in range(5)]
    first = tally.recorded_first[0]
    assert (first.iteration, first.step, first.capture) == (0, "place order", "order_number")
    assert first.started == 1_800_000_000.5  # the recording step's start, not the run's


def test_a_run_that_failed_later_still_counts_what_it_placed() -> None:
    tally = JourneyTally("checkout", "http")
    tally.add(run(0, "ORD-1", outcome="failed"))
    assert tally.recorded == 1 and tally.failure_count == 1


def test_a_step_recording_several_values_is_cut_at_the_bound_too() -> None:
    tally = JourneyTally("checkout", "http")
    tally.add(run(0, *(f"V{i}" for i in range(8))))
    assert tally.recorded == 8
    assert [v.value for v in tally.recorded_first] == ["V0", "V1", "V2", "V3", "V4"]


def test_merge_sums_counts_and_keeps_the_first_few_in_merge_order() -> None:
    one, other = JourneyTally("checkout", "http"), JourneyTally("checkout", "http")
    for i in range(3):
        one.add(run(i, f"A{i}"))
    for i in range(4):
        other.add(run(i, f"B{i}"))
    one.merge(other)
    assert one.recorded == 7
    assert [v.value for v in one.recorded_first] == ["A0", "A1", "A2", "B0", "B1"]
    full = JourneyTally("checkout", "http")
    full.merge(one)
    full.merge(other)  # already full: the count grows, the list does not
    assert full.recorded == 11 and len(full.recorded_first) == MAX_RECORDED_KEPT


def test_recorded_values_lists_every_value_of_a_run_with_its_journey_and_engine() -> None:
    values = list(recorded_values(run(7, "ORD-7", "ORD-8")))
    assert values == [
        RecordedValue("checkout", "http", 7, "place order", "order_number", v, 1_800_000_007.5)
        for v in ("ORD-7", "ORD-8")
    ]
    assert list(recorded_values(run(1))) == []


def test_a_failure_record_keeps_the_failed_step_s_answer() -> None:
    trail = ResponseTrail("/checkout?token=***", 503, ("302 /cart",), "<h1>Down</h1>")
    failed = StepResult(
        "checkout", "place order", "http", "failed", 1.0, 0.1, "got 503", 503, response=trail
    )
    record = FailureRecord.of(JourneyRun("checkout", "http", 3, 1.0, 0.2, (failed,)))
    assert record.response == trail and record.status == 503 and record.iteration == 3
