"""Journey entries of the results document, from judged tallies.

Artefact paths (screenshots, traces) are written relative to the folder where results.json
lands, so a report folder can be moved or archived whole. A journey whose flow marks a capture
`record: true` carries what it recorded: the count and the first few (every value is in
captures.jsonl); one that records nothing carries null.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from runner.document import (
    Buckets,
    FailureEntry,
    JourneyEntry,
    Percentiles,
    Recorded,
    RecordedCapture,
    ResponseEntry,
    StepEntry,
)
from runner.histogram import Histogram
from runner.results import FailureRecord, JourneyTally, RecordedValue, StepTally
from runner.slo import Judged
from runner.spec.journey import Journey
from runner.spec.target import Target
from runner.spec.thresholds import journey_bounds

MAX_STEP_REASONS = 5
MAX_MESSAGES = 10  # console errors and failed requests, most frequent first


def iso(epoch_s: float) -> str:
    """UTC ISO 8601 with milliseconds: `2026-11-22T23:01:12.345Z`."""
    return datetime.fromtimestamp(epoch_s, UTC).isoformat(timespec="milliseconds")[:-6] + "Z"


def percentiles(histogram: Histogram) -> Percentiles:
    """The histogram's p50 … p99 and max, rounded to the microsecond; None without samples."""
    return Percentiles(**histogram.summary())


def buckets(histogram: Histogram, bounds: tuple[float, ...]) -> Buckets | None:
    """The exact counts at `bounds`; None without samples, or if not counted at them."""
    if not histogram.count:
        return None
    cumulative = histogram.cumulative(bounds)
    if cumulative is None:
        return None
    return Buckets(bounds, tuple(cumulative), histogram.count, round(histogram.sum, 6))


def journey_entry(
    entry: Judged, target: Target, out_dir: Path, recorded: JourneyTally | None = None
) -> JourneyEntry:
    """One journey on one engine, judged, with its steps in flow order and its failures.

    Buckets show the journey's own bounds (the ladder and its thresholds), whatever other
    journeys of the run added to the bounds its histograms were counted at. `recorded` is
    the tally whose recorded values to show, when it is not the judged one: a rehearsal
    judges some seconds but writes every value to captures.jsonl, and the count must match.
    """
    spec, tally = entry.journey.spec, entry.tally
    flow = spec.step_names(tally.engine)
    bounds = journey_bounds(spec)
    return JourneyEntry(
        name=entry.journey.name,
        description=spec.description,
        channel=spec.channel,
        tags=tuple(spec.tags),
        tenant=target.tenant,
        engine=tally.engine,
        file=entry.journey.path,
        verdict=entry.verdict,
        attempts=tally.attempts,
        successes=tally.successes,
        success_ratio=round(tally.successes / tally.attempts, 6) if tally.attempts else None,
        latency_s=percentiles(tally.latency),
        freshness_s=percentiles(tally.freshness) if tally.freshness.count else None,
        steps=tuple(_step_entry(tally.steps.get(name) or StepTally(name), bounds) for name in flow),
        failures=tuple(_failure_entry(failure, out_dir) for failure in tally.failures),
        failure_count=tally.failure_count,
        console_errors=dict(tally.console_errors.most_common(MAX_MESSAGES)),
        failed_requests=dict(tally.failed_requests.most_common(MAX_MESSAGES)),
        objectives=tuple(entry.objectives),
        latency_buckets=buckets(tally.latency, bounds),
        freshness_buckets=buckets(tally.freshness, bounds),
        last_run=None if tally.last_ended is None else iso(tally.last_ended),
        last_success=None if tally.last_success_ended is None else iso(tally.last_success_ended),
        recorded=recorded_entry(recorded or tally, records(spec, tally.engine)),
    )


def records(spec: Journey, engine: str) -> bool:
    """Whether the journey's flow on `engine` marks any capture `record: true`."""
    steps = spec.http if engine == "http" else spec.browser
    return any(capture.record for step in steps for capture in step.capture.values())


def recorded_entry(tally: JourneyTally, marked: bool) -> Recorded | None:
    """The tally's recorded values for the document; None when nothing is marked or seen."""
    if not marked and not tally.recorded:
        return None
    return Recorded(tally.recorded, tuple(_recorded_capture(v) for v in tally.recorded_first))


def _recorded_capture(value: RecordedValue) -> RecordedCapture:
    return RecordedCapture(
        value.iteration, value.step, value.capture, value.value, iso(value.started)
    )


def _step_entry(step: StepTally, bounds: tuple[float, ...]) -> StepEntry:
    return StepEntry(
        name=step.name,
        attempts=step.attempts,
        failures=step.failures,
        latency_s=percentiles(step.latency),
        freshness_s=percentiles(step.freshness) if step.freshness.count else None,
        reasons=dict(step.reasons.most_common(MAX_STEP_REASONS)),
        redirects=tuple(step.redirects),
        page={metric: percentiles(h) for metric, h in step.page.items()} or None,
        latency_buckets=buckets(step.latency, bounds),
        freshness_buckets=buckets(step.freshness, bounds),
    )


def _failure_entry(failure: FailureRecord, out_dir: Path) -> FailureEntry:
    artefacts = tuple(_relative(path, out_dir) for path in failure.artefacts)
    return FailureEntry(
        iteration=failure.iteration,
        step=failure.step,
        reason=failure.reason,
        started=iso(failure.started),
        status=failure.status,
        artefacts=artefacts,
        screenshot=next((a for a in artefacts if a.endswith(".png")), None),
        trace=next((a for a in artefacts if a.endswith(".zip")), None),
        response=None
        if failure.response is None
        else ResponseEntry(
            failure.response.url,
            failure.response.status,
            tuple(failure.response.redirects),
            failure.response.body,
        ),
    )


def _relative(path: str, out_dir: Path) -> str:
    try:
        return Path(path).resolve().relative_to(out_dir.resolve()).as_posix()
    except ValueError:
        return path  # kept elsewhere on purpose: leave it as given
