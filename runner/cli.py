"""The `journey` command: parse arguments, wire the pieces, turn outcomes into exit codes.

Thin on purpose: every concept lives in its own module; this one only connects them. It is the
only module that calls `sys.exit`.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from enum import IntEnum


class ExitCode(IntEnum):
    """What `journey` tells CI, the same for every command."""

    OK = 0  # every objective met (canary: promote)
    OBJECTIVE_MISSED = 1  # an objective was missed (canary: roll back)
    INVALID_INPUT = 2  # bad YAML, targets, flags or ${ENV}; nothing was run
    TARGET_UNREACHABLE = 3  # the target could not be reached at all
    CANARY_HOLD = 4  # canary: not enough evidence, hold
    INTERNAL_ERROR = 70  # a bug of ours; never read as a missed objective
    INTERRUPTED = 130  # Ctrl-C / SIGTERM; outputs still written


def _demo_shop(args: argparse.Namespace) -> ExitCode:
    from runner.demoshop.server import serve

    serve(host=args.host, port=args.port, db=args.db, workers=args.workers, faults=args.fault)
    return ExitCode.OK


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="journey", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)

    shop = commands.add_parser("demo-shop", help="run the embedded demo shop")
    shop.add_argument("--host", default="127.0.0.1")
    shop.add_argument("--port", type=int, default=8000)
    shop.add_argument("--db", default=None, help="SQLite file (default: a fresh temporary one)")
    shop.add_argument("--workers", type=int, default=1)
    shop.add_argument("--fault", action="append", default=[], metavar="GROUP:KIND=VALUE")
    shop.set_defaults(handler=_demo_shop)
    return parser


def main(argv: Sequence[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    sys.exit(int(args.handler(args)))
