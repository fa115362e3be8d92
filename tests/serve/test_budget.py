from __future__ import annotations

import math
from pathlib import Path

import pytest

from runner.results import JourneyRun, StepResult
from runner.serve.budget import BURN_WINDOWS, budgets, burn_rate, remaining_budget
from runner.serve.history import History
from runner.serve.series import Series
from runner.serve.slis import Sli, slis_of
from runner.spec import load_journey_text
from runner.vocabulary import FAILED, PASSED, Outcome

NOW = 1_800_000_000.0
WINDOW = 30 * 86400.0
CHECKOUT = Series("checkout", "http", "prod", "", "web")
IDLE = Series("checkout", "http", "staging", "", "web")
JOURNEY = load_journey_text(
    """
journey: checkout
slo:
  success: 99.5%
  latency: {max: 3s}
http:
  - name: pay
    request: {url: /pay}
""",
    path="checkout.yaml",
).spec
SLIS = slis_of(JOURNEY, "http")


def run(ended: float, *, passed: bool = True, duration: float = 1.0) -> JourneyRun:
    outcome: Outcome = PASSED if passed else FAILED
    step = StepResult("checkout", "pay", "http", outcome, ended - duration, duration)
    return JourneyRun("checkout", "http", 0, ended - duration, duration, (step,))


def record(h: History, ended: float, *, passed: bool = True) -> None:
    r = run(ended, passed=passed)
    h.record(CHECKOUT, r, "scheduled", {sli.objective: sli.count(r) for sli in SLIS})


def test_one_bad_event_in_100_burns_a_99_5_percent_budget_at_twice_the_rate() -> None:
    assert burn_rate(99, 100, 0.995) == pytest.approx(2.0)
    assert burn_rate(100, 100, 0.995) == 0.0
    assert burn_rate(0, 10, 0.9) == pytest.approx(10.0)


def test_a_100_percent_objective_burns_at_infinity_from_the_first_bad_event() -> None:
    assert burn_rate(99, 100, 1.0) == math.inf
    assert burn_rate(100, 100, 1.0) == 0.0
    assert remaining_budget(99, 100, 1.0) == 0.0
    assert remaining_budget(100, 100, 1.0) == 1.0


def test_no_events_is_no_figure_never_zero() -> None:
    assert burn_rate(0, 0, 0.995) is None
    assert burn_rate(0, 0, 1.0) is None
    assert remaining_budget(0, 0, 0.995) is None


def test_the_budget_left_may_go_below_zero() -> None:
    assert remaining_budget(99, 100, 0.995) == pytest.approx(-1.0)
    assert remaining_budget(999, 1000, 0.995) == pytest.approx(0.8)
    assert remaining_budget(995, 1000, 0.995) == pytest.approx(0.0)


def test_more_good_events_than_events_is_refused() -> None:
    with pytest.raises(ValueError, match="good <= total"):
        burn_rate(3, 2, 0.99)


def test_budgets_read_the_history_over_the_slo_window_and_each_burn_window(
    tmp_path: Path,
) -> None:
    path = tmp_path / "h.db"
    with History(path, retention_s=WINDOW, clock=lambda: NOW) as h:
        for i in range(100):  # the last 100 minutes, one failure 90 minutes ago
            record(h, NOW - 60 * i - 30, passed=i != 90)
        record(h, NOW - 10 * 86400, passed=False)  # ten days ago: the SLO window only
        found = budgets(h, {CHECKOUT: SLIS, IDLE: SLIS}, now=NOW, window_s=WINDOW)
    assert [(b.series, b.sli.objective) for b in found] == [
        (CHECKOUT, "success"),
        (CHECKOUT, "latency max"),
        (IDLE, "success"),
        (IDLE, "latency max"),
    ]
    success, latency, idle, _ = found
    assert (success.good, success.total) == (99, 101)
    assert success.compliance == pytest.approx(99 / 101)
    assert success.remaining == pytest.approx(1 - (2 / 101) / 0.005)
    assert success.events["5m"] == 5 and success.burn["5m"] == 0.0
    assert success.events["1h"] == 60 and success.burn["1h"] == 0.0
    assert success.events["2h"] == 100
    assert success.burn["2h"] == pytest.approx((1 / 100) / 0.005)
    assert success.burn["3d"] == pytest.approx(2.0)
    assert set(success.burn) == set(success.events) == set(BURN_WINDOWS)
    assert latency.total == 101 and latency.burn["3d"] == 0.0  # every run within 3 s
    assert idle.total == 0 and idle.compliance is None and idle.remaining is None
    assert set(idle.burn.values()) == {None} and set(idle.events.values()) == {0}


def test_budgets_survive_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "h.db"
    with History(path, retention_s=WINDOW) as h:
        for i in range(30):
            record(h, NOW - 120 * i, passed=i % 10 != 4)
        before = budgets(h, {CHECKOUT: SLIS}, now=NOW, window_s=WINDOW)
    with History(path, retention_s=WINDOW) as h:
        assert budgets(h, {CHECKOUT: SLIS}, now=NOW, window_s=WINDOW) == before
    assert before[0].burn["1h"] == pytest.approx((3 / 30) / 0.005)
    assert before[0].events["30m"] == 16  # ended 0 … 30 minutes ago
    assert before[0].burn["30m"] == pytest.approx((2 / 16) / 0.005)


def test_an_sli_the_history_never_saw_has_no_figures(tmp_path: Path) -> None:
    unseen = Sli("step pay p99", "latency", "pay", 1.0, 0.99)
    with History(tmp_path / "h.db", retention_s=WINDOW) as h:
        record(h, NOW - 30)
        (budget,) = budgets(h, {CHECKOUT: [unseen]}, now=NOW, window_s=WINDOW)
    assert budget.total == 0 and budget.compliance is None and budget.burn["5m"] is None
