"""`journey worker --master-host HOST`: one Locust worker for a `journey load --master`.

Importing this module imports Locust first, which patches the standard library with gevent:
only the CLI's `worker` handler imports it, and only in a process that will never run
Playwright (DESIGN.md, "Processes").
"""

from __future__ import annotations

import argparse
import logging
from collections.abc import Callable

import locust  # noqa: F401 - first: gevent must patch the standard library before anything runs

from runner.engines.load.worker import MasterUnreachable, run_worker
from runner.outputs.console import stdout_console
from runner.stopping import Stopping
from runner.vocabulary import ERROR, PASS, RunVerdict

logger = logging.getLogger(__name__)


def worker_command(args: argparse.Namespace) -> RunVerdict:
    """Serve the master until it ends the rehearsal; the master judges and reports it.

    Returns "pass" once the master let the worker go, "error" (exit 3) when no master
    answered. Ctrl-C / SIGTERM: the worker hands over what it measured, tells the master it
    quits, and Interrupted reaches the caller (exit 130); the master reports the rest.
    """
    stopping: Stopping = getattr(args, "stopping", None) or Stopping()
    say = _say_unless(args)
    # gevent's own handlers: a plain one waits for the hub's next Python callback
    with stopping.installed(gevent=True), stopping.deferred():
        try:
            run_worker(args.master_host, args.master_port, say=say, stopping=stopping)
        except MasterUnreachable as exc:
            logger.error("worker: %s", exc)
            return ERROR
    return PASS


def _say_unless(args: argparse.Namespace) -> Callable[[str], None]:
    """Where the worker is, one line each on stdout (flushed: a log tails it); none if quiet."""
    if getattr(args, "quiet", False):
        return lambda line: None
    console = stdout_console()
    return lambda line: console.print(line, markup=False)
