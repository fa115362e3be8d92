"""The results document of one command, whatever produced it.

One builder for `run` and `load` (and later `canary` and `serve`): journey entries come from
the judge's tallies, and entries judged elsewhere (a rehearsal's browser probes, judged in
their own process) are merged here, with their objectives, so that a document is never
patched after it was built.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from runner import __version__
from runner.builder.journeys import iso, journey_entry
from runner.document import (
    SCHEMA_VERSION,
    CanarySection,
    Command,
    JourneyEntry,
    LoadSection,
    Objective,
    ResultsDocument,
    TargetInfo,
    ToolInfo,
)
from runner.results import JourneyTally
from runner.slo import DEFAULT_CONFIDENCE, Judged
from runner.spec.target import Target
from runner.vocabulary import RunVerdict


def build_document(
    *,
    command: Command,
    target: Target,
    started: float,
    ended: float,
    verdict: RunVerdict,
    judged: Sequence[Judged],
    out_dir: Path,
    reason: str = "",
    objectives: Sequence[Objective] = (),
    merged: Sequence[JourneyEntry] = (),
    load: LoadSection | None = None,
    canary: CanarySection | None = None,
    confidence: float = DEFAULT_CONFIDENCE,
    require_evidence: bool = False,
    command_line: str = "",
    recorded: Mapping[tuple[str, str], JourneyTally] | None = None,
) -> ResultsDocument:
    """The document: `objectives` (the run's own, e.g. a profile's) first, then each journey's.

    `merged` are journey entries judged in another process (a rehearsal's browser probes);
    they follow the judged ones, and their objectives follow too. `recorded` holds, by
    (journey, engine), tallies of every run when the judged ones cover fewer (a rehearsal's
    judged seconds): a journey's recorded count is of every value in captures.jsonl.
    """
    whole = recorded or {}
    journeys = [
        journey_entry(entry, target, out_dir, whole.get((entry.journey.name, entry.tally.engine)))
        for entry in judged
    ] + list(merged)
    return ResultsDocument(
        schema=SCHEMA_VERSION,
        tool=ToolInfo("journey", __version__),
        command=command,
        target=TargetInfo(target.name, dict(target.urls), target.tenant),
        started=iso(started),
        ended=iso(ended),
        duration_s=round(ended - started, 3),
        verdict=verdict,
        reason=reason,
        objectives=tuple(objectives) + tuple(o for j in journeys for o in j.objectives),
        journeys=tuple(journeys),
        load=load,
        canary=canary,
        confidence=confidence,
        require_evidence=require_evidence,
        command_line=command_line,
    )
