"""`journey report RESULTS.json`: re-render every output of a past run from its results."""

from __future__ import annotations

import argparse
from pathlib import Path

from rich.console import Console

from runner.document import ResultsDocument
from runner.errors import Problem, SpecError
from runner.outputs.console import print_summary, stdout_console
from runner.outputs.files import write_outputs
from runner.outputs.results_json import read_results
from runner.redact import Redactor


def report_command(args: argparse.Namespace, console: Console | None = None) -> ResultsDocument:
    """Write the outputs beside results.json (or into --out) and print the summary.

    Returns the document read, whose verdict and flags give the exit code the run ended with.
    Raises SpecError for a file that is not a journey results file.
    """
    path = Path(args.results)
    try:
        # through the typed document: a file it cannot read is one line and exit 2
        document = read_results(path)
    except (OSError, ValueError) as exc:
        raise SpecError([Problem(str(path), 1, 1, (), f"cannot read results: {exc}")]) from None
    out_dir = Path(args.out) if args.out else path.parent
    out_dir.mkdir(parents=True, exist_ok=True)
    # results.json was redacted when the run wrote it
    write_outputs(document, out_dir, Redactor(), artefacts_dir=path.parent)
    print_summary(
        document,
        console or stdout_console(),
        str(out_dir),
        quiet=getattr(args, "quiet", False),
    )
    return document
