"""`journey demo-shop`: serve the embedded reference shop until stopped.

The only command module that touches `runner/demoshop/`, which imports nothing of ours: the
shop is the system under test, so it must not share code with what tests it.
"""

from __future__ import annotations

import argparse

from runner.demoshop.paths import check_root_path
from runner.demoshop.server import serve
from runner.errors import Problem, SpecError
from runner.vocabulary import PASS, RunVerdict


def demo_shop_command(args: argparse.Namespace) -> RunVerdict:
    """Serve until SIGINT or SIGTERM, then stop gracefully and return "pass" (exit 0).

    Raises SpecError (exit 2) for a bad `--root-path` or `--fault`, or a port or address it
    cannot listen on.
    """
    try:
        root_path = check_root_path(args.root_path or "")
    except ValueError as exc:
        raise SpecError([Problem("--root-path", 1, 1, ("root_path",), str(exc))]) from None
    try:
        serve(
            host=args.host,
            port=args.port,
            db=args.db,
            workers=args.workers,
            faults=args.fault,
            root_path=root_path,
        )
    except ValueError as exc:
        raise SpecError([Problem("--fault", 1, 1, ("fault",), str(exc))]) from None
    except OSError as exc:  # the port is taken, or the address is not ours
        message = f"cannot listen on {args.host}:{args.port}: {exc.strerror or exc}"
        raise SpecError([Problem("--port", 1, 1, ("port",), message)]) from None
    return PASS
