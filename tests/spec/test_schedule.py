"""A journey's `schedule:`: what loads, what is refused (file:line:column), what a cron means."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from runner.errors import SpecError
from runner.serve.triggers import Plan
from runner.spec import load_journey_text
from runner.spec.schedule import Schedule

FLOW = "http:\n  - name: home\n    request: {url: /}\n"


def schedule_of(line: str) -> Schedule | None:
    return load_journey_text(f"journey: j\n{line}\n{FLOW}", path="j.yaml").spec.schedule


def problem(line: str) -> str:
    with pytest.raises(SpecError) as caught:
        schedule_of(line)
    return str(caught.value.problems[0])


def test_every_and_cron_load_and_a_journey_without_one_runs_each_minute() -> None:
    assert schedule_of("schedule: {every: 30s, jitter: 2s}") == Schedule(every=30, jitter=2)
    assert schedule_of('schedule: {cron: "*/5 * * * *"}') == Schedule(cron="*/5 * * * *")
    plan = Plan.of(schedule_of(""))
    assert (plan.every_s, plan.jitter_s) == (60.0, 6.0)  # a tenth of the interval


@pytest.mark.parametrize(
    ("line", "says"),
    [
        ("schedule: {every: 30s, cron: '* * * * *'}", "exactly one of every: or cron:"),
        ("schedule: {}", "exactly one of every: or cron:"),
        ("schedule: {every: 0s}", "greater than 0"),
        ("schedule: {every: 10s, jitter: 6s}", "more than half of every 10s"),
        ("schedule: {cron: '61 * * * *'}", "invalid cron expression '61 * * * *'"),
        ("schedule: {cron: '* * *'}", "5 fields"),
        ("schedule: {cron: '0 0 * * 8'}", "0 and 7 are Sunday"),
        ("schedule: {every: soon}", "expected a duration"),
    ],
)
def test_a_bad_schedule_is_one_line_naming_file_line_and_field(line: str, says: str) -> None:
    text = problem(line)
    assert text.startswith("j.yaml:2:"), text
    assert "schedule" in text and says in text, text


def test_cron_weekdays_mean_what_cron_means_not_apschedulers_monday_zero() -> None:
    monday_9 = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)  # a Monday
    plan = Plan.of(Schedule(cron="0 9 * * 0"))  # Sundays at 09:00
    fire = plan.trigger(0, 1, monday_9).get_next_fire_time(None, monday_9)
    assert fire == datetime(2026, 12, 6, 9, 0, tzinfo=UTC)  # the next Sunday
    weekdays = Plan.of(Schedule(cron="30 8 * * 1-5"))
    saturday = datetime(2026, 12, 5, 9, 0, tzinfo=UTC)
    fire = weekdays.trigger(0, 1, saturday).get_next_fire_time(None, saturday)
    assert fire == datetime(2026, 12, 7, 8, 30, tzinfo=UTC)  # Monday, not Sunday
    assert weekdays.interval_s(saturday) == 86400.0


def test_journeys_on_one_interval_start_spread_across_it() -> None:
    now = datetime(2026, 12, 1, tzinfo=UTC)
    plan = Plan.of(Schedule(every=10, jitter=0))
    starts = [plan.trigger(i, 4, now).get_next_fire_time(None, now) for i in range(4)]
    offsets = [(s - now).total_seconds() for s in starts]
    assert offsets == [0.0, 2.5, 5.0, 7.5]
