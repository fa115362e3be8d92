"""The canary section of a results document: the plan, the decision's reasons, each comparison.

Built from what the canary judged at its last look (runner/slo/canary.py) and from each arm's
samples, whose step distributions the report shows side by side. Percentiles here are exact
(numpy over the samples): a canary keeps every sample its tests rank anyway.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from runner.builder.journeys import journey_entry
from runner.document import (
    CanaryComparison,
    CanaryDistribution,
    CanaryMetric,
    CanarySection,
    Percentiles,
    TargetInfo,
)
from runner.slo import Judged
from runner.slo.canary import CanaryPlan, SloState
from runner.slo.canary_family import ArmSamples
from runner.spec.target import Target
from runner.vocabulary import (
    BEYOND_MARGIN,
    NOT_RUN,
    SHORT_OF_SAMPLES,
    UNDECIDED,
    WITHIN_MARGIN,
    CanaryClass,
    JourneyVerdict,
)

# the worst first: a comparison reads as its worst metric
_ORDER: dict[CanaryClass, int] = {
    BEYOND_MARGIN: 0,
    SHORT_OF_SAMPLES: 1,
    UNDECIDED: 2,
    WITHIN_MARGIN: 3,
}


@dataclass(frozen=True, slots=True)
class ArmsSeen:
    """Both arms' samples and judged tallies, by (journey, engine)."""

    baseline: Mapping[tuple[str, str], ArmSamples]
    candidate: Mapping[tuple[str, str], ArmSamples]
    baseline_judged: Sequence[Judged]
    candidate_judged: Sequence[Judged]


def canary_section(
    *,
    plan: CanaryPlan,
    baseline: Target,
    candidate: Target,
    reasons: Sequence[str],
    looks_done: int,
    family_size: int,
    boundaries: Sequence[float],
    metrics: Sequence[CanaryMetric],
    slos: Sequence[SloState],
    arms: ArmsSeen,
    out_dir: Path,
    early: bool,
) -> CanarySection:
    """The section, one comparison per judged (journey, engine), in journey order."""
    verdicts: dict[str, dict[tuple[str, str], JourneyVerdict]] = {
        "baseline": {(j.journey.name, j.tally.engine): j.verdict for j in arms.baseline_judged},
        "candidate": {(j.journey.name, j.tally.engine): j.verdict for j in arms.candidate_judged},
    }
    notes = {s.journey: s.note for s in slos}
    comparisons = []
    for judged in arms.candidate_judged:
        key = (judged.journey.name, judged.tally.engine)
        own = tuple(m for m in metrics if (m.journey, m.engine) == key)
        worst = min(own, key=lambda m: _ORDER[m.classification]) if own else None
        base = arms.baseline.get(key) or ArmSamples()
        cand = arms.candidate.get(key) or ArmSamples()
        comparisons.append(
            CanaryComparison(
                journey=key[0],
                engine=judged.tally.engine,
                classification=worst.classification if worst else SHORT_OF_SAMPLES,
                reason=worst.reason if worst else "no metric was judged",
                baseline_verdict=_verdict(verdicts["baseline"], key),
                candidate_verdict=_verdict(verdicts["candidate"], key),
                slo_note=notes.get(key[0], ""),
                metrics=own,
                distributions=_distributions(judged, base, cand),
            )
        )
    return CanarySection(
        baseline=_info(baseline),
        candidate=_info(candidate),
        reasons=tuple(reasons),
        looks=plan.looks,
        looks_done=looks_done,
        iterations=plan.iterations,
        warmup=plan.warmup,
        alpha=plan.alpha,
        family_size=family_size,
        margins=plan.margins.as_mapping(),
        boundaries=tuple(round(b, 4) for b in boundaries),
        comparisons=tuple(comparisons),
        baseline_journeys=tuple(journey_entry(j, baseline, out_dir) for j in arms.baseline_judged),
        early=early,
    )


def _info(target: Target) -> TargetInfo:
    return TargetInfo(target.name, dict(target.urls), target.tenant)


def _verdict(
    verdicts: Mapping[tuple[str, str], JourneyVerdict], key: tuple[str, str]
) -> JourneyVerdict:
    return verdicts.get(key, NOT_RUN)


def _distributions(
    judged: Judged, baseline: ArmSamples, candidate: ArmSamples
) -> tuple[CanaryDistribution, ...]:
    """The journey end to end, then each step in flow order, passed runs only."""
    out = [
        CanaryDistribution(None, _percentiles(baseline.latency), _percentiles(candidate.latency))
    ]
    out += [
        CanaryDistribution(
            step,
            _percentiles(baseline.steps.get(step, [])),
            _percentiles(candidate.steps.get(step, [])),
        )
        for step in judged.journey.spec.step_names(judged.tally.engine)
    ]
    return tuple(out)


def _percentiles(seconds: Sequence[float]) -> Percentiles:
    if not seconds:
        return Percentiles()
    values = np.percentile(np.asarray(seconds), [50, 75, 90, 95, 99, 100])
    p50, p75, p90, p95, p99, top = (round(float(v), 6) for v in values)
    return Percentiles(p50, p75, p90, p95, p99, top)
