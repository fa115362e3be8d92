"""Tallies and histograms in a form that crosses processes over Locust's protocol (msgpack).

Workers fold their runs into per-second JourneyTallies and send them; the master rebuilds and
merges them. Histograms travel as DDSketch's protobuf encoding, so merging is exact.
msgpack turns tuples into lists, so whatever a frozen record holds as a tuple (artefacts, a
response's redirect chain) is made a tuple again on the way in. Recorded capture values travel
as short lists: a worker sends every value its runs recorded in the last second.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict
from typing import Any

from runner.histogram import Histogram
from runner.results import FailureRecord, JourneyTally, RecordedValue, ResponseTrail, StepTally


def tally_to_wire(tally: JourneyTally) -> dict[str, Any]:
    return {
        "journey": tally.journey,
        "engine": tally.engine,
        "attempts": tally.attempts,
        "successes": tally.successes,
        "unreachable": tally.unreachable,
        "cut_off": tally.cut_off,
        "latency": tally.latency.to_wire(),
        "freshness": tally.freshness.to_wire(),
        "failure_count": tally.failure_count,
        "last_ended": tally.last_ended,
        "last_success_ended": tally.last_success_ended,
        "failures": [asdict(failure) for failure in tally.failures],
        "recorded": tally.recorded,
        "recorded_first": [recorded_to_wire(value) for value in tally.recorded_first],
        "steps": {name: _step_to_wire(step) for name, step in tally.steps.items()},
    }


def tally_from_wire(data: dict[str, Any]) -> JourneyTally:
    tally = JourneyTally(data["journey"], data["engine"])
    tally.attempts = int(data["attempts"])
    tally.successes = int(data["successes"])
    tally.unreachable = int(data["unreachable"])
    tally.cut_off = int(data["cut_off"])
    tally.latency = Histogram.from_wire(data["latency"])
    tally.freshness = Histogram.from_wire(data["freshness"])
    tally.failure_count = int(data["failure_count"])
    tally.last_ended = data.get("last_ended")
    tally.last_success_ended = data.get("last_success_ended")
    tally.bounds = tally.latency.bounds
    tally.failures = [_failure_from_wire(f) for f in data["failures"]]
    tally.recorded = int(data.get("recorded", 0))
    tally.recorded_first = [recorded_from_wire(v) for v in data.get("recorded_first", [])]
    tally.steps = {name: _step_from_wire(name, step) for name, step in data["steps"].items()}
    return tally


def recorded_to_wire(value: RecordedValue) -> list[Any]:
    """One recorded value as a msgpack-able list, in RecordedValue's field order."""
    return [
        value.journey,
        value.engine,
        value.iteration,
        value.step,
        value.capture,
        value.value,
        value.started,
    ]


def recorded_from_wire(data: list[Any]) -> RecordedValue:
    journey, engine, iteration, step, capture, value, started = data
    return RecordedValue(
        str(journey), engine, int(iteration), str(step), str(capture), str(value), float(started)
    )


def _failure_from_wire(data: dict[str, Any]) -> FailureRecord:
    response = data.get("response")
    trail = (
        None
        if response is None
        else ResponseTrail(**{**response, "redirects": tuple(response["redirects"])})
    )
    return FailureRecord(**{**data, "artefacts": tuple(data["artefacts"]), "response": trail})


def _step_to_wire(step: StepTally) -> dict[str, Any]:
    return {
        "attempts": step.attempts,
        "failures": step.failures,
        "requests": step.requests,
        "latency": step.latency.to_wire(),
        "freshness": step.freshness.to_wire(),
        "reasons": dict(step.reasons.most_common(5)),
    }


def _step_from_wire(name: str, data: dict[str, Any]) -> StepTally:
    return StepTally(
        name,
        attempts=int(data["attempts"]),
        failures=int(data["failures"]),
        requests=int(data["requests"]),
        latency=Histogram.from_wire(data["latency"]),
        freshness=Histogram.from_wire(data["freshness"]),
        reasons=Counter(data["reasons"]),
    )
