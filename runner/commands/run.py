"""`journey run`: probes once (or `--repeat N`), judged, written, summarised.

Whatever happens mid-run (a failing target, Ctrl-C, SIGTERM), what was measured is judged
and written: outputs are produced after the loop, from the tallies, in every case.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from rich.console import Console

from runner.engines.probe import run_probes
from runner.errors import Problem, SpecError
from runner.outdir import prepare_out_dir
from runner.outputs.console import RedactingWriter, print_summary
from runner.outputs.junit import write_junit
from runner.outputs.results_json import build_results, write_results
from runner.redact import Redactor
from runner.results import JourneyTally
from runner.slo import RunVerdict, evaluate_journey, journey_verdict, run_verdict
from runner.spec import load_journeys, resolve_target
from runner.spec.loader import LoadedJourney
from runner.spec.secrets import secret_values


def select_journeys(
    journeys: list[LoadedJourney], tags: list[str], engine: str
) -> list[LoadedJourney]:
    """Journeys carrying any of `tags` (all when none given) that have a flow for `engine`.

    Raises SpecError when the selection is empty: running nothing must not pass.
    """
    chosen = [j for j in journeys if not tags or set(tags) & set(j.spec.tags)]
    if engine == "browser":
        chosen = []  # browser flows arrive with the browser engine
    if not chosen:
        wanted = f"tag {', '.join(tags)}" if tags else f"a {engine} flow"
        message = f"no journey selected: none has {wanted}"
        flag = "tag" if tags else "engine"
        raise SpecError([Problem(f"--{flag}", 1, 1, (flag,), message)])
    return chosen


def run_command(args: argparse.Namespace, console: Console | None = None) -> RunVerdict:
    """Run `journey run` as parsed by the CLI; return the run's verdict."""
    journeys = select_journeys(load_journeys(args.paths), args.tag, args.engine)
    target = resolve_target(args.target, Path(args.targets) if args.targets else None)
    redactor = Redactor(secret_values(journeys, target))
    console = console or Console(file=RedactingWriter(sys.stdout, redactor))  # type: ignore[arg-type]
    tallies = {journey.name: JourneyTally(journey.name, "http") for journey in journeys}
    started = time.time()
    interrupted = False
    try:
        for run in run_probes(journeys, target, repeat=args.repeat):
            tallies[run.journey].add(run)
    except KeyboardInterrupt:
        interrupted = True
    ended = time.time()
    objectives = {j.name: evaluate_journey(j.spec, tallies[j.name]) for j in journeys}
    verdicts = {j.name: journey_verdict(tallies[j.name], objectives[j.name]) for j in journeys}
    verdict = run_verdict(list(verdicts.values()), interrupted=interrupted)
    reason = ""
    if verdict == "error":
        first = next(f for t in tallies.values() for f in t.failures)
        reason = f"no response from {target.name}: {first.reason}"
    results = build_results(
        command="run",
        target=target,
        started=started,
        ended=ended,
        verdict=verdict,
        journeys=journeys,
        tallies=tallies,
        objectives=objectives,
        verdicts=verdicts,
        reason=reason,
    )
    out_dir = prepare_out_dir(args.out, "run")
    write_results(results, out_dir / "results.json", redactor)
    write_junit(results, out_dir / "junit.xml", redactor)
    print_summary(results, console, str(out_dir))
    return verdict
