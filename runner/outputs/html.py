"""index.html: the self-contained report a retail executive can read in one minute.

Rendered from the results document only (so `journey report` re-renders any past run) with
jinja2, autoescape on: every name, reason and message from a journey or a target is escaped.
Shaped for three readers at once: the first screen answers "are we ready?" (verdict in words,
a traffic-light table per channel, the error budget left, the three worst steps); the
collapsed per-journey sections below hold the evidence (waterfall, percentile ladder, failures
with their screenshots and traces); print shows everything, black on white.
A load rehearsal adds its own section (load_charts: stage table and time-series chart).

Self-contained means opening the file makes no request: CSS and SVG are inline, screenshots
are read from the results folder and embedded as data URIs, and a Content-Security-Policy
forbids loading anything else should a future template slip. Screenshot paths must stay inside
that folder: a results.json must not be able to pull arbitrary files into a report.
Imports only `charts`, `load_charts` and `redact` of ours.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any, Literal
from urllib.parse import quote

import jinja2

from runner.outputs.charts import (
    WaterfallStep,
    format_ratio,
    format_seconds,
    format_target,
    ladder_svg,
    waterfall,
)
from runner.outputs.load_charts import load_view
from runner.redact import Redactor
from runner.vocabulary import (
    ABORTED,
    ERROR,
    FAIL,
    GOOD_VERDICTS,
    INTERRUPTED,
    MISSED,
    PASS,
    VERDICT_HEADLINES,
)

State = Literal["ok", "warn", "bad", "none"]
_CHANNELS = ("web", "pos", "marketplace", "backoffice")
_IMAGE_TYPES = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg"}
_MAX_IMAGE_BYTES = 5_000_000
_SCREENSHOTS_PER_JOURNEY = 5  # more failures are listed with a link, not embedded
_FAILURE_ITEMS = 20  # single failures with artefacts, or groups by step and reason
_MESSAGES_SHOWN = 10  # console errors and failed requests, most frequent first
_DATA_URI = re.compile(r"(data:image/[a-z]+;base64,[A-Za-z0-9+/=]+)")
# Opens every <details> before printing, for browsers without ::details-content; the page
# reads fully without it. Allowed by its hash in the page's Content-Security-Policy.
_PRINT_SCRIPT = (
    "addEventListener('beforeprint',()=>document.querySelectorAll('details')"
    ".forEach(d=>d.open=true));"
)


@dataclass(frozen=True, slots=True)
class Cell:
    """One judged figure: its value, the objective's target (if any) and the judgement."""

    text: str
    target: str
    state: State


@dataclass(frozen=True, slots=True)
class Headline:
    """The verdict in words, with a symbol so that colour is never the only signal."""

    symbol: str
    words: str
    state: State


@dataclass(frozen=True, slots=True)
class Shot:
    """A failure's screenshot: a data URI to embed, or a note saying why there is none."""

    src: str | None
    note: str | None
    link: bool = False  # worth linking to: the file exists but was left out


def render_html(results: Mapping[str, Any], *, base_dir: Path) -> str:
    """The report's HTML text; screenshots are read from `base_dir` (the results.json folder).

    Never raises for a missing, unreadable or out-of-folder screenshot: the failure shows a
    note instead. Raises KeyError only for a document lacking schema-required keys.
    """
    journeys = [_journey_view(j, i, results, base_dir) for i, j in enumerate(results["journeys"])]
    objectives = _all_objectives(results)
    return (
        _environment()
        .get_template("report.html.j2")
        .render(
            run=results,
            headline=_headline(results, objectives),
            missed=sum(1 for o in objectives if not o["met"]),
            objectives=objectives,
            channels=_by_channel(journeys),
            budgets=_budgets(journeys),
            worst=_worst_steps(journeys),
            load=load_view(results),
            journey_count=len(journeys),
            passed=sum(1 for j in journeys if j["verdict"] == PASS),
            script=_PRINT_SCRIPT,
            script_hash=_script_hash(),
        )
    )


def write_html(
    results: Mapping[str, Any], path: Path, redactor: Redactor, *, base_dir: Path | None = None
) -> None:
    """Write index.html to `path`; artefact paths resolve in `base_dir` (default: its folder).

    The text is scrubbed of secrets, except inside embedded images' base64 (a secret's few
    characters may occur there by chance, and replacing them would only break the image).
    """
    parts = _DATA_URI.split(render_html(results, base_dir=base_dir or path.parent))
    text = "".join(p if i % 2 else redactor.scrub(p) for i, p in enumerate(parts))
    path.write_text(text, encoding="utf-8")


@functools.cache
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("runner.outputs", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["seconds"] = format_seconds
    env.filters["ratio"] = format_ratio
    env.filters["budget"] = _budget_text
    env.filters["within"] = _within
    return env


@functools.cache
def _script_hash() -> str:
    digest = hashlib.sha256(_PRINT_SCRIPT.encode()).digest()
    return "sha256-" + base64.b64encode(digest).decode()


def _all_objectives(results: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    top = results.get("objectives")
    if top is not None:
        return list(top)
    return [o for j in results["journeys"] for o in j.get("objectives") or ()]


def _headline(results: Mapping[str, Any], objectives: Sequence[Mapping[str, Any]]) -> Headline:
    verdict = results["verdict"]
    total, missed = len(objectives), sum(1 for o in objectives if not o["met"])
    if verdict == PASS:
        words = "Ready: every objective met" if total else "Ready: every journey passed"
        return Headline("✔", words, "ok")
    if verdict == FAIL:
        if missed:
            return Headline("✖", f"Not ready: {missed} of {total} objectives missed", "bad")
        failed = sum(1 for j in results["journeys"] if j["verdict"] != PASS)
        words = f"Not ready: {failed} of {len(results['journeys'])} journeys failed"
        return Headline("✖", words, "bad")
    if verdict in (ABORTED, INTERRUPTED) and total:
        # a run that stopped early proves nothing met: say what was missed and what not judged
        missed = sum(1 for o in objectives if o.get("state", MISSED) == MISSED)
        symbol, words = VERDICT_HEADLINES[verdict]
        if verdict == ABORTED:
            words = "Not ready: the safety rail stopped the rehearsal"
        words += f"; {missed} of {total} objectives missed"
        if total - missed:
            words += f", {total - missed} not judged"
        return Headline(symbol, words, "bad")
    symbol, words = VERDICT_HEADLINES.get(verdict, ("⚠", str(verdict).capitalize()))
    return Headline(symbol, words, "ok" if verdict in GOOD_VERDICTS else "bad")


def _objectives_of(journey: Mapping[str, Any], results: Mapping[str, Any]) -> list[Any]:
    own = journey.get("objectives")
    if own is not None:
        return list(own)
    engine = journey.get("engine")
    return [
        o
        for o in results.get("objectives") or ()
        if o["journey"] == journey["name"] and o.get("engine") in (None, engine)
    ]


def _judged(objective: Mapping[str, Any] | None, actual: str, target: str) -> Cell:
    if objective is None:
        return Cell(actual, "", "none")
    return Cell(actual, target, "ok" if objective["met"] else "bad")


def _pick(objectives: Sequence[Mapping[str, Any]], kind: str) -> Mapping[str, Any] | None:
    # The journey-wide objective of a kind; a missed one first, since that is the news.
    found = [o for o in objectives if o["kind"] == kind and o.get("step") is None]
    return next((o for o in found if not o["met"]), found[0] if found else None)


def _timing_cell(
    objectives: Sequence[Mapping[str, Any]], kind: str, measured: Mapping[str, Any] | None
) -> Cell:
    objective = _pick(objectives, kind)
    if objective is None:
        p95 = (measured or {}).get("p95")
        return Cell("—" if p95 is None else f"p95 {format_seconds(p95)}", "", "none")
    stat, actual = objective["stat"], objective.get("actual")
    text = "no data" if actual is None else f"{stat} {format_seconds(actual)}"
    return _judged(objective, text, f"≤ {format_target(objective['target'])}")


def _budget_text(fraction: float | None) -> str:
    if fraction is None:
        return "—"
    if fraction >= 0:
        return f"{format_ratio(fraction)} left" if fraction > 0 else "exhausted"
    # remaining = 1 - spent / allowed, so -199 means 200 times the allowed failures.
    return f"exhausted ({1 - fraction:.0f}× over)"  # noqa: RUF001


def _within(name: str, journey: str) -> str:
    # "checkout / place order latency p95" reads "place order latency p95" under checkout.
    for prefix in (f"{journey} / ", f"{journey} "):
        if name.startswith(prefix) and len(name) > len(prefix):
            return name[len(prefix) :]
    return name


def _budget_state(fraction: float | None) -> State:
    if fraction is None:
        return "none"
    return "bad" if fraction <= 0 else "warn" if fraction < 0.25 else "ok"


def _journey_view(
    journey: Mapping[str, Any], index: int, results: Mapping[str, Any], base_dir: Path
) -> dict[str, Any]:
    objectives = _objectives_of(journey, results)
    success = _pick(objectives, "success")
    budget = None if success is None else success.get("error_budget_remaining")
    steps = list(journey.get("steps") or ())
    target = "" if success is None else f"≥ {format_ratio(success['target'])}"
    return {
        "raw": journey,
        "anchor": f"j{index}",
        "name": journey["name"],
        "engine": journey.get("engine") or "http",
        "channel": journey.get("channel") or "other",
        "verdict": journey["verdict"],
        "success": _judged(success, format_ratio(journey.get("success_ratio")), target),
        "latency": _timing_cell(objectives, "latency", journey.get("latency_s")),
        "freshness": _timing_cell(objectives, "freshness", journey.get("freshness_s")),
        "budget": budget,
        "budget_state": _budget_state(budget),
        "objectives": objectives,
        "met": sum(1 for o in objectives if o["met"]),
        "steps": steps,
        "has_page": any(s.get("page") for s in steps),
        "has_freshness": any(s.get("freshness_s") for s in steps),
        "has_reasons": any(s.get("reasons") for s in steps),
        "waterfall": waterfall([_waterfall_step(s) for s in steps]),
        "ladder": ladder_svg(journey.get("latency_s") or {}),
        "console_errors": _top_counts(journey.get("console_errors")),
        "failed_requests": _top_counts(journey.get("failed_requests")),
        **_failures_view(journey.get("failures") or (), base_dir),
    }


def _waterfall_step(step: Mapping[str, Any]) -> WaterfallStep:
    latency = step.get("latency_s") or {}
    return WaterfallStep(latency.get("p50"), latency.get("p95"), step["failures"] > 0)


def _top_counts(counts: Mapping[str, int] | None) -> dict[str, Any]:
    ranked = sorted((counts or {}).items(), key=lambda item: -item[1])
    hidden = ranked[_MESSAGES_SHOWN:]
    return {
        "shown": ranked[:_MESSAGES_SHOWN],
        "hidden": len(hidden),
        "hidden_total": sum(n for _, n in hidden),
    }


def _failures_view(failures: Sequence[Mapping[str, Any]], base_dir: Path) -> dict[str, Any]:
    """Failures with a screenshot or trace one by one; the rest grouped by step and reason.

    A 50 % error rate repeats one line per run: grouped, it is one line with the run numbers.
    At most `_FAILURE_ITEMS` items are shown; the runs of the others are only counted.
    """
    items: list[dict[str, Any]] = []
    groups: dict[tuple[Any, ...], dict[str, Any]] = {}
    embedded = 0
    for failure in failures:
        if failure.get("screenshot") or failure.get("trace"):
            item = _artefact_failure(failure, base_dir, embed=embedded < _SCREENSHOTS_PER_JOURNEY)
            embedded += item["shot"] is not None and item["shot"].src is not None
            items.append(item)
            continue
        key = (failure["step"], failure["reason"], failure.get("status"))
        if key not in groups:
            groups[key] = {**_plain_failure(failure), "runs": []}
            items.append(groups[key])
        groups[key]["runs"].append(failure.get("iteration", "?"))
    hidden = items[_FAILURE_ITEMS:]
    return {"failures": items[:_FAILURE_ITEMS], "hidden_runs": sum(len(i["runs"]) for i in hidden)}


def _plain_failure(failure: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "runs": [failure.get("iteration", "?")],
        "step": failure["step"],
        "reason": failure["reason"],
        "status": failure.get("status"),
        "started": failure.get("started", ""),
        "screenshot": None,
        "shot": None,
        "shot_href": None,
        "trace": None,
        "trace_href": None,
        "trace_missing": False,
    }


def _artefact_failure(failure: Mapping[str, Any], base_dir: Path, *, embed: bool) -> dict[str, Any]:
    item = _plain_failure(failure)
    screenshot, trace = failure.get("screenshot"), failure.get("trace")
    if screenshot:
        note = Shot(None, "not embedded, to keep the report small", link=True)
        item["shot"] = _embed_image(base_dir, screenshot) if embed else note
        item["screenshot"], item["shot_href"] = screenshot, _relative_href(screenshot)
    if trace:
        item["trace"], item["trace_href"] = trace, _relative_href(trace)
        item["trace_missing"] = _inside(base_dir, trace, must_exist=True) is None
    return item


def _inside(base_dir: Path, relative: str, *, must_exist: bool) -> Path | None:
    pure = PurePosixPath(relative)
    if pure.is_absolute() or ".." in pure.parts or ":" in relative:
        return None
    path = base_dir / pure
    if must_exist and not path.is_file():
        return None
    return path


def _relative_href(relative: str | None) -> str | None:
    # A link to a local file is not a request; quoting keeps "javascript:" a mere file name.
    if not relative or _inside(Path("."), relative, must_exist=False) is None:
        return None
    return quote(relative)


def _embed_image(base_dir: Path, relative: str) -> Shot:
    path = _inside(base_dir, relative, must_exist=False)
    if path is None:
        return Shot(None, "not embedded: the path leaves the results folder")
    media = _IMAGE_TYPES.get(path.suffix.lower())
    if media is None:
        return Shot(None, "not embedded: not a PNG or JPEG file")
    try:
        if path.stat().st_size > _MAX_IMAGE_BYTES:
            return Shot(None, "not embedded: larger than 5 MB", link=True)
        data = path.read_bytes()
    except OSError:
        return Shot(None, "screenshot file missing")
    return Shot(f"data:{media};base64,{base64.b64encode(data).decode()}", None)


def _by_channel(journeys: Sequence[dict[str, Any]]) -> list[tuple[str, list[dict[str, Any]]]]:
    # Within a channel, journeys needing attention come first: that is what the reader seeks.
    order = {ERROR: 0, FAIL: 1}
    groups: dict[str, list[dict[str, Any]]] = {}
    for journey in journeys:
        groups.setdefault(journey["channel"], []).append(journey)
    known = [c for c in _CHANNELS if c in groups] + sorted(set(groups) - set(_CHANNELS))
    return [(c, sorted(groups[c], key=lambda j: order.get(j["verdict"], 2))) for c in known]


def _budgets(journeys: Sequence[dict[str, Any]]) -> dict[str, Any]:
    judged = sorted((j for j in journeys if j["budget"] is not None), key=lambda j: j["budget"])
    return {
        "lowest": judged[:5],
        "rest": len(judged) - min(len(judged), 5),
        "exhausted": sum(1 for j in judged if j["budget"] <= 0),
        "total": len(judged),
    }


def _worst_steps(journeys: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The three steps most in need of attention: most failed runs, then slowest p95."""
    candidates = []
    for journey in journeys:
        for step in journey["steps"]:
            if not step["attempts"]:
                continue
            p95 = (step.get("latency_s") or {}).get("p95") or 0.0
            ratio = step["failures"] / step["attempts"]
            candidates.append((ratio, p95, journey, step))
    candidates.sort(key=lambda c: (-c[0], -c[1]))
    worst = [(journey, step) for _, _, journey, step in candidates[:3]]
    return [
        {"journey": j, "step": s, "reason": next(iter(s.get("reasons") or {}), "")}
        for j, s in worst
    ]
