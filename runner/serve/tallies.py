"""What /metrics counts: per series, runs, rechecks and skips, and histograms at exact bounds.

Kept in memory, process-lifetime, as a Prometheus client's counters are: a restart starts them
at zero again, which `rate()` and `increase()` read as a counter reset. What must survive a
restart (last run and last success times, budgets, burn rates) comes from the history instead.

Every series is created with all its label sets at zero when its job is scheduled, so that
`increase(journey_runs_total{result="failure"}[5m])` is 0, not absent, before the first failure
(Prometheus's own advice for client libraries). Histograms are plain bucket counts at the
journey's bounds (the web ladder plus its SLO thresholds, runner/spec/thresholds.py), the `le`
set metrics.prom uses, so a burn-rate rule reads the bucket at the threshold exactly.
"""

from __future__ import annotations

import bisect
import itertools
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field

from runner.results import JourneyRun
from runner.serve.series import Series
from runner.spec.journey import Journey
from runner.spec.thresholds import journey_bounds
from runner.vocabulary import PASSED

RESULTS = ("success", "failure")
SKIP_REASONS = ("busy", "bound", "missed")  # still running; our concurrency bound; fired late


@dataclass(slots=True)
class Buckets:
    """A histogram's counts: `counts[i]` holds samples in (bounds[i-1], bounds[i]]; last: +Inf."""

    bounds: tuple[float, ...]
    counts: list[int] = field(default_factory=list)
    total: int = 0
    sum: float = 0.0

    def __post_init__(self) -> None:
        if not self.counts:
            self.counts = [0] * (len(self.bounds) + 1)

    def observe(self, value: float) -> None:
        self.counts[bisect.bisect_left(self.bounds, value)] += 1  # le is inclusive
        self.total += 1
        self.sum += value

    def cumulative(self) -> list[tuple[float, int]]:
        """(bound, samples at or below it) for each finite bound."""
        out, running = [], 0
        for bound, count in zip(self.bounds, self.counts, strict=False):
            running += count
            out.append((bound, running))
        return out

    def copy(self) -> Buckets:
        return Buckets(self.bounds, list(self.counts), self.total, self.sum)


@dataclass(slots=True)
class SeriesTally:
    """One series' counters and histograms."""

    steps: tuple[str, ...]
    bounds: tuple[float, ...]
    runs: dict[str, int] = field(default_factory=lambda: dict.fromkeys(RESULTS, 0))
    rechecks: dict[str, int] = field(default_factory=lambda: dict.fromkeys(RESULTS, 0))
    skipped: dict[str, int] = field(default_factory=lambda: dict.fromkeys(SKIP_REASONS, 0))
    step_failures: dict[str, int] = field(default_factory=dict)
    latency: Buckets = field(init=False)
    freshness: Buckets | None = field(init=False)
    step_latency: dict[str, Buckets] = field(init=False)
    last_run: float | None = None
    last_success: float | None = None
    version: int = 0  # Tallies' stamp of its last change: a scrape re-renders changed series only

    @classmethod
    def of(cls, journey: Journey, engine: str) -> SeriesTally:
        flow = journey.http if engine == "http" else journey.browser
        tally = cls(tuple(step.name for step in flow), journey_bounds(journey))
        if any(getattr(step, "until", None) for step in flow):
            tally.freshness = Buckets(tally.bounds)
        return tally

    def __post_init__(self) -> None:
        self.latency = Buckets(self.bounds)
        self.freshness = None
        self.step_latency = {name: Buckets(self.bounds) for name in self.steps}
        self.step_failures = dict.fromkeys(self.steps, 0)

    def add(self, run: JourneyRun, *, recheck: bool) -> None:
        passed = run.outcome == PASSED
        result = RESULTS[0] if passed else RESULTS[1]
        ended = run.started + run.duration_s
        self.last_run = max(self.last_run or ended, ended)
        if passed:
            self.last_success = max(self.last_success or ended, ended)
        if recheck:  # a recheck is a real run (its times count) but stays out of the SLI
            self.rechecks[result] += 1
            return
        self.runs[result] += 1
        if run.steps:
            self.latency.observe(run.duration_s)
        for step in run.steps:
            buckets = self.step_latency.get(step.step)
            if buckets is None:  # a step the journey no longer has (edited, then reloaded)
                continue
            buckets.observe(step.duration_s)
            if step.outcome != PASSED:
                self.step_failures[step.step] += 1
            if step.freshness_s is not None and self.freshness is not None:
                self.freshness.observe(step.freshness_s)

    def copy(self) -> SeriesTally:
        twin = SeriesTally(self.steps, self.bounds)
        twin.runs, twin.rechecks = dict(self.runs), dict(self.rechecks)
        twin.skipped, twin.step_failures = dict(self.skipped), dict(self.step_failures)
        twin.latency = self.latency.copy()
        twin.freshness = self.freshness.copy() if self.freshness is not None else None
        twin.step_latency = {name: b.copy() for name, b in self.step_latency.items()}
        twin.last_run, twin.last_success = self.last_run, self.last_success
        twin.version = self.version
        return twin


class Tallies:
    """Every series' tally, behind one lock: probe threads add, scrapes copy."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._series: dict[Series, SeriesTally] = {}
        self._copies: dict[Series, SeriesTally] = {}  # the last snapshot's, by version
        self._stamps = itertools.count(1)  # versions unique across series and resets

    def keep(self, wanted: Iterable[tuple[Series, Journey]]) -> None:
        """Track exactly these series: new ones start at zero, kept ones keep their counts.

        A kept series whose journey changed (a reload) starts again at zero only when its steps
        or bounds changed: its old histograms could not hold the new buckets.
        """
        with self._lock:
            fresh: dict[Series, SeriesTally] = {}
            for series, journey in wanted:
                tally = SeriesTally.of(journey, series.engine)
                old = self._series.get(series)
                same = old is not None and _shape(old) == _shape(tally)
                if old is not None and same:
                    fresh[series] = old
                else:
                    tally.version = next(self._stamps)
                    fresh[series] = tally
            self._series = fresh

    def seed_times(
        self, series: Series, last_run: float | None, last_success: float | None
    ) -> None:
        """Last run and success times from the history: a restart keeps them."""
        with self._lock:
            tally = self._series.get(series)
            if tally is not None:
                tally.last_run, tally.last_success = last_run, last_success
                tally.version = next(self._stamps)

    def add_run(self, series: Series, run: JourneyRun, *, recheck: bool) -> None:
        with self._lock:
            tally = self._series.get(series)
            if tally is not None:
                tally.add(run, recheck=recheck)
                tally.version = next(self._stamps)

    def add_skip(self, series: Series, reason: str) -> None:
        with self._lock:
            tally = self._series.get(series)
            if tally is not None:
                tally.skipped[reason] = tally.skipped.get(reason, 0) + 1
                tally.version = next(self._stamps)

    def snapshot(self) -> dict[Series, SeriesTally]:
        """A consistent copy, for one scrape: series unchanged since the last one are not copied.

        The copies are shared between snapshots: callers must not change them.
        """
        with self._lock:
            copies = {}
            for series, tally in self._series.items():
                copy = self._copies.get(series)
                if copy is None or copy.version != tally.version:
                    copy = tally.copy()
                copies[series] = copy
            self._copies = copies
            return dict(copies)


def _shape(tally: SeriesTally) -> tuple[object, ...]:
    """What a tally's families look like: a reload that changes it starts the series afresh."""
    return tally.steps, tally.bounds, tally.freshness is None
