"""The `journey` command: parse arguments, wire the pieces, turn outcomes into exit codes.

Thin on purpose: every concept lives in its own module; this one only connects them. It is the
only module that calls `sys.exit`, and the only one that turns exceptions into exit codes:
SpecError → 2 with one line per problem, any other exception → 70 with the traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import re
import shlex
import sys
import time
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path

from rich.console import Console

from runner import arguments
from runner.errors import SpecError
from runner.pipes import guard_standard_streams
from runner.stopping import Stopping
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


def _canary(args: argparse.Namespace) -> ExitCode:
    from runner.commands.canary import canary_command
    from runner.document import exit_code_of

    return exit_code_of(canary_command(args))


def _serve(args: argparse.Namespace) -> ExitCode:
    from runner.commands.serve import serve_command

    return VERDICT_EXIT[serve_command(args)]


def _rules(args: argparse.Namespace) -> ExitCode:
    from runner.commands.rules import rules_command

    return VERDICT_EXIT[rules_command(args)]


def _worker(args: argparse.Namespace) -> ExitCode:
    from runner.commands.worker import worker_command  # imports Locust (gevent) first

    return VERDICT_EXIT[worker_command(args)]


def _demo_shop(args: argparse.Namespace) -> ExitCode:
    from runner.commands.demo_shop import demo_shop_command

    return VERDICT_EXIT[demo_shop_command(args)]


HANDLERS: dict[str, Callable[[argparse.Namespace], ExitCode]] = {
    "validate": _validate,
    "run": _run,
    "load": _load,
    "canary": _canary,
    "worker": _worker,
    "report": _report,
    "demo-shop": _demo_shop,
    "serve": _serve,
    "rules": _rules,
}


def build_parser() -> argparse.ArgumentParser:
    """The whole command line, as runner.arguments defines it (docs tests read it from here)."""
    return arguments.build_parser()


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


def _apply_output_flags(args: argparse.Namespace) -> None:
    """`--no-color` and `--verbose`, which every command takes; `--quiet` is read where printed."""
    if args.no_color:
        os.environ["NO_COLOR"] = "1"  # rich reads it for every console, ours and Locust's
        os.environ.pop("FORCE_COLOR", None)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(name)s: %(message)s",
        stream=sys.stderr,
    )


# commands that stop through the flag
LOOK_AT_STOPPING = frozenset({"run", "load", "worker", "serve"})
SERVERS = frozenset({"serve"})  # stopped as asked, they exit 0 (demo-shop's uvicorn does it)


def main(argv: Sequence[str] | None = None) -> None:
    process = argv is None  # the program itself, not a caller in its process (tests)
    if process:
        guard_standard_streams()  # `journey run … | head -1`: a closed stdout is no failure
    # Ctrl-C, SIGTERM, SIGHUP: a flag that run, load and worker look at (runner/stopping.py);
    # a command that does not look is interrupted at once; a second signal exits 130 at once.
    stopping = Stopping().install() if process else Stopping()
    words = list(sys.argv[1:] if argv is None else argv)
    args = arguments.parse(words)
    args.command_line = command_line(words, Path.cwd())
    args.stopping = stopping
    _apply_output_flags(args)
    errors = Console(stderr=True, highlight=False, soft_wrap=True)
    started = time.monotonic()
    # run, load and worker look at the flag (even while importing, a stop only sets it); any
    # other command is interrupted at once
    looks = args.command in LOOK_AT_STOPPING
    try:
        with stopping.deferred() if looks else contextlib.nullcontext(stopping):
            code = HANDLERS[args.command](args)
    except SpecError as exc:
        for problem in exc.problems:
            errors.print(str(problem), markup=False)
        code = ExitCode.INVALID_INPUT
    except KeyboardInterrupt:
        if args.command in SERVERS:  # stopped while starting: a server stops as asked, 0
            code = ExitCode.OK
        else:
            errors.print(f"journey: interrupted after {time.monotonic() - started:.1f}s")
            code = ExitCode.INTERRUPTED
    except Exception:
        traceback.print_exc()
        errors.print("journey: internal error, please report", markup=False)
        code = ExitCode.INTERNAL_ERROR
    if stopping.requested() and code != ExitCode.INVALID_INPUT and args.command not in SERVERS:
        code = ExitCode.INTERRUPTED  # stopped after the work's last look at the flag: still 130
    if process:
        stopping.ending()  # a signal from here on, as Python exits: 130 at once, never -2
    sys.exit(int(code))
