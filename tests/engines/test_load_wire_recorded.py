"""Failure answers and recorded values cross from workers to the master intact.

They travel in Locust's DATA messages, msgpack-encoded: tuples arrive as lists, dataclasses
must be plain data. The wire module imports no Locust, so its round trip is tested here; the
worker's Recorder imports Locust (which patches the standard library with gevent), so its
hand-over is tested in a child process, as `journey worker` runs it.
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import msgpack

from runner.builder.rehearsal import whole_rehearsal
from runner.engines.load.outcome import RehearsalOutcome
from runner.engines.load.wire import (
    recorded_from_wire,
    recorded_to_wire,
    tally_from_wire,
    tally_to_wire,
)
from runner.results import (
    JourneyRun,
    JourneyTally,
    RecordedValue,
    ResponseTrail,
    StepResult,
)
from tests.conftest import ROOT

TRAIL = ResponseTrail(
    "/checkout?token=***", 503, ("302 /cart?session=***", "303 /checkout"), "<h1>Sorry</h1>"
)


def over_the_wire(data: Any) -> Any:
    """What the master reads of what a worker sent: Locust's own msgpack settings."""
    return msgpack.loads(msgpack.dumps(data), raw=False, strict_map_key=False)


def failed_run(iteration: int) -> JourneyRun:
    started = 1_800_000_000.0 + iteration
    steps = (
        StepResult(
            "checkout",
            "place order",
            "http",
            "passed",
            started,
            0.02,
            recorded=(("order_number", f"ORD-{iteration}"),),
        ),
        StepResult(
            "checkout",
            "confirm",
            "http",
            "failed",
            started + 0.1,
            0.02,
            "expected status 200, got 503",
            503,
            responded=True,
            response=TRAIL,
        ),
    )
    return JourneyRun("checkout", "http", iteration, started, 0.2, steps)


def test_a_failure_s_answer_survives_the_wire_as_tuples() -> None:
    tally = JourneyTally("checkout", "http")
    tally.add(failed_run(0))
    back = tally_from_wire(over_the_wire(tally_to_wire(tally)))
    assert back.failures == tally.failures
    (failure,) = back.failures
    assert failure.response == TRAIL
    assert isinstance(failure.response.redirects, tuple)  # frozen and hashable again
    hash(failure)


def test_a_failure_without_an_answer_comes_back_without_one() -> None:
    tally = JourneyTally("checkout", "http")
    tally.add(JourneyRun("checkout", "http", 0, 1.0, 0.0, (), reason="feeder ran out"))
    (failure,) = tally_from_wire(over_the_wire(tally_to_wire(tally))).failures
    assert failure.response is None


def test_recorded_count_and_first_few_travel_inside_the_tally() -> None:
    tally = JourneyTally("checkout", "http")
    for i in range(9):
        tally.add(failed_run(i))
    back = tally_from_wire(over_the_wire(tally_to_wire(tally)))
    assert back.recorded == 9
    assert back.recorded_first == tally.recorded_first
    assert [v.value for v in back.recorded_first] == [f"ORD-{i}" for i in range(5)]


def test_a_tally_from_an_older_worker_reads_as_recording_nothing() -> None:
    data = tally_to_wire(JourneyTally("checkout", "http"))
    del data["recorded"], data["recorded_first"]
    back = tally_from_wire(over_the_wire(data))
    assert (back.recorded, back.recorded_first) == (0, [])


def test_one_recorded_value_round_trips() -> None:
    value = RecordedValue("checkout", "http", 4, "place order", "order_number", "ORD-9", 12.5)
    assert recorded_from_wire(over_the_wire(recorded_to_wire(value))) == value


def test_the_whole_rehearsal_counts_every_second_not_only_the_judged_ones() -> None:
    outcome = RehearsalOutcome([])
    for second in range(3):
        tally = JourneyTally("checkout", "http")
        tally.add(failed_run(second))
        tally.add(failed_run(second + 10))
        outcome.add_data(
            "w1", {"seconds": [{"second": 100 + second, "tally": tally_to_wire(tally)}]}
        )
    whole = whole_rehearsal(outcome)
    recorded = whole[("checkout", "http")]
    assert recorded.recorded == 6
    assert [v.value for v in recorded.recorded_first] == [
        "ORD-0",
        "ORD-10",
        "ORD-1",
        "ORD-11",
        "ORD-2",
    ]


HAND_OVER = """\
import json, sys
from locust.rpc.protocol import Message
from runner.engines.load.recorder import Recorder
from runner.engines.load.wire import recorded_from_wire
from runner.results import JourneyRun, StepResult

recorder = Recorder()
def run(i, values):
    step = StepResult("checkout", "place order", "http", "passed", 1e9 + i, 0.1,
                      recorded=tuple(("order_number", v) for v in values))
    return JourneyRun("checkout", "http", i, 1e9 + i, 0.2, (step,))
recorder.add(run(0, ["ORD-1"]))
recorder.add(run(1, []))
recorder.add(run(2, ["ORD-2", "ORD-3"]))
sent = Message("journey:data", recorder.drain(), "worker-1").serialize()
data = Message.unserialize(sent).data
again = recorder.drain()
values = [recorded_from_wire(v) for v in data["recorded"]]
print(json.dumps({
    "values": [[v.iteration, v.capture, v.value, v.started] for v in values],
    "count": sum(s["tally"]["recorded"] for s in data["seconds"]),
    "again": again["recorded"],
}))
"""


def test_a_worker_hands_over_each_second_s_values_once_and_keeps_none() -> None:
    done = subprocess.run(
        [sys.executable, "-c", HAND_OVER],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout)
    assert found["values"] == [
        [0, "order_number", "ORD-1", 1e9],
        [2, "order_number", "ORD-2", 1e9 + 2],
        [2, "order_number", "ORD-3", 1e9 + 2],
    ]
    assert found["count"] == 3  # the tallies say as many as the lines the master will write
    assert found["again"] == []  # handed over: memory bounded by one second of runs
