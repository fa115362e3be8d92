"""The hang rail and the throughput floor, on what a master would have collected."""

from __future__ import annotations

from collections import Counter

import yaml

from runner.engines.load.outcome import RehearsalOutcome
from runner.engines.load.rails import HangWindows, floor_reason, hang_reason
from runner.engines.load.timeline import plan_stages
from runner.spec.loader import load_journey_text
from runner.spec.loadprofile import AbortIf, LoadProfile

NOW = 1_000_000
CHECKOUT = "checkout / place order"
SEARCH = "checkout / search"


def profile(**extra: object) -> LoadProfile:
    return LoadProfile.model_validate(
        {"profile": "p", "stages": [{"duration": "60s", "rate": "2/s"}], "mix": {"checkout": 1}}
        | extra
    )


def journey(step_p95: str | None = None):  # type: ignore[no-untyped-def]
    document = {
        "journey": "checkout",
        "http": [
            {"name": "search", "request": {"url": "/s"}},
            {"name": "place order", "request": {"url": "/o"}},
        ],
    }
    if step_p95:
        document["slo"] = {"steps": {"place order": {"p95": step_p95}}}
    return load_journey_text(yaml.safe_dump(document), path="checkout.yaml")


def outcome(
    outstanding: dict[str, int], seconds: int, passed: dict[str, int] | None = None
) -> RehearsalOutcome:
    """`seconds` of samples up to NOW with `outstanding` requests, `passed` successes each."""
    measured = RehearsalOutcome(plan_stages(profile()))
    for t in range(NOW - seconds, NOW + 1):
        measured.in_flight[t] = {"worker-1": dict(outstanding)}
        measured.passed_steps[t] = Counter(passed or {})
    return measured


def test_a_step_outstanding_throughout_with_no_success_is_a_hang() -> None:
    windows = HangWindows.of(profile(), [journey()], 1.0)
    reason = hang_reason(windows, 30.0, outcome({CHECKOUT: 4, SEARCH: 0}, 12), NOW)
    assert reason == f"no request of {CHECKOUT} succeeded for 10s while 4 were outstanding"


def test_one_success_in_the_window_is_no_hang() -> None:
    windows = HangWindows.of(profile(), [journey()], 1.0)
    measured = outcome({CHECKOUT: 4}, 12)
    measured.passed_steps[NOW - 3][CHECKOUT] = 1
    assert hang_reason(windows, 30.0, measured, NOW) is None


def test_a_slow_healthy_step_and_a_gap_in_outstanding_are_no_hang() -> None:
    windows = HangWindows.of(profile(), [journey()], 1.0)
    # a healthy step is outstanding all the time, and succeeds every second
    busy = outcome({SEARCH: 30}, 12, passed={SEARCH: 50})
    assert hang_reason(windows, 30.0, busy, NOW) is None
    # nothing outstanding at one sample: the step was not waiting on the target throughout
    gap = outcome({CHECKOUT: 2}, 12)
    gap.in_flight[NOW - 5] = {"worker-1": {}}
    assert hang_reason(windows, 30.0, gap, NOW) is None


def test_the_hang_window_scales_has_a_floor_and_respects_the_step_objective() -> None:
    scaled = HangWindows.of(profile(), [journey()], 0.05)
    assert scaled.window(CHECKOUT) == 3.0  # 10 s x 0.05, floored at 3 s
    slow = HangWindows.of(profile(), [journey(step_p95="8s")], 0.05)
    assert slow.window(CHECKOUT) == 8.0 and slow.window(SEARCH) == 3.0
    assert hang_reason(slow, 30.0, outcome({CHECKOUT: 1}, 6), NOW) is None  # 6 s < 8 s
    off = HangWindows.of(profile(abort_if={"hang": False}), [journey()], 1.0)
    assert off.window(CHECKOUT) is None
    assert hang_reason(off, 30.0, outcome({CHECKOUT: 4}, 30), NOW) is None


def test_the_hang_rail_waits_for_a_whole_window_since_the_start() -> None:
    windows = HangWindows.of(profile(), [journey()], 1.0)
    assert hang_reason(windows, 9.0, outcome({CHECKOUT: 4}, 12), NOW) is None


def test_the_throughput_floor_fires_below_half_the_asked_rate() -> None:
    rail = AbortIf()
    asked = {t: 2.0 for t in range(NOW - 40, NOW)}
    healthy = dict.fromkeys(range(NOW - 40, NOW), 2)
    assert floor_reason(rail, 30.0, 40.0, asked, healthy, NOW) is None
    frozen = {t: (2 if t < NOW - 20 else 0) for t in range(NOW - 40, NOW)}
    reason = floor_reason(rail, 30.0, 40.0, asked, frozen, NOW)
    assert reason == (
        "20 iterations completed over the last 30s of 60 asked (33%), "
        "below the throughput floor of 50%"
    )
    off = AbortIf(throughput_floor="off")  # type: ignore[arg-type]
    assert floor_reason(off, 30.0, 40.0, asked, frozen, NOW) is None
    nothing_asked = dict.fromkeys(range(NOW - 40, NOW), 0.0)
    assert floor_reason(rail, 30.0, 40.0, nothing_asked, {}, NOW) is None
