"""Serve's page at `/`: each probe's status now, its runs over time, and its error budgets.

What an on-call engineer opens from an alert's link: which journeys fail, since when, at which
step and why (scrubbed of secrets before it was stored), whether rechecks confirm it, and how
much of each SLO's budget is left over the window, with the number of events each figure rests
on (a budget over twelve runs says so). Self-contained HTML, as the reports are: inline CSS, no
script, no request to any other host; it reloads itself every 15 s.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache

import jinja2

from runner.serve.budget import Budget
from runner.serve.history import History, RunRow, SeriesTotals
from runner.serve.series import Series

STRIP_RUNS = 60  # runs shown per probe, newest last
BURN_SHOWN = ("1h", "6h", "1d", "3d")


@dataclass(frozen=True, slots=True)
class ProbeView:
    """One probe's row on the page."""

    anchor: str
    series: Series
    plan: str
    next_fire: str
    status: str  # passed | failed | error | no data
    since: str
    runs: Sequence[RunRow]  # oldest first
    totals: SeriesTotals | None
    last_failure: RunRow | None
    budgets: Sequence[Budget]


def anchor_of(series: Series) -> str:
    """The page's fragment for a series: `#checkout-http-prod`, what alert links point at."""
    raw = "-".join(filter(None, (series.journey, series.engine, series.target, series.tenant)))
    return "".join(c if c.isalnum() else "-" for c in raw.lower()).strip("-")


def probe_view(
    history: History,
    series: Series,
    plan: str,
    next_fire: datetime | None,
    totals: SeriesTotals | None,
    budgets: Sequence[Budget],
) -> ProbeView:
    recent = history.recent(series, STRIP_RUNS)
    last = recent[0] if recent else None
    failure = next((row for row in recent if row.outcome != "passed"), None)
    since = ""
    if last is not None:
        passing = last.outcome == "passed"
        streak = list(itertools.takewhile(lambda r: (r.outcome == "passed") == passing, recent))
        since = _when(streak[-1].ended)
        if len(streak) == STRIP_RUNS:  # the strip's oldest run: it may have begun earlier
            since = f"at least {since}"
    return ProbeView(
        anchor=anchor_of(series),
        series=series,
        plan=plan,
        next_fire=next_fire.strftime("%H:%M:%S UTC") if next_fire is not None else "—",
        status=last.outcome if last is not None else "no data",
        since=since,
        runs=list(reversed(recent)),
        totals=totals,
        last_failure=failure,
        budgets=budgets,
    )


def render_page(
    views: Sequence[ProbeView],
    *,
    started: float,
    location: str,
    window_s: float,
    in_flight: dict[str, int],
    limits: dict[str, int],
) -> str:
    failing = sum(1 for v in views if v.status not in ("passed", "no data"))
    return _template().render(
        views=views,
        failing=failing,
        started=_when(started),
        now=_when(time.time()),
        location=location,
        window=_duration(window_s),
        in_flight=in_flight,
        limits=limits,
        burn_shown=BURN_SHOWN,
        percent=_percent,
        when=_when,
        figure=_figure,
    )


@cache
def _template() -> jinja2.Template:
    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("runner.serve", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )
    return environment.get_template("page.html.j2")


def _when(epoch: float | None) -> str:
    if epoch is None:
        return "—"
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _percent(ratio: float | None) -> str:
    if ratio is None:
        return "no data"
    return f"{ratio * 100:.3g} %" if abs(ratio) < 1 else f"{ratio * 100:.4g} %"


def _figure(value: float | None) -> str:
    if value is None:
        return "—"
    if value == float("inf"):
        return "∞"
    return f"{value:.3g}×"


def _duration(seconds: float) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{seconds / size:g}{unit}"
    return f"{seconds:g}s"
