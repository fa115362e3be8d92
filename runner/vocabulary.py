"""The words every module shares, defined once: engines, outcomes, verdicts, objective states.

In the spirit of starlette's `types.py`: a closed set of words that engines, judges, the
results document, every output and the CLI all speak, so that a new producer of results (the
canary, scheduled probes) adds its words here and every consumer knows them: an exit code
and words for each verdict, checked by tests that iterate over this module. No other module
spells a verdict word (tests/test_vocabulary.py reads the code to make sure). Imports nothing.
"""

from __future__ import annotations

from enum import IntEnum
from typing import Final, Literal, get_args

Engine = Literal["http", "browser"]
ENGINES: Final[tuple[Engine, ...]] = get_args(Engine)

# What one step did. "error": the journey's own mistake (a template) or no connection at all.
Outcome = Literal["passed", "failed", "error", "skipped"]
PASSED: Final = "passed"
FAILED: Final = "failed"
ERRORED: Final = "error"
SKIPPED: Final = "skipped"

# A run's one word. pass/fail/error are also each journey's verdict.
PASS: Final = "pass"
FAIL: Final = "fail"
ERROR: Final = "error"  # the target could not be reached at all
INTERRUPTED: Final = "interrupted"  # Ctrl-C or SIGTERM: outputs written for what was measured
ABORTED: Final = "aborted"  # a safety rail stopped a rehearsal that hurt the target
PROMOTE: Final = "promote"  # canary: the candidate is shown no worse than the baseline
HOLD: Final = "hold"  # canary: not enough evidence either way
ROLLBACK: Final = "rollback"  # canary: the candidate is worse
RunVerdict = Literal[
    "pass", "fail", "error", "interrupted", "aborted", "promote", "hold", "rollback"
]
NOT_RUN: Final = "not run"  # a journey that never ran (stopped first): shown, never "fail"
JourneyVerdict = Literal["pass", "fail", "error", "not run"]
RUN_VERDICTS: Final[tuple[RunVerdict, ...]] = get_args(RunVerdict)
JOURNEY_VERDICTS: Final[tuple[JourneyVerdict, ...]] = get_args(JourneyVerdict)

# A canary metric at its latest look (runner/slo/canary.py): beyond its margin (roll back),
# shown within it (or not beyond it at the last look), undecided with looks to come, or short
# of its minimum samples at the end. Two of them read as the verdicts they lead to.
CanaryClass = Literal["rollback", "pass", "inconclusive", "not enough data"]
BEYOND_MARGIN: Final = "rollback"
WITHIN_MARGIN: Final = "pass"
UNDECIDED: Final = "inconclusive"
SHORT_OF_SAMPLES: Final = "not enough data"
CANARY_CLASSES: Final[tuple[CanaryClass, ...]] = get_args(CanaryClass)

ObjectiveKind = Literal["success", "latency", "freshness", "throughput"]
# "met": what was seen is within the objective and its one-sided bound at the run's confidence
# shows it; "met, not shown": within, but too few samples for the bound to show it; "observed":
# within, on what was seen, for an objective no sample can show (100 %, max, throughput);
# "missed": what was seen is outside it; "not judged": fine up to where a run stopped early, so
# never "met"; "not reached": the run stopped before any of its data.
ObjectiveState = Literal["met", "met, not shown", "observed", "missed", "not judged", "not reached"]
MET: Final = "met"
MET_NOT_SHOWN: Final = "met, not shown"
OBSERVED: Final = "observed"
MISSED: Final = "missed"
NOT_JUDGED: Final = "not judged"
NOT_REACHED: Final = "not reached"
OBJECTIVE_STATES: Final[tuple[ObjectiveState, ...]] = get_args(ObjectiveState)

PercentileKey = Literal["p50", "p75", "p90", "p95", "p99", "max"]
PERCENTILE_KEYS: Final[tuple[PercentileKey, ...]] = get_args(PercentileKey)


class ExitCode(IntEnum):
    """What `journey` tells CI, the same for every command."""

    OK = 0  # every objective met (canary: promote)
    OBJECTIVE_MISSED = 1  # an objective was missed (canary: roll back)
    INVALID_INPUT = 2  # bad YAML, targets, flags or ${ENV}; nothing was run
    TARGET_UNREACHABLE = 3  # the target could not be reached at all
    NOT_ENOUGH_EVIDENCE = 4  # canary: hold; or a pass not shown, with --require-evidence
    CANARY_HOLD = 4
    INTERNAL_ERROR = 70  # a bug of ours; never read as a missed objective
    INTERRUPTED = 130  # Ctrl-C / SIGTERM; outputs still written


VERDICT_EXIT: Final[dict[RunVerdict, ExitCode]] = {
    PASS: ExitCode.OK,
    FAIL: ExitCode.OBJECTIVE_MISSED,
    ERROR: ExitCode.TARGET_UNREACHABLE,
    INTERRUPTED: ExitCode.INTERRUPTED,
    ABORTED: ExitCode.OBJECTIVE_MISSED,  # the rehearsal hurt the target: a missed objective
    PROMOTE: ExitCode.OK,
    HOLD: ExitCode.CANARY_HOLD,
    ROLLBACK: ExitCode.OBJECTIVE_MISSED,
}

# The console's last line for each verdict.
VERDICT_LINES: Final[dict[RunVerdict, str]] = {
    PASS: "PASS: every objective met",
    FAIL: "FAIL: an objective was missed",
    ERROR: "ERROR: the target could not be reached",
    INTERRUPTED: "INTERRUPTED: partial results written",
    ABORTED: "ABORTED: the safety rail stopped the rehearsal",
    PROMOTE: "PROMOTE: the candidate is as good as the baseline",
    HOLD: "HOLD: not enough evidence yet",
    ROLLBACK: "ROLLBACK: the candidate is worse than the baseline",
}

# The report's headline for each verdict: a symbol (colour is never the only signal), words.
VERDICT_HEADLINES: Final[dict[RunVerdict, tuple[str, str]]] = {
    PASS: ("✔", "Ready: every objective met"),
    FAIL: ("✖", "Not ready: an objective was missed"),
    ERROR: ("⚠", "Target unreachable"),
    INTERRUPTED: ("⚠", "Interrupted: partial results"),
    ABORTED: ("✖", "Aborted: the safety rail stopped the rehearsal"),
    PROMOTE: ("✔", "Promote: the candidate is as good as the baseline"),
    HOLD: ("⚠", "Hold: not enough evidence yet"),
    ROLLBACK: ("✖", "Roll back: the candidate is worse than the baseline"),
}

# Verdicts that read as good news (green, ✔); every other verdict is bad news.
GOOD_VERDICTS: Final[frozenset[RunVerdict]] = frozenset({PASS, PROMOTE})


def exit_code(verdict: str) -> ExitCode:
    """The exit code of `verdict`; an unknown word (a newer results.json) is a missed objective."""
    for known, code in VERDICT_EXIT.items():
        if known == verdict:
            return code
    return ExitCode.OBJECTIVE_MISSED
