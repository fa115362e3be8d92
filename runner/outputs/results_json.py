"""results.json: the machine-readable record of a run, and the source of every other output.

The schema is versioned (`"schema": 1`) and stable once released: fields are added, never
renamed. Latency and freshness are float seconds. `build_results` is the only place that turns
tallies and objectives into this document.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from runner import __version__
from runner.redact import Redactor
from runner.results import JourneyTally, StepTally
from runner.slo import JourneyVerdict, Objective, RunVerdict
from runner.spec.loader import LoadedJourney
from runner.spec.target import Target

SCHEMA_VERSION = 1


def iso(epoch_s: float) -> str:
    """UTC ISO 8601 with milliseconds: `2026-11-22T23:01:12.345Z`."""
    return datetime.fromtimestamp(epoch_s, UTC).isoformat(timespec="milliseconds")[:-6] + "Z"


def build_results(
    *,
    command: str,
    target: Target,
    started: float,
    ended: float,
    verdict: RunVerdict,
    journeys: Sequence[LoadedJourney],
    tallies: Mapping[str, JourneyTally],
    objectives: Mapping[str, list[Objective]],
    verdicts: Mapping[str, JourneyVerdict],
    reason: str = "",
) -> dict[str, Any]:
    """The results document of one run; journeys that never ran appear with zero attempts."""
    entries = []
    for journey in journeys:
        tally = tallies.get(journey.name) or JourneyTally(journey.name, "http")
        entries.append(
            _journey_entry(journey, tally, objectives.get(journey.name, []), target, verdicts)
        )
    return {
        "schema": SCHEMA_VERSION,
        "tool": {"name": "journey", "version": __version__},
        "command": command,
        "target": {"name": target.name, "urls": dict(target.urls), "tenant": target.tenant},
        "started": iso(started),
        "ended": iso(ended),
        "duration_s": round(ended - started, 3),
        "verdict": verdict,
        "reason": reason,
        "objectives": [asdict(o) for name in objectives for o in objectives[name]],
        "journeys": entries,
        "load": None,
        "canary": None,
    }


def _journey_entry(
    journey: LoadedJourney,
    tally: JourneyTally,
    objectives: list[Objective],
    target: Target,
    verdicts: Mapping[str, JourneyVerdict],
) -> dict[str, Any]:
    spec = journey.spec
    return {
        "name": journey.name,
        "description": spec.description,
        "channel": spec.channel,
        "tags": list(spec.tags),
        "tenant": target.tenant,
        "engine": tally.engine,
        "file": journey.path,
        "verdict": verdicts.get(journey.name, "fail"),
        "attempts": tally.attempts,
        "successes": tally.successes,
        "success_ratio": round(tally.successes / tally.attempts, 6) if tally.attempts else None,
        "latency_s": tally.latency.summary(),
        "freshness_s": tally.freshness.summary() if tally.freshness.count else None,
        "steps": [
            _step_entry(tally.steps.get(step.name) or StepTally(step.name)) for step in spec.http
        ],
        "failures": [
            {**asdict(f), "started": iso(f.started), "screenshot": None, "trace": None}
            for f in tally.failures
        ],
        "failure_count": tally.failure_count,
        "objectives": [asdict(o) for o in objectives],
    }


def _step_entry(step: StepTally) -> dict[str, Any]:
    return {
        "name": step.name,
        "attempts": step.attempts,
        "failures": step.failures,
        "latency_s": step.latency.summary(),
        "freshness_s": step.freshness.summary() if step.freshness.count else None,
        "reasons": dict(step.reasons.most_common(5)),
        "redirects": list(step.redirects),
    }


def write_results(results: Mapping[str, Any], path: Path, redactor: Redactor) -> None:
    """Write results.json (redacted), atomically: a reader never sees half a file."""
    text = redactor.scrub(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    partial = path.with_suffix(".json.partial")
    partial.write_text(text, encoding="utf-8")
    partial.replace(path)


def read_results(path: Path) -> dict[str, Any]:
    """Read a results.json written by any version with this schema.

    Raises OSError, ValueError (not JSON, or another schema).
    """
    data = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict) or data.get("schema") != SCHEMA_VERSION:
        raise ValueError(f"not a journey results file (schema {SCHEMA_VERSION})")
    return data
