"""Each objective of a flow as an SLI: good events over all events, counted run by run.

`journey run` judges a tally of runs at once; `journey serve` judges a moving window of runs
that outlives the process, so it keeps, per objective, how many events were good. An event is
what the run's histograms count (runner.results.JourneyTally.add), so PromQL over serve's
histograms and serve's own compliance and burn rates agree:

- success: every run is one event, good when the run passed;
- latency: every run with steps (a failed or timed-out one too), good within the threshold;
- step latency and step success: each result of that step;
- freshness: each result with a freshness (journey level: any step; step level: that step).

A flow's SLIs are exactly the objectives `runner.slo.objectives.evaluate_journey` judges for
it, in the same order, so a probe's report and its burn rates speak of the same objectives.
Imports spec, results, histogram, slo and the vocabulary; nothing else of serve.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

from runner.histogram import QUANTILES
from runner.results import JourneyRun
from runner.slo.objectives import DEFAULT_SLO, DEFAULT_SUCCESS
from runner.spec.journey import Journey
from runner.spec.slo import Percentiles
from runner.vocabulary import ERRORED, FAILED, PASSED, Engine

SliKind = Literal["success", "latency", "freshness"]


@dataclass(frozen=True, slots=True)
class Sli:
    """One objective of one flow as a ratio of good events to all events, over time.

    `target` is the share of events that must be good: the success ratio, or the percentile's
    (p95 → 0.95; max → 1.0, as evaluate_journey allows no sample above a max). A sample at the
    threshold is good, as the exact histogram counts decide (`Histogram.above`).
    """

    objective: str  # bounded label: "success", "latency p95", "step place order p95", …
    kind: SliKind
    step: str | None
    threshold_s: float | None  # None for success
    target: float

    def count(self, run: JourneyRun) -> tuple[int, int]:
        """(good, total) events this run adds (0, 0 when it is no sample of this SLI)."""
        if self.step is None:
            return self._count_run(run)
        good = total = 0
        for step in run.steps:
            if step.step != self.step:
                continue
            if self.kind == "success":
                # as the tally counts failures: a step that neither failed nor erred is good
                good += step.outcome not in (FAILED, ERRORED)
                total += 1
            elif self.kind == "latency":
                good += self._within(step.duration_s)
                total += 1
            elif step.freshness_s is not None:
                good += self._within(step.freshness_s)
                total += 1
        return good, total

    def _count_run(self, run: JourneyRun) -> tuple[int, int]:
        if self.kind == "success":
            return int(run.outcome == PASSED), 1
        if self.kind == "latency":
            return (int(self._within(run.duration_s)), 1) if run.steps else (0, 0)
        freshness = [s.freshness_s for s in run.steps if s.freshness_s is not None]
        return sum(self._within(f) for f in freshness), len(freshness)

    def _within(self, seconds: float) -> bool:
        return self.threshold_s is not None and seconds <= self.threshold_s


def slis_of(journey: Journey, engine: Engine) -> list[Sli]:
    """The SLIs of `journey`'s `engine` flow: one per objective evaluate_journey judges.

    Step objectives only for steps this flow has; journey freshness only when the flow polls
    (`until:`); success at 100 % when the journey declares none. Labels are unique within the
    flow: a label taken already (a step named "pay freshness" beside a step "pay" with a
    freshness bound) gets " (2)", as unnamed browser steps do. Raises nothing: the journey
    was validated when it was loaded.
    """
    slo = journey.slo or DEFAULT_SLO
    flow = journey.http if engine == "http" else journey.browser
    names = {step.name for step in flow}
    success = DEFAULT_SUCCESS if slo.success is None else slo.success
    out = [Sli("success", "success", None, None, success)]
    if slo.latency is not None:
        out += _bounded("latency", "latency", None, slo.latency)
    if slo.freshness is not None and any(step.until for step in flow):
        out += _bounded("freshness", "freshness", None, slo.freshness)
    for name, step_slo in slo.steps.items():
        if name not in names:
            continue  # the step belongs to the journey's other flow
        if step_slo.success is not None:
            out.append(Sli(f"step {name} success", "success", name, None, step_slo.success))
        out += _bounded(f"step {name}", "latency", name, step_slo)
        if step_slo.freshness is not None:
            out += _bounded(f"step {name} freshness", "freshness", name, step_slo.freshness)
    return _unique(out)


def _bounded(prefix: str, kind: SliKind, step: str | None, bounds: Percentiles) -> list[Sli]:
    return [
        Sli(f"{prefix} {stat}", kind, step, limit, 1.0 if stat == "max" else QUANTILES[stat])
        for stat, limit in bounds.bounds()
    ]


def _unique(slis: list[Sli]) -> list[Sli]:
    # Labels key the history's tallies: two objectives sharing one would add up each other's.
    seen: set[str] = set()
    out = []
    for sli in slis:
        label, copy = sli.objective, 1
        while label in seen:
            copy += 1
            label = f"{sli.objective} ({copy})"
        seen.add(label)
        out.append(sli if label == sli.objective else replace(sli, objective=label))
    return out
