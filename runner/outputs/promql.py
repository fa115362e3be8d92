"""The PromQL of one SLO over `journey serve`'s series: its bad events' share over a window.

`journey rules` and `journey rules --format openslo` both ask which of serve's series count an
objective's events, so the question is answered here once, for the very objectives serve
judges (runner.serve.slis): a success objective counts failed runs (or a step's failures) among
all runs (the step's attempts); a latency or freshness objective counts the samples within its
threshold, read at the histogram bucket whose `le` is the threshold (serve puts a bound at
every threshold, spelt as prometheus_client spells the float: "4.0", "0.5"). Ratios are
`sum by` the labels a probe is told apart by (never `channel`, a property of the journey, nor
`job`/`instance`, which say who scraped it), so one probe's series agree whoever scrapes it.

A window without events gives 0/0, NaN: every comparison with NaN is false, so no-data never
fires a burn alert, and never reads as healthy either, which is what the stale and absent
alerts of runner/outputs/rules.py are for. Imports spec and serve's SLI model only.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Literal

from prometheus_client.utils import floatToGoString

from runner.serve.budget import BURN_WINDOWS
from runner.serve.slis import Sli
from runner.spec.journey import Journey
from runner.spec.thresholds import journey_bounds
from runner.vocabulary import Engine

BY = "journey, engine, target, tenant, location"  # what tells one probe's series apart

# The windows recording rules keep, short to long: those of the four alert pairs below, the
# same windows serve exports its burn-rate gauges for.
WINDOWS: dict[str, float] = BURN_WINDOWS
DEFAULT_WINDOW_S = 30 * 86400.0  # the SLO window the SRE workbook's factors are for


@dataclass(frozen=True, slots=True)
class BurnPair:
    """One of the SRE workbook's multiwindow alerts: a long and a short window, one severity.

    `budget_share` is how much of the SLO window's budget a burn spends over `long` before it
    alerts: 2 % in 1 h is 14.4× for a 30-day window (`factor`). The short window (a twelfth of
    the long one) stops the alert soon after the burn stops; `hold` is the rule's `for:`.
    """

    long: str
    short: str
    budget_share: float
    severity: Literal["page", "ticket"]
    hold: str

    @property
    def name(self) -> str:
        """`1h5m`: what the alert's name ends with."""
        return f"{self.long}{self.short}"

    def factor(self, window_s: float = DEFAULT_WINDOW_S) -> float:
        """The burn rate that fires: 14.4, 6, 3 and 1 for a 30-day window."""
        return round(self.budget_share * window_s / WINDOWS[self.long], 4)


PAIRS: tuple[BurnPair, ...] = (
    BurnPair("1h", "5m", 0.02, "page", "2m"),
    BurnPair("6h", "30m", 0.05, "page", "15m"),
    BurnPair("1d", "2h", 0.10, "ticket", "1h"),  # Sloth's, between the workbook's two
    BurnPair("3d", "6h", 0.10, "ticket", "3h"),
)


@dataclass(frozen=True, slots=True)
class SliSeries:
    """Which of serve's series count one SLI's events: its good (or bad) ones, and all of them."""

    counted: str  # a counter, or a histogram's bucket at the threshold
    counted_labels: tuple[tuple[str, str], ...]
    counts: Literal["good", "bad"]
    total: str
    total_labels: tuple[tuple[str, str], ...]
    good_labels: tuple[tuple[str, str], ...] | None = None  # when `total` has a good series too

    def error_ratio(self, window: str) -> str:
        """The share of bad events over `window`, per probe: NaN for a window without events."""
        counted = _rate(self.counted, self.counted_labels, window)
        total = _rate(self.total, self.total_labels, window)
        if self.counts == "bad":
            return f"{counted}\n/\n{total}"
        return f"1 - (\n  {counted}\n  /\n  {total}\n)"

    def good_and_total(self) -> tuple[str, str]:
        """OpenSLO's `good` and `total` queries: counters summed over every probe of the flow."""
        counted = f"sum({self.counted}{selector(self.counted_labels)})"
        total = f"sum({self.total}{selector(self.total_labels)})"
        if self.counts == "good":
            return counted, total
        if self.good_labels is not None:
            return f"sum({self.total}{selector(self.good_labels)})", total
        return f"{total} - {counted}", total


def sli_series(journey: Journey, engine: Engine, sli: Sli) -> SliSeries | None:
    """The series of `sli` of `journey`'s `engine` flow; None when serve exports none for it.

    Serve keeps one freshness histogram per probe, of every `until:` step: a step's freshness
    objective is read from it only when that step is the flow's one polling step (None
    otherwise, and the caller says so). Raises ValueError when a threshold has no bucket,
    which would be a bug of ours: serve puts a bound at every threshold of the journey.
    """
    probe: tuple[tuple[str, str], ...] = (("journey", journey.name), ("engine", engine))
    if sli.kind == "success":
        if sli.step is None:
            failed, passed = (*probe, ("result", "failure")), (*probe, ("result", "success"))
            runs = "journey_runs_total"
            return SliSeries(runs, failed, "bad", runs, probe, good_labels=passed)
        step = (*probe, ("step", sli.step))
        return SliSeries(
            "journey_step_failures_total", step, "bad", "journey_step_latency_seconds_count", step
        )
    family, labels = "journey_latency_seconds", probe
    if sli.kind == "latency" and sli.step is not None:
        family, labels = "journey_step_latency_seconds", (*probe, ("step", sli.step))
    elif sli.kind == "freshness":
        family = "journey_freshness_seconds"
        flow = journey.http if engine == "http" else journey.browser
        polling = [step.name for step in flow if getattr(step, "until", None)]
        if sli.step is not None and polling != [sli.step]:
            return None
    return SliSeries(
        f"{family}_bucket",
        (*labels, ("le", bucket_of(journey, sli))),
        "good",
        f"{family}_count",
        labels,
    )


def bucket_of(journey: Journey, sli: Sli) -> str:
    """The `le` label of the bucket at `sli`'s threshold, as serve's /metrics spells it."""
    threshold = sli.threshold_s
    if threshold is None or threshold not in journey_bounds(journey):
        raise ValueError(f"{journey.name}: {sli.objective} has no bucket at its threshold")
    spelt: str = floatToGoString(threshold)  # type: ignore[no-untyped-call]
    return spelt


def selector(labels: tuple[tuple[str, str], ...]) -> str:
    """`{journey="checkout", engine="http"}`: label values quoted as PromQL reads them."""
    return "{" + ", ".join(f"{name}={quote(value)}" for name, value in labels) + "}"


def quote(value: str) -> str:
    """A PromQL string literal: JSON's escapes are Go's, which PromQL's lexer reads."""
    return json.dumps(value, ensure_ascii=False)


def number(value: float) -> str:
    """A float as PromQL reads it, without binary noise: 0.005, not 0.0050000000000000044; 6."""
    return f"{round(value, 12):.12g}"


def percent(target: float) -> str:
    """`99.9 %`, `95 %`: an objective as people write it."""
    return f"{round(target * 100, 6):g} %"


def duration(seconds: float) -> str:
    """`30d`, `6h`, `90s`: the largest unit that divides `seconds`, as Prometheus writes them."""
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{int(seconds // size)}{unit}"
    return f"{seconds:g}s"


def _rate(name: str, labels: tuple[tuple[str, str], ...], window: str) -> str:
    return f"sum by ({BY}) (rate({name}{selector(labels)}[{window}]))"
