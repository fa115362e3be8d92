"""index.html: the self-contained report a retail executive can read in one minute.

Rendered from the results document only (so `journey report` re-renders any past run) with
jinja2, autoescape on: every name, reason and message from a journey or a target is escaped.
Shaped for three readers at once. The first screen (the summary) is for a decision, in words:
what was tested, the verdict, how strong its evidence is, the objectives closest to failing
(ranked by margin) and the evidence of each objective; `summary` says all of that, this module
only renders it (and tells it where each journey's section is). The traffic-light table per
channel follows; the collapsed per-journey sections below hold the detail (waterfall,
percentile ladder, failures with their screenshots and traces, or for an http step its answer:
final URL, redirect chain and the start of the body, escaped in a <pre>; what the journey's
`record: true` captures recorded: the count, the first few, a link to captures.jsonl); print
opens them all, colours kept. A load rehearsal adds its own section (load_charts: stage table
and time-series chart), and its first line, in the banner and in that section, says what was
held. A canary adds its view (canary_view): the reasons for its decision in the summary, under
a headline saying what decided it, then each comparison's metrics and both arms' steps.

Self-contained means opening the file makes no request: CSS and SVG are inline, screenshots
are read from the results folder and embedded as data URIs, and a Content-Security-Policy
forbids loading anything else should a future template slip. Screenshot paths must stay inside
that folder: a results.json must not be able to pull arbitrary files into a report.
Imports only the results document, the vocabulary, `charts`, `load_charts`, `canary_view`,
`summary` and `redact` of ours.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from urllib.parse import quote

import jinja2
from markupsafe import Markup

from runner.document import (
    FailureEntry,
    JourneyEntry,
    Objective,
    Percentiles,
    Recorded,
    ResponseEntry,
    ResultsDocument,
    StepEntry,
)
from runner.outputs.canary_view import canary_view
from runner.outputs.charts import (
    Goal,
    TimeUnit,
    Waterfall,
    WaterfallStep,
    format_ratio,
    format_seconds,
    format_time,
    format_time_in,
    ladder_svg,
    time_unit,
    waterfall,
)
from runner.outputs.load_charts import load_view
from runner.outputs.summary import (
    MARKS,
    SEVERITY,
    Tone,
    banner_lines,
    closest_to_failing,
    evidence_panel,
    format_confidence,
    headline,
    name_within,
)
from runner.redact import Redactor
from runner.vocabulary import (
    ERROR,
    FAIL,
    NOT_RUN,
    Engine,
    JourneyVerdict,
    ObjectiveKind,
)

_CHANNELS = ("web", "pos", "marketplace", "backoffice")
_IMAGE_TYPES = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg"}
_MAX_IMAGE_BYTES = 5_000_000
_SCREENSHOTS_PER_JOURNEY = 5  # more failures are listed with a link, not embedded
_FAILURE_ITEMS = 20  # single failures with artefacts, or groups by step and reason
_MESSAGES_SHOWN = 10  # console errors and failed requests, most frequent first
_BODIES_PER_JOURNEY = 5  # failures whose response body is quoted; later ones: results.json
_BODY_CHARS = 1200  # of a body quoted: the start of a page says what it was
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
    state: Tone


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
    response: ResponseEntry | None = None  # an http step's answer (the group's first run's)
    body: str = ""  # the part of the response's body quoted: bounded, escaped by the template
    body_left_out: bool = False  # there was a body, not quoted here (results.json has it)


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
    recorded: str = ""  # what `record: true` captures recorded, in words; "" when not marked
    recorded_href: str | None = None  # captures.jsonl, linked when it is named safely


def render_html(document: ResultsDocument, *, base_dir: Path) -> str:
    """The report's HTML text; screenshots are read from `base_dir` (the results.json folder).

    Never raises for a missing, unreadable or out-of-folder screenshot: the failure shows a
    note instead.
    """
    overview_unit = _overview_unit(document.journeys)
    journeys = [
        _journey_view(j, i, base_dir, overview_unit) for i, j in enumerate(document.journeys)
    ]
    anchors = _anchors(journeys, document)
    return (
        _environment()
        .get_template("report.html.j2")
        .render(
            run=document,
            headline=headline(document),
            summary=banner_lines(document),
            closest=closest_to_failing(document, anchors=anchors),
            evidence=evidence_panel(document, anchors=anchors),
            confidence=format_confidence(document.confidence),
            channels=_by_channel(journeys),
            load=load_view(document),
            canary=canary_view(document),
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
    env.filters["within"] = name_within
    env.filters["detail"] = _short_detail
    env.globals["marks"] = MARKS
    return env


@functools.cache
def _script_hash() -> str:
    digest = hashlib.sha256(_PRINT_SCRIPT.encode()).digest()
    return "sha256-" + base64.b64encode(digest).decode()


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
        recorded=_recorded_words(journey.recorded),
        recorded_href=_relative_href(journey.recorded.file) if journey.recorded else None,
    )


def _recorded_words(recorded: Recorded | None) -> str:
    """`3 values of order_number: ORD-1A, ORD-2B, ORD-3C`; "" when the journey records nothing."""
    if recorded is None:
        return ""
    if not recorded.count:
        return "none: no run passed a step that records"
    names = ", ".join(dict.fromkeys(value.capture for value in recorded.first))
    noun = "value" if recorded.count == 1 else "values"
    shown = ", ".join(value.value for value in recorded.first)
    more = ", …" if recorded.count > len(recorded.first) else ""
    return f"{recorded.count} {noun} of {names}: {shown}{more}"


def _by_state(objectives: Sequence[Objective]) -> list[tuple[str, list[Objective]]]:
    # each state said once over its objectives: 3,000 "met, not shown" would weigh 100 kB
    groups: dict[str, list[Objective]] = {}
    for o in objectives:
        groups.setdefault(str(o.state), []).append(o)
    return sorted(groups.items(), key=lambda group: SEVERITY.get(group[0], 0))


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
    bodies = 0
    for failure in failures:
        if failure.screenshot or failure.trace:
            item = _artefact_failure(failure, base_dir, embed=embedded < _SCREENSHOTS_PER_JOURNEY)
            embedded += item.shot is not None and item.shot.src is not None
            items.append(item)
            continue
        key = (failure.step, failure.reason, failure.status)
        if key not in groups:
            response = failure.response
            quoted = response is not None and bool(response.body) and bodies < _BODIES_PER_JOURNEY
            bodies += quoted
            groups[key] = FailureItem(
                [],
                failure.step,
                failure.reason,
                failure.status,
                failure.started,
                response=response,
                body=_quoted_body(response.body) if response is not None and quoted else "",
                body_left_out=response is not None and bool(response.body) and not quoted,
            )
            items.append(groups[key])
        groups[key].runs.append(failure.iteration)
    hidden = items[_FAILURE_ITEMS:]
    return items[:_FAILURE_ITEMS], sum(len(i.runs) for i in hidden)


def _quoted_body(body: str) -> str:
    return body if len(body) <= _BODY_CHARS else body[:_BODY_CHARS] + " …"


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
