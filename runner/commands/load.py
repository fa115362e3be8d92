"""`journey load PROFILE`: a load rehearsal, judged, written, summarised.

This process becomes Locust's master (gevent-patched), so it never runs Playwright itself:
the profile's browser probes run in a `journey run --engine browser` child process for the
length of the rehearsal, and their results are folded into this one's. Values of `record:
true` captures reach this process with the workers' data each second and are appended to
captures.jsonl as they come; the probes' own captures.jsonl is added to it once they stop.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from rich.console import Console

from runner.builder import build_document
from runner.builder.rehearsal import load_section, whole_rehearsal
from runner.document import ProbeRun, Probes, ResultsDocument, part_from_json
from runner.engines.load.master import Rehearsal, WorkersNotReady
from runner.errors import Problem, SpecError
from runner.outdir import plan_out_dir
from runner.outputs.captures import CAPTURES_FILE, CapturesFile
from runner.outputs.console import print_summary, stdout_console
from runner.outputs.files import write_outputs
from runner.outputs.progress import Progress, rehearsal_line
from runner.outputs.results_json import read_results
from runner.redact import Redactor
from runner.slo.rehearsal import judge_rehearsal
from runner.spec import load_journeys, resolve_target
from runner.spec.loader import LoadedJourney
from runner.spec.loadprofile import SHIPPED_PROFILES, LoadProfile, load_profile
from runner.spec.origins import check_secret_origins
from runner.spec.secrets import secret_values
from runner.stopping import Stopping
from runner.vocabulary import FAIL, PASS


def resolve_profile(spec: str) -> Path:
    """A profile path as given, or a shipped profile's name (`flash-sale`)."""
    for candidate in (
        Path(spec),
        Path("loadprofiles") / f"{spec}.yaml",
        SHIPPED_PROFILES / f"{spec}.yaml",
    ):
        if candidate.is_file():
            return candidate
    return Path(spec)  # load_profile reports it missing, placed


def load_command(args: argparse.Namespace, console: Console | None = None) -> ResultsDocument:
    """Run `journey load` as parsed by the CLI; return what it wrote (its exit code is in it).

    Under `args.stopping` (cli.main's), deferred, with gevent's signal handlers: a first Ctrl-C
    or SIGTERM ends the rehearsal (workers hand over what they measured, the probes' process
    writes its results), and the outputs are written (verdict "interrupted", exit 130).
    """
    stopping: Stopping = getattr(args, "stopping", None) or Stopping()
    with stopping.installed(gevent=True), stopping.deferred():
        return _load(args, console, stopping)


def _load(args: argparse.Namespace, console: Console | None, stopping: Stopping) -> ResultsDocument:
    if not args.time_scale > 0:
        raise SpecError(
            [Problem("--time-scale", 1, 1, ("time_scale",), "expected a number above 0")]
        )
    profile_path = resolve_profile(args.profile)
    if not Path(args.journeys).is_dir():
        where = f"no journeys folder {args.journeys!r} (from the current folder)"
        raise SpecError(
            [Problem("--journeys", 1, 1, ("journeys",), f"{where}; --journeys DIR sets it")]
        )
    journeys = load_journeys([args.journeys])
    profile = load_profile(
        profile_path,
        http_journeys={j.name for j in journeys if j.spec.http},
        browser_journeys={j.name for j in journeys if j.spec.browser},
    )
    target = resolve_target(args.target, Path(args.targets) if args.targets else None)
    check_secret_origins(journeys, target)  # before anything is sent: exit 2
    redactor = Redactor(secret_values(journeys, target))
    console = console or stdout_console(redactor)
    out = plan_out_dir(args.out, "load")  # made when first written to: exit 2 leaves none
    out_dir = out.path
    local = 0 if args.master else (args.workers or os.cpu_count() or 1)
    expected = args.expect_workers if args.master else local
    rehearsal = Rehearsal(
        profile,
        journeys,
        target,
        time_scale=args.time_scale,
        bind_host="0.0.0.0" if args.master else "127.0.0.1",
        port=args.master_port,
        stopping=stopping,
    )
    probes = _start_probes(args, profile, journeys, out_dir)
    if probes is not None:
        stopping.on_hard_stop(probes.kill)
    progress = Progress(console, quiet=getattr(args, "quiet", False))
    rehearsal.on_second = lambda elapsed_s: progress.update(
        rehearsal_line(rehearsal.outcome, elapsed_s, rehearsal.runner.user_count)
    )
    captures = CapturesFile(out_dir / CAPTURES_FILE, redactor)
    rehearsal.on_recorded = captures.extend  # one write and flush per worker's second
    try:
        with progress:
            outcome = rehearsal.run(expected, local)
    except WorkersNotReady as exc:
        raise SpecError([Problem("--workers", 1, 1, ("workers",), str(exc))]) from None
    finally:
        probe_results = _stop_probes(probes, out_dir)
        captures.close()
    captures.append_file(out_dir / "probes" / CAPTURES_FILE)
    captures.complete()
    judgement = judge_rehearsal(profile, journeys, outcome, args.confidence)
    verdict = judgement.verdict
    probed = probe_results.journeys if probe_results else ()
    reason = outcome.aborted or (stopping.reason if outcome.interrupted else "")
    if verdict == PASS and any(entry.verdict != PASS for entry in probed):
        verdict = FAIL  # shoppers' experience during the load is part of the verdict
    if verdict == PASS and probes is not None and not probed:
        # probes were asked for and none reported: what was not seen never passes
        verdict, reason = FAIL, "the browser probes reported no run"
    section = load_section(
        profile,
        str(profile_path),
        outcome,
        judgement.split,
        args.time_scale,
        _probe_section(probe_results, out_dir),
    )
    document = build_document(
        command="load",
        target=target,
        started=outcome.started or time.time(),
        ended=outcome.ended or time.time(),
        verdict=verdict,
        judged=judgement.judged,
        out_dir=out_dir,
        reason=reason,
        objectives=judgement.objectives,
        merged=probed,
        load=section,
        confidence=args.confidence,
        require_evidence=args.require_evidence,
        command_line=getattr(args, "command_line", ""),
        recorded=whole_rehearsal(outcome),
    )
    write_outputs(document, out_dir, redactor)
    out.publish()  # reports/latest moves only now that the outputs are there
    print_summary(document, console, str(out_dir), quiet=getattr(args, "quiet", False))
    return document


def _start_probes(
    args: argparse.Namespace, profile: LoadProfile, journeys: list[LoadedJourney], out_dir: Path
) -> subprocess.Popen[bytes] | None:
    if not profile.probes or args.no_probes:
        return None
    by_name = {journey.name: journey for journey in journeys}
    command = [sys.executable, "-m", "runner", "run", "--engine", "browser"]
    command += [by_name[name].path for name in profile.probes]
    command += ["--target", args.target, "--repeat", "1000000", "--out", str(out_dir / "probes")]
    command += ["--interval", f"{profile.probe_interval * args.time_scale}s"]
    command += ["--duration", f"{profile.duration_s(args.time_scale)}s", "--timeline"]
    command += ["--confidence", str(args.confidence)]
    if args.targets:
        command += ["--targets", args.targets]
    # A session of its own: a terminal's Ctrl-C reaches this process only, which then stops
    # the probes once (SIGTERM); a second signal on the way would stop them unwritten.
    return subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stdin=subprocess.DEVNULL, start_new_session=True
    )


def _stop_probes(process: subprocess.Popen[bytes] | None, out_dir: Path) -> ResultsDocument | None:
    """Stop the probes' process and read what it measured; None if it wrote nothing readable."""
    if process is None:
        return None
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)  # writes what it measured, exits 130
    try:
        process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)
    try:
        return read_results(out_dir / "probes" / "results.json")
    except (OSError, ValueError):
        return None


def _probe_section(probe_results: ResultsDocument | None, out_dir: Path) -> Probes | None:
    """The probes' verdict and runs, on the rehearsal's clock (from their timeline.jsonl)."""
    if probe_results is None:
        return None
    timeline = out_dir / "probes" / "timeline.jsonl"
    runs: list[ProbeRun] = []
    if timeline.exists():
        lines = timeline.read_text(encoding="utf-8").splitlines()
        for number, line in enumerate(lines, 1):
            if line.strip():
                where = f"timeline.jsonl:{number}"
                runs.append(part_from_json(ProbeRun, json.loads(line), where))
    return Probes(
        verdict=probe_results.verdict,
        journeys=tuple(journey.name for journey in probe_results.journeys),
        timeline=tuple(runs),
    )
