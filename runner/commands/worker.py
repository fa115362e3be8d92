"""`journey worker --master-host HOST`: one Locust worker for a `journey load --master`.

Importing this module imports Locust first, which patches the standard library with gevent:
only the CLI's `worker` handler imports it, and only in a process that will never run
Playwright (DESIGN.md, "Processes").
"""

from __future__ import annotations

import argparse

import locust  # noqa: F401 - first: gevent must patch the standard library before anything runs

from runner.engines.load.worker import run_worker
from runner.vocabulary import PASS, RunVerdict


def worker_command(args: argparse.Namespace) -> RunVerdict:
    """Serve the master until it ends the rehearsal; the master judges and reports it.

    Returns "pass" once the master let the worker go. Ctrl-C / SIGTERM reach the caller as
    KeyboardInterrupt (exit 130).
    """
    run_worker(args.master_host, args.master_port)
    return PASS
