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
from runner.results import FailureRecord, StepTally
from runner.slo import Judged, Objective
from runner.spec.target import Target
from runner.vocabulary import RunVerdict

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
    judged: Sequence[Judged],
    out_dir: Path,
    reason: str = "",
    objectives: Sequence[Objective] = (),
    load: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The results document of one run: one entry per journey and engine that was asked for.

    Artefact paths (screenshots, traces) are written relative to `out_dir`, where results.json
    lands, so a report folder can be moved or archived whole.
    """
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
        "objectives": [asdict(o) for o in objectives]
        + [asdict(o) for entry in judged for o in entry.objectives],
        "journeys": [_journey_entry(entry, target, out_dir) for entry in judged],
        "load": None if load is None else dict(load),
        "canary": None,
    }


def _journey_entry(entry: Judged, target: Target, out_dir: Path) -> dict[str, Any]:
    spec, tally = entry.journey.spec, entry.tally
    flow = spec.step_names(tally.engine)
    return {
        "name": entry.journey.name,
        "description": spec.description,
        "channel": spec.channel,
        "tags": list(spec.tags),
        "tenant": target.tenant,
        "engine": tally.engine,
        "file": entry.journey.path,
        "verdict": entry.verdict,
        "attempts": tally.attempts,
        "successes": tally.successes,
        "success_ratio": round(tally.successes / tally.attempts, 6) if tally.attempts else None,
        "latency_s": tally.latency.summary(),
        "freshness_s": tally.freshness.summary() if tally.freshness.count else None,
        "steps": [_step_entry(tally.steps.get(name) or StepTally(name)) for name in flow],
        "failures": [_failure_entry(failure, out_dir) for failure in tally.failures],
        "failure_count": tally.failure_count,
        "console_errors": dict(tally.console_errors.most_common(10)),
        "failed_requests": dict(tally.failed_requests.most_common(10)),
        "objectives": [asdict(o) for o in entry.objectives],
    }


def _failure_entry(failure: FailureRecord, out_dir: Path) -> dict[str, Any]:
    artefacts = [_relative(path, out_dir) for path in failure.artefacts]
    return {
        **asdict(failure),
        "artefacts": artefacts,
        "started": iso(failure.started),
        "screenshot": next((a for a in artefacts if a.endswith(".png")), None),
        "trace": next((a for a in artefacts if a.endswith(".zip")), None),
    }


def _relative(path: str, out_dir: Path) -> str:
    try:
        return Path(path).resolve().relative_to(out_dir.resolve()).as_posix()
    except ValueError:
        return path  # kept elsewhere on purpose: leave it as given


def _step_entry(step: StepTally) -> dict[str, Any]:
    return {
        "name": step.name,
        "attempts": step.attempts,
        "failures": step.failures,
        "latency_s": step.latency.summary(),
        "freshness_s": step.freshness.summary() if step.freshness.count else None,
        "reasons": dict(step.reasons.most_common(5)),
        "redirects": list(step.redirects),
        "page": {m: h.summary() for m, h in step.page.items()} or None,
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
