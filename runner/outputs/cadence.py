"""How often a journey is probed, as its alerts need it: the usual gap, and the longest one.

A stale-probe alert must wait longer than the longest gap between two runs, or a weekday cron
pages every Saturday; a burn alert's arithmetic needs the shortest gap, the number of runs an
hour holds. Both come from the journey's own `schedule:` as serve reads it (Plan.of: every
minute without one). A cron's gaps are read from its fires over a month from a fixed Monday,
so the rules generated are the same whenever they are generated. Also here: the load-time
warning for a schedule too coarse for its objective, where one failed run already pages.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from apscheduler.triggers.cron import CronTrigger

from runner.outputs.promql import PAIRS, WINDOWS, percent
from runner.serve.slis import Sli
from runner.serve.triggers import Plan
from runner.spec.journey import Journey
from runner.spec.schedule import cron_fields

_CRON_FROM = datetime(2024, 1, 1, tzinfo=UTC)  # a Monday: the gaps of a fixed stretch of time
_CRON_SPAN = timedelta(days=32)  # a month and a weekend: monthly and weekday crons show theirs
_CRON_MOST_FIRES = 2000  # a cron every minute shows its gaps within a day and a half


@dataclass(frozen=True, slots=True)
class Cadence:
    """The shortest and the longest gap between two scheduled runs of a journey, seconds."""

    shortest_s: float
    longest_s: float


def cadence_of(journey: Journey) -> Cadence:
    """The journey's gaps between runs under its `schedule:` (every 60 s without one)."""
    plan = Plan.of(journey.schedule)
    if plan.every_s is not None:
        return Cadence(plan.every_s, plan.every_s)
    trigger = CronTrigger(**cron_fields(plan.cron or "* * * * *"), timezone=UTC)
    fires: list[datetime] = []
    fire = trigger.get_next_fire_time(None, _CRON_FROM)
    while fire is not None and fire < _CRON_FROM + _CRON_SPAN and len(fires) < _CRON_MOST_FIRES:
        fires.append(fire)
        fire = trigger.get_next_fire_time(fire, fire + timedelta(microseconds=1))
    if fire is not None:
        fires.append(fire)  # the gap across the span's end, for a cron that fires yearly
    gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(fires)]
    if not gaps:
        return Cadence(plan.interval_s(_CRON_FROM), plan.interval_s(_CRON_FROM))
    return Cadence(min(gaps), max(gaps))


def coarse_warnings(
    journey: Journey, slis: Sequence[Sli], factor_1h: float = PAIRS[0].factor()
) -> list[str]:
    """One line per objective that a single failed run pages for, at this journey's schedule.

    One bad event among the runs an hour holds is a burn of (interval / 1 h) / (1 − target);
    at `factor_1h` (14.4× for a 30-day window) or more, one failure pages, which the user
    should choose knowingly: probe more often, or accept it. A 100 % objective pages on any
    bad event whatever the schedule (that is what it says), so it gets no warning.
    """
    interval = cadence_of(journey).shortest_s
    lines, seen = [], set()
    for sli in slis:
        budget = 1 - sli.target
        if budget <= 0 or sli.objective in seen:
            continue
        burn = min(interval, WINDOWS["1h"]) / WINDOWS["1h"] / budget
        if burn >= factor_1h:
            seen.add(sli.objective)
            lines.append(
                f"{journey.name}: {sli.objective}: a {percent(sli.target)} objective probed "
                f"every {interval:g} s pages on one failed run (one failure in 1 h is a "
                f"{burn:.1f}× burn)"
            )
    return lines
