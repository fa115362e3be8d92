"""A canary's metric family, and the samples each arm gives it.

Per journey and engine: the journey's latency; the latency of each step with its own latency
objective; freshness where the journey has an objective for it and the flow polls; errors (runs
that did not pass, of all runs); and the slow share (passed runs above the journey's latency
threshold) where the journey has a latency objective. Steps without an objective are left out
on purpose: every metric costs the others power (each is tested at α/m), and a step without an
objective is one nobody promised anything about.

Latency samples come from passed runs only (a failed run's time is the time to its failure,
which the errors metric judges); a step's from the runs where that step passed. Kept as plain
lists: a canary holds at most looks × iterations runs per arm, thousands, not millions.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from runner.document import CanaryMetricKind
from runner.results import JourneyRun
from runner.spec.journey import Journey
from runner.vocabulary import PASSED, Engine

SLOW_KEYS = ("p95", "p99", "p90", "max", "p75", "p50")  # the journey threshold the slow share uses


@dataclass(frozen=True, slots=True)
class MetricSpec:
    """One member of the family: which journey, engine, step and kind."""

    journey: str
    engine: Engine
    kind: CanaryMetricKind
    step: str | None = None
    threshold_s: float | None = None  # the slow share's latency threshold

    @property
    def name(self) -> str:
        """As reasons say it: "checkout › place order latency", "cart errors"."""
        where = f"{self.journey} › {self.step}" if self.step else self.journey
        words = {"latency": "latency", "freshness": "freshness", "errors": "errors"}
        return f"{where} {words.get(self.kind, 'slow share')}"

    @property
    def counts(self) -> bool:
        """Judged by the count test (errors, slow share), not the shift test."""
        return self.kind in ("errors", "slow")


def family_of(journey: Journey, engine: Engine) -> list[MetricSpec]:
    """The metrics of one journey on one engine, in the order reasons list them."""
    slo = journey.slo
    flow = journey.http if engine == "http" else journey.browser
    names = {step.name for step in flow}
    family = [MetricSpec(journey.name, engine, "latency")]
    if slo is not None:
        for step, step_slo in slo.steps.items():
            if step in names and step_slo.bounds():
                family.append(MetricSpec(journey.name, engine, "latency", step))
        if slo.freshness is not None and any(step.until for step in flow):
            family.append(MetricSpec(journey.name, engine, "freshness"))
    family.append(MetricSpec(journey.name, engine, "errors"))
    threshold = slow_threshold(journey)
    if threshold is not None:
        family.append(MetricSpec(journey.name, engine, "slow", threshold_s=threshold))
    return family


def slow_threshold(journey: Journey) -> float | None:
    """The journey's latency threshold: its p95 bound, else the next tail bound declared."""
    if journey.slo is None or journey.slo.latency is None:
        return None
    bounds = dict(journey.slo.latency.bounds())
    return next((bounds[key] for key in SLOW_KEYS if key in bounds), None)


@dataclass(slots=True)
class ArmSamples:
    """What one arm's runs of one journey on one engine gave the family so far."""

    attempts: int = 0
    failures: int = 0
    latency: list[float] = field(default_factory=list)  # passed runs, seconds
    steps: dict[str, list[float]] = field(default_factory=dict)  # passed steps, seconds
    freshness: list[float] = field(default_factory=list)  # passed runs' largest freshness

    def add(self, run: JourneyRun) -> None:
        self.attempts += 1
        for step in run.steps:
            if step.outcome == PASSED:
                self.steps.setdefault(step.step, []).append(step.duration_s)
        if run.outcome != PASSED:
            self.failures += 1
            return
        self.latency.append(run.duration_s)
        fresh = [s.freshness_s for s in run.steps if s.freshness_s is not None]
        if fresh:
            self.freshness.append(max(fresh))

    def seconds(self, spec: MetricSpec) -> list[float]:
        """The samples of a latency or freshness metric."""
        if spec.kind == "freshness":
            return self.freshness
        if spec.step is not None:
            return self.steps.get(spec.step, [])
        return self.latency

    def events(self, spec: MetricSpec) -> tuple[int, int]:
        """(events, attempts) of a count metric: failed runs of all, or slow of passed ones."""
        if spec.kind == "errors":
            return self.failures, self.attempts
        threshold = spec.threshold_s if spec.threshold_s is not None else float("inf")
        return sum(1 for value in self.latency if value > threshold), len(self.latency)
