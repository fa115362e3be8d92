"""`journey run`: probes once (or `--repeat N`), judged, written, summarised.

Whatever happens mid-run (a failing target, Ctrl-C, SIGTERM), what was measured is judged
and written: outputs are produced after the loop, from the tallies, in every case. The values
of `record: true` captures are the exception: they go to captures.jsonl as each run ends.
With `--push-to`, the same metrics then go to a Pushgateway, once, after the summary.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, cast

from rich.console import Console

from runner.builder import build_document
from runner.document import ResultsDocument
from runner.engines.browser_thread import BrowserOptions
from runner.engines.probe import ProbeOptions, ProbeRound, pairs_of
from runner.errors import Problem, SpecError
from runner.outdir import plan_out_dir
from runner.outputs.captures import CAPTURES_FILE, CapturesFile
from runner.outputs.console import RedactingWriter, print_summary, stdout_console
from runner.outputs.files import write_outputs
from runner.outputs.progress import Progress, RunCounter
from runner.outputs.pushgateway import DEFAULT_JOB, push_document
from runner.redact import Redactor
from runner.results import Engine, JourneyRun, JourneyTally
from runner.slo import judge_runs, run_verdict
from runner.spec import load_journeys, resolve_target
from runner.spec.loader import LoadedJourney
from runner.spec.origins import check_secret_origins
from runner.spec.secrets import secret_values
from runner.spec.thresholds import run_bounds
from runner.stopping import Stopping
from runner.vocabulary import ERROR, PASSED

ENGINES: dict[str, tuple[Engine, ...]] = {
    "http": ("http",),
    "browser": ("browser",),
    "all": ("http", "browser"),
}


def select_journeys(
    journeys: list[LoadedJourney], tags: list[str], engines: tuple[Engine, ...]
) -> list[LoadedJourney]:
    """Journeys carrying any of `tags` (all when none given) with a flow for one of `engines`.

    Raises SpecError when the selection is empty: running nothing must not pass.
    """
    chosen = [
        j
        for j in journeys
        if (not tags or set(tags) & set(j.spec.tags)) and set(engines) & set(j.spec.flows())
    ]
    if not chosen:
        flows = " or ".join(f"a {engine} flow" for engine in engines)
        wanted = f"tag {', '.join(tags)} and {flows}" if tags else flows
        flag = "tag" if tags else "engine"
        raise SpecError([Problem(f"--{flag}", 1, 1, (flag,), f"no journey has {wanted}")])
    return chosen


def run_command(args: argparse.Namespace, console: Console | None = None) -> ResultsDocument:
    """Run `journey run` as parsed by the CLI; return what it wrote (its exit code is in it).

    Under `args.stopping` (cli.main's), deferred: a first Ctrl-C or SIGTERM ends the runs at
    the next step, and what was measured is still judged and written (verdict "interrupted").
    """
    stopping: Stopping = getattr(args, "stopping", None) or Stopping()
    with stopping.deferred():
        return _run(args, console, stopping)


def _run(args: argparse.Namespace, console: Console | None, stopping: Stopping) -> ResultsDocument:
    engines = ENGINES[args.engine]
    journeys = select_journeys(load_journeys(args.paths), args.tag, engines)
    target = resolve_target(args.target, Path(args.targets) if args.targets else None)
    check_secret_origins(journeys, target)  # before anything is sent: exit 2
    redactor = Redactor(secret_values(journeys, target))
    console = console or stdout_console(redactor)
    out = plan_out_dir(args.out, "run")  # made when first written to: exit 2 leaves none
    out_dir = out.path
    bounds = run_bounds(j.spec for j in journeys)
    tallies: dict[tuple[str, str], JourneyTally] = {
        (j.name, engine): JourneyTally(j.name, engine, bounds)
        for j in journeys
        for engine in j.spec.flows()
        if engine in engines
    }
    started = time.time()
    interrupted = False
    options = ProbeOptions(
        repeat=args.repeat,
        engines=engines,
        duration_s=args.duration,
        interval_s=args.interval,
        stopping=stopping,
        browser=BrowserOptions(
            artefacts=out_dir / "artefacts",
            scrub=redactor.scrub,
            browser_path=args.browser_path,
            trace=args.trace == "on-failure",
        ),
    )
    with contextlib.ExitStack() as stack:
        try:
            stopping.check()  # stopped while starting up: no Chromium to launch for nothing
            probes = stack.enter_context(ProbeRound(pairs_of(journeys, target), options))
        except KeyboardInterrupt:  # stopped before any run: every journey "not run", written
            probes, interrupted = None, True
        counter = RunCounter(planned_runs(args, len(tallies)))
        progress = stack.enter_context(Progress(console, quiet=getattr(args, "quiet", False)))
        progress.follow(lambda: counter.line(progress.elapsed_s))
        captures = stack.enter_context(CapturesFile(out_dir / CAPTURES_FILE, redactor))
        try:
            timeline = stack.enter_context(_timeline(out_dir, args.timeline))
            for run in probes.runs() if probes is not None else ():
                tallies[(run.journey, run.engine)].add(run)
                timeline(run)
                captures.add_run(run)
                counter.add(run.outcome == PASSED)
        except KeyboardInterrupt:
            interrupted = True
    ended = time.time()
    interrupted = interrupted or stopping.requested()  # a stop after the last run is one too
    judged = judge_runs(journeys, tallies, args.confidence)
    verdict = run_verdict([entry.verdict for entry in judged], interrupted=interrupted)
    reasons = [stopping.reason] if interrupted else []
    if verdict == ERROR:
        first = next(f for t in tallies.values() for f in t.failures)
        reasons.append(f"no response from {target.name}: {first.reason}")
    elif not_run := [
        f"{e.journey.name} [{e.tally.engine}]" for e in judged if not e.tally.attempts
    ]:
        reasons.append(f"never ran: {', '.join(not_run)}")
    reason = "; ".join(filter(None, reasons))
    document = build_document(
        command="run",
        target=target,
        started=started,
        ended=ended,
        verdict=verdict,
        judged=judged,
        out_dir=out_dir,
        reason=reason,
        confidence=args.confidence,
        require_evidence=args.require_evidence,
        command_line=getattr(args, "command_line", ""),
    )
    captures.complete()
    write_outputs(document, out_dir, redactor)
    out.publish()  # reports/latest moves only now that the outputs are there
    print_summary(document, console, str(out_dir), quiet=getattr(args, "quiet", False))
    if push_to := getattr(args, "push_to", None):
        _push(document, push_to, getattr(args, "push_job", DEFAULT_JOB), redactor)
    return document


def _push(document: ResultsDocument, url: str, job: str, redactor: Redactor) -> None:
    """`--push-to`: the run's metrics to a Pushgateway, once, whatever the verdict.

    Interrupted (130) and errored (3) runs push too: what was measured is what the Pushgateway
    should hold. A failed push is one line on stderr and leaves the exit code the verdict's:
    the alert on `push_time_seconds` going stale catches a probe whose pushes stopped.
    """
    reason = push_document(document, url, job=job, redactor=redactor)
    if reason is not None:
        stderr = cast(IO[str], RedactingWriter(sys.stderr, redactor))
        errors = Console(file=stderr, highlight=False, soft_wrap=True)
        errors.print(f"journey: could not push to {url}: {reason}", markup=False)


def planned_runs(args: argparse.Namespace, flows: int) -> int:
    """Runs `journey run` makes at most: its rounds (fewer when `--duration` ends them) by flows."""
    rounds: int = args.repeat
    if args.duration is not None:
        rounds = min(rounds, math.ceil(args.duration / args.interval)) if args.interval else rounds
    return max(rounds, 1) * flows


@contextlib.contextmanager
def _timeline(out_dir: Path, wanted: bool) -> Iterator[Callable[[JourneyRun], None]]:
    """With `--timeline`, one JSON line per run in timeline.jsonl, written as runs end.

    `journey load` plots its probes' runs against the load from this file.
    """
    if not wanted:
        yield lambda run: None
        return
    out_dir.mkdir(parents=True, exist_ok=True)  # the run has started: its folder may exist
    with (out_dir / "timeline.jsonl").open("a", encoding="utf-8") as handle:

        def write(run: JourneyRun) -> None:
            line = {
                "started": round(run.started, 3),
                "journey": run.journey,
                "engine": run.engine,
                "outcome": run.outcome,
                "duration_s": round(run.duration_s, 6),
            }
            handle.write(json.dumps(line) + "\n")
            handle.flush()

        yield write
