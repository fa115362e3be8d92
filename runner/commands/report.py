"""`journey report RESULTS.json`: re-render every output of a past run from its results."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from rich.console import Console

from runner.errors import Problem, SpecError
from runner.outputs.console import print_summary
from runner.outputs.html import write_html
from runner.outputs.junit import write_junit
from runner.outputs.prometheus import write_prometheus
from runner.outputs.results_json import read_results, write_results
from runner.redact import Redactor


def report_command(args: argparse.Namespace, console: Console | None = None) -> str:
    """Write the outputs beside results.json (or into --out) and print the summary.

    Returns the recorded verdict. Raises SpecError for a file that is not a journey results file.
    """
    path = Path(args.results)
    try:
        results = read_results(path)
    except (OSError, ValueError) as exc:
        raise SpecError([Problem(str(path), 1, 1, (), f"cannot read results: {exc}")]) from None
    out_dir = Path(args.out) if args.out else path.parent
    out_dir.mkdir(parents=True, exist_ok=True)
    redactor = Redactor()  # results.json was redacted when the run wrote it
    if out_dir.resolve() != path.parent.resolve():
        write_results(results, out_dir / "results.json", redactor)
    write_junit(results, out_dir / "junit.xml", redactor)
    write_html(results, out_dir / "index.html", redactor, base_dir=path.parent)
    write_prometheus(results, out_dir / "metrics.prom", redactor)
    print_summary(results, console or Console(file=sys.stdout), str(out_dir))
    return str(results["verdict"])
