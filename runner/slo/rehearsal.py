"""Judging a load rehearsal: each journey on its own SLO over the judged seconds, and the profile's.

Which seconds count is `windows`' business. Each journey is judged on its own SLO over the
judged seconds, and the profile adds its own: error ratio and latency over every request, and
throughput on iterations *completed*.

A rehearsal that ends early says so: when a rail fired (or Ctrl-C), no objective reads
"met" (each is "not judged" past the stop, unless already missed), and when the only stage
reached was a ramp, it is judged on its own figures rather than on nothing. The load section
of the results (stages, time series, conservation) is shaped by runner.builder, not here.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from runner.engines.load.outcome import RehearsalOutcome
from runner.engines.load.timeline import stage_at
from runner.slo import DEFAULT_CONFIDENCE, Judged, Objective, cut_short, judge_runs, run_verdict
from runner.slo.evidence import Share
from runner.slo.objectives import judged, percent, percentile_objective
from runner.slo.windows import Split, Window, split_seconds, throughput
from runner.spec.loader import LoadedJourney
from runner.spec.loadprofile import LoadProfile
from runner.vocabulary import (
    ABORTED,
    ERROR,
    FAIL,
    MISSED,
    NOT_RUN,
    OBSERVED,
    PASS,
    Engine,
    ObjectiveState,
    RunVerdict,
)


@dataclass(frozen=True, slots=True)
class RehearsalJudgement:
    """Per-journey judgements, the profile's objectives, the verdict, and the seconds judged."""

    judged: list[Judged]
    objectives: list[Objective]
    verdict: RunVerdict
    split: Split


def judge_rehearsal(
    profile: LoadProfile,
    journeys: list[LoadedJourney],
    outcome: RehearsalOutcome,
    confidence: float = DEFAULT_CONFIDENCE,
) -> RehearsalJudgement:
    """Judge what `outcome` measured; see the module docstring for what counts."""
    split = split_seconds(profile, outcome)
    used = [j for j in journeys if j.name in profile.mix]
    judged_journeys = judge_runs(used, split.tallies, confidence)
    objectives = _profile_objectives(profile, split, outcome, confidence)
    if why := _cut_short_reason(outcome):
        objectives = [cut_short(o, why) for o in objectives]
        judged_journeys = [_cut_short(entry, why) for entry in judged_journeys]
    if outcome.aborted:
        verdict: RunVerdict = ABORTED
    else:
        met = [entry.verdict for entry in judged_journeys]
        met += [PASS if o.met else FAIL for o in objectives]
        verdict = run_verdict(met, interrupted=outcome.interrupted)
    return RehearsalJudgement(judged_journeys, objectives, verdict, split)


def _cut_short_reason(outcome: RehearsalOutcome) -> str:
    if outcome.aborted is not None:
        return f"not judged past the abort at {outcome.aborted_at_s or 0.0:.1f}s"
    if outcome.interrupted:
        return f"not judged past the interruption at {outcome.stopped_at_s:.1f}s"
    return ""


def _cut_short(entry: Judged, why: str) -> Judged:
    objectives = [cut_short(o, why) for o in entry.objectives]
    verdict = entry.verdict if entry.verdict in (ERROR, NOT_RUN) else FAIL
    return replace(entry, objectives=objectives, verdict=verdict)


def _profile_objectives(
    profile: LoadProfile, split: Split, outcome: RehearsalOutcome, confidence: float
) -> list[Objective]:
    name, slo, window, out = profile.profile, profile.slo, split.judged, []
    suffix = f" ({split.note})" if split.note else ""
    if slo.error_rate is not None:
        common = (f"{name}: request error ratio", name, "http", None, "success", "ratio")
        target = 1.0 - slo.error_rate
        if not window.steps:
            out.append(Objective(*common, target, None, 0, False, "no data"))  # type: ignore[arg-type]
        else:
            ratio = window.failures / window.steps
            objective = Objective(
                *common,  # type: ignore[arg-type]
                target,
                round(1.0 - ratio, 6),
                window.steps,
                ratio <= slo.error_rate,
                f"{window.failures} of {window.steps} requests failed{suffix}",
            )
            share = Share(window.steps, window.failures, slo.error_rate)
            out.append(
                judged(objective, share, confidence, claim=f"≥ {percent(target)}", unit="request")
            )
    for stat, limit in slo.latency.bounds() if slo.latency else []:
        common_latency: tuple[str, str, Engine, str | None] = (
            f"{name}: request latency {stat}",
            name,
            "http",
            None,
        )
        objective = percentile_objective(
            common_latency, "latency", stat, limit, window.latency, confidence
        )
        out.append(replace(objective, detail=objective.detail + suffix))
    out += [_observed(o) for o in _throughput_objectives(profile, split, outcome)]
    return out


def _observed(objective: Objective) -> Objective:
    """A throughput objective: a rate over seconds, not a share of samples, so only observed."""
    state: ObjectiveState = OBSERVED if objective.met else MISSED
    detail = f"{objective.detail}; a rate, observed, never shown"
    return replace(objective, state=state, detail=detail)


def _throughput_objectives(
    profile: LoadProfile, split: Split, outcome: RehearsalOutcome
) -> list[Objective]:
    """Per judged stage: completions / asked (open model), completions per second (min_rate)."""
    name, slo, out = profile.profile, profile.slo, []
    for plan in outcome.plans:
        window = Window()
        window.seconds = {
            s
            for s in split.judged.seconds
            if stage_at(outcome.plans, s - outcome.started + 0.5) is plan
        }
        if not window.seconds:
            continue
        figures = throughput(profile, window, outcome)
        label = f"{name}: throughput in {plan.name}"
        achieved, asked = figures.achieved_per_s, figures.asked_per_s
        seconds = figures.seconds
        if slo.throughput is not None and profile.open_model:
            ratio = achieved / asked if asked and seconds else None
            detail = (
                "no data: no steady second judged"
                if ratio is None
                else f"{achieved:.2f}/s completed of {asked:.2f}/s asked "
                f"({figures.started_per_s or 0.0:.2f}/s started) over {seconds}s"
            )
            out.append(
                Objective(
                    f"{label}: completed / asked",
                    name,
                    "http",
                    None,
                    "throughput",
                    "ratio",
                    slo.throughput,
                    None if ratio is None else round(ratio, 4),
                    seconds,
                    ratio is not None and ratio >= slo.throughput,
                    detail,
                )
            )
        if slo.min_rate is not None:
            out.append(
                Objective(
                    f"{label}: completed per second",
                    name,
                    "http",
                    None,
                    "throughput",
                    "rate",
                    slo.min_rate,
                    achieved if seconds else None,
                    seconds,
                    bool(seconds) and achieved >= slo.min_rate,
                    f"{achieved:.2f}/s completed over {seconds}s vs at least {slo.min_rate:g}/s"
                    if seconds
                    else "no data: no steady second judged",
                )
            )
    return out
