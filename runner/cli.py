"""The `journey` command: parse arguments, wire the pieces, turn outcomes into exit codes.

Thin on purpose: every concept lives in its own module; this one only connects them. It is the
only module that calls `sys.exit`, and the only one that turns exceptions into exit codes:
SpecError → 2 with one line per problem, any other exception → 70 with the traceback.
"""

from __future__ import annotations

import argparse
import re
import shlex
import signal
import sys
import time
import traceback
from collections.abc import Sequence
from pathlib import Path
from types import FrameType
from typing import Any

from rich.console import Console

from runner import __version__
from runner.arguments import evidence_flags, positive_int, seconds
from runner.errors import SpecError
from runner.vocabulary import VERDICT_EXIT, ExitCode


def _validate(args: argparse.Namespace) -> ExitCode:
    from runner.commands.validate import validate_command

    return VERDICT_EXIT[validate_command(args)]


def _run(args: argparse.Namespace) -> ExitCode:
    from runner.commands.run import run_command
    from runner.document import exit_code_of

    return exit_code_of(run_command(args))


def _report(args: argparse.Namespace) -> ExitCode:
    from runner.commands.report import report_command
    from runner.document import exit_code_of

    return exit_code_of(report_command(args))


def _load(args: argparse.Namespace) -> ExitCode:
    import locust  # noqa: F401 - first: gevent must patch the standard library before anything runs

    from runner.commands.load import load_command
    from runner.document import exit_code_of

    return exit_code_of(load_command(args))


def _worker(args: argparse.Namespace) -> ExitCode:
    from runner.commands.worker import worker_command  # imports Locust (gevent) first

    return VERDICT_EXIT[worker_command(args)]


def _demo_shop(args: argparse.Namespace) -> ExitCode:
    from runner.commands.demo_shop import demo_shop_command

    return VERDICT_EXIT[demo_shop_command(args)]


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
    run.add_argument("--repeat", type=positive_int, default=1, metavar="N")
    run.add_argument(
        "--interval", type=seconds, default=0.0, metavar="DURATION", help="start rounds apart"
    )
    run.add_argument(
        "--duration", type=seconds, default=None, metavar="DURATION", help="no round after this"
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
    evidence_flags(run)
    run.set_defaults(handler=_run)

    load = commands.add_parser("load", help="a load rehearsal of a profile on Locust")
    load.add_argument("profile", metavar="PROFILE", help="a profile file, or a shipped name")
    load.add_argument("--journeys", default="journeys", metavar="DIR")
    load.add_argument("--target", required=True, metavar="URL|NAME")
    load.add_argument("--targets", metavar="FILE", help="targets file (default: targets.yaml)")
    load.add_argument(
        "--workers",
        type=positive_int,
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
    load.add_argument("--expect-workers", type=positive_int, default=1, metavar="N")
    load.add_argument("--master-port", type=int, default=5557, metavar="PORT")
    load.add_argument("--no-probes", action="store_true", help="skip the profile's browser probes")
    evidence_flags(load)
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
    shop.add_argument("--workers", type=positive_int, default=1)
    shop.add_argument("--fault", action="append", default=[], metavar="GROUP:KIND=VALUE")
    shop.set_defaults(handler=_demo_shop)
    return parser


def command_line(argv: Sequence[str], cwd: Path) -> str:
    """The command as typed, for a report: paths made relative to `cwd`, URL passwords masked.

    Secrets passed through `${ENV}` are scrubbed by the Redactor wherever this is written.
    """
    words = ["journey"]
    for word in argv:
        if word.startswith("/") and Path(word).is_relative_to(cwd):
            word = str(Path(word).relative_to(cwd)) or "."
        words.append(_USERINFO.sub(r"\1***@", word))
    return shlex.join(words)


_USERINFO = re.compile(r"(\b[a-z][a-z0-9+.-]*://)[^/@\s]+@", re.IGNORECASE)


def _sigterm_as_interrupt(signum: int, frame: FrameType | None) -> Any:
    # SIGTERM (a CI timeout, `kill`) stops a run the way Ctrl-C does: outputs still written.
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None) -> None:
    words = list(sys.argv[1:] if argv is None else argv)
    args = build_parser().parse_args(words)
    args.command_line = command_line(words, Path.cwd())
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
