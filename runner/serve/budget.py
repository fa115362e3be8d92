"""Error budgets and burn rates of each SLI, read from serve's history.

The burn rate is the Google SRE workbook's ("Alerting on SLOs"): the error rate over a window
divided by the error rate the objective allows, (bad / total) / (1 − target). At 1 the budget
lasts exactly the SLO window; a multiwindow alert pages at, say, 14.4 over both 1 h and 5 m.
Sloth and Pyrra compute the same ratio with PromQL over Prometheus counters; serve computes it
from its SQLite history instead, so that a restart keeps three days of burn and thirty days of
budget, and publishes it as gauges beside the counters PromQL can use.

No events is no figure (None), never a rate of 0: a dead probe must not read as a healthy one,
and the metrics layer leaves such a series out. Imports serve's history, series and SLIs only.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from runner.serve.history import History
from runner.serve.series import Series
from runner.serve.slis import Sli

# The windows of the workbook's multiwindow, multi-burn-rate alerts (and Sloth's): each long
# window with its short twelfth (1 h with 5 m, 6 h with 30 m, 1 d with 2 h, 3 d with 6 h).
BURN_WINDOWS: dict[str, float] = {
    "5m": 300.0,
    "30m": 1800.0,
    "1h": 3600.0,
    "2h": 7200.0,
    "6h": 21600.0,
    "1d": 86400.0,
    "3d": 259200.0,
}


@dataclass(frozen=True, slots=True)
class Budget:
    """One SLI of one series over the SLO window, with its burn rate over each burn window."""

    series: Series
    sli: Sli
    window_s: float  # the SLO window (30 d by default)
    good: int  # over the SLO window
    total: int
    compliance: float | None  # good / total; None with no events (no data never passes)
    remaining: float | None  # 1 - (1 - compliance) / (1 - target); may go below 0
    burn: dict[str, float | None]  # per burn window: error rate / (1 - target); None: no events
    events: dict[str, int]  # per burn window: how many events it holds


def burn_rate(good: int, total: int, target: float) -> float | None:
    """How fast `target`'s error budget burns: (bad / total) / (1 − target).

    None with no events. A 100 % objective has no budget: 0.0 while nothing is bad, +inf from
    the first bad event. Raises ValueError when `good` is outside 0..`total`.
    """
    if not 0 <= good <= total:
        raise ValueError(f"expected 0 <= good <= total, got good {good}, total {total}")
    if total == 0:
        return None
    bad = total - good
    if target >= 1.0:
        return 0.0 if bad == 0 else math.inf
    return (bad / total) / (1.0 - target)


def remaining_budget(good: int, total: int, target: float) -> float | None:
    """The share of the error budget left: 1 - (1 - compliance) / (1 - target).

    1 untouched, 0 spent, below 0 overspent; None with no events. A 100 % objective has
    1.0 left while nothing is bad and 0.0 after, as runner.slo.objectives judges it.
    """
    rate = burn_rate(good, total, target)
    if rate is None:
        return None
    if target >= 1.0:
        return 1.0 if rate == 0.0 else 0.0
    return 1.0 - rate  # (1 - compliance) / (1 - target) is the burn over the whole window


def budgets(
    history: History,
    slis: Mapping[Series, Sequence[Sli]],
    *,
    now: float,
    window_s: float,
) -> list[Budget]:
    """The budget of every SLI of every series at `now`, over `window_s` and each burn window.

    In the order of `slis` and of each series' SLIs. One query per window, whatever the number
    of series; each window's start is counted as History.window_totals counts it (from the
    start of the minute, or beyond three days the hour, holding it).
    """
    whole = history.window_totals(now - window_s)
    windows = {name: history.window_totals(now - span) for name, span in BURN_WINDOWS.items()}
    out = []
    for series, series_slis in slis.items():
        for sli in series_slis:
            key = (series, sli.objective)
            good, total = whole.get(key, (0, 0))
            counted = {name: totals.get(key, (0, 0)) for name, totals in windows.items()}
            out.append(
                Budget(
                    series=series,
                    sli=sli,
                    window_s=window_s,
                    good=good,
                    total=total,
                    compliance=good / total if total else None,
                    remaining=remaining_budget(good, total, sli.target),
                    burn={name: burn_rate(g, t, sli.target) for name, (g, t) in counted.items()},
                    events={name: t for name, (_, t) in counted.items()},
                )
            )
    return out
