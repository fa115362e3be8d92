"""index.html: the self-contained report a retail executive can read in one minute.

Rendered from the results document only (so `journey report` re-renders any past run) with
jinja2, autoescape on: every name, reason and message from a journey or a target is escaped.
Shaped for three readers at once. The first screen (the summary) is for a decision, in words:
what was tested, the verdict, how strong its evidence is, the objectives closest to failing
(ranked by margin) and the evidence of each objective. The traffic-light table per channel
follows; the collapsed per-journey sections below hold the detail (waterfall, percentile
ladder, failures with their screenshots and traces); print opens them all, colours kept.
A load rehearsal adds its own section (load_charts: stage table and time-series chart), and
its first line, in the banner and in that section, says what was held.

"Ready" is said only of a pass whose every objective is met and shown (observed ones aside):
a pass on too few samples reads "Passed, not shown". Closest to failing ranks objectives by
margin (how far along their limit they are), never a polling step's latency: its wait is
intended, judged by its freshness.

Self-contained means opening the file makes no request: CSS and SVG are inline, screenshots
are read from the results folder and embedded as data URIs, and a Content-Security-Policy
forbids loading anything else should a future template slip. Screenshot paths must stay inside
that folder: a results.json must not be able to pull arbitrary files into a report.
Past 600 lines: the first screen (headline, evidence, closest to failing) belongs in a module
of its own, runner/outputs/summary.py, once that module may be added beside this one.
Imports only the results document, the vocabulary, `charts`, `load_charts` and `redact` of ours.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
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
    exit_code_of,
)
from runner.outputs.charts import (
    Goal,
    TimeUnit,
    Waterfall,
    WaterfallStep,
    format_ratio,
    format_seconds,
    format_share,
    format_time,
    format_time_in,
    ladder_svg,
    time_unit,
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
    MET,
    MET_NOT_SHOWN,
    MISSED,
    NOT_JUDGED,
    NOT_REACHED,
    NOT_RUN,
    OBSERVED,
    PASS,
    VERDICT_HEADLINES,
    Engine,
    ExitCode,
    JourneyVerdict,
    ObjectiveKind,
    exit_code,
)

State = Literal["ok", "warn", "bad", "none"]
_CHANNELS = ("web", "pos", "marketplace", "backoffice")
_IMAGE_TYPES = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg"}
_MAX_IMAGE_BYTES = 5_000_000
_SCREENSHOTS_PER_JOURNEY = 5  # more failures are listed with a link, not embedded
_FAILURE_ITEMS = 20  # single failures with artefacts, or groups by step and reason
_MESSAGES_SHOWN = 10  # console errors and failed requests, most frequent first
_CLOSEST = 5  # objectives in "closest to failing"
_EVIDENCE_ROWS = 20  # objectives in the summary's evidence panel: the summary prints on 2 pages
_NAMES_SHOWN = 5  # journey names in the "Tested" line
_TIMES = "\N{MULTIPLICATION SIGN}"
_DATA_URI = re.compile(r"(data:image/[a-z]+;base64,[A-Za-z0-9+/=]+)")
# Opens every <details> before printing, for browsers without ::details-content; the page
# reads fully without it. Allowed by its hash in the page's Content-Security-Policy.
_PRINT_SCRIPT = (
    "addEventListener('beforeprint',()=>document.querySelectorAll('details')"
    ".forEach(d=>d.open=true));"
)
# Each objective state's symbol and tone: colour is never the only signal.
MARKS: Mapping[str, tuple[str, State]] = {
    MET: ("✔", "ok"),
    MET_NOT_SHOWN: ("⚠", "warn"),
    OBSERVED: ("○", "ok"),
    MISSED: ("✖", "bad"),
    NOT_JUDGED: ("○", "none"),
    NOT_REACHED: ("○", "none"),
}
# The evidence panel's order: what needs attention first.
_SEVERITY = {MISSED: 0, NOT_REACHED: 1, NOT_JUDGED: 2, MET_NOT_SHOWN: 3, OBSERVED: 4, MET: 5}


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
class Summary:
    """The banner's lines under the headline: what was tested, the result, the evidence."""

    tested: str
    result: str
    evidence: str
    exit_note: str  # "" unless --require-evidence turns this pass into exit 4


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
    objectives: list[Objective]
    by_state: list[tuple[str, list[Objective]]]  # needing attention first, as in the summary
    met: int
    steps: list[StepEntry]
    unit: TimeUnit  # of the step table's times
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
class Ranked:
    """An objective as "closest to failing" lists it: where, what was measured, its margin."""

    href: str
    journey: str
    engine: Engine
    what: str
    measured: str
    margin: str
    state: State


@dataclass(frozen=True, slots=True)
class EvidenceRow:
    """One objective in the evidence panel: its state and what its samples show."""

    href: str
    journey: str
    engine: Engine
    what: str
    state: str
    mark: str
    tone: State
    samples: int
    bad: str
    bound: str
    allowed: str
    bound_tone: State
    note: str


@dataclass(frozen=True, slots=True)
class EvidencePanel:
    """The summary's evidence: the objectives needing attention first, the rest counted."""

    rows: list[EvidenceRow]
    hidden: int
    hidden_words: str  # what the rows left out are: "12 met and shown, 1 observed"


def render_html(document: ResultsDocument, *, base_dir: Path) -> str:
    """The report's HTML text; screenshots are read from `base_dir` (the results.json folder).

    Never raises for a missing, unreadable or out-of-folder screenshot: the failure shows a
    note instead.
    """
    overview_unit = _overview_unit(document.journeys)
    journeys = [
        _journey_view(j, i, base_dir, overview_unit) for i, j in enumerate(document.journeys)
    ]
    objectives = list(document.objectives)
    anchors = _anchors(journeys, document)
    confidence = _percent(document.confidence)
    return (
        _environment()
        .get_template("report.html.j2")
        .render(
            run=document,
            headline=_headline(document, objectives),
            summary=_summary(document, journeys, objectives),
            closest=_closest(objectives, _polling_steps(journeys), anchors),
            evidence=_evidence_panel(objectives, anchors),
            confidence=confidence,
            channels=_by_channel(journeys),
            load=load_view(document),
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
    env.filters["t"] = format_time
    env.filters["within"] = _within
    env.filters["detail"] = _short_detail
    env.globals["marks"] = MARKS
    return env


@functools.cache
def _script_hash() -> str:
    digest = hashlib.sha256(_PRINT_SCRIPT.encode()).digest()
    return "sha256-" + base64.b64encode(digest).decode()


def _headline(document: ResultsDocument, objectives: Sequence[Objective]) -> Headline:
    verdict = document.verdict
    total, missed = len(objectives), sum(1 for o in objectives if not o.met)
    journeys = document.journeys
    not_run = sum(1 for j in journeys if j.verdict == NOT_RUN)
    if verdict == PASS:
        states = Counter(o.state for o in objectives)
        unshown = states[MET_NOT_SHOWN]
        if unshown:
            words = (
                f"Passed, not shown: {unshown} of {total} objectives met but too few samples "
                f"to show them at {_percent(document.confidence)}"
            )
            return Headline("⚠", words, "warn")
        unjudged = total - states[MET] - states[OBSERVED]
        if unjudged:
            return Headline("⚠", f"Passed, not judged: {unjudged} of {total} objectives", "warn")
        if not_run:
            words = f"Passed, not complete: {not_run} of {len(journeys)} journeys not run"
            return Headline("⚠", words, "warn")
        words = "Ready: every objective met" if total else "Ready: every journey passed"
        return Headline("✔", words, "ok")
    if verdict == FAIL:
        if missed:
            return Headline("✖", f"Not ready: {missed} of {total} objectives missed", "bad")
        failed = sum(1 for j in journeys if j.verdict in (FAIL, ERROR))
        words = f"Not ready: {failed} of {len(journeys)} journeys failed"
        return Headline("✖", words + (f", {not_run} not run" if not_run else ""), "bad")
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


def _percent(share: float) -> str:
    # a confidence as the issue and the CLI write it: 0.95 -> "95 %", 0.999 -> "99.9 %"
    return f"{share * 100:.4g} %"


def _summary(
    document: ResultsDocument, journeys: Sequence[JourneyView], objectives: Sequence[Objective]
) -> Summary:
    met = sum(1 for o in objectives if o.met)
    passed = sum(1 for j in journeys if j.verdict == PASS)
    result = f"{passed} of {len(journeys)} journeys passed"
    if not_run := sum(1 for j in journeys if j.verdict == NOT_RUN):
        result += f", {not_run} not run"
    result += f" · {met} of {len(objectives)} objectives met"
    exit_note = ""
    code = exit_code_of(document)
    if code == ExitCode.NOT_ENOUGH_EVIDENCE and exit_code(document.verdict) == ExitCode.OK:
        exit_note = "--require-evidence: this run exits 4, not enough evidence"
    return Summary(
        _tested(document, journeys),
        result,
        _strength(objectives, _percent(document.confidence)),
        exit_note,
    )


def _tested(document: ResultsDocument, journeys: Sequence[JourneyView]) -> str:
    """What was tested in one line: journeys, engines, runs (or the rehearsal), target, time."""
    names = list(dict.fromkeys(j.name for j in journeys))
    if not names:
        return f"Tested: no journey · target {document.target.name}"
    listed = ", ".join(names[:_NAMES_SHOWN])
    if len(names) > _NAMES_SHOWN:
        listed += f" and {len(names) - _NAMES_SHOWN} more"
    engines = Counter(j.engine for j in journeys)
    if len(engines) == 1:
        on = f"on {next(iter(engines))}"
    else:
        on = "on " + " and ".join(f"{engine} ({n})" for engine, n in engines.items())
    words = [f"{len(names)} journey{'s' * (len(names) != 1)} ({listed}) {on}"]
    load = document.load
    runs = [j.entry.attempts for j in journeys if j.verdict != NOT_RUN]
    noun = "iterations" if load else "runs"
    if runs:
        low, high = min(runs), max(runs)
        words.append(f"{low} {noun} each" if low == high else f"{low} to {high} {noun} each")
    if load:
        model = "arrival rate" if load.model == "open" else "users"
        words.append(f"load profile {load.profile} ({model})")
    words.append(f"target {document.target.name}")
    words.append(f"took {format_seconds(document.duration_s)}")
    return "Tested: " + " · ".join(words)


def _strength(objectives: Sequence[Objective], confidence: str) -> str:
    """How strong the evidence is: "5 of 9 objectives shown at 95 %; 3 met, not shown; …"."""
    total = len(objectives)
    if not total:
        return "Evidence: no objective to weigh"
    states = Counter(o.state for o in objectives)
    # results written before evidence was kept: met on what was seen, no bound recorded
    unweighed = sum(1 for o in objectives if o.state == MET and o.evidence is None)
    if unweighed == total:
        return f"Evidence: {total} of {total} objectives met; no confidence bound recorded"
    parts = [f"{states[MET] - unweighed} of {total} objectives shown at {confidence}"]
    if states[MET_NOT_SHOWN]:
        parts.append(f"{states[MET_NOT_SHOWN]} {MET_NOT_SHOWN}" + _most_needed(objectives))
    parts += [f"{states[s]} {s}" for s in (OBSERVED, MISSED, NOT_JUDGED) if states[s]]
    if states[NOT_REACHED]:
        parts.append(f"{states[NOT_REACHED]} {NOT_REACHED}")
    if unweighed:
        parts.append(f"{unweighed} met with no bound recorded")
    return "Evidence: " + "; ".join(parts)


def _most_needed(objectives: Sequence[Objective]) -> str:
    # the objective furthest from shown: " (checkout success needs 598 runs)"
    needs = [
        (o.evidence.needed, o)
        for o in objectives
        if o.state == MET_NOT_SHOWN and o.evidence is not None and o.evidence.needed
    ]
    if not needs:
        return ""
    needed, o = max(needs, key=lambda pair: pair[0])
    noun = "runs" if o.kind == "success" else "samples"
    return f" ({o.name} needs {needed} {noun})"


def _judged(objective: Objective | None, actual: str, target: str) -> Cell:
    if objective is None:
        return Cell(actual, "", "none")
    return Cell(actual, target, MARKS.get(str(objective.state), ("", "none"))[1])


def _pick(objectives: Sequence[Objective], kind: ObjectiveKind) -> Objective | None:
    # The journey-wide objective of a kind; a missed one first, since that is the news.
    found = [o for o in objectives if o.kind == kind and o.step is None]
    return next((o for o in found if not o.met), found[0] if found else None)


def _timing_cell(
    objectives: Sequence[Objective],
    kind: ObjectiveKind,
    measured: Percentiles | None,
    unit: TimeUnit,
) -> Cell:
    objective = _pick(objectives, kind)
    if objective is None:
        p95 = None if measured is None else measured.p95
        return Cell("—" if p95 is None else f"p95 {format_time_in(p95, unit)}", "", "none")
    actual = objective.actual
    text = "no data" if actual is None else f"{objective.stat} {format_time_in(actual, unit)}"
    return _judged(objective, text, f"≤ {format_time_in(objective.target, unit)}")


def _overview_unit(journeys: Iterable[JourneyEntry]) -> TimeUnit:
    """The overview's one unit, from every time its latency and freshness columns can show."""
    values: list[float | None] = []
    for journey in journeys:
        values += [None if m is None else m.p95 for m in (journey.latency_s, journey.freshness_s)]
        for o in journey.objectives:
            if o.step is None and o.kind in ("latency", "freshness"):
                values += [o.actual, o.target]
    return time_unit(values)


def _short_detail(objective: Objective) -> str:
    """The detail of an objective in its journey's list, its evidence note cut to the figure.

    A run's detail repeats the note ("…; 20 runs; 299 needed with no failure to show ≥ 99 %");
    the summary's evidence panel has it in full, so a journey's list says "299 runs needed":
    a report of 1,000 journeys holds 3,000 of these and must stay under 2 MB.
    """
    detail, proof = objective.detail, objective.evidence
    if proof is None or not proof.note or not detail.endswith(f"; {proof.note}"):
        return detail
    detail = detail[: -len(proof.note) - 2]
    if proof.needed is None:
        return detail
    noun = "runs" if objective.kind == "success" else "samples"
    return f"{detail} · {proof.needed} {noun} needed"


def _within(name: str, journey: str, engine: str = "") -> str:
    # "checkout / place order latency p95" reads "place order latency p95" under checkout; so
    # do a rehearsal's "checkout [http] / place order latency p95" and "smoke: request ...".
    rest = name.removeprefix(journey)
    if rest == name:
        return name
    rest = rest.removeprefix(f" [{engine}]") if engine else rest
    for separator in (" / ", ": ", " "):
        if rest.startswith(separator) and len(rest) > len(separator):
            return rest[len(separator) :]
    return name


def _journey_view(
    journey: JourneyEntry, index: int, base_dir: Path, overview_unit: TimeUnit
) -> JourneyView:
    objectives = list(journey.objectives)
    success = _pick(objectives, "success")
    steps = list(journey.steps)
    target = "" if success is None else f"≥ {format_ratio(success.target)}"
    failures, hidden_runs = _failures_view(journey.failures, base_dir)
    chart = waterfall([_waterfall_step(s) for s in steps])
    goals = [Goal(o.stat, o.target) for o in objectives if o.kind == "latency" and o.step is None]
    if journey.verdict == NOT_RUN:
        ladder = Markup('<p class="note">Not run: the run stopped before this journey started.</p>')
    else:
        ladder = ladder_svg(journey.latency_s, goals)
    return JourneyView(
        entry=journey,
        anchor=f"j{index}",
        name=journey.name,
        engine=journey.engine,
        channel=journey.channel or "other",
        verdict=journey.verdict,
        success=_judged(success, format_ratio(journey.success_ratio), target),
        latency=_timing_cell(objectives, "latency", journey.latency_s, overview_unit),
        freshness=_timing_cell(objectives, "freshness", journey.freshness_s, overview_unit),
        objectives=objectives,
        by_state=_by_state(objectives),
        met=sum(1 for o in objectives if o.met),
        steps=steps,
        unit=time_unit([chart.extent_s, *_step_times(steps)]),
        has_page=any(s.page for s in steps),
        has_freshness=any(s.freshness_s is not None for s in steps),
        has_reasons=any(s.reasons for s in steps),
        waterfall=chart,
        ladder=ladder,
        console_errors=_top_counts(journey.console_errors),
        failed_requests=_top_counts(journey.failed_requests),
        failures=failures,
        hidden_runs=hidden_runs,
    )


def _by_state(objectives: Sequence[Objective]) -> list[tuple[str, list[Objective]]]:
    # each state said once over its objectives: 3,000 "met, not shown" would weigh 100 kB
    groups: dict[str, list[Objective]] = {}
    for o in objectives:
        groups.setdefault(str(o.state), []).append(o)
    return sorted(groups.items(), key=lambda group: _SEVERITY.get(group[0], 0))


def _step_times(steps: Iterable[StepEntry]) -> Iterable[float | None]:
    # every time the step table shows, so that the table has one unit
    for step in steps:
        yield step.latency_s.p50
        yield step.latency_s.p95
        if step.freshness_s is not None:
            yield step.freshness_s.p95
        for key, timings in (step.page or {}).items():
            if key != "cls":
                yield timings.p75


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
    order = {ERROR: 0, FAIL: 1, NOT_RUN: 2}
    groups: dict[str, list[JourneyView]] = {}
    for journey in journeys:
        groups.setdefault(journey.channel, []).append(journey)
    known = [c for c in _CHANNELS if c in groups] + sorted(set(groups) - set(_CHANNELS))
    return [(c, sorted(groups[c], key=lambda j: order.get(j.verdict, 3))) for c in known]


def _anchors(
    journeys: Sequence[JourneyView], document: ResultsDocument
) -> dict[tuple[str, str], str]:
    """Where each (journey, engine) is detailed; a rehearsal's own objectives link to #load."""
    anchors: dict[tuple[str, str], str] = {}
    for journey in journeys:
        anchors.setdefault((journey.name, journey.engine), f"#{journey.anchor}")
    if document.load is not None:
        for o in document.objectives:
            if o.journey == document.load.profile:
                anchors.setdefault((o.journey, o.engine), "#load")
    return anchors


def _polling_steps(journeys: Sequence[JourneyView]) -> set[tuple[str, str, str]]:
    """(journey, engine, step) of steps judged by freshness: steps that poll `until:`."""
    return {
        (j.name, j.engine, s.name) for j in journeys for s in j.steps if s.freshness_s is not None
    }


def margin_of(objective: Objective) -> float | None:
    """How close `objective` came to failing: the document's margin, else worked out as it says.

    Results written before margins were kept carry none; for them it is actual / target for
    latency and freshness and (1 - actual) / (1 - target) for a success ratio, as the document
    defines it. None without samples, and for throughput, which the document must give.
    """
    if objective.margin is not None or objective.actual is None or not objective.samples:
        return objective.margin
    if objective.kind in ("latency", "freshness") and objective.target > 0:
        return objective.actual / objective.target
    if objective.kind == "success" and objective.target < 1:
        return max(0.0, 1.0 - objective.actual) / (1.0 - objective.target)
    return None


def _closest(
    objectives: Sequence[Objective],
    polling: set[tuple[str, str, str]],
    anchors: Mapping[tuple[str, str], str],
) -> list[Ranked]:
    """The objectives closest to failing, by margin, largest first; missed without data first.

    A step at 5 times its latency limit ranks above a journey whose failures are within what
    its success objective allows. A polling step's latency is its intended wait: not ranked.
    """
    ranked: list[tuple[float, Objective]] = []
    for o in objectives:
        if o.kind == "latency" and o.step is not None and (o.journey, o.engine, o.step) in polling:
            continue
        margin = margin_of(o)
        if margin is None and o.state == MISSED:
            ranked.append((math.inf, o))  # missed with no data: nothing is further gone
        elif margin is not None:
            ranked.append((margin, o))
    ranked.sort(key=lambda pair: -pair[0])
    top = ranked[:_CLOSEST]
    unit = time_unit(
        v for _, o in top if o.kind in ("latency", "freshness") for v in (o.actual, o.target)
    )
    return [_ranked(o, margin, anchors, unit) for margin, o in top]


def _ranked(
    o: Objective, margin: float, anchors: Mapping[tuple[str, str], str], unit: TimeUnit
) -> Ranked:
    failures = o.kind == "success"
    if o.kind in ("latency", "freshness"):
        measured = f"{format_time_in(o.actual, unit)} against ≤ {format_time_in(o.target, unit)}"
    elif failures:
        measured = f"{format_ratio(o.actual)} against ≥ {format_ratio(o.target)}"
    else:
        actual = "—" if o.actual is None else f"{o.actual:.3g}"
        measured = f"{actual} against ≥ {o.target:.3g}"
    if math.isinf(margin):
        words = "no data"
    elif failures and margin == 0:
        words = "no failures"
    elif margin >= 1:
        amount = f"{margin:.1f}{_TIMES}" if margin < 10 else f"{margin:.0f}{_TIMES}"
        words = f"failures {amount} those allowed" if failures else f"{amount} its limit"
    else:
        share = f"at {margin * 100:.0f} %" if margin >= 0.01 else "under 1 %"
        words = f"failures {share} of those allowed" if failures else f"{share} of its limit"
    state: State = "bad" if o.state == MISSED or margin >= 1 else "warn" if margin >= 0.8 else "ok"
    return Ranked(
        href=anchors.get((o.journey, o.engine), "#journeys"),
        journey=o.journey,
        engine=o.engine,
        what=_within(o.name, o.journey, o.engine),
        measured=measured,
        margin=words,
        state=state,
    )


def _evidence_panel(
    objectives: Sequence[Objective], anchors: Mapping[tuple[str, str], str]
) -> EvidencePanel:
    """Every objective's evidence, those needing attention first, at most `_EVIDENCE_ROWS`."""
    ordered = sorted(
        objectives,
        key=lambda o: (
            _SEVERITY.get(str(o.state), 0),
            -((o.evidence.needed or 0) if o.evidence else 0),  # furthest from shown first
            -(margin_of(o) or 0.0),
        ),
    )
    rows = [_evidence_row(o, anchors) for o in ordered[:_EVIDENCE_ROWS]]
    hidden = ordered[_EVIDENCE_ROWS:]
    states = Counter(
        "met and shown" if o.state == MET and o.evidence else str(o.state) for o in hidden
    )
    words = ", ".join(f"{n} {state}" for state, n in states.items())
    return EvidencePanel(rows, len(hidden), words)


def _evidence_row(o: Objective, anchors: Mapping[tuple[str, str], str]) -> EvidenceRow:
    mark, tone = MARKS.get(str(o.state), ("", "none"))
    proof = o.evidence
    bound_tone: State = "none"
    if proof is not None and proof.bound is not None:
        within = proof.bound <= proof.allowed_share
        bound_tone = "ok" if within else "bad" if o.state == MISSED else "warn"
    return EvidenceRow(
        href=anchors.get((o.journey, o.engine), "#journeys"),
        journey=o.journey,
        engine=o.engine,
        what=_within(o.name, o.journey, o.engine),
        state=str(o.state),
        mark=mark,
        tone=tone,
        samples=o.samples if proof is None else proof.samples,
        bad="—" if proof is None else str(proof.bad),
        bound="—" if proof is None else format_share(proof.bound),
        allowed="—" if proof is None else format_share(proof.allowed_share),
        bound_tone=bound_tone,
        note=o.detail if proof is None or not proof.note else proof.note,
    )
