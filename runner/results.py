"""The one result vocabulary every engine speaks and every consumer reads.

Engines emit StepResults grouped into JourneyRuns; a JourneyTally folds runs into counts and
histograms (bounded memory whatever the number of runs) that SLO evaluation and outputs read.
Plain frozen dataclasses, no validation: the load path records thousands per second.
Imports nothing of ours but the histogram.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TypeVar, dataclass_transform

from runner.histogram import Histogram
from runner.vocabulary import ERRORED, FAILED, PASSED, Engine, Outcome

__all__ = ["Engine", "Outcome"]  # re-exported: the vocabulary's, for the engines that record

_Record = TypeVar("_Record")


@dataclass_transform(frozen_default=True)
def checked_frozen(cls: type[_Record]) -> type[_Record]:
    """A frozen, slotted dataclass to the type checker; at run time, slotted and hashable.

    For the two results made on every load request (StepResult, JourneyRun). A frozen
    dataclass's `__init__` sets each field through `object.__setattr__`, ~1 µs more per object
    than a plain slotted one: 1.5 % of a load worker's throughput (bench/load_engine.py).
    mypy --strict, run by `make test`, still rejects any assignment to their fields.
    """
    return dataclass(slots=True, unsafe_hash=True)(cls)


MAX_FAILURES_KEPT = 20  # per journey: enough to diagnose, bounded for a 10,000-run report
# per journey: the first values of `record: true` captures that a report shows; every value
# goes to captures.jsonl as runs end, never into a tally (a rehearsal may place 10^5 orders)
MAX_RECORDED_KEPT = 5
PAGE_METRICS = ("ttfb_s", "dom_content_loaded_s", "load_s", "lcp_s", "cls")


@dataclass(frozen=True, slots=True)
class PageTiming:
    """What the browser reported for the page a step ended on (None where it reported nothing).

    Seconds from the navigation's start, except `cls` (cumulative layout shift, unitless).
    """

    ttfb_s: float | None = None
    dom_content_loaded_s: float | None = None
    load_s: float | None = None
    lcp_s: float | None = None
    cls: float | None = None


@dataclass(frozen=True, slots=True)
class ResponseTrail:
    """Where a failed http step's request landed, as a browser's screenshot shows a page.

    Made only for a step that failed on an answer (never on the load path's passing
    requests). `url` and each hop are masked (`runner.redact.masked_url`: the path, query
    keys, values `***`); `body` is the first BODY_EXCERPT_CHARS characters of the final
    response's text, which writers scrub of secrets as they scrub everything they write.
    """

    url: str  # the final URL, masked: `/en-gb/cart?token=***`
    status: int | None
    redirects: tuple[str, ...] = ()  # each hop, oldest first: `302 /old?token=***`
    body: str = ""


BODY_EXCERPT_CHARS = 2000


@checked_frozen
class StepResult:
    """What one step did: outcome, timing, and why it failed if it did.

    `started` is wall-clock epoch seconds (for timelines), `duration_s` monotonic. `responded`
    says whether the target answered at all; `unreachable` that no connection could be made,
    which tells "down" from "failing" (a template error is neither). `reason` is one line, used
    as is by JUnit and the console.
    """

    journey: str
    step: str
    engine: Engine
    outcome: Outcome
    started: float
    duration_s: float
    reason: str = ""
    status: int | None = None
    responded: bool = False
    unreachable: bool = False
    freshness_s: float | None = None
    attempts: int = 1
    redirects: tuple[str, ...] = ()
    artefacts: tuple[str, ...] = ()
    page: PageTiming | None = None  # browser steps that navigated
    console_errors: tuple[str, ...] = ()
    failed_requests: tuple[str, ...] = ()  # "GET /path 503", "GET /x net::ERR_…"
    response: ResponseTrail | None = None  # an http step that failed on an answer
    recorded: tuple[tuple[str, str], ...] = ()  # (capture, value): captures with `record: true`


@checked_frozen
class JourneyRun:
    """One run of one journey's flow: its steps in order (a failed step ends the run)."""

    journey: str
    engine: Engine
    iteration: int
    started: float
    duration_s: float
    steps: tuple[StepResult, ...]
    reason: str = ""  # why the run could not start (e.g. a data feeder ran out)
    cut_off: bool = False  # still in flight when the run's end-of-run grace expired

    @property
    def outcome(self) -> Outcome:
        """An error if the run or any step erred, else failed if any step failed or none ran."""
        if self.reason:
            return ERRORED
        outcome: Outcome = PASSED if self.steps else FAILED
        for step in self.steps:  # one pass: this is read for every load iteration
            if step.outcome == ERRORED:
                return ERRORED
            if step.outcome == FAILED:
                outcome = FAILED
        return outcome

    @property
    def failure(self) -> StepResult | None:
        """The step that ended the run, if it did not pass."""
        return next((s for s in self.steps if s.outcome in (FAILED, ERRORED)), None)

    @property
    def unreachable(self) -> bool:
        """The run ended because the target could not be connected to, before any answer."""
        failure = self.failure
        return (
            failure is not None and failure.unreachable and not any(s.responded for s in self.steps)
        )


@dataclass(frozen=True, slots=True)
class RecordedValue:
    """One value a `record: true` capture took (an order number placed, a basket made).

    The audit trail of what probes and load left in the target: captures.jsonl has one line
    per value; a tally keeps only the first few. `started` is the step's start, epoch seconds.
    """

    journey: str
    engine: Engine
    iteration: int
    step: str
    capture: str
    value: str
    started: float


def recorded_values(run: JourneyRun) -> Iterator[RecordedValue]:
    """Every value `run`'s steps recorded, in step order (a step records only when it passed)."""
    for step in run.steps:
        for capture, value in step.recorded:
            yield RecordedValue(
                run.journey, run.engine, run.iteration, step.step, capture, value, step.started
            )


@dataclass(slots=True)
class StepTally:
    """Counts and histograms of one step over many runs."""

    name: str
    attempts: int = 0
    failures: int = 0
    requests: int = 0  # one per attempt, more for until: polls
    latency: Histogram = field(default_factory=Histogram)
    freshness: Histogram = field(default_factory=Histogram)
    reasons: Counter[str] = field(default_factory=Counter)
    redirects: tuple[str, ...] = ()  # the chain the latest run followed, e.g. ("303 /cart/items",)
    page: dict[str, Histogram] = field(default_factory=dict)  # PAGE_METRICS, when navigated

    @classmethod
    def counted_at(cls, name: str, bounds: tuple[float, ...]) -> StepTally:
        """An empty tally whose latency and freshness are counted exactly at `bounds`."""
        return cls(name, latency=Histogram(bounds), freshness=Histogram(bounds))

    def add_page(self, timing: PageTiming) -> None:
        for metric in PAGE_METRICS:
            value = getattr(timing, metric)
            if value is not None:
                self.page.setdefault(metric, Histogram()).add(value)

    def merge(self, other: StepTally) -> None:
        """Add `other`'s counts and samples (another worker's, another second's)."""
        self.attempts += other.attempts
        self.failures += other.failures
        self.requests += other.requests
        self.latency.merge(other.latency)
        self.freshness.merge(other.freshness)
        self.reasons.update(other.reasons)
        self.redirects = other.redirects or self.redirects
        for metric, histogram in other.page.items():
            self.page.setdefault(metric, Histogram()).merge(histogram)


@dataclass(slots=True)
class JourneyTally:
    """Everything measured of one journey on one engine, folded run by run."""

    journey: str
    engine: Engine
    bounds: tuple[float, ...] = ()  # exact counts at these (runner.spec.thresholds.run_bounds)
    attempts: int = 0
    successes: int = 0
    unreachable: int = 0  # runs that could not connect at all
    cut_off: int = 0  # failed runs still in flight when the end-of-run grace expired
    # end to end, every run that made a request: a failed or timed-out run is a sample too
    # (at its timeout, censored), or a stall that fails 10 % of runs could leave p95 "met"
    latency: Histogram = field(default_factory=Histogram)
    freshness: Histogram = field(default_factory=Histogram)  # every until: step, censored
    steps: dict[str, StepTally] = field(default_factory=dict)
    failures: list[FailureRecord] = field(default_factory=list)
    failure_count: int = 0
    console_errors: Counter[str] = field(default_factory=Counter)
    failed_requests: Counter[str] = field(default_factory=Counter)
    last_ended: float | None = None  # epoch seconds: when the latest run ended
    last_success_ended: float | None = None  # ... and the latest passing run
    recorded: int = 0  # values of `record: true` captures, all of them counted
    recorded_first: list[RecordedValue] = field(default_factory=list)  # the first few kept

    def __post_init__(self) -> None:
        if self.bounds:
            self.latency = Histogram(self.bounds)
            self.freshness = Histogram(self.bounds)

    def add(self, run: JourneyRun) -> None:
        self.attempts += 1
        ended = run.started + run.duration_s
        if self.last_ended is None or ended > self.last_ended:
            self.last_ended = ended
        self.unreachable += run.unreachable
        self.cut_off += run.cut_off
        if run.outcome == PASSED:
            self.successes += 1
            if self.last_success_ended is None or ended > self.last_success_ended:
                self.last_success_ended = ended
        if run.steps:
            self.latency.add(run.duration_s)
        for step in run.steps:
            tally = self.steps.get(step.step)
            if tally is None:
                tally = self.steps[step.step] = StepTally.counted_at(step.step, self.bounds)
            tally.attempts += 1
            tally.requests += step.attempts
            tally.latency.add(step.duration_s)
            if step.redirects:
                tally.redirects = step.redirects
            if step.page is not None:
                tally.add_page(step.page)
            if step.console_errors:
                self.console_errors.update(step.console_errors)
            if step.failed_requests:
                self.failed_requests.update(step.failed_requests)
            if step.freshness_s is not None:
                tally.freshness.add(step.freshness_s)
                self.freshness.add(step.freshness_s)
            if step.outcome in (FAILED, ERRORED):
                tally.failures += 1
                tally.reasons[step.reason] += 1
            if step.recorded:
                self._record(run, step)
        if run.outcome != PASSED:
            self.failure_count += 1
            if len(self.failures) < MAX_FAILURES_KEPT:
                self.failures.append(FailureRecord.of(run))

    def _record(self, run: JourneyRun, step: StepResult) -> None:
        self.recorded += len(step.recorded)
        room = MAX_RECORDED_KEPT - len(self.recorded_first)
        for capture, value in step.recorded[: max(room, 0)]:
            self.recorded_first.append(
                RecordedValue(
                    run.journey, run.engine, run.iteration, step.step, capture, value, step.started
                )
            )

    def merge(self, other: JourneyTally) -> None:
        """Add `other`'s runs: tallies of workers and seconds merge exactly."""
        self.attempts += other.attempts
        self.successes += other.successes
        self.unreachable += other.unreachable
        self.cut_off += other.cut_off
        self.latency.merge(other.latency)
        self.freshness.merge(other.freshness)
        self.bounds = self.bounds or other.bounds
        self.last_ended = _latest(self.last_ended, other.last_ended)
        self.last_success_ended = _latest(self.last_success_ended, other.last_success_ended)
        for name, step in other.steps.items():
            self.steps.setdefault(name, StepTally(name)).merge(step)
        room = MAX_FAILURES_KEPT - len(self.failures)
        self.failures.extend(other.failures[: max(room, 0)])
        self.failure_count += other.failure_count
        self.recorded += other.recorded
        room = MAX_RECORDED_KEPT - len(self.recorded_first)
        self.recorded_first.extend(other.recorded_first[: max(room, 0)])
        self.console_errors.update(other.console_errors)
        self.failed_requests.update(other.failed_requests)

    @property
    def requests(self) -> int:
        """HTTP requests (or browser steps) made, until: polls included."""
        return sum(step.requests for step in self.steps.values())


def _latest(one: float | None, other: float | None) -> float | None:
    if one is None:
        return other
    return one if other is None else max(one, other)


@dataclass(frozen=True, slots=True)
class FailureRecord:
    """One failed run, as reports show it: which step, why, its artefacts and its answer.

    `response` is the failed http step's trail (final URL, redirects, status, body excerpt):
    what a browser step's screenshot is to a browser step.
    """

    iteration: int
    step: str
    reason: str
    started: float
    status: int | None = None
    artefacts: tuple[str, ...] = ()
    response: ResponseTrail | None = None

    @classmethod
    def of(cls, run: JourneyRun) -> FailureRecord:
        step = run.failure
        if step is None:
            return cls(run.iteration, "", run.reason or "the journey ran no step", run.started)
        return cls(
            run.iteration,
            step.step,
            step.reason,
            step.started,
            step.status,
            step.artefacts,
            step.response,
        )
