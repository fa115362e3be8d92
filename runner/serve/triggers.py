"""A journey's schedule as an APScheduler trigger, phased and jittered.

Why both a phase and jitter: ten journeys every second, all started at once, would fire in
the same instant each second and measure the shop's response to a burst we made. Each job
starts at its own offset within the interval (spread evenly by its position), and each fire
moves by up to `jitter` at random, so several serves (regions) probing one shop drift apart too.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from runner.spec.schedule import DEFAULT_EVERY_S, Schedule, cron_fields

DEFAULT_JITTER_SHARE = 0.1  # of the interval, when the schedule does not say
MAX_DEFAULT_JITTER_S = 30.0


@dataclass(frozen=True, slots=True)
class Plan:
    """How often one journey runs: every `every_s`, or on `cron`; fires move by up to `jitter_s`."""

    every_s: float | None
    cron: str | None
    jitter_s: float

    @classmethod
    def of(cls, schedule: Schedule | None, override: Schedule | None = None) -> Plan:
        """The plan for a journey's own `schedule:`; `override` (--every, --cron) wins."""
        chosen = override or schedule or Schedule(every=DEFAULT_EVERY_S)
        jitter = chosen.jitter
        if jitter is None:
            jitter = min(DEFAULT_JITTER_SHARE * chosen.every, MAX_DEFAULT_JITTER_S) if (
                chosen.every is not None
            ) else 0.0
        return cls(chosen.every, chosen.cron, jitter)

    def describe(self) -> str:
        """`every 30s ±3s` or `cron */5 * * * * ±0s`, for the start-up line and the page."""
        when = f"every {self.every_s:g}s" if self.every_s is not None else f"cron {self.cron}"
        return f"{when} ±{self.jitter_s:g}s" if self.jitter_s else when

    def trigger(self, position: int, count: int, now: datetime) -> BaseTrigger:
        """The trigger of the `position`-th of `count` jobs; interval jobs phased apart."""
        jitter = self.jitter_s or None
        if self.cron is not None:
            return CronTrigger(**cron_fields(self.cron), timezone=UTC, jitter=jitter)
        assert self.every_s is not None
        phase = self.every_s * position / max(count, 1)
        start = now + timedelta(seconds=phase)
        return IntervalTrigger(seconds=self.every_s, start_date=start, timezone=UTC, jitter=jitter)

    def interval_s(self, now: datetime) -> float:
        """Seconds to the next fire after `now` (a cron's next gap), for rechecks' spacing."""
        if self.every_s is not None:
            return self.every_s
        trigger = CronTrigger(**cron_fields(self.cron or "* * * * *"), timezone=UTC)
        first = trigger.get_next_fire_time(None, now)
        second = trigger.get_next_fire_time(first, first + timedelta(seconds=1)) if first else None
        if first is None or second is None:
            return DEFAULT_EVERY_S
        return float((second - first).total_seconds())

