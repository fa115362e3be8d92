"""A rehearsal's load section: its plan, stages, time series, conservation and what to doubt.

Shaped from what the master measured (the outcome) and the seconds the judge split into stages
and the judged window, so that judging stays about verdicts and the document about figures.
Iterations are conserved and shown: asked = started + dropped, started = completed + failed
(those cut off at the end among the failed).
"""

from __future__ import annotations

from runner.builder.journeys import percentiles
from runner.document import (
    Aborted,
    Generator,
    Iterations,
    LoadSection,
    Peak,
    Probes,
    SecondRow,
    StageEntry,
    Workers,
)
from runner.engines.load.outcome import RehearsalOutcome
from runner.engines.load.timeline import StagePlan
from runner.results import JourneyTally
from runner.slo.windows import Split, Window, stopped_early, throughput
from runner.spec.loadprofile import LoadProfile
from runner.vocabulary import NOT_REACHED

MAX_STAGE_REASONS = 10
TIMES = "\u00d7"  # the multiplication sign, as in "1.0 times the expected peak"
EVIDENCE_NOTE = (
    "bounds count requests as independent samples; under load they share the target's "
    "queues and caches, so the evidence reads stronger than it is"
)
OVERLOADED_SECONDS = 3  # seconds over 90 % CPU before the figures are said to be doubtful


def load_section(
    profile: LoadProfile,
    profile_path: str,
    outcome: RehearsalOutcome,
    split: Split,
    time_scale: float,
    probes: Probes | None = None,
) -> LoadSection:
    """What a rehearsal adds to the results; `probes` are its browser probes, if any ran."""
    whole = split.whole()
    return LoadSection(
        profile=profile.profile,
        file=profile_path,
        model="open" if profile.open_model else "closed",
        time_scale=time_scale,
        grace_s=outcome.grace_s,
        judged_note=split.note,
        stages=tuple(
            _stage_entry(plan, window, outcome, split.exclude_ramp, profile.open_model)
            for plan, window in zip(outcome.plans, split.stages, strict=True)
        ),
        timeseries=tuple(_timeseries(outcome)),
        aborted=None
        if outcome.aborted is None
        else Aborted(outcome.aborted, round(outcome.aborted_at_s or 0.0, 1)),
        throughput=throughput(profile, split.judged, outcome),
        iterations=_iterations(whole, outcome, profile.open_model),
        workers=Workers(
            outcome.workers_expected, outcome.workers_ready, tuple(outcome.lost_workers)
        ),
        generator=_generator(outcome),
        dropped_iterations=outcome.dropped_iterations,
        dropped_note=_dropped_note(profile, outcome, whole),
        in_flight_max=_in_flight_max(outcome),
        probes=probes,
        peak=_peak(profile),
        rehearsed=rehearsed(profile, outcome, time_scale),
        evidence_note=EVIDENCE_NOTE,
    )


def whole_rehearsal(outcome: RehearsalOutcome) -> dict[tuple[str, str], JourneyTally]:
    """Every second's runs per (journey, engine), judged or not, merged in order.

    What the journeys recorded is of the whole rehearsal (captures.jsonl has every value),
    while the judged tallies hold the judged seconds only.
    """
    whole: dict[tuple[str, str], JourneyTally] = {}
    for second in sorted(outcome.seconds):
        for name, tally in outcome.seconds[second].items():
            key = (name, tally.engine)
            whole.setdefault(key, JourneyTally(name, tally.engine)).merge(tally)
    return whole


def _iterations(window: Window, outcome: RehearsalOutcome, open_model: bool) -> Iterations:
    """Asked = started + dropped; started = completed + failed (cut off among the failed)."""
    seconds = window.seconds
    return Iterations(
        asked=sum(outcome.arrivals.get(s, 0) for s in seconds) if open_model else None,
        started=window.iterations,
        dropped=sum(outcome.dropped.get(s, 0) for s in seconds) if open_model else None,
        completed=window.successes,
        failed=window.iterations - window.successes,
        cut_off=window.cut_off,
    )


def _stage_entry(
    plan: StagePlan,
    window: Window,
    outcome: RehearsalOutcome,
    exclude_ramp: bool,
    open_model: bool,
) -> StageEntry:
    duration = max(len(window.seconds), 1)
    asked = [
        rate
        for second, rate in outcome.asked.items()
        if plan.start_s <= second - outcome.started < plan.end_s
    ]
    reached = not (stopped_early(outcome) and plan.start_s >= outcome.stopped_at_s)
    return StageEntry(
        name=plan.name,
        start_s=round(plan.start_s, 1),
        ramp_end_s=round(plan.ramp_end_s, 1),
        end_s=round(plan.end_s, 1),
        target=plan.target,
        unit=plan.unit,
        judged=_judged_label(plan, exclude_ramp) if reached else NOT_REACHED,
        requests=window.requests,
        failures=window.failures,
        error_ratio=round(window.failures / window.steps, 6) if window.steps else None,
        iterations=window.iterations,
        iterations_per_s=round(window.iterations / duration, 3),
        completed_per_s=round(window.successes / duration, 3),
        asked_per_s=round(sum(asked) / len(asked), 3) if asked and plan.unit != "users" else None,
        latency_s=percentiles(window.latency),
        conservation=_iterations(window, outcome, open_model),
        reasons=dict(window.reasons.most_common(MAX_STAGE_REASONS)),
    )


def _judged_label(plan: StagePlan, exclude_ramp: bool) -> str:
    if not exclude_ramp:
        return "judged"
    if plan.target == 0:
        return "excluded"  # a cool-down: nothing of it is judged
    return "ramp excluded" if plan.ramp_end_s > plan.start_s else "judged"


def _timeseries(outcome: RehearsalOutcome) -> list[SecondRow]:
    rows = []
    start, end = int(outcome.started), int(outcome.ended) + 1
    for second in range(start, end):
        window = Window()
        window.add(second, outcome.seconds.get(second, {}))
        in_flight = outcome.in_flight_at(second)
        rows.append(
            SecondRow(
                t=second - start,
                requests=window.requests,
                errors=window.failures,
                iterations=window.iterations,
                completed=window.successes,
                dropped=outcome.dropped.get(second, 0),
                in_flight=None if in_flight is None else sum(in_flight.values()),
                p50=_rounded(window.latency.quantile(0.5)),
                p95=_rounded(window.latency.quantile(0.95)),
                users=outcome.users.get(second),
                asked=_rounded(outcome.asked.get(second)),
            )
        )
    return rows


def _in_flight_max(outcome: RehearsalOutcome) -> int:
    totals = [sum((outcome.in_flight_at(s) or {}).values()) for s in outcome.in_flight]
    return max(totals, default=0)


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 6)


def _generator(outcome: RehearsalOutcome) -> Generator:
    overloaded = outcome.overloaded_seconds >= OVERLOADED_SECONDS
    note = (
        f"a load generator ran at {outcome.cpu_max:.0f}% CPU for {outcome.overloaded_seconds}s: "
        "latency and throughput figures measure the generator too, add workers"
        if overloaded
        else ""
    )
    return Generator(round(outcome.cpu_max, 1), overloaded, note)


def _dropped_note(profile: LoadProfile, outcome: RehearsalOutcome, whole: Window) -> str:
    """What the figures say held the dropped arrivals back: our CPU, or the target."""
    dropped = outcome.dropped_iterations
    if not dropped:
        return ""
    if outcome.overloaded_seconds >= OVERLOADED_SECONDS:
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


def _peak(profile: LoadProfile) -> Peak | None:
    peak = profile.peak
    if peak is None:
        return None
    if peak.users is not None:
        return Peak(peak.event, float(peak.users), "users")
    return Peak(peak.event, float(peak.rate or 0.0), "iterations/s")


def rehearsed(profile: LoadProfile, outcome: RehearsalOutcome, time_scale: float) -> str:
    """What was held, for how long, against the expected peak, and at what time scale.

    "held 60 users for 10 min: 1.0x the expected flash sale peak"; a profile without an
    expected peak is "not a peak rehearsal"; below time scale 1 the real hold lengths are said.
    Durations are the profile's (run time / time scale); a stop cuts the hold short.
    """
    plans = outcome.plans
    top = max(plan.target for plan in plans)
    stop = outcome.stopped_at_s if stopped_early(outcome) else plans[-1].end_s
    held_run_s = sum(
        max(0.0, min(plan.end_s, stop) - plan.ramp_end_s) for plan in plans if plan.target == top
    )
    planned_run_s = sum(plan.end_s - plan.ramp_end_s for plan in plans if plan.target == top)
    amount = _amount(top, plans[0].unit)
    if held_run_s <= 0:
        words = f"never held {amount}: stopped at {_duration(stop / time_scale)}"
    else:
        words = f"held {amount} for {_duration(held_run_s / time_scale)}"
    peak = profile.peak
    if peak is None:
        words += ": not a peak rehearsal"
    else:
        expected = float(peak.users if peak.users is not None else peak.rate or 0.0)
        words += f": {top / expected:.1f}{TIMES} the expected {peak.event} peak"
    if time_scale < 1:
        words += (
            f"; played at {time_scale:g}{TIMES}: each hold lasted {_duration(planned_run_s)}, "
            f"not {_duration(planned_run_s / time_scale)}"
        )
    return words


def _amount(value: float, unit: str) -> str:
    if unit == "users":
        return f"{value:g} user{'s' * (value != 1)}"
    return f"{value:g} arrivals/s"


def _duration(seconds: float) -> str:
    """`32 s`, `10 min`, `10 min 30 s`, `1 h 5 min`: as a person says a rehearsal's length."""
    whole = round(seconds)
    if whole < 60:
        return f"{whole} s"
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [f"{hours} h"] * bool(hours) + [f"{minutes} min"] * bool(minutes)
    parts += [f"{secs} s"] * bool(secs)
    return " ".join(parts)
