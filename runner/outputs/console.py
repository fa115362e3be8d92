"""What a person at a terminal sees: a summary table, the missed objectives, the verdict.

Rendered with rich on the one Console that `cli.py` creates (tests pass a StringIO console, 80
columns, no colour). The Console writes through RedactingWriter, so no line can carry a secret.
A canary's table is the candidate's journeys; under it come the plan and how far it went (m,
looks done), the decision in canary_summary's words, and each comparison with every metric's
line, so that a CI log says why without opening the report.
"""

from __future__ import annotations

import sys
from typing import IO

from rich.console import Console
from rich.table import Table
from rich.text import Text

from runner.document import CanarySection, LoadSection, Objective, ResultsDocument
from runner.outputs.canary_summary import class_mark, decision_words, plan_line
from runner.outputs.charts import format_conservation
from runner.outputs.summary import evidence_strength
from runner.redact import Redactor
from runner.vocabulary import (
    GOOD_VERDICTS,
    HOLD,
    INTERRUPTED,
    MET_NOT_SHOWN,
    MISSED,
    NOT_RUN,
    PASS,
    RUN_VERDICTS,
    VERDICT_LINES,
)

# journeys' verdicts as well as runs': a journey that never ran is dim, neither good nor bad
_VERDICT_STYLE: dict[str, str] = {
    verdict: "bold green" if verdict in GOOD_VERDICTS else "bold red" for verdict in RUN_VERDICTS
}
_VERDICT_STYLE |= {INTERRUPTED: "bold yellow", HOLD: "bold yellow", NOT_RUN: "dim"}


class RedactingWriter:
    """A text stream that scrubs secrets from everything written through it."""

    def __init__(self, stream: IO[str], redactor: Redactor) -> None:
        self._stream = stream
        self._redactor = redactor

    def write(self, text: str) -> int:
        return self._stream.write(self._redactor.scrub(text))

    def flush(self) -> None:
        self._stream.flush()

    def isatty(self) -> bool:
        return self._stream.isatty()

    def fileno(self) -> int:
        return self._stream.fileno()


def stdout_console(redactor: Redactor | None = None) -> Console:
    """The Console a command prints on: secrets scrubbed, and off a terminal no line wrapped.

    A CI log is read by grep and by people scrolling back: a reason cut at column 80 matches
    neither, so anything but a terminal gets each message whole, on one line.
    """
    stream: IO[str] = sys.stdout if redactor is None else RedactingWriter(sys.stdout, redactor)  # type: ignore[assignment]
    console = Console(file=stream, highlight=False)
    console.soft_wrap = not console.is_terminal
    return console


def _seconds(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value * 1000:.0f}ms" if value < 1 else f"{value:.2f}s"


def print_summary(
    document: ResultsDocument, console: Console, out_dir: str | None, *, quiet: bool = False
) -> None:
    """Print the per-journey table, each missed objective and failure, and the verdict line.

    `quiet` (`--quiet`) prints the verdict line alone: what a CI step wants in its log.
    """
    if quiet:
        console.print(verdict_line(document))
        return
    title = f"journey {document.command} → {document.target.name}"
    if document.canary is not None:
        title += f" against baseline {document.canary.baseline.name}"
    table = Table(title=Text(title))
    for column in ("journey", "verdict", "runs", "success", "p95", "freshness p95"):
        table.add_column(column, justify="left" if column in ("journey", "verdict") else "right")
    for journey in document.journeys:
        ratio = journey.success_ratio
        table.add_row(
            Text(f"{journey.name} [{journey.engine}]"),
            Text(journey.verdict.upper(), style=_VERDICT_STYLE.get(journey.verdict, "")),
            str(journey.attempts),
            "-" if ratio is None else f"{ratio:.1%}",
            _seconds(journey.latency_s.p95),
            _seconds(journey.freshness_s.p95 if journey.freshness_s else None),
        )
    console.print(table)
    for journey in document.journeys:
        for objective in journey.objectives:
            _print_unmet(objective, console)
        # the same failure repeated is one line with its count (exact, from the steps' tallies),
        # the three commonest at most
        repeated = [
            (n, step.name, reason) for step in journey.steps for reason, n in step.reasons.items()
        ]
        for count, step_name, reason in sorted(repeated, key=lambda r: -r[0])[:3]:
            times = f" ({count}\u00d7)" if count > 1 else ""
            line = f"  failed  {journey.name} / {step_name}: {reason}{times}"
            console.print(line, markup=False)
    if document.load:
        for objective in document.objectives:
            if objective.journey == document.load.profile:
                _print_unmet(objective, console)
        _print_load(document.load, console)
    if document.canary:
        _print_canary(document, document.canary, console)
    if any(o.state == MET_NOT_SHOWN for o in document.objectives):
        # the verdict line alone would overstate what the samples show
        console.print(f"  {evidence_strength(document)}", markup=False, highlight=False)
    console.print(verdict_line(document))
    if out_dir:
        console.print(f"reports: {out_dir}", markup=False, highlight=False)


def verdict_line(document: ResultsDocument) -> Text:
    """The run's verdict in words, with how many passes its samples do not show, and why."""
    verdict = document.verdict
    words = VERDICT_LINES.get(verdict, verdict)
    not_shown = sum(1 for o in document.objectives if o.state == MET_NOT_SHOWN)
    if verdict == PASS and not_shown:
        words += f", {not_shown} not shown by their samples"
        if document.require_evidence:
            words += " (--require-evidence: exit 4)"
    if document.reason:
        words += f" ({document.reason})"
    return Text(words, style=_VERDICT_STYLE.get(verdict, ""))


def _print_unmet(objective: Objective, console: Console) -> None:
    """One line for an objective not met and shown: missed, not judged, met but not shown."""
    if objective.met and objective.state != MET_NOT_SHOWN:
        return
    state = objective.state or MISSED
    console.print(f"  {state:<7} {objective.name}: {objective.detail}", markup=False)


def _print_canary(document: ResultsDocument, section: CanarySection, console: Console) -> None:
    """The plan, the decision, each comparison with its metric lines, then other reasons."""

    def say(line: str) -> None:
        console.print(line, markup=False, highlight=False)

    say(f"  canary  candidate {section.candidate.name} against baseline {section.baseline.name}")
    say(f"          {plan_line(section)}")
    say(f"  decision {decision_words(document)}")
    lines = set()
    for comparison in section.comparisons:
        mark, words, _ = class_mark(comparison.classification)
        slo = f"baseline {comparison.baseline_verdict}, candidate {comparison.candidate_verdict}"
        if comparison.slo_note:
            slo += f": {comparison.slo_note}"
        say(f"  {comparison.journey} [{comparison.engine}]: {mark} {words} (SLO {slo})")
        for metric in comparison.metrics:
            symbol, _, _ = class_mark(metric.classification)
            say(f"    {symbol} {metric.reason}")
            lines.add(metric.reason)
    for reason in section.reasons:  # the SLOs' holds, the maximum duration: no metric's line
        if reason not in lines:
            say(f"  reason  {reason}")


def _print_load(load: LoadSection, console: Console) -> None:
    """One line per stage, then what makes the figures doubtful: lost workers, a busy CPU."""
    for stage in load.stages:
        ratio = stage.error_ratio
        asked = f" of {stage.asked_per_s:g}/s asked" if stage.asked_per_s else ""
        completed = stage.completed_per_s or 0
        line = (
            f"  stage   {stage.name}: {stage.requests} requests, "
            f"{'-' if ratio is None else f'{ratio:.1%}'} errors, "
            f"p95 {_seconds(stage.latency_s.p95)}, "
            f"{completed:g} completed/s{asked} ({stage.judged})"
        )
        console.print(line, markup=False, highlight=False)
        for reason, count in list(stage.reasons.items())[:3]:
            console.print(f"          {count} x {reason}", markup=False, highlight=False)
    if load.iterations:
        line = f"  runs    {format_conservation(load.iterations)}"
        console.print(line, markup=False, highlight=False)
    workers = load.workers
    if workers.lost:
        console.print(
            f"  workers {workers.ready} ready, {len(workers.lost)} lost during the rehearsal: "
            "their figures up to their last hand-over are kept",
            markup=False,
        )
    if load.generator.overloaded:
        console.print(f"  warning {load.generator.note}", markup=False)
    if load.dropped_note:
        console.print(f"  warning {load.dropped_note}", markup=False)
    if load.aborted:
        console.print(f"  aborted at {load.aborted.at_s:g}s: {load.aborted.reason}", markup=False)
