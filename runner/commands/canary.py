"""`journey canary`: baseline against candidate, look by look, until the rule decides.

The warm-up runs first on both arms and is discarded but for the baseline's medians, which fix
each latency margin's floor. Then each look runs `--iterations` of every journey per arm (both
arms at once, runner/engines/arms.py), judges every metric of the family over all samples so
far (runner/slo/canary.py) and stops at the first decision: a rollback at once, an early
promotion once everything is shown within its margin, else hold or promote at the last look.

Whatever ends it (a decision, the maximum duration, Ctrl-C, an arm that cannot be reached),
what was measured is judged and written: results.json with its canary section, JUnit, the
report and the console, the candidate as the document's target and the baseline beside it.
"""

from __future__ import annotations

import argparse
import contextlib
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from rich.console import Console

from runner.builder import build_document
from runner.builder.canary import ArmsSeen, canary_section
from runner.commands.run import ENGINES, select_journeys
from runner.document import CanaryMetric, ResultsDocument
from runner.engines.arms import Arms, Batch
from runner.engines.browser_thread import BrowserOptions
from runner.engines.probe import ProbeOptions, ProbeRound, pairs_of
from runner.outdir import plan_out_dir
from runner.outputs.captures import CAPTURES_FILE, CapturesFile
from runner.outputs.console import print_summary, stdout_console
from runner.outputs.files import write_outputs
from runner.redact import Redactor
from runner.results import JourneyTally
from runner.slo import judge_runs
from runner.slo.canary import (
    CanaryPlan,
    Decision,
    FamilyJudge,
    Margins,
    SloState,
    decide,
    slo_state,
)
from runner.slo.canary_family import ArmSamples, MetricSpec, family_of
from runner.spec import load_journeys
from runner.spec.loader import LoadedJourney
from runner.spec.origins import check_secret_origins
from runner.spec.secrets import secret_values
from runner.spec.target import Target, resolve_target
from runner.spec.thresholds import run_bounds
from runner.stopping import Stopping
from runner.vocabulary import BEYOND_MARGIN, ERROR, INTERRUPTED, WITHIN_MARGIN, RunVerdict

ARMS = ("baseline", "candidate")


def canary_command(args: argparse.Namespace, console: Console | None = None) -> ResultsDocument:
    """Run `journey canary` as parsed by the CLI; return what it wrote (its exit code is in it).

    Under `args.stopping` (cli.main's), deferred: a first Ctrl-C or SIGTERM ends both arms after
    their runs in progress, and what was measured is judged and written ("interrupted").
    """
    stopping: Stopping = getattr(args, "stopping", None) or Stopping()
    with stopping.deferred():
        return _canary(args, console, stopping)


def plan_of(args: argparse.Namespace) -> CanaryPlan:
    """The plan the flags ask for; `--margin` values override the defaults one by one."""
    given = dict(args.margin)
    defaults = Margins()
    margins = Margins(
        latency=given.get("latency", defaults.latency),
        freshness=given.get("freshness", defaults.freshness),
        floor_s=given.get("floor", defaults.floor_s),
        errors=given.get("errors", defaults.errors),
        slow=given.get("slow", defaults.slow),
    )
    return CanaryPlan(args.looks, args.iterations, args.warmup, args.alpha, margins)


@dataclass(slots=True)
class _Arm:
    """One arm's target, its samples for the family and its tallies for the SLOs."""

    target: Target
    samples: dict[tuple[str, str], ArmSamples] = field(default_factory=dict)
    tallies: dict[tuple[str, str], JourneyTally] = field(default_factory=dict)


def _canary(
    args: argparse.Namespace, console: Console | None, stopping: Stopping
) -> ResultsDocument:
    engines = ENGINES[args.engine]
    journeys = select_journeys(load_journeys(args.paths), args.tag, engines)
    path = Path(args.targets) if args.targets else None
    baseline = resolve_target(args.baseline, path, "--baseline")
    candidate = resolve_target(args.candidate, path, "--candidate")
    for target in (baseline, candidate):
        check_secret_origins(journeys, target)  # before anything is sent: exit 2
    redactor = Redactor(secret_values(journeys, baseline) | secret_values(journeys, candidate))
    console = console or stdout_console(redactor)
    quiet = getattr(args, "quiet", False)
    plan = plan_of(args)
    items = [(j, e) for j in journeys for e in j.spec.flows() if e in engines]
    family = [spec for journey, engine in items for spec in family_of(journey.spec, engine)]
    judge = FamilyJudge(plan, family)
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(2**31)
    out = plan_out_dir(args.out, "canary")
    out_dir = out.path
    bounds = run_bounds(j.spec for j in journeys)
    arms = {"baseline": _Arm(baseline), "candidate": _Arm(candidate)}
    for arm in arms.values():
        for journey, engine in items:
            arm.samples[(journey.name, engine)] = ArmSamples()
            arm.tallies[(journey.name, engine)] = JourneyTally(journey.name, engine, bounds)
    if not quiet:
        console.print(
            f"canary: {len(items)} comparison(s), m = {judge.m} metrics at α/m = "
            f"{judge.level:.4g}; {plan.looks} looks × {plan.iterations} runs per arm after "
            f"{plan.warmup} warm-up; seed {seed}",
            markup=False,
            highlight=False,
        )
    started = time.time()
    deadline = time.monotonic() + args.max_duration if args.max_duration else None
    options = ProbeOptions(
        engines=engines,
        stopping=stopping,
        browser=BrowserOptions(
            artefacts=out_dir / "artefacts",
            scrub=redactor.scrub,
            browser_path=args.browser_path,
            trace=args.trace == "on-failure",
        ),
    )
    metrics: list[CanaryMetric] = []
    slos: list[SloState] = []
    decision = Decision(None)
    looks_done = 0
    verdict: RunVerdict | None = None
    reasons: list[str] = []
    with contextlib.ExitStack() as stack:
        captures = stack.enter_context(CapturesFile(out_dir / CAPTURES_FILE, redactor))
        try:
            stopping.check()
            probes = stack.enter_context(
                ProbeRound(pairs_of(journeys, baseline, candidate), options)
            )
            runner = stack.enter_context(
                Arms(
                    items,
                    probes.engines,
                    baseline,
                    candidate,
                    seed=seed,
                    stopping=stopping,
                    deadline=deadline,
                )
            )
            warm = runner.run(plan.warmup) if plan.warmup else None
            if warm is not None:
                verdict, reasons = _unreachable(warm, arms)
                warm_samples = {key: ArmSamples() for key in arms["baseline"].samples}
                for run in warm.baseline:
                    warm_samples[(run.journey, run.engine)].add(run)
                judge.fix_margins(warm_samples)
                stopping.check()
            look = 0
            while verdict is None and look < plan.looks:
                look += 1
                batch = runner.run(plan.iterations)
                _add(batch, arms, captures)
                verdict, reasons = _unreachable(batch, arms)
                if verdict is not None:
                    break
                stopping.check()
                cut = "" if batch.complete else _cut_short(args.max_duration, look, plan.looks)
                metrics = [judge.judge(spec, look, *_samples(arms, spec)) for spec in family]
                slos = _slos(journeys, arms, args.confidence)
                decision = decide(metrics, slos, final=look == plan.looks, cut_short=cut)
                looks_done = look
                if not quiet:
                    console.print(
                        _progress(look, plan, batch, metrics), markup=False, highlight=False
                    )
                if decision.verdict is not None:  # always, once cut short: decide holds then
                    verdict, reasons = decision.verdict, list(decision.reasons)
        except KeyboardInterrupt:
            verdict, reasons = INTERRUPTED, [stopping.reason or "stopped"]
    if stopping.requested() and verdict not in (ERROR,):
        verdict, reasons = INTERRUPTED, [stopping.reason]
    ended = time.time()
    assert verdict is not None
    judged = {
        name: judge_runs(journeys, arm.tallies, args.confidence) for name, arm in arms.items()
    }
    if not slos:
        slos = _slos(journeys, arms, args.confidence)
    section = canary_section(
        plan=plan,
        baseline=baseline,
        candidate=candidate,
        reasons=reasons,
        looks_done=looks_done,
        family_size=judge.m,
        boundaries=judge.boundaries,
        metrics=metrics,
        slos=slos,
        arms=ArmsSeen(
            arms["baseline"].samples,
            arms["candidate"].samples,
            judged["baseline"],
            judged["candidate"],
        ),
        out_dir=out_dir,
        early=verdict not in (ERROR, INTERRUPTED) and 0 < looks_done < plan.looks,
    )
    document = build_document(
        command="canary",
        target=candidate,
        started=started,
        ended=ended,
        verdict=verdict,
        judged=judged["candidate"],
        out_dir=out_dir,
        reason=_document_reason(reasons, judge.m, looks_done, plan.looks),
        canary=section,
        confidence=args.confidence,
        command_line=getattr(args, "command_line", ""),
    )
    captures.complete()
    write_outputs(document, out_dir, redactor)
    out.publish()
    print_summary(document, console, str(out_dir), quiet=quiet)
    return document


def _samples(arms: dict[str, _Arm], spec: MetricSpec) -> tuple[ArmSamples, ArmSamples]:
    key = (spec.journey, spec.engine)
    return arms["baseline"].samples[key], arms["candidate"].samples[key]


def _add(batch: Batch, arms: dict[str, _Arm], captures: CapturesFile) -> None:
    for name in ARMS:
        arm = arms[name]
        for run in batch.arm(name):
            key = (run.journey, run.engine)
            arm.samples[key].add(run)
            arm.tallies[key].add(run)
            captures.add_run(run)


def _unreachable(batch: Batch, arms: dict[str, _Arm]) -> tuple[RunVerdict | None, list[str]]:
    """Error when every run an arm made in `batch` found no one to connect to."""
    for name in ARMS:
        runs = batch.arm(name)
        if runs and all(run.unreachable for run in runs):
            failure = runs[0].failure
            why = failure.reason if failure is not None else "no connection"
            return ERROR, [f"the {name} could not be reached ({arms[name].target.name}): {why}"]
    return None, []


def _slos(
    journeys: Sequence[LoadedJourney], arms: dict[str, _Arm], confidence: float
) -> list[SloState]:
    judged = {name: judge_runs(journeys, arm.tallies, confidence) for name, arm in arms.items()}
    states = []
    for base, cand in zip(judged["baseline"], judged["candidate"], strict=True):
        if not base.tally.attempts or not cand.tally.attempts:
            continue
        label = (
            f"{base.journey.name} [{base.tally.engine}]"
            if len(judged["baseline"]) > 1
            else base.journey.name
        )
        states.append(slo_state(label, base.objectives, cand.objectives, confidence))
    return states


def _cut_short(max_duration: float | None, look: int, looks: int) -> str:
    if max_duration is None:
        return f"stopped during look {look}/{looks}"
    return f"the maximum duration ({max_duration:g} s) ended the canary at look {look}/{looks}"


def _progress(look: int, plan: CanaryPlan, batch: Batch, metrics: Sequence[CanaryMetric]) -> str:
    beyond = [m for m in metrics if m.classification == BEYOND_MARGIN]
    within = sum(m.classification == WITHIN_MARGIN for m in metrics)
    undecided = len(metrics) - len(beyond) - within
    line = (
        f"look {look}/{plan.looks}: {len(batch.candidate)} candidate and {len(batch.baseline)} "
        f"baseline runs; {len(beyond)} beyond margin, {within} within, {undecided} undecided"
    )
    return f"{line}; {beyond[0].reason}" if beyond else line


def _document_reason(reasons: Sequence[str], m: int, looks_done: int, looks: int) -> str:
    """The verdict line's reason: the deciding lines, then the family size and the look."""
    shown = "; ".join(reasons[:3]) + (f"; and {len(reasons) - 3} more" if len(reasons) > 3 else "")
    return f"{shown} (m = {m} metrics, look {looks_done}/{looks})" if shown else ""
