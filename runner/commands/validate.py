"""`journey validate PATH... [--targets FILE]`: check journey and targets files, run nothing.

Every problem of every file is collected before any is reported, so one run of validate
lists them all (one line each, exit 2, by the CLI) instead of one per attempt.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from rich.console import Console

from runner.errors import Problem, SpecError
from runner.spec import load_journeys, load_targets
from runner.spec.loader import LoadedJourney
from runner.vocabulary import PASS, RunVerdict


def validate_command(args: argparse.Namespace, console: Console | None = None) -> RunVerdict:
    """Load every journey (and the targets file, if given); say how many are valid.

    Returns "pass" when everything is valid. Raises SpecError carrying every problem found in
    any of the files otherwise.
    """
    problems: list[Problem] = []
    journeys: list[LoadedJourney] = []
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
    console = console or Console(file=sys.stdout, highlight=False, soft_wrap=True)
    console.print(f"ok: {len(journeys)} journeys valid", markup=False)
    return PASS
