"""`journey report RESULTS.json`: re-render every output of a past run from its results."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from rich.console import Console

from runner.errors import Problem, SpecError
from runner.outputs.console import print_summary
from runner.outputs.junit import write_junit
from runner.outputs.redact import Redactor
from runner.outputs.results_json import read_results


def report_command(args: argparse.Namespace, console: Console | None = None) -> str:
    """Write junit.xml beside (or into --out) and print the summary; return the verdict."""
    path = Path(args.results)
    try:
        results = read_results(path)
    except (OSError, ValueError) as exc:
        raise SpecError([Problem(str(path), 1, 1, (), f"cannot read results: {exc}")]) from None
    out_dir = Path(args.out) if args.out else path.parent
    out_dir.mkdir(parents=True, exist_ok=True)
    write_junit(results, out_dir / "junit.xml", Redactor())  # results.json is redacted already
    print_summary(results, console or Console(file=sys.stdout), str(out_dir))
    return str(results["verdict"])
