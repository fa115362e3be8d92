"""A rehearsal's seconds sorted into stages and the judged window: what judging and reporting share.

Every second of data lands in the stage it belongs to. With `exclude: ramp`, ramps and
cool-downs to zero are reported but not judged, and nothing after an abort (or Ctrl-C) is
judged. The judge reads the judged window; the results builder reads the stage windows.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from runner.document import Throughput
from runner.engines.load.outcome import RehearsalOutcome
from runner.engines.load.timeline import stage_at
from runner.histogram import Histogram
from runner.results import JourneyTally
from runner.spec.loadprofile import LoadProfile


@dataclass(slots=True)
class Window:
    """Requests, failures, iterations and latency over a set of seconds."""

    requests: int = 0
    failures: int = 0
    steps: int = 0
    iterations: int = 0
    successes: int = 0
    cut_off: int = 0
    latency: Histogram = field(default_factory=Histogram)
    seconds: set[int] = field(default_factory=set)
    reasons: Counter[str] = field(default_factory=Counter)

    def add(self, second: int, tallies: dict[str, JourneyTally]) -> None:
        """Count `second`, whose runs are `tallies` by journey."""
        self.seconds.add(second)
        for tally in tallies.values():
            self.iterations += tally.attempts
            self.successes += tally.successes
            self.cut_off += tally.cut_off
            for step in tally.steps.values():
                self.requests += step.requests
                self.steps += step.attempts
                self.failures += step.failures
                self.latency.merge(step.latency)
                for reason, count in step.reasons.items():
                    self.reasons[f"{tally.journey} / {step.name}: {reason}"] += count

    def absorb(self, window: Window) -> None:
        """Count every second of `window` too."""
        self.requests += window.requests
        self.failures += window.failures
        self.steps += window.steps
        self.iterations += window.iterations
        self.successes += window.successes
        self.cut_off += window.cut_off
        self.latency.merge(window.latency)
        self.seconds |= window.seconds
        self.reasons.update(window.reasons)


@dataclass(slots=True)
class Split:
    """The rehearsal's seconds sorted into stages (one window each) and the judged window."""

    stages: list[Window]
    judged: Window
    tallies: dict[tuple[str, str], JourneyTally]  # the judged seconds' runs, per journey
    exclude_ramp: bool  # the profile's `exclude: ramp`, which the stages' labels say
    note: str = ""  # how the judged window was chosen, when not the usual way

    def whole(self) -> Window:
        """Every second of every stage."""
        whole = Window()
        for window in self.stages:
            whole.absorb(window)
        return whole


def stopped_early(outcome: RehearsalOutcome) -> bool:
    """A rail fired or the user stopped the rehearsal."""
    return outcome.aborted is not None or outcome.interrupted


def split_seconds(profile: LoadProfile, outcome: RehearsalOutcome) -> Split:
    """Sort the seconds; a rehearsal stopped on its ramp is judged on the ramp, and says so."""
    exclude_ramp = profile.slo.exclude == "ramp"
    split = _split(profile, outcome, exclude_ramp)
    if not split.judged.seconds and exclude_ramp and stopped_early(outcome):
        # the rail fired on the ramp: judge what was reached rather than nothing
        split = _split(profile, outcome, exclude_ramp=False)
        split.note = "judged on the ramp: the rehearsal stopped before any judged stage"
    return split


def _split(profile: LoadProfile, outcome: RehearsalOutcome, exclude_ramp: bool) -> Split:
    plans = outcome.plans
    tallies: dict[tuple[str, str], JourneyTally] = {
        (name, "http"): JourneyTally(name, "http") for name in profile.mix
    }
    split = Split([Window() for _ in plans], Window(), tallies, profile.slo.exclude == "ramp")
    stopped_at = outcome.stopped_at_s if stopped_early(outcome) else None
    # every second the rehearsal ran, with data or not: a stalled target's silent seconds
    # must weigh in throughput, not drop out of it
    seconds = set(range(int(outcome.started), int(outcome.ended) + 1)) | set(outcome.seconds)
    for second in sorted(seconds):
        per_journey = outcome.seconds.get(second, {})
        t = second - outcome.started + 0.5
        plan = stage_at(plans, t)
        if plan is None:
            if not per_journey:
                continue  # before the start or after the end, and nothing happened
            plan = plans[-1] if t >= plans[-1].end_s else plans[0]
        if stopped_at is not None and t > stopped_at and not per_journey:
            continue  # after the stop, a second with nothing started was never reached
        split.stages[plan.index].add(second, per_journey)
        after_stop = stopped_at is not None and t > stopped_at
        after_end = t >= plans[-1].end_s  # runs still finishing once the profile ended
        if plan.judged(t, exclude_ramp) and not after_stop and not after_end:
            split.judged.add(second, per_journey)
            for name, tally in per_journey.items():
                tallies.setdefault((name, "http"), JourneyTally(name, "http")).merge(tally)
    return split


def steady(window: Window) -> list[int]:
    """Judged seconds away from an edge.

    The shape changes what it asks once a second, so a second next to a stage's edge (or the
    run's) may have run at the previous rate.
    """
    return sorted(s for s in window.seconds if s - 1 in window.seconds and s + 1 in window.seconds)


def throughput(profile: LoadProfile, window: Window, outcome: RehearsalOutcome) -> Throughput:
    """Iterations completed (passed within their timeouts) per second, against the plan.

    Completions are counted by the second their iteration started (its arrival was due), so
    a second of the judged window is judged on what it asked for, however late the answers.
    """
    seconds = steady(window)
    tallies = [tally for second in seconds for tally in outcome.seconds.get(second, {}).values()]
    completed = sum(tally.successes for tally in tallies)
    started = sum(tally.attempts for tally in tallies)
    requests = sum(tally.requests for tally in tallies)
    count = max(len(seconds), 1)
    asked = None
    if profile.open_model:
        rates = []
        for second in seconds:
            t = second - outcome.started + 0.5
            plan = stage_at(outcome.plans, t)
            if plan is not None:
                rates.append(plan.value_at(t))
        asked = sum(rates) / len(rates) if rates else None
    return Throughput(
        asked_per_s=None if asked is None else round(asked, 3),
        achieved_per_s=round(completed / count, 3),
        started_per_s=round(started / count, 3),
        requests_per_s=round(requests / count, 3),
        seconds=len(seconds),
    )
