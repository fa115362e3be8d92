"""Judging a canary: each metric of the family at each look, and the decision with its reasons.

The rule (../shared/canary-statistics.md, docs/canary.md): each of the family's m metrics is
tested at α/m. Latency and freshness by the margin-shifted Mann-Whitney z against the
group-sequential boundary of the look (runner/slo/boundaries.py, runner/slo/shift.py);
errors and the slow share by the anytime-valid count test (runner/slo/counts.py). The first
crossing rolls back. At the last look a metric short of its minimum samples holds; so do both
arms missing a journey's SLO (the environment is broken, not the release) and the candidate
alone missing one when its evidence shows the miss. Otherwise the canary promotes at the last
look, or earlier once every metric is shown within its margin with its minimum samples met.

Every metric gets one line with the numbers that decided it; the number shown is the test's
own (the Hodges-Lehmann shift and the interval that inverts the z), never a mean ratio beside
a rank test (kayenta #633).
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy import stats

from runner.document import CanaryArmFigures, CanaryMetric, Objective
from runner.slo.boundaries import upper_boundaries
from runner.slo.canary_family import ArmSamples, MetricSpec
from runner.slo.counts import count_test
from runner.slo.shift import ShiftTest, log_samples
from runner.vocabulary import (
    BEYOND_MARGIN,
    HOLD,
    MISSED,
    PROMOTE,
    ROLLBACK,
    SHORT_OF_SAMPLES,
    UNDECIDED,
    WITHIN_MARGIN,
    CanaryClass,
    RunVerdict,
)

MIN_SAMPLES_INFLATION = 1.05  # the group-sequential design's (K = 12, α·t³) over a fixed horizon
POWER_Z = 0.842  # 80 % power
MANN_WHITNEY_EFFICIENCY = 3.0 / math.pi  # against a t-test, for normal log latency
ROLL_BACK: CanaryClass = BEYOND_MARGIN
PASS: CanaryClass = WITHIN_MARGIN
INCONCLUSIVE: CanaryClass = UNDECIDED
SHORT: CanaryClass = SHORT_OF_SAMPLES


@dataclass(frozen=True, slots=True)
class Margins:
    """How much worse the candidate may be: relative for latency, a rate ratio for counts.

    `floor_s` keeps a fast step's margin meaningful: 10 % of 4 ms is noise, so the latency
    margin is at least floor / the baseline's warm-up median.
    """

    latency: float = 0.10
    freshness: float = 0.10
    floor_s: float = 0.005
    errors: float = 1.5
    slow: float = 1.5

    def as_mapping(self) -> dict[str, float]:
        return {
            "latency": self.latency,
            "freshness": self.freshness,
            "floor_s": self.floor_s,
            "errors": self.errors,
            "slow": self.slow,
        }


@dataclass(frozen=True, slots=True)
class CanaryPlan:
    """The canary's design: looks, iterations per arm per look, warm-up, α and margins."""

    looks: int = 12
    iterations: int = 75
    warmup: int = 10
    alpha: float = 0.02
    margins: Margins = field(default_factory=Margins)


def needed_samples(sigma: float, level: float, margin_log: float, *, z: float | None = None) -> int:
    """n_min per arm: a shift of twice the margin caught with 80 % power at one-sided `level`.

    `z` is z_level when the caller has it (SciPy's isf costs more than the rest).
    """
    z = float(stats.norm.isf(level)) if z is None else z
    core = 2.0 * sigma**2 * (z + POWER_Z) ** 2 / (MANN_WHITNEY_EFFICIENCY * margin_log**2)
    return max(math.ceil(MIN_SAMPLES_INFLATION * core - 1e-9), 2)


def least_samples(boundary: float) -> int:
    """The fewest samples per arm at which the Mann-Whitney z can reach `boundary` at all.

    A step with a wide margin (a fast step under the 5 ms floor) and little spread gets an
    n_min of 2 from the formula; with 2 samples per arm even a candidate slower on every
    pair has z 1.5, so no regression could roll it back. A test that cannot fail proves
    nothing: the minimum is at least the n whose full separation crosses the last boundary.
    """
    n = 2
    while (n * n / 2.0 - 0.5) / math.sqrt(n * n * (2 * n + 1) / 12.0) < boundary:
        n += 1
    return n


def relative(log_shift: float) -> float:
    """A shift of log latency as a relative change: log 1.1 → +0.10."""
    if math.isinf(log_shift):
        return log_shift
    return math.expm1(log_shift)


def percent(change: float) -> str:
    """+0.18 → "+18 %", −0.031 → "−3 %", 0.004 → "+0.4 %"; infinities as ∞."""
    if math.isinf(change):
        return "+∞" if change > 0 else "−∞"
    value = change * 100.0
    if abs(value) < 0.05:
        return "0 %"
    text = f"{value:+.1f}" if abs(value) < 1.0 else f"{value:+.0f}"
    return text.replace("-", "−") + " %"


class FamilyJudge:
    """Judges the family's metrics look by look; holds the margins fixed at the warm-up."""

    def __init__(self, plan: CanaryPlan, family: Sequence[MetricSpec]) -> None:
        if not family:
            raise ValueError("a canary needs at least one metric")
        self.plan = plan
        self.family = tuple(family)
        self.m = len(self.family)
        self.level = plan.alpha / self.m
        self.boundaries = upper_boundaries(plan.looks, self.level)
        self.threshold = self.m / plan.alpha
        self._z_level = float(stats.norm.isf(self.level))
        self.least_samples = least_samples(self.boundaries[-1])
        self._margin_log: dict[MetricSpec, float] = {}

    def fix_margins(self, warmup: Mapping[tuple[str, str], ArmSamples]) -> None:
        """Fix each latency margin from the baseline's warm-up median (the floor's reference)."""
        for spec in self.family:
            arm = warmup.get((spec.journey, spec.engine))
            if not spec.counts and arm is not None and arm.seconds(spec):
                self._margin_log[spec] = self._log_margin(spec, arm.seconds(spec))

    def margin_log(self, spec: MetricSpec, baseline: Sequence[float]) -> float:
        """The metric's margin in log space; fixed at the first look when the warm-up had none."""
        if spec not in self._margin_log:
            self._margin_log[spec] = self._log_margin(spec, baseline)
        return self._margin_log[spec]

    def _log_margin(self, spec: MetricSpec, baseline: Sequence[float]) -> float:
        margins = self.plan.margins
        relative_margin = margins.freshness if spec.kind == "freshness" else margins.latency
        median = statistics.median(baseline)
        floor = margins.floor_s / median if median > 0 else relative_margin
        return math.log1p(max(relative_margin, floor))

    def judge(
        self,
        spec: MetricSpec,
        look: int,
        baseline: ArmSamples,
        candidate: ArmSamples,
        *,
        interval: bool = True,
    ) -> CanaryMetric:
        """The metric at look `look` (1-based) over every sample so far.

        `interval=False` skips the shown shift and interval (a simulation's thousands of
        canaries): the classification never reads them, it comes from the two z's they invert.
        """
        if spec.counts:
            return self._counts(spec, look, baseline, candidate)
        return self._shift(spec, look, baseline.seconds(spec), candidate.seconds(spec), interval)

    def _shift(
        self,
        spec: MetricSpec,
        look: int,
        baseline: Sequence[float],
        candidate: Sequence[float],
        interval: bool,
    ) -> CanaryMetric:
        final = look >= self.plan.looks
        boundary = self.boundaries[min(look, self.plan.looks) - 1]
        figures = (
            CanaryArmFigures(len(baseline), _median(baseline)),
            CanaryArmFigures(len(candidate), _median(candidate)),
        )
        common = (spec.name, spec.journey, spec.engine, spec.step, spec.kind, *figures)
        where = f"at look {look}/{self.plan.looks}"
        if not baseline or not candidate:
            empty = "the baseline" if not baseline else "the candidate"
            fallback = math.log1p(self.plan.margins.latency)
            return CanaryMetric(
                *common,
                look=look,
                classification=SHORT if final else INCONCLUSIVE,
                reason=f"{spec.name}: no passed samples on {empty} {where}"
                + (" → not enough data" if final else ""),
                margin=round(relative(self._margin_log.get(spec, fallback)), 6),
                boundary=round(boundary, 4),
            )
        margin_log = self.margin_log(spec, baseline)
        base_logs, cand_logs = log_samples(baseline), log_samples(candidate)
        test, mirror = ShiftTest(cand_logs, base_logs), ShiftTest(base_logs, cand_logs)
        z = test.z(margin_log)  # ≥ c ⇔ the interval's lower end L > δ: beyond the margin
        within = mirror.z(-margin_log) >= boundary  # ⇔ its upper end < δ: shown within
        sigma = float(np.std(base_logs, ddof=1)) if len(base_logs) > 1 else 0.0
        # no spread at all (every sample equal, or clamped at 1 ms): the formula's n is 0
        needed = self.needed(sigma, margin_log) if sigma > 0 else self.least_samples
        has = min(len(baseline), len(candidate))
        short = needed is None or has < needed
        margin_text = percent(relative(margin_log))
        if z >= boundary:
            classification, tail = ROLL_BACK, f"> margin {margin_text} {where} → roll back"
        elif final and short:
            classification = SHORT
            wants = f"needs {needed} per arm, has {has}" if needed else f"has {has}"
            tail = f"vs margin {margin_text}: not enough data ({wants})"
        elif within and not short:
            classification, tail = PASS, f"≤ {margin_text} {where} → pass"
        elif final:
            classification, tail = PASS, f"not beyond {margin_text} at the last look → pass"
        else:
            classification, tail = INCONCLUSIVE, f"vs margin {margin_text} {where}: undecided"
        shift = low = high = None
        shown = f"z {z:.2f} vs {boundary:.2f}"
        if interval:
            shift = relative(test.hodges_lehmann())
            low, high = relative(test.lower(boundary)), relative(test.upper(boundary))
            shown = f"{percent(shift)} [{percent(low)}, {percent(high)}]"
        return CanaryMetric(
            *common,
            look=look,
            classification=classification,
            reason=f"{spec.name} {shown} {tail}",
            margin=round(relative(margin_log), 6),
            boundary=round(boundary, 4),
            shift=_finite(shift),
            shift_low=_finite(low),
            shift_high=_finite(high),
            z=round(z, 4),
            needed=needed,
        )

    def needed(self, sigma: float, margin_log: float) -> int:
        """n_min per arm at this family's α/m (see needed_samples).

        Never below the samples with which the test could cross its last boundary at all.
        """
        formula = needed_samples(sigma, self.level, margin_log, z=self._z_level)
        return max(formula, self.least_samples)

    def _counts(
        self, spec: MetricSpec, look: int, baseline: ArmSamples, candidate: ArmSamples
    ) -> CanaryMetric:
        final = look >= self.plan.looks
        x_b, n_b = baseline.events(spec)
        x_c, n_c = candidate.events(spec)
        ratio = self.plan.margins.errors if spec.kind == "errors" else self.plan.margins.slow
        figures = CanaryArmFigures(n_b, events=x_b), CanaryArmFigures(n_c, events=x_c)
        common = (spec.name, spec.journey, spec.engine, spec.step, spec.kind, *figures)
        where = f"at look {look}/{self.plan.looks}"
        if not n_b or not n_c:
            return CanaryMetric(
                *common,
                look=look,
                classification=SHORT if final else INCONCLUSIVE,
                reason=f"{spec.name}: no attempts on {'the candidate' if n_b else 'the baseline'}"
                f" {where}" + (" → not enough data" if final else ""),
                margin=ratio,
                boundary=self.threshold,
                threshold_s=spec.threshold_s,
            )
        result = count_test(x_c, x_b, n_c, n_b, ratio=ratio, threshold=self.threshold)
        ratio_high = result.ratio_of(result.share_upper)
        seen = f"{spec.name} {x_c} vs {x_b}"
        bf = f"BF {_figure(result.bayes_factor)}"
        threshold = f"{self.threshold:g}"
        margin = f"margin {ratio:g}×"
        if result.crossed:
            classification = ROLL_BACK
            reason = f"{seen}, {bf} ≥ {threshold} ({margin}, m = {self.m}) → roll back"
        elif result.within:
            classification = PASS
            reason = f"{seen}, ratio ≤ {ratio_high:.2f}× shown ({margin}) {where} → pass"
        elif final:
            classification = PASS
            reason = f"{seen}, {bf} < {threshold} ({margin}) at the last look → pass"
        else:
            classification = INCONCLUSIVE
            reason = f"{seen}, {bf} < {threshold} ({margin}) {where}: undecided"
        return CanaryMetric(
            *common,
            look=look,
            classification=classification,
            reason=reason,
            margin=ratio,
            boundary=self.threshold,
            bayes_factor=round(result.bayes_factor, 4),
            ratio_high=None if math.isinf(ratio_high) else round(ratio_high, 4),
            threshold_s=spec.threshold_s,
        )


@dataclass(frozen=True, slots=True)
class SloState:
    """One journey comparison's SLOs, per arm: whether each misses, and whether it is shown."""

    journey: str
    baseline_missed: tuple[Objective, ...]
    candidate_missed: tuple[Objective, ...]
    candidate_shown: tuple[Objective, ...]  # the candidate's misses its evidence shows

    @property
    def note(self) -> str:
        if self.baseline_missed and self.candidate_missed:
            return "both arms miss the SLO"
        if self.candidate_missed:
            shown = " (shown)" if self.candidate_shown else " (not shown by its samples)"
            return f"the candidate alone misses the SLO{shown}"
        if self.baseline_missed:
            return "the baseline alone misses the SLO"
        return ""


def slo_state(
    journey: str,
    baseline: Sequence[Objective],
    candidate: Sequence[Objective],
    confidence: float,
) -> SloState:
    """Which objectives each arm misses, and which of the candidate's misses are shown."""
    base = tuple(o for o in baseline if o.state == MISSED)
    cand = tuple(o for o in candidate if o.state == MISSED)
    return SloState(journey, base, cand, tuple(o for o in cand if miss_shown(o, confidence)))


def miss_shown(objective: Objective, confidence: float) -> bool:
    """The samples show the miss: the lower bound on the bad share is beyond what is allowed.

    An objective no count can show (100 %, max) is missed for certain once one sample is bad.
    """
    proof = objective.evidence
    if proof is None:
        return objective.samples > 0
    if proof.bad == 0:
        return False
    lower = float(stats.beta.ppf(1.0 - confidence, proof.bad, proof.samples - proof.bad + 1))
    return lower > proof.allowed_share


@dataclass(frozen=True, slots=True)
class Decision:
    """A look's outcome: None to look again, else the verdict and its reasons, deciding first."""

    verdict: RunVerdict | None
    reasons: tuple[str, ...] = ()


def decide(
    metrics: Sequence[CanaryMetric],
    slos: Sequence[SloState],
    *,
    final: bool,
    cut_short: str = "",
) -> Decision:
    """Roll back, hold, promote or look again, in the rule's order of precedence.

    `cut_short` says why the canary ends before its last look (the maximum duration): it
    holds unless a metric rolled back.
    """
    crossed = [m.reason for m in metrics if m.classification == ROLL_BACK]
    if crossed:
        return Decision(ROLLBACK, tuple(crossed))
    ending = final or bool(cut_short)
    holds = [
        f"{s.journey}: both arms miss the SLO ({_names(s.candidate_missed)})"
        for s in slos
        if s.baseline_missed and s.candidate_missed
    ]
    holds += [
        f"{s.journey}: the candidate alone misses the SLO, shown ({_names(s.candidate_shown)})"
        for s in slos
        if s.candidate_shown and not s.baseline_missed
    ]
    if ending:
        holds += [m.reason for m in metrics if m.classification == SHORT]
        if cut_short:
            holds.append(cut_short)
        if holds:
            return Decision(HOLD, tuple(holds))
        return Decision(PROMOTE, _promote_reasons(metrics, slos))
    missed = any(s.baseline_missed or s.candidate_missed for s in slos)
    if not missed and all(m.classification == PASS for m in metrics):
        return Decision(PROMOTE, ("every metric shown within its margin", *_lines(metrics)))
    return Decision(None)


def _promote_reasons(metrics: Sequence[CanaryMetric], slos: Sequence[SloState]) -> tuple[str, ...]:
    notes = tuple(f"{s.journey}: {s.note}" for s in slos if s.note)
    return ("no metric beyond its margin at the last look", *notes, *_lines(metrics))


def _lines(metrics: Sequence[CanaryMetric]) -> tuple[str, ...]:
    return tuple(m.reason for m in metrics)


def _names(objectives: Sequence[Objective]) -> str:
    return ", ".join(f"{o.name} {_actual(o)}" for o in objectives)


def _actual(objective: Objective) -> str:
    if objective.actual is None:
        return "no data"
    if objective.kind == "success":
        return f"{objective.actual * 100:.4g} % < {objective.target * 100:.4g} %"
    return f"{objective.actual:.3g} s > {objective.target:g} s"


def _median(values: Sequence[float]) -> float | None:
    return round(statistics.median(values), 6) if values else None


def _finite(value: float | None) -> float | None:
    return None if value is None or math.isinf(value) else round(value, 6)


def _figure(value: float) -> str:
    """A Bayes factor as a reason shows it: 251, 0.41, 5.2e+05."""
    if value >= 1e5:
        return f"{value:.2g}"
    return f"{value:.0f}" if value >= 10 else f"{value:.2g}"


__all__ = [
    "CanaryPlan",
    "Decision",
    "FamilyJudge",
    "Margins",
    "SloState",
    "decide",
    "needed_samples",
    "slo_state",
]
