"""The `journey` command: parse arguments, wire the pieces, turn outcomes into exit codes.

Thin on purpose: every concept lives in its own module; this one only connects them. It is the
only module that calls `sys.exit`, and the only one that turns exceptions into exit codes:
SpecError → 2 with one line per problem, any other exception → 70 with the traceback.
"""

from __future__ import annotations

import argparse
import signal
import sys
import time
import traceback
from collections.abc import Sequence
from enum import IntEnum
from pathlib import Path
from types import FrameType
from typing import Any

from rich.console import Console

from runner import __version__
from runner.errors import Problem, SpecError


class ExitCode(IntEnum):
    """What `journey` tells CI, the same for every command."""

    OK = 0  # every objective met (canary: promote)
    OBJECTIVE_MISSED = 1  # an objective was missed (canary: roll back)
    INVALID_INPUT = 2  # bad YAML, targets, flags or ${ENV}; nothing was run
    TARGET_UNREACHABLE = 3  # the target could not be reached at all
    CANARY_HOLD = 4  # canary: not enough evidence, hold
    INTERNAL_ERROR = 70  # a bug of ours; never read as a missed objective
    INTERRUPTED = 130  # Ctrl-C / SIGTERM; outputs still written


VERDICT_EXIT = {
    "pass": ExitCode.OK,
    "fail": ExitCode.OBJECTIVE_MISSED,
    "error": ExitCode.TARGET_UNREACHABLE,
    "interrupted": ExitCode.INTERRUPTED,
    "aborted": ExitCode.OBJECTIVE_MISSED,  # the rehearsal hurt the target: a missed objective
}


def _validate(args: argparse.Namespace) -> ExitCode:
    from runner.spec import load_journeys, load_targets

    problems: list[Problem] = []
    journeys = []
    try:
        journeys = load_journeys(args.paths)
    except SpecError as exc:
        problems += exc.problems
    if args.targets:
        try:
            load_targets(Path(args.targets))
        except SpecError as exc:
            problems += exc.problems
    if problems:
        raise SpecError(problems)
    print(f"ok: {len(journeys)} journeys valid")  # noqa: T201 - cli output
    return ExitCode.OK


def _run(args: argparse.Namespace) -> ExitCode:
    from runner.commands.run import run_command

    return VERDICT_EXIT[run_command(args)]


def _report(args: argparse.Namespace) -> ExitCode:
    from runner.commands.report import report_command

    return VERDICT_EXIT.get(report_command(args), ExitCode.OBJECTIVE_MISSED)


def _load(args: argparse.Namespace) -> ExitCode:
    import locust  # noqa: F401 - first: gevent must patch the standard library before anything runs

    from runner.commands.load import load_command

    return VERDICT_EXIT[load_command(args)]


def _worker(args: argparse.Namespace) -> ExitCode:
    import locust  # noqa: F401 - first: gevent must patch the standard library before anything runs

    from runner.engines.load.worker import run_worker

    run_worker(args.master_host, args.master_port)
    return ExitCode.OK


def _demo_shop(args: argparse.Namespace) -> ExitCode:
    from runner.demoshop.server import serve

    try:
        serve(host=args.host, port=args.port, db=args.db, workers=args.workers, faults=args.fault)
    except ValueError as exc:
        raise SpecError([Problem("--fault", 1, 1, ("fault",), str(exc))]) from None
    except OSError as exc:  # the port is taken, or the address is not ours
        message = f"cannot listen on {args.host}:{args.port}: {exc.strerror or exc}"
        raise SpecError([Problem("--port", 1, 1, ("port",), message)]) from None
    return ExitCode.OK


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="journey", description="Synthetic retail journeys, judged against SLOs."
    )
    parser.add_argument("--version", action="version", version=f"journey {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    validate = commands.add_parser("validate", help="check journey files; exit 2 if invalid")
    validate.add_argument("paths", nargs="+", metavar="PATH")
    validate.add_argument("--targets", metavar="FILE", help="also check this targets file")
    validate.set_defaults(handler=_validate)

    run = commands.add_parser("run", help="run journeys once (or --repeat N) as probes")
    run.add_argument("paths", nargs="+", metavar="PATH")
    run.add_argument("--target", required=True, metavar="URL|NAME")
    run.add_argument("--targets", metavar="FILE", help="targets file (default: targets.yaml)")
    run.add_argument("--engine", choices=["http", "browser", "all"], default="all")
    run.add_argument("--repeat", type=_positive_int, default=1, metavar="N")
    run.add_argument(
        "--interval", type=_seconds, default=0.0, metavar="DURATION", help="start rounds apart"
    )
    run.add_argument(
        "--duration", type=_seconds, default=None, metavar="DURATION", help="no round after this"
    )
    run.add_argument("--out", metavar="DIR")
    run.add_argument("--tag", action="append", default=[], metavar="T")
    run.add_argument("--timeline", action="store_true", help="also write timeline.jsonl")
    run.add_argument(
        "--trace",
        choices=["on-failure", "off"],
        default="on-failure",
        help="keep a Playwright trace of failed browser runs (default) or record none",
    )
    run.add_argument(
        "--browser-path",
        metavar="PATH",
        help="Chromium to use (default: JOURNEY_BROWSER, then found)",
    )
    run.set_defaults(handler=_run)

    load = commands.add_parser("load", help="a load rehearsal of a profile on Locust")
    load.add_argument("profile", metavar="PROFILE", help="a profile file, or a shipped name")
    load.add_argument("--journeys", default="journeys", metavar="DIR")
    load.add_argument("--target", required=True, metavar="URL|NAME")
    load.add_argument("--targets", metavar="FILE", help="targets file (default: targets.yaml)")
    load.add_argument(
        "--workers",
        type=_positive_int,
        default=None,
        metavar="N",
        help="local worker processes (default: one per core)",
    )
    load.add_argument(
        "--time-scale",
        type=float,
        default=1.0,
        metavar="F",
        help="scale every stage and window: 0.05 plays 13 minutes in 39 s",
    )
    load.add_argument("--out", metavar="DIR")
    load.add_argument("--master", action="store_true", help="wait for remote `journey worker`s")
    load.add_argument("--expect-workers", type=_positive_int, default=1, metavar="N")
    load.add_argument("--master-port", type=int, default=5557, metavar="PORT")
    load.add_argument("--no-probes", action="store_true", help="skip the profile's browser probes")
    load.set_defaults(handler=_load)

    worker = commands.add_parser("worker", help="a load worker for a `journey load --master`")
    worker.add_argument("--master-host", required=True, metavar="HOST")
    worker.add_argument("--master-port", type=int, default=5557, metavar="PORT")
    worker.set_defaults(handler=_worker)

    report = commands.add_parser("report", help="re-render the outputs of a results.json")
    report.add_argument("results", metavar="RESULTS.json")
    report.add_argument("--out", metavar="DIR")
    report.set_defaults(handler=_report)

    shop = commands.add_parser("demo-shop", help="run the embedded demo shop")
    shop.add_argument("--host", default="127.0.0.1")
    shop.add_argument("--port", type=int, default=8000)
    shop.add_argument("--db", default=None, help="SQLite file (default: a fresh temporary one)")
    shop.add_argument("--workers", type=_positive_int, default=1)
    shop.add_argument("--fault", action="append", default=[], metavar="GROUP:KIND=VALUE")
    shop.set_defaults(handler=_demo_shop)
    return parser


def _seconds(text: str) -> float:
    from runner.spec.units import parse_duration

    try:
        return parse_duration(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def _sigterm_as_interrupt(signum: int, frame: FrameType | None) -> Any:
    # SIGTERM (a CI timeout, `kill`) stops a run the way Ctrl-C does: outputs still written.
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    signal.signal(signal.SIGTERM, _sigterm_as_interrupt)
    errors = Console(stderr=True, highlight=False, soft_wrap=True)
    started = time.monotonic()
    try:
        code = args.handler(args)
    except SpecError as exc:
        for problem in exc.problems:
            errors.print(str(problem), markup=False)
        code = ExitCode.INVALID_INPUT
    except KeyboardInterrupt:
        errors.print(f"journey: interrupted after {time.monotonic() - started:.1f}s")
        code = ExitCode.INTERRUPTED
    except Exception:
        traceback.print_exc()
        errors.print("journey: internal error, please report", markup=False)
        code = ExitCode.INTERNAL_ERROR
    sys.exit(int(code))
