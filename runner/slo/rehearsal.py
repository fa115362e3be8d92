"""Judging a load rehearsal: which seconds count, per-stage figures, the profile's objectives.

Every second of data lands in the stage it belongs to. With `exclude: ramp`, ramps and
cool-downs to zero are reported but not judged, and nothing after an abort is judged. Each
journey is judged on its own SLO over the judged seconds, and the profile adds its own:
error ratio and latency over every request, and throughput on iterations *completed*.

A rehearsal that ends early says so: when a rail fired (or Ctrl-C), no objective reads
"met" (each is "not judged" past the stop, unless already missed), a stage never reached
says "not reached", and when the only stage reached was a ramp, it is judged on its own
figures rather than on nothing. Iterations are conserved and shown: asked = started +
dropped, started = completed + failed (those cut off at the end among the failed).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, replace
from typing import Any

from runner.engines.load.outcome import RehearsalOutcome
from runner.engines.load.timeline import StagePlan, stage_at
from runner.histogram import Histogram
from runner.results import JourneyTally
from runner.slo import Judged, Objective, cut_short, judge_runs, run_verdict
from runner.spec.loader import LoadedJourney
from runner.spec.loadprofile import LoadProfile
from runner.vocabulary import ABORTED, ERROR, FAIL, NOT_REACHED, PASS, RunVerdict

MAX_STAGE_REASONS = 10


@dataclass(slots=True)
class _Window:
    """Requests, failures, iterations and latency over a set of seconds."""

    requests: int = 0
    failures: int = 0
    steps: int = 0
    iterations: int = 0
    successes: int = 0
    cut_off: int = 0
    latency: Histogram = field(default_factory=Histogram)
    seconds: set[int] = field(default_factory=set)
    reasons: Counter[str] = field(default_factory=Counter)

    def add(self, second: int, tallies: dict[str, JourneyTally]) -> None:
        self.seconds.add(second)
        for tally in tallies.values():
            self.iterations += tally.attempts
            self.successes += tally.successes
            self.cut_off += tally.cut_off
            for step in tally.steps.values():
                self.requests += step.requests
                self.steps += step.attempts
                self.failures += step.failures
                self.latency.merge(step.latency)
                for reason, count in step.reasons.items():
                    self.reasons[f"{tally.journey} / {step.name}: {reason}"] += count


@dataclass(frozen=True, slots=True)
class RehearsalJudgement:
    """Per-journey judgements, the profile's objectives, the verdict and the load section."""

    judged: list[Judged]
    objectives: list[Objective]
    verdict: RunVerdict
    load: dict[str, Any]


@dataclass(slots=True)
class _Split:
    """The rehearsal's seconds sorted into stages and the judged window."""

    stages: list[_Window]
    judged: _Window
    tallies: dict[tuple[str, str], JourneyTally]
    note: str = ""  # how the judged window was chosen, when not the usual way


def judge_rehearsal(
    profile: LoadProfile,
    profile_path: str,
    journeys: list[LoadedJourney],
    outcome: RehearsalOutcome,
    time_scale: float,
) -> RehearsalJudgement:
    """Judge what `outcome` measured; see the module docstring for what counts."""
    exclude_ramp = profile.slo.exclude == "ramp"
    split = _split(profile, outcome, exclude_ramp)
    if not split.judged.seconds and exclude_ramp and _stopped_early(outcome):
        # the rail fired on the ramp: judge what was reached rather than nothing
        split = _split(profile, outcome, exclude_ramp=False)
        split.note = "judged on the ramp: the rehearsal stopped before any judged stage"
    used = [j for j in journeys if j.name in profile.mix]
    judged = judge_runs(used, split.tallies)
    objectives = _profile_objectives(profile, split, outcome)
    if why := _cut_short_reason(outcome):
        objectives = [cut_short(o, why) for o in objectives]
        judged = [_cut_short(entry, why) for entry in judged]
    if outcome.aborted:
        verdict: RunVerdict = ABORTED
    else:
        met = [entry.verdict for entry in judged]
        met += [PASS if o.met else FAIL for o in objectives]
        verdict = run_verdict(met, interrupted=outcome.interrupted)
    load = _load_section(profile, profile_path, outcome, split, time_scale, exclude_ramp)
    return RehearsalJudgement(judged, objectives, verdict, load)


def _stopped_early(outcome: RehearsalOutcome) -> bool:
    return outcome.aborted is not None or outcome.interrupted


def _cut_short_reason(outcome: RehearsalOutcome) -> str:
    if outcome.aborted is not None:
        return f"not judged past the abort at {outcome.aborted_at_s or 0.0:.1f}s"
    if outcome.interrupted:
        return f"not judged past the interruption at {outcome.stopped_at_s:.1f}s"
    return ""


def _cut_short(entry: Judged, why: str) -> Judged:
    objectives = [cut_short(o, why) for o in entry.objectives]
    verdict = entry.verdict if entry.verdict == ERROR else FAIL
    return replace(entry, objectives=objectives, verdict=verdict)


def _split(profile: LoadProfile, outcome: RehearsalOutcome, exclude_ramp: bool) -> _Split:
    plans = outcome.plans
    tallies: dict[tuple[str, str], JourneyTally] = {
        (name, "http"): JourneyTally(name, "http") for name in profile.mix
    }
    split = _Split([_Window() for _ in plans], _Window(), tallies)
    stopped_at = outcome.stopped_at_s if _stopped_early(outcome) else None
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
        if stopped_at is not None and t > stopped_at and not per_journey:
            continue  # after the stop, a second with nothing started was never reached
        split.stages[plan.index].add(second, per_journey)
        after_stop = stopped_at is not None and t > stopped_at
        after_end = t >= plans[-1].end_s  # runs still finishing once the profile ended
        if plan.judged(t, exclude_ramp) and not after_stop and not after_end:
            split.judged.add(second, per_journey)
            for name, tally in per_journey.items():
                tallies.setdefault((name, "http"), JourneyTally(name, "http")).merge(tally)
    return split


def _load_section(
    profile: LoadProfile,
    profile_path: str,
    outcome: RehearsalOutcome,
    split: _Split,
    time_scale: float,
    exclude_ramp: bool,
) -> dict[str, Any]:
    stages = [
        _stage_entry(plan, window, outcome, exclude_ramp, profile.open_model)
        for plan, window in zip(outcome.plans, split.stages, strict=True)
    ]
    whole = _Window()
    for window in split.stages:
        _absorb(whole, window)
    return {
        "profile": profile.profile,
        "file": profile_path,
        "model": "open" if profile.open_model else "closed",
        "time_scale": time_scale,
        "grace_s": outcome.grace_s,
        "judged_note": split.note,
        "stages": stages,
        "timeseries": _timeseries(outcome),
        "aborted": None
        if outcome.aborted is None
        else {"reason": outcome.aborted, "at_s": round(outcome.aborted_at_s or 0.0, 1)},
        "throughput": _throughput(profile, split.judged, outcome),
        "iterations": _iterations(whole, whole.seconds, outcome, profile.open_model),
        "workers": {
            "expected": outcome.workers_expected,
            "ready": outcome.workers_ready,
            "lost": list(outcome.lost_workers),
        },
        "generator": _generator(outcome),
        "dropped_iterations": outcome.dropped_iterations,
        "dropped_note": _dropped_note(profile, outcome, whole),
        "in_flight_max": _in_flight_max(outcome),
        "probes": None,
    }


def _absorb(into: _Window, window: _Window) -> None:
    into.requests += window.requests
    into.failures += window.failures
    into.steps += window.steps
    into.iterations += window.iterations
    into.successes += window.successes
    into.cut_off += window.cut_off
    into.latency.merge(window.latency)
    into.seconds |= window.seconds
    into.reasons.update(window.reasons)


def _iterations(
    window: _Window, seconds: set[int], outcome: RehearsalOutcome, open_model: bool
) -> dict[str, int | None]:
    """Asked = started + dropped; started = completed + failed (cut off among the failed)."""
    dropped = sum(outcome.dropped.get(s, 0) for s in seconds)
    return {
        "asked": sum(outcome.arrivals.get(s, 0) for s in seconds) if open_model else None,
        "started": window.iterations,
        "dropped": dropped if open_model else None,
        "completed": window.successes,
        "failed": window.iterations - window.successes,
        "cut_off": window.cut_off,
    }


def _stage_entry(
    plan: StagePlan,
    window: _Window,
    outcome: RehearsalOutcome,
    exclude_ramp: bool,
    open_model: bool,
) -> dict[str, Any]:
    duration = max(len(window.seconds), 1)
    asked = [
        rate
        for second, rate in outcome.asked.items()
        if plan.start_s <= second - outcome.started < plan.end_s
    ]
    reached = not (_stopped_early(outcome) and plan.start_s >= outcome.stopped_at_s)
    return {
        "name": plan.name,
        "start_s": round(plan.start_s, 1),
        "ramp_end_s": round(plan.ramp_end_s, 1),
        "end_s": round(plan.end_s, 1),
        "target": plan.target,
        "unit": plan.unit,
        "judged": _judged_label(plan, exclude_ramp) if reached else NOT_REACHED,
        "requests": window.requests,
        "failures": window.failures,
        "error_ratio": round(window.failures / window.steps, 6) if window.steps else None,
        "iterations": window.iterations,
        "iterations_per_s": round(window.iterations / duration, 3),
        "completed_per_s": round(window.successes / duration, 3),
        "asked_per_s": round(sum(asked) / len(asked), 3)
        if asked and plan.unit != "users"
        else None,
        "latency_s": window.latency.summary(),
        "conservation": _iterations(window, window.seconds, outcome, open_model),
        "reasons": dict(window.reasons.most_common(MAX_STAGE_REASONS)),
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
        in_flight = outcome.in_flight_at(second)
        rows.append(
            {
                "t": second - start,
                "requests": window.requests,
                "errors": window.failures,
                "iterations": window.iterations,
                "completed": window.successes,
                "dropped": outcome.dropped.get(second, 0),
                "in_flight": None if in_flight is None else sum(in_flight.values()),
                "p50": _rounded(window.latency.quantile(0.5)),
                "p95": _rounded(window.latency.quantile(0.95)),
                "users": outcome.users.get(second),
                "asked": _rounded(outcome.asked.get(second)),
            }
        )
    return rows


def _in_flight_max(outcome: RehearsalOutcome) -> int:
    totals = [sum((outcome.in_flight_at(s) or {}).values()) for s in outcome.in_flight]
    return max(totals, default=0)


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 6)


def _steady(window: _Window) -> list[int]:
    """Judged seconds away from an edge.

    The shape changes what it asks once a second, so a second next to a stage's edge (or the
    run's) may have run at the previous rate.
    """
    return sorted(s for s in window.seconds if s - 1 in window.seconds and s + 1 in window.seconds)


def _throughput(profile: LoadProfile, window: _Window, outcome: RehearsalOutcome) -> dict[str, Any]:
    """Iterations completed (passed within their timeouts) per second, against the plan.

    Completions are counted by the second their iteration started (its arrival was due), so
    a second of the judged window is judged on what it asked for, however late the answers.
    """
    steady = _steady(window)
    tallies = [tally for second in steady for tally in outcome.seconds.get(second, {}).values()]
    completed = sum(tally.successes for tally in tallies)
    started = sum(tally.attempts for tally in tallies)
    requests = sum(tally.requests for tally in tallies)
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
        "achieved_per_s": round(completed / count, 3),
        "started_per_s": round(started / count, 3),
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


def _dropped_note(profile: LoadProfile, outcome: RehearsalOutcome, whole: _Window) -> str:
    """What the figures say held the dropped arrivals back: our CPU, or the target."""
    dropped = outcome.dropped_iterations
    if not dropped:
        return ""
    if outcome.overloaded_seconds >= 3:
        return (
            f"{dropped} arrivals dropped: the load generator ran at {outcome.cpu_max:.0f}% CPU, "
            "so it could not start them; add workers"
        )
    in_flight, p95 = _in_flight_max(outcome), whole.latency.quantile(0.95)
    if in_flight >= 0.8 * profile.max_users:
        latency = "" if p95 is None else f", p95 {p95:.2f}s"
        return (
            f"{dropped} arrivals dropped: the users of the pool were all waiting on the target "
            f"({in_flight} requests outstanding of max_users {profile.max_users}{latency}); "
            "the target is not keeping up, and more users would only queue more requests"
        )
    return (
        f"{dropped} arrivals dropped with at most {in_flight} of {profile.max_users} users "
        "busy: raise max_users"
    )


def _profile_objectives(
    profile: LoadProfile, split: _Split, outcome: RehearsalOutcome
) -> list[Objective]:
    name, slo, window, out = profile.profile, profile.slo, split.judged, []
    suffix = f" ({split.note})" if split.note else ""
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
                else f"{window.failures} of {window.steps} requests failed{suffix}",
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
                "no data" if value is None else f"{stat} {value:.3f}s vs {limit:g}s{suffix}",
            )
        )
    out += _throughput_objectives(profile, split, outcome)
    return out


def _throughput_objectives(
    profile: LoadProfile, split: _Split, outcome: RehearsalOutcome
) -> list[Objective]:
    """Per judged stage: completions / asked (open model), completions per second (min_rate)."""
    name, slo, out = profile.profile, profile.slo, []
    for plan in outcome.plans:
        window = _Window()
        window.seconds = {
            s
            for s in split.judged.seconds
            if stage_at(outcome.plans, s - outcome.started + 0.5) is plan
        }
        if not window.seconds:
            continue
        figures = _throughput(profile, window, outcome)
        label = f"{name}: throughput in {plan.name}"
        achieved, asked = figures["achieved_per_s"], figures["asked_per_s"]
        seconds = figures["seconds"]
        if slo.throughput is not None and profile.open_model:
            ratio = achieved / asked if asked and seconds else None
            detail = (
                "no data: no steady second judged"
                if ratio is None
                else f"{achieved:.2f}/s completed of {asked:.2f}/s asked "
                f"({figures['started_per_s']:.2f}/s started) over {seconds}s"
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
