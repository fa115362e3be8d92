"""Safety rails: whether the rehearsal is hurting the target enough to stop it now.

Judged over a sliding window of the last `for` seconds (scaled with the profile), once the
window is full: error ratio of steps, p95 of step latency, the target's health endpoint
failing at every check of the window, and (open model) iterations completed below the
throughput floor of those asked. The hang rail has a window per step: a target that hangs
answers no error to count, so a step with requests outstanding throughout and not one success
is a hang, even inside a mix of healthy steps. Pure functions over what the master collected.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from runner.engines.load.outcome import RehearsalOutcome
from runner.histogram import Histogram
from runner.results import JourneyTally
from runner.spec.loader import LoadedJourney
from runner.spec.loadprofile import AbortIf, LoadProfile

# A window scaled below this (`for: 30s` at --time-scale 0.05 is 1.5 s) would judge one or two
# seconds of data: too few requests to tell a failing target from bad luck.
MIN_WINDOW_S = 3.0


def abort_reason(
    rail: AbortIf,
    window_s: float,
    elapsed_s: float,
    seconds: Mapping[int, Mapping[str, JourneyTally]],
    health: Mapping[int, bool],
    now: int,
) -> str | None:
    """Why to stop, in one line, or None. `seconds` and `health` are keyed by epoch second."""
    window_s = max(window_s, MIN_WINDOW_S)
    if elapsed_s < window_s + 1:
        return None
    # whole seconds only: the current one is still filling, and would read as quiet
    first = now - round(window_s)
    steps = failures = 0
    latency = Histogram()
    for second in range(first, now):
        for tally in seconds.get(second, {}).values():
            for step in tally.steps.values():
                steps += step.attempts
                failures += step.failures
                latency.merge(step.latency)
    if rail.error_rate is not None and steps and failures / steps > rail.error_rate:
        return (
            f"error ratio {failures / steps:.1%} over the last {window_s:g}s "
            f"is above {rail.error_rate:.1%}"
        )
    p95 = latency.quantile(0.95)
    if rail.p95 is not None and p95 is not None and p95 > rail.p95:
        return f"p95 {p95:.3f}s over the last {window_s:g}s is above {rail.p95:g}s"
    checks = [ok for second, ok in health.items() if first <= second < now]
    if rail.health and checks and not any(checks):
        return f"the target's health endpoint failed every check for {window_s:g}s"
    return None


@dataclass(frozen=True, slots=True)
class HangWindows:
    """How long each step (`journey / step`) may go without a success while outstanding.

    The profile's `hang` scaled by --time-scale, at least MIN_WINDOW_S, and never below the
    step's own latency objective or the profile's request latency objective: a step allowed
    to take 8 s is not hung after 3 s. `default` is None when the rail is off.
    """

    default: float | None
    by_step: Mapping[str, float]

    @classmethod
    def of(
        cls, profile: LoadProfile, journeys: Sequence[LoadedJourney], time_scale: float
    ) -> HangWindows:
        hang = profile.abort_if.hang
        if hang is None:
            return cls(None, {})
        floor = max(hang * time_scale, MIN_WINDOW_S)
        if profile.slo.latency is not None:
            floor = max([floor, *(limit for _, limit in profile.slo.latency.bounds())])
        by_step = {}
        for journey in journeys:
            slo = journey.spec.slo
            for step in journey.spec.http:
                own = slo.steps.get(step.name) if slo else None
                limits = [limit for _, limit in own.bounds()] if own else []
                by_step[f"{journey.name} / {step.name}"] = max([floor, *limits])
        return cls(floor, by_step)

    def window(self, step: str) -> float | None:
        return None if self.default is None else self.by_step.get(step, self.default)


def hang_reason(
    windows: HangWindows, elapsed_s: float, outcome: RehearsalOutcome, now: int
) -> str | None:
    """The hang rail: a step outstanding at every sample of its window, with no success."""
    latest = outcome.in_flight_at(now) or outcome.in_flight_at(now - 1) or {}
    for step, outstanding in sorted(latest.items()):
        window_s = windows.window(step)
        if window_s is None or outstanding <= 0 or elapsed_s < window_s + 1:
            continue
        first = now - math.ceil(window_s)
        sampled = {
            t: s for t in range(first, now + 1) if (s := outcome.in_flight_at(t)) is not None
        }
        # outstanding *throughout*: sampled from the window's start, at most one second missed
        # (a worker's once-a-second hand-over may fall twice into one second)
        if len(sampled) < math.ceil(window_s) - 1 or min(sampled, default=now) > first + 1:
            continue
        if any(sample.get(step, 0) <= 0 for sample in sampled.values()):
            continue
        passed = sum(
            counts.get(step, 0)
            for t in range(first, now + 1)
            if (counts := outcome.passed_steps.get(t)) is not None
        )
        if passed == 0:
            return (
                f"no request of {step} succeeded for {window_s:g}s "
                f"while {outstanding} were outstanding"
            )
    return None


def floor_reason(
    rail: AbortIf,
    window_s: float,
    elapsed_s: float,
    asked: Mapping[int, float],
    completed: Mapping[int, int],
    now: int,
) -> str | None:
    """The throughput floor (open model): iterations completed over the window, of those asked.

    `asked` is the rate the shape asked at each second, `completed` iterations that passed by
    the second they ended; completions lag arrivals by their latency, which a window of
    several seconds and a floor of half the rate absorb.
    """
    floor = rail.throughput_floor
    window_s = max(window_s, MIN_WINDOW_S)
    if floor is None or elapsed_s < window_s + 1:
        return None
    first = now - round(window_s)
    rates = [asked[t] for t in range(first, now) if t in asked]
    if not rates:
        return None
    expected = sum(rates) / len(rates) * window_s
    if expected < 1:
        return None  # less than one iteration asked: nothing to fall short of
    done = sum(completed.get(t, 0) for t in range(first, now))
    if done < floor * expected:
        return (
            f"{done} iterations completed over the last {window_s:g}s of {expected:.0f} asked "
            f"({done / expected:.0%}), below the throughput floor of {floor:.0%}"
        )
    return None
