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
Imports only the results document, the vocabulary, `charts`, `load_charts` and `redact` of ours.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Literal
from urllib.parse import quote

import jinja2
from markupsafe import Markup

from runner.document import (
    FailureEntry,
    JourneyEntry,
    Objective,
    Percentiles,
    ResultsDocument,
    StepEntry,
)
from runner.outputs.charts import (
    Waterfall,
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
    Engine,
    JourneyVerdict,
    ObjectiveKind,
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


@dataclass(frozen=True, slots=True)
class FailureItem:
    """One line of a journey's failures: a run with its artefacts, or runs alike, grouped.

    `runs` grows while the failures are grouped; nothing else changes once made.
    """

    runs: list[int]
    step: str
    reason: str
    status: int | None
    started: str
    screenshot: str | None = None
    shot: Shot | None = None
    shot_href: str | None = None
    trace: str | None = None
    trace_href: str | None = None
    trace_missing: bool = False


@dataclass(frozen=True, slots=True)
class Counts:
    """Console errors or failed requests: the most frequent shown, the rest only counted."""

    shown: list[tuple[str, int]]
    hidden: int
    hidden_total: int


@dataclass(frozen=True, slots=True)
class JourneyView:
    """One journey entry as the overview row and its collapsed section show it."""

    entry: JourneyEntry
    anchor: str
    name: str
    engine: Engine
    channel: str
    verdict: JourneyVerdict
    success: Cell
    latency: Cell
    freshness: Cell
    budget: float | None
    budget_state: State
    objectives: list[Objective]
    met: int
    steps: list[StepEntry]
    has_page: bool
    has_freshness: bool
    has_reasons: bool
    waterfall: Waterfall
    ladder: Markup
    console_errors: Counts
    failed_requests: Counts
    failures: list[FailureItem]
    hidden_runs: int


@dataclass(frozen=True, slots=True)
class Budgets:
    """The error budgets at a glance: the five lowest, and how many are exhausted."""

    lowest: list[JourneyView]
    rest: int
    exhausted: int
    total: int


@dataclass(frozen=True, slots=True)
class WorstStep:
    """A step among the three most in need of attention, with its most frequent reason."""

    journey: JourneyView
    step: StepEntry
    reason: str


def render_html(document: ResultsDocument, *, base_dir: Path) -> str:
    """The report's HTML text; screenshots are read from `base_dir` (the results.json folder).

    Never raises for a missing, unreadable or out-of-folder screenshot: the failure shows a
    note instead.
    """
    journeys = [_journey_view(j, i, base_dir) for i, j in enumerate(document.journeys)]
    objectives = list(document.objectives)
    return (
        _environment()
        .get_template("report.html.j2")
        .render(
            run=document,
            headline=_headline(document, objectives),
            missed=sum(1 for o in objectives if not o.met),
            objectives=objectives,
            channels=_by_channel(journeys),
            budgets=_budgets(journeys),
            worst=_worst_steps(journeys),
            load=load_view(document),
            journey_count=len(journeys),
            passed=sum(1 for j in journeys if j.verdict == PASS),
            script=_PRINT_SCRIPT,
            script_hash=_script_hash(),
        )
    )


def write_html(
    document: ResultsDocument, path: Path, redactor: Redactor, *, base_dir: Path | None = None
) -> None:
    """Write index.html to `path`; artefact paths resolve in `base_dir` (default: its folder).

    The text is scrubbed of secrets, except inside embedded images' base64 (a secret's few
    characters may occur there by chance, and replacing them would only break the image).
    """
    parts = _DATA_URI.split(render_html(document, base_dir=base_dir or path.parent))
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


def _headline(document: ResultsDocument, objectives: Sequence[Objective]) -> Headline:
    verdict = document.verdict
    total, missed = len(objectives), sum(1 for o in objectives if not o.met)
    if verdict == PASS:
        words = "Ready: every objective met" if total else "Ready: every journey passed"
        return Headline("✔", words, "ok")
    if verdict == FAIL:
        if missed:
            return Headline("✖", f"Not ready: {missed} of {total} objectives missed", "bad")
        failed = sum(1 for j in document.journeys if j.verdict != PASS)
        words = f"Not ready: {failed} of {len(document.journeys)} journeys failed"
        return Headline("✖", words, "bad")
    if verdict in (ABORTED, INTERRUPTED) and total:
        # a run that stopped early proves nothing met: say what was missed and what not judged
        missed = sum(1 for o in objectives if o.state == MISSED)
        symbol, words = VERDICT_HEADLINES[verdict]
        if verdict == ABORTED:
            words = "Not ready: the safety rail stopped the rehearsal"
        words += f"; {missed} of {total} objectives missed"
        if total - missed:
            words += f", {total - missed} not judged"
        return Headline(symbol, words, "bad")
    symbol, words = VERDICT_HEADLINES.get(verdict, ("⚠", str(verdict).capitalize()))
    return Headline(symbol, words, "ok" if verdict in GOOD_VERDICTS else "bad")


def _judged(objective: Objective | None, actual: str, target: str) -> Cell:
    if objective is None:
        return Cell(actual, "", "none")
    return Cell(actual, target, "ok" if objective.met else "bad")


def _pick(objectives: Sequence[Objective], kind: ObjectiveKind) -> Objective | None:
    # The journey-wide objective of a kind; a missed one first, since that is the news.
    found = [o for o in objectives if o.kind == kind and o.step is None]
    return next((o for o in found if not o.met), found[0] if found else None)


def _timing_cell(
    objectives: Sequence[Objective], kind: ObjectiveKind, measured: Percentiles | None
) -> Cell:
    objective = _pick(objectives, kind)
    if objective is None:
        p95 = None if measured is None else measured.p95
        return Cell("—" if p95 is None else f"p95 {format_seconds(p95)}", "", "none")
    actual = objective.actual
    text = "no data" if actual is None else f"{objective.stat} {format_seconds(actual)}"
    return _judged(objective, text, f"≤ {format_target(objective.target)}")


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


def _journey_view(journey: JourneyEntry, index: int, base_dir: Path) -> JourneyView:
    objectives = list(journey.objectives)
    success = _pick(objectives, "success")
    budget = None if success is None else success.error_budget_remaining
    steps = list(journey.steps)
    target = "" if success is None else f"≥ {format_ratio(success.target)}"
    failures, hidden_runs = _failures_view(journey.failures, base_dir)
    return JourneyView(
        entry=journey,
        anchor=f"j{index}",
        name=journey.name,
        engine=journey.engine,
        channel=journey.channel or "other",
        verdict=journey.verdict,
        success=_judged(success, format_ratio(journey.success_ratio), target),
        latency=_timing_cell(objectives, "latency", journey.latency_s),
        freshness=_timing_cell(objectives, "freshness", journey.freshness_s),
        budget=budget,
        budget_state=_budget_state(budget),
        objectives=objectives,
        met=sum(1 for o in objectives if o.met),
        steps=steps,
        has_page=any(s.page for s in steps),
        has_freshness=any(s.freshness_s is not None for s in steps),
        has_reasons=any(s.reasons for s in steps),
        waterfall=waterfall([_waterfall_step(s) for s in steps]),
        ladder=ladder_svg(journey.latency_s),
        console_errors=_top_counts(journey.console_errors),
        failed_requests=_top_counts(journey.failed_requests),
        failures=failures,
        hidden_runs=hidden_runs,
    )


def _waterfall_step(step: StepEntry) -> WaterfallStep:
    return WaterfallStep(step.latency_s.p50, step.latency_s.p95, step.failures > 0)


def _top_counts(counts: Mapping[str, int]) -> Counts:
    ranked = sorted(counts.items(), key=lambda item: -item[1])
    hidden = ranked[_MESSAGES_SHOWN:]
    return Counts(ranked[:_MESSAGES_SHOWN], len(hidden), sum(n for _, n in hidden))


def _failures_view(
    failures: Sequence[FailureEntry], base_dir: Path
) -> tuple[list[FailureItem], int]:
    """Failures with a screenshot or trace one by one; the rest grouped by step and reason.

    A 50 % error rate repeats one line per run: grouped, it is one line with the run numbers.
    At most `_FAILURE_ITEMS` items are shown; the runs of the others are only counted.
    Returns the items shown and the number of runs left out.
    """
    items: list[FailureItem] = []
    groups: dict[tuple[str, str, int | None], FailureItem] = {}
    embedded = 0
    for failure in failures:
        if failure.screenshot or failure.trace:
            item = _artefact_failure(failure, base_dir, embed=embedded < _SCREENSHOTS_PER_JOURNEY)
            embedded += item.shot is not None and item.shot.src is not None
            items.append(item)
            continue
        key = (failure.step, failure.reason, failure.status)
        if key not in groups:
            groups[key] = FailureItem(
                [], failure.step, failure.reason, failure.status, failure.started
            )
            items.append(groups[key])
        groups[key].runs.append(failure.iteration)
    hidden = items[_FAILURE_ITEMS:]
    return items[:_FAILURE_ITEMS], sum(len(i.runs) for i in hidden)


def _artefact_failure(failure: FailureEntry, base_dir: Path, *, embed: bool) -> FailureItem:
    screenshot, trace = failure.screenshot or None, failure.trace or None
    shot = None
    if screenshot:
        note = Shot(None, "not embedded, to keep the report small", link=True)
        shot = _embed_image(base_dir, screenshot) if embed else note
    return FailureItem(
        runs=[failure.iteration],
        step=failure.step,
        reason=failure.reason,
        status=failure.status,
        started=failure.started,
        screenshot=screenshot,
        shot=shot,
        shot_href=_relative_href(screenshot),
        trace=trace,
        trace_href=_relative_href(trace),
        trace_missing=trace is not None and _inside(base_dir, trace, must_exist=True) is None,
    )


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


def _by_channel(journeys: Sequence[JourneyView]) -> list[tuple[str, list[JourneyView]]]:
    # Within a channel, journeys needing attention come first: that is what the reader seeks.
    order = {ERROR: 0, FAIL: 1}
    groups: dict[str, list[JourneyView]] = {}
    for journey in journeys:
        groups.setdefault(journey.channel, []).append(journey)
    known = [c for c in _CHANNELS if c in groups] + sorted(set(groups) - set(_CHANNELS))
    return [(c, sorted(groups[c], key=lambda j: order.get(j.verdict, 2))) for c in known]


def _budgets(journeys: Sequence[JourneyView]) -> Budgets:
    judged = sorted(
        ((j.budget, j) for j in journeys if j.budget is not None), key=lambda pair: pair[0]
    )
    return Budgets(
        lowest=[j for _, j in judged[:5]],
        rest=len(judged) - min(len(judged), 5),
        exhausted=sum(1 for budget, _ in judged if budget <= 0),
        total=len(judged),
    )


def _worst_steps(journeys: Sequence[JourneyView]) -> list[WorstStep]:
    """The three steps most in need of attention: most failed runs, then slowest p95."""
    candidates = []
    for journey in journeys:
        for step in journey.steps:
            if not step.attempts:
                continue
            p95 = step.latency_s.p95 or 0.0
            candidates.append((step.failures / step.attempts, p95, journey, step))
    candidates.sort(key=lambda c: (-c[0], -c[1]))
    return [WorstStep(j, s, next(iter(s.reasons), "")) for _, _, j, s in candidates[:3]]
