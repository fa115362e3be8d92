"""Safety rails: whether the rehearsal is hurting the target enough to stop it now.

Judged over a sliding window of the last `for` seconds (scaled with the profile), once the
window is full: error ratio of steps, p95 of step latency, and the target's health endpoint
failing at every check of the window. Pure functions over what the master has collected.
"""

from __future__ import annotations

from collections.abc import Mapping

from runner.histogram import Histogram
from runner.results import JourneyTally
from runner.spec.loadprofile import AbortIf

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
