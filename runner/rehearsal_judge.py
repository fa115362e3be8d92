"""Judging a load rehearsal: which seconds count, per-stage figures, the profile's objectives.

Every second of data lands in the stage it belongs to. With `exclude: ramp`, ramps and
cool-downs to zero are reported but not judged, and nothing after an abort is judged. Each
journey is judged on its own SLO over the judged seconds, and the profile adds its own:
error ratio and latency over every request, and achieved vs asked throughput.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from runner.engines.load.outcome import RehearsalOutcome
from runner.engines.load.timeline import StagePlan, stage_at
from runner.histogram import Histogram
from runner.results import JourneyTally
from runner.slo import Judged, Objective, RunVerdict, judge_runs, run_verdict
from runner.spec.loader import LoadedJourney
from runner.spec.loadprofile import LoadProfile


@dataclass(slots=True)
class _Window:
    """Requests, failures, iterations and latency over a set of seconds."""

    requests: int = 0
    failures: int = 0
    steps: int = 0
    iterations: int = 0
    successes: int = 0
    latency: Histogram = field(default_factory=Histogram)
    seconds: set[int] = field(default_factory=set)

    def add(self, second: int, tallies: dict[str, JourneyTally]) -> None:
        self.seconds.add(second)
        for tally in tallies.values():
            self.iterations += tally.attempts
            self.successes += tally.successes
            for step in tally.steps.values():
                self.requests += step.requests
                self.steps += step.attempts
                self.failures += step.failures
                self.latency.merge(step.latency)


@dataclass(frozen=True, slots=True)
class RehearsalJudgement:
    """Per-journey judgements, the profile's objectives, the verdict and the load section."""

    judged: list[Judged]
    objectives: list[Objective]
    verdict: RunVerdict
    load: dict[str, Any]


def judge_rehearsal(
    profile: LoadProfile,
    profile_path: str,
    journeys: list[LoadedJourney],
    outcome: RehearsalOutcome,
    time_scale: float,
) -> RehearsalJudgement:
    """Judge what `outcome` measured; see the module docstring for what counts."""
    plans = outcome.plans
    exclude_ramp = profile.slo.exclude == "ramp"
    tallies: dict[tuple[str, str], JourneyTally] = {
        (name, "http"): JourneyTally(name, "http") for name in profile.mix
    }
    stages = [_Window() for _ in plans]
    judged_window = _Window()
    # every second the rehearsal ran, with data or not: a stalled target's silent seconds
    # must weigh in throughput, not drop out of it
    seconds = set(range(int(outcome.started), int(outcome.ended) + 1)) | set(outcome.seconds)
    for second in sorted(seconds):
        per_journey = outcome.seconds.get(second, {})
        t = second - outcome.started + 0.5
        plan = stage_at(plans, t)
        if plan is None:
            if not per_journey:
                continue  # before the start or after the end, and nothing happened
            plan = plans[-1] if t >= plans[-1].end_s else plans[0]
        stages[plan.index].add(second, per_journey)
        after_abort = outcome.aborted_at_s is not None and t > outcome.aborted_at_s
        after_end = t >= plans[-1].end_s  # runs still finishing once the profile ended
        if plan.judged(t, exclude_ramp) and not after_abort and not after_end:
            judged_window.add(second, per_journey)
            for name, tally in per_journey.items():
                tallies.setdefault((name, "http"), JourneyTally(name, "http")).merge(tally)
    used = [j for j in journeys if j.name in profile.mix]
    judged = judge_runs(used, tallies)
    objectives = _profile_objectives(profile, judged_window, outcome)
    if outcome.aborted:
        verdict: RunVerdict = "aborted"
    else:
        met = [entry.verdict for entry in judged]
        met += ["pass" if o.met else "fail" for o in objectives]
        verdict = run_verdict(met, interrupted=outcome.interrupted)
    load = {
        "profile": profile.profile,
        "file": profile_path,
        "model": "open" if profile.open_model else "closed",
        "time_scale": time_scale,
        "stages": [
            _stage_entry(p, w, outcome, exclude_ramp) for p, w in zip(plans, stages, strict=True)
        ],
        "timeseries": _timeseries(outcome),
        "aborted": None
        if outcome.aborted is None
        else {"reason": outcome.aborted, "at_s": round(outcome.aborted_at_s or 0.0, 1)},
        "throughput": _throughput(profile, judged_window, outcome),
        "workers": {
            "expected": outcome.workers_expected,
            "ready": outcome.workers_ready,
            "lost": list(outcome.lost_workers),
        },
        "generator": _generator(outcome),
        "dropped_iterations": outcome.dropped_iterations,
        "probes": None,
    }
    return RehearsalJudgement(judged, objectives, verdict, load)


def _stage_entry(
    plan: StagePlan, window: _Window, outcome: RehearsalOutcome, exclude_ramp: bool
) -> dict[str, Any]:
    duration = max(len(window.seconds), 1)
    asked = [
        rate
        for second, rate in outcome.asked.items()
        if plan.start_s <= second - outcome.started < plan.end_s
    ]
    return {
        "name": plan.name,
        "start_s": round(plan.start_s, 1),
        "ramp_end_s": round(plan.ramp_end_s, 1),
        "end_s": round(plan.end_s, 1),
        "target": plan.target,
        "unit": plan.unit,
        "judged": _judged_label(plan, exclude_ramp),
        "requests": window.requests,
        "failures": window.failures,
        "error_ratio": round(window.failures / window.steps, 6) if window.steps else None,
        "iterations": window.iterations,
        "iterations_per_s": round(window.iterations / duration, 3),
        "asked_per_s": round(sum(asked) / len(asked), 3)
        if asked and plan.unit != "users"
        else None,
        "latency_s": window.latency.summary(),
    }


def _judged_label(plan: StagePlan, exclude_ramp: bool) -> str:
    if not exclude_ramp:
        return "judged"
    if plan.target == 0:
        return "excluded"  # a cool-down: nothing of it is judged
    return "ramp excluded" if plan.ramp_end_s > plan.start_s else "judged"


def _timeseries(outcome: RehearsalOutcome) -> list[dict[str, Any]]:
    rows = []
    start, end = int(outcome.started), int(outcome.ended) + 1
    for second in range(start, end):
        window = _Window()
        window.add(second, outcome.seconds.get(second, {}))
        rows.append(
            {
                "t": second - start,
                "requests": window.requests,
                "errors": window.failures,
                "iterations": window.iterations,
                "p50": _rounded(window.latency.quantile(0.5)),
                "p95": _rounded(window.latency.quantile(0.95)),
                "users": outcome.users.get(second),
                "asked": _rounded(outcome.asked.get(second)),
            }
        )
    return rows


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 6)


def _throughput(profile: LoadProfile, window: _Window, outcome: RehearsalOutcome) -> dict[str, Any]:
    """Iterations started per second against what the plan asked, over steady judged seconds.

    The shape changes what it asks once a second, so a judged second next to a stage's edge
    (or the run's) may have run at the previous rate: those edges (±1 s) are left out.
    """
    steady = sorted(
        s for s in window.seconds if s - 1 in window.seconds and s + 1 in window.seconds
    )
    iterations = sum(
        tally.attempts for second in steady for tally in outcome.seconds.get(second, {}).values()
    )
    requests = sum(
        step.requests
        for second in steady
        for tally in outcome.seconds.get(second, {}).values()
        for step in tally.steps.values()
    )
    count = max(len(steady), 1)
    asked = None
    if profile.open_model:
        rates = []
        for second in steady:
            t = second - outcome.started + 0.5
            plan = stage_at(outcome.plans, t)
            if plan is not None:
                rates.append(plan.value_at(t))
        asked = sum(rates) / len(rates) if rates else None
    return {
        "asked_per_s": None if asked is None else round(asked, 3),
        "achieved_per_s": round(iterations / count, 3),
        "requests_per_s": round(requests / count, 3),
        "seconds": len(steady),
    }


def _generator(outcome: RehearsalOutcome) -> dict[str, Any]:
    overloaded = outcome.overloaded_seconds >= 3
    note = (
        f"a load generator ran at {outcome.cpu_max:.0f}% CPU for {outcome.overloaded_seconds}s: "
        "latency and throughput figures measure the generator too, add workers"
        if overloaded
        else ""
    )
    return {"cpu_max_percent": round(outcome.cpu_max, 1), "overloaded": overloaded, "note": note}


def _profile_objectives(
    profile: LoadProfile, window: _Window, outcome: RehearsalOutcome
) -> list[Objective]:
    name, slo, out = profile.profile, profile.slo, []
    if slo.error_rate is not None:
        ratio = window.failures / window.steps if window.steps else None
        out.append(
            Objective(
                f"{name}: request error ratio",
                name,
                "http",
                None,
                "success",
                "ratio",
                1.0 - slo.error_rate,
                None if ratio is None else round(1.0 - ratio, 6),
                window.steps,
                ratio is not None and ratio <= slo.error_rate,
                "no data"
                if ratio is None
                else f"{window.failures} of {window.steps} requests failed",
            )
        )
    for stat, limit in slo.latency.bounds() if slo.latency else []:
        value = window.latency.value(stat)
        out.append(
            Objective(
                f"{name}: request latency {stat}",
                name,
                "http",
                None,
                "latency",
                stat,
                limit,
                _rounded(value),
                window.latency.count,
                value is not None and value <= limit,
                "no data" if value is None else f"{stat} {value:.3f}s vs {limit:g}s",
            )
        )
    if slo.throughput is not None and profile.open_model:
        figures = _throughput(profile, window, outcome)
        asked = figures["asked_per_s"]
        ratio = figures["achieved_per_s"] / asked if asked else None
        out.append(
            Objective(
                f"{name}: throughput achieved / asked",
                name,
                "http",
                None,
                "throughput",
                "ratio",
                slo.throughput,
                None if ratio is None else round(ratio, 4),
                len(window.seconds),
                ratio is not None and ratio >= slo.throughput,
                "no data"
                if ratio is None
                else f"{figures['achieved_per_s']:.2f}/s of {asked:.2f}/s asked",
            )
        )
    return out
