"""What the report's first screen says, from the results document alone.

The first screen is for a decision, in words: the headline (the verdict, with a symbol), what
was tested, the result, how strong its evidence is, the objectives closest to failing (ranked
by margin) and the evidence of each objective. This module works those words out; html.py
only renders them, so that the console can say the same things, in the same words, later.
Every function takes the typed document (what `journey report` reads back from results.json)
and returns plain text or frozen rows: nothing here formats HTML or knows a template.

"Ready" is said only of a pass whose every objective is met and shown (observed ones aside):
a pass on too few samples reads "Passed, not shown". Closest to failing ranks objectives by
margin (how far along their limit they are), never a polling step's latency: its wait is
intended, judged by its freshness.

Rows carry an `href`, where the report details their journey: html.py passes its anchors in,
since only it knows the sections' ids; without them every row links to "#journeys".
Imports only the results document, the vocabulary, `charts` and `canary_summary` (a canary's
words) of ours; never html or jinja2.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from runner.document import Objective, ResultsDocument, exit_code_of
from runner.outputs.canary_summary import decision_words
from runner.outputs.charts import (
    TimeUnit,
    format_ratio,
    format_seconds,
    format_share,
    format_time_in,
    time_unit,
)
from runner.vocabulary import (
    ABORTED,
    ERROR,
    FAIL,
    GOOD_VERDICTS,
    HOLD,
    INTERRUPTED,
    MET,
    MET_NOT_SHOWN,
    MISSED,
    NOT_JUDGED,
    NOT_REACHED,
    NOT_RUN,
    OBSERVED,
    PASS,
    PROMOTE,
    ROLLBACK,
    VERDICT_HEADLINES,
    Engine,
    ExitCode,
    exit_code,
)

__all__ = [
    "CLOSEST",
    "EVIDENCE_ROWS",
    "MARKS",
    "SEVERITY",
    "BannerLines",
    "ClosestRow",
    "EvidencePanel",
    "EvidenceRow",
    "Headline",
    "Tone",
    "banner_lines",
    "closest_to_failing",
    "evidence_panel",
    "evidence_strength",
    "format_confidence",
    "headline",
    "margin_of",
    "name_within",
    "result_line",
    "tested_line",
]

# How a judgement looks: good, worth a look, bad, or nothing to judge.
Tone = Literal["ok", "warn", "bad", "none"]
CLOSEST = 5  # objectives in "closest to failing"
EVIDENCE_ROWS = 20  # objectives in the evidence panel: the summary prints on 2 pages
_NAMES_SHOWN = 5  # journey names in the "Tested" line
_TIMES = "\N{MULTIPLICATION SIGN}"
# Each objective state's symbol and tone: colour is never the only signal.
MARKS: Mapping[str, tuple[str, Tone]] = {
    MET: ("✔", "ok"),
    MET_NOT_SHOWN: ("⚠", "warn"),
    OBSERVED: ("○", "ok"),
    MISSED: ("✖", "bad"),
    NOT_JUDGED: ("○", "none"),
    NOT_REACHED: ("○", "none"),
}
# The order objectives are listed in by state: what needs attention first.
SEVERITY: Mapping[str, int] = {
    MISSED: 0,
    NOT_REACHED: 1,
    NOT_JUDGED: 2,
    MET_NOT_SHOWN: 3,
    OBSERVED: 4,
    MET: 5,
}
# A canary's decision: holding is worth a look, neither good nor bad news.
_DECISION_TONES: Mapping[str, Tone] = {PROMOTE: "ok", HOLD: "warn", ROLLBACK: "bad"}


@dataclass(frozen=True, slots=True)
class Headline:
    """The verdict in words, with a symbol so that colour is never the only signal."""

    symbol: str
    words: str
    state: Tone


@dataclass(frozen=True, slots=True)
class BannerLines:
    """The banner's lines under the headline: what was tested, the result, the evidence."""

    tested: str
    result: str
    evidence: str
    exit_note: str  # "" unless --require-evidence turns this pass into exit 4


@dataclass(frozen=True, slots=True)
class ClosestRow:
    """An objective as "closest to failing" lists it: where, what was measured, its margin.

    `margin` is the margin in words ("at 85 % of its limit") and `ratio` the number it says
    (math.inf for a missed objective without data); `state` is the row's tone, not the
    objective's state: the template reads these names.
    """

    href: str
    journey: str
    engine: Engine
    what: str
    measured: str
    margin: str
    state: Tone
    ratio: float
    objective: Objective


@dataclass(frozen=True, slots=True)
class EvidenceRow:
    """One objective in the evidence panel: its state and what its samples show."""

    href: str
    journey: str
    engine: Engine
    what: str
    state: str
    mark: str
    tone: Tone
    samples: int
    bad: str
    bound: str
    allowed: str
    bound_tone: Tone
    note: str


@dataclass(frozen=True, slots=True)
class EvidencePanel:
    """The summary's evidence: the objectives needing attention first, the rest counted."""

    rows: list[EvidenceRow]
    hidden: int
    hidden_words: str  # what the rows left out are: "12 met and shown, 1 observed"


def headline(document: ResultsDocument) -> Headline:
    """The verdict in words: "Ready" only when every objective is met and shown.

    A pass that shows too little says why it is not "Ready" (not shown, not judged, journeys
    not run); a run that stopped early says what was missed and what was left unjudged, since
    it proves nothing met. A canary's decision says what decided it (canary_summary).
    """
    objectives = document.objectives
    verdict = document.verdict
    if document.canary is not None and verdict in _DECISION_TONES:
        symbol, _ = VERDICT_HEADLINES[verdict]
        return Headline(symbol, decision_words(document), _DECISION_TONES[verdict])
    total, missed = len(objectives), sum(1 for o in objectives if not o.met)
    journeys = document.journeys
    not_run = sum(1 for j in journeys if j.verdict == NOT_RUN)
    if verdict == PASS:
        states = Counter(o.state for o in objectives)
        unshown = states[MET_NOT_SHOWN]
        if unshown:
            words = (
                f"Passed, not shown: {unshown} of {total} objectives met but too few samples "
                f"to show them at {format_confidence(document.confidence)}"
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
    tone = "ok" if verdict in GOOD_VERDICTS else _DECISION_TONES.get(verdict, "bad")
    return Headline(symbol, words, tone)


def format_confidence(share: float) -> str:
    """A confidence as the issue and the CLI write it: 0.95 -> "95 %", 0.999 -> "99.9 %"."""
    return f"{share * 100:.4g} %"


def banner_lines(document: ResultsDocument) -> BannerLines:
    """The lines under the headline, and the note when --require-evidence makes a pass exit 4."""
    exit_note = ""
    code = exit_code_of(document)
    if code == ExitCode.NOT_ENOUGH_EVIDENCE and exit_code(document.verdict) == ExitCode.OK:
        exit_note = "--require-evidence: this run exits 4, not enough evidence"
    return BannerLines(
        tested_line(document), result_line(document), evidence_strength(document), exit_note
    )


def tested_line(document: ResultsDocument) -> str:
    """What was tested in one line: journeys, engines, runs (or the rehearsal), target, time.

    At most five journey names are listed ("and 12 more"): the line must stay one line.
    """
    journeys = document.journeys
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
    runs = [j.attempts for j in journeys if j.verdict != NOT_RUN]
    noun = "iterations" if load else "runs"
    if runs:
        low, high = min(runs), max(runs)
        words.append(f"{low} {noun} each" if low == high else f"{low} to {high} {noun} each")
    if load:
        model = "arrival rate" if load.model == "open" else "users"
        words.append(f"load profile {load.profile} ({model})")
    canary = document.canary
    if canary is not None:
        words.append(f"candidate {canary.candidate.name} against baseline {canary.baseline.name}")
    else:
        words.append(f"target {document.target.name}")
    words.append(f"took {format_seconds(document.duration_s)}")
    return "Tested: " + " · ".join(words)


def result_line(document: ResultsDocument) -> str:
    """The result in counts: "3 of 4 journeys passed, 1 not run · 7 of 9 objectives met"."""
    journeys, objectives = document.journeys, document.objectives
    met = sum(1 for o in objectives if o.met)
    passed = sum(1 for j in journeys if j.verdict == PASS)
    result = f"{passed} of {len(journeys)} journeys passed"
    if document.canary is not None:  # the document's journeys are the candidate's
        result = f"Candidate against the SLOs: {result}"
    if not_run := sum(1 for j in journeys if j.verdict == NOT_RUN):
        result += f", {not_run} not run"
    return result + f" · {met} of {len(objectives)} objectives met"


def evidence_strength(document: ResultsDocument) -> str:
    """How strong the evidence is: "5 of 9 objectives shown at 95 %; 3 met, not shown; …".

    A met objective is not a shown one: the sentence counts each state, and names the
    objective furthest from shown with the runs or samples it needs. Results written before
    evidence was kept say "no bound recorded" rather than claiming anything shown.
    """
    objectives = document.objectives
    total = len(objectives)
    if not total:
        return "Evidence: no objective to weigh"
    states = Counter(o.state for o in objectives)
    # results written before evidence was kept: met on what was seen, no bound recorded
    unweighed = sum(1 for o in objectives if o.state == MET and o.evidence is None)
    if unweighed == total:
        return f"Evidence: {total} of {total} objectives met; no confidence bound recorded"
    confidence = format_confidence(document.confidence)
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


def name_within(name: str, journey: str, engine: str = "") -> str:
    """An objective's name as read under its journey: the journey's own name dropped.

    "checkout / place order latency p95" reads "place order latency p95" under checkout; so do
    a rehearsal's "checkout [http] / place order latency p95" and "smoke: request ...". A name
    not starting with the journey's is returned whole.
    """
    rest = name.removeprefix(journey)
    if rest == name:
        return name
    rest = rest.removeprefix(f" [{engine}]") if engine else rest
    for separator in (" / ", ": ", " "):
        if rest.startswith(separator) and len(rest) > len(separator):
            return rest[len(separator) :]
    return name


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


def closest_to_failing(
    document: ResultsDocument,
    *,
    anchors: Mapping[tuple[str, str], str] | None = None,
    limit: int = CLOSEST,
) -> list[ClosestRow]:
    """The `limit` objectives closest to failing, largest margin first; missed without data first.

    A step at 5 times its latency limit ranks above a journey whose failures are within what
    its success objective allows. A polling step's latency (a step judged by its freshness,
    one that polls `until:`) is its intended wait: not ranked. Objectives without a margin
    (no samples, or throughput the document gives none for) are left out unless missed.
    `anchors` maps (journey, engine) to where the report details it, for the rows' `href`.
    """
    polling = {
        (j.name, j.engine, s.name)
        for j in document.journeys
        for s in j.steps
        if s.freshness_s is not None
    }
    ranked: list[tuple[float, Objective]] = []
    for o in document.objectives:
        if o.kind == "latency" and o.step is not None and (o.journey, o.engine, o.step) in polling:
            continue
        margin = margin_of(o)
        if margin is None and o.state == MISSED:
            ranked.append((math.inf, o))  # missed with no data: nothing is further gone
        elif margin is not None:
            ranked.append((margin, o))
    ranked.sort(key=lambda pair: -pair[0])
    top = ranked[:limit]
    # one unit over the rows' times, so that they read against each other
    unit = time_unit(
        v for _, o in top if o.kind in ("latency", "freshness") for v in (o.actual, o.target)
    )
    return [_closest_row(o, margin, anchors or {}, unit) for margin, o in top]


def _closest_row(
    o: Objective, margin: float, anchors: Mapping[tuple[str, str], str], unit: TimeUnit
) -> ClosestRow:
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
    tone: Tone = "bad" if o.state == MISSED or margin >= 1 else "warn" if margin >= 0.8 else "ok"
    return ClosestRow(
        href=anchors.get((o.journey, o.engine), "#journeys"),
        journey=o.journey,
        engine=o.engine,
        what=name_within(o.name, o.journey, o.engine),
        measured=measured,
        margin=words,
        state=tone,
        ratio=margin,
        objective=o,
    )


def evidence_panel(
    document: ResultsDocument,
    *,
    anchors: Mapping[tuple[str, str], str] | None = None,
    limit: int = EVIDENCE_ROWS,
) -> EvidencePanel:
    """Every objective's evidence, those needing attention first, at most `limit` rows.

    Within a state, the objective furthest from shown (most samples needed) comes first, then
    the one closest to failing; the objectives left out are counted by state. `anchors` maps
    (journey, engine) to where the report details it, for the rows' `href`.
    """
    ordered = sorted(
        document.objectives,
        key=lambda o: (
            SEVERITY.get(str(o.state), 0),
            -((o.evidence.needed or 0) if o.evidence else 0),  # furthest from shown first
            -(margin_of(o) or 0.0),
        ),
    )
    rows = [_evidence_row(o, anchors or {}) for o in ordered[:limit]]
    hidden = ordered[limit:]
    states = Counter(
        "met and shown" if o.state == MET and o.evidence else str(o.state) for o in hidden
    )
    words = ", ".join(f"{n} {state}" for state, n in states.items())
    return EvidencePanel(rows, len(hidden), words)


def _evidence_row(o: Objective, anchors: Mapping[tuple[str, str], str]) -> EvidenceRow:
    mark, tone = MARKS.get(str(o.state), ("", "none"))
    proof = o.evidence
    bound_tone: Tone = "none"
    if proof is not None and proof.bound is not None:
        within = proof.bound <= proof.allowed_share
        bound_tone = "ok" if within else "bad" if o.state == MISSED else "warn"
    return EvidenceRow(
        href=anchors.get((o.journey, o.engine), "#journeys"),
        journey=o.journey,
        engine=o.engine,
        what=name_within(o.name, o.journey, o.engine),
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
