"""Seeded in-process canaries: how often the rule rolls back, beside the peers' rules.

The tests and bench/canary_power.py measure the decision rule here rather than trust it: each
simulated canary draws its arms' runs look by look, feeds them to the real FamilyJudge and
`decide` (no SLO judging: the arms are drawn, not probed) and ends where the rule ends it.
On the same samples, three peers are scored on every latency metric:
- fixed z every look: the margin-shifted z against z_{α/m} at every look (no spending);
- fixed horizon: the same z at the last look only;
- Kayenta-style: Mann-Whitney without margin, two-sided at 0.98, re-tested every look, as
  NetflixACAJudge with its hard-coded confidence does at every canary interval.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy import stats

from runner.slo.canary import CanaryPlan, FamilyJudge, decide
from runner.slo.canary_family import ArmSamples, MetricSpec
from runner.slo.shift import ShiftTest, log_samples
from runner.vocabulary import BEYOND_MARGIN, HOLD, PROMOTE, ROLLBACK

KAYENTA_CONFIDENCE = 0.98


@dataclass(frozen=True, slots=True)
class Batch:
    """Runs one arm made in one look: end-to-end seconds, per-step seconds, which failed."""

    latency: np.ndarray
    steps: Mapping[str, np.ndarray]
    failed: np.ndarray  # bool per run

    def add_to(self, arm: ArmSamples) -> None:
        passed = ~self.failed
        arm.attempts += len(self.failed)
        arm.failures += int(self.failed.sum())
        arm.latency.extend(self.latency[passed].tolist())
        for step, seconds in self.steps.items():
            arm.steps.setdefault(step, []).extend(seconds[passed].tolist())


Sampler = Callable[[np.random.Generator, int], Batch]
"""Draws n runs of one arm."""


@dataclass(frozen=True, slots=True)
class LogNormalArm:
    """An arm whose steps take log-normal times (a median each, one σ) and fail at a rate."""

    medians: Mapping[str, float]  # seconds, per step, in flow order
    sigma: float = 0.5
    error_rate: float = 0.0
    shifts: Mapping[str, float] = field(default_factory=dict)  # relative, per step: +0.1

    def __call__(self, rng: np.random.Generator, n: int) -> Batch:
        steps = {}
        for step, median in self.medians.items():
            scale = median * (1.0 + self.shifts.get(step, 0.0))
            steps[step] = scale * np.exp(self.sigma * rng.standard_normal(n))
        latency = np.sum(list(steps.values()), axis=0)
        failed = rng.random(n) < self.error_rate
        return Batch(latency, steps, failed)


@dataclass(slots=True)
class Tally:
    """What the simulated canaries ended in, and the peers' rollbacks on the same samples."""

    canaries: int = 0
    rollbacks: int = 0
    holds: int = 0
    promotions: int = 0
    early_promotions: int = 0
    rollback_looks: list[int] = field(default_factory=list)
    rolled_back_on: dict[str, int] = field(default_factory=dict)  # by metric name
    fixed_every_look: int = 0
    fixed_horizon: int = 0
    kayenta: int = 0
    interval_mismatches: int = 0  # looks where z(δ) ≥ c disagreed with L > δ (must stay 0)
    intervals_checked: int = 0

    def share(self, count: int) -> float:
        return count / self.canaries if self.canaries else math.nan

    @property
    def median_rollback_look(self) -> float | None:
        return statistics.median(self.rollback_looks) if self.rollback_looks else None


def simulate(
    plan: CanaryPlan,
    family: Sequence[MetricSpec],
    baseline: Sampler,
    candidate: Sampler,
    *,
    canaries: int,
    seed: int,
    check_intervals: bool = False,
) -> Tally:
    """Run `canaries` seeded canaries of `family` (one journey) under `plan`.

    With `check_intervals`, every latency look also computes the shown interval and counts
    the looks where it disagrees with the decision (a test asserts none).
    """
    rng = np.random.default_rng(seed)
    fixed_z = float(stats.norm.isf(plan.alpha / len(family)))  # the family's α/m
    kayenta_z = float(stats.norm.isf((1.0 - KAYENTA_CONFIDENCE) / 2.0))
    latency = [spec for spec in family if not spec.counts]
    tally = Tally()
    for _ in range(canaries):
        judge = FamilyJudge(plan, family)  # margins are fixed per canary
        arms = ArmSamples(), ArmSamples()
        warm = ArmSamples()
        baseline(rng, plan.warmup).add_to(warm)
        judge.fix_margins({(family[0].journey, family[0].engine): warm})
        decided = False
        fixed = horizon = kayenta = False
        for look in range(1, plan.looks + 1):
            baseline(rng, plan.iterations).add_to(arms[0])
            candidate(rng, plan.iterations).add_to(arms[1])
            for spec in latency:
                base, cand = arms[0].seconds(spec), arms[1].seconds(spec)
                if not base or not cand:
                    continue
                margin = judge.margin_log(spec, base)
                test = ShiftTest(log_samples(cand), log_samples(base))
                shifted = test.z(margin)
                fixed |= shifted >= fixed_z
                horizon |= look == plan.looks and shifted >= fixed_z
                kayenta |= abs(test.z(0.0)) >= kayenta_z
            if decided:
                continue
            metrics = [judge.judge(spec, look, *arms, interval=False) for spec in family]
            if check_intervals:
                _check(tally, judge, latency, arms, look)
            decision = decide(metrics, (), final=look == plan.looks)
            if decision.verdict is None:
                continue
            decided = True
            if decision.verdict == ROLLBACK:
                tally.rollbacks += 1
                tally.rollback_looks.append(look)
                for metric in metrics:
                    if metric.classification == BEYOND_MARGIN:
                        tally.rolled_back_on[metric.name] = (
                            tally.rolled_back_on.get(metric.name, 0) + 1
                        )
            elif decision.verdict == HOLD:
                tally.holds += 1
            elif decision.verdict == PROMOTE:
                tally.promotions += 1
                tally.early_promotions += look < plan.looks
        tally.canaries += 1
        tally.fixed_every_look += fixed
        tally.fixed_horizon += horizon
        tally.kayenta += kayenta
    return tally


def _check(
    tally: Tally,
    judge: FamilyJudge,
    specs: Sequence[MetricSpec],
    arms: tuple[ArmSamples, ArmSamples],
    look: int,
) -> None:
    """Count the looks where an interval end and its z disagree.

    L > δ ⇔ z(δ) ≥ c_k, and U < δ ⇔ the mirrored z(−δ) ≥ c_k (what "shown within" reads).
    """
    boundary = judge.boundaries[look - 1]
    for spec in specs:
        base, cand = arms[0].seconds(spec), arms[1].seconds(spec)
        if not base or not cand:
            continue
        margin = judge.margin_log(spec, base)
        base_logs, cand_logs = log_samples(base), log_samples(cand)
        test, mirror = ShiftTest(cand_logs, base_logs), ShiftTest(base_logs, cand_logs)
        tally.intervals_checked += 1
        if (test.z(margin) >= boundary) != (test.lower(boundary) > margin):
            tally.interval_mismatches += 1
        if (mirror.z(-margin) >= boundary) != (test.upper(boundary) < margin):
            tally.interval_mismatches += 1
