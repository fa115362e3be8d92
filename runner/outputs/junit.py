"""junit.xml: one testcase per journey and engine, so CI systems show journeys as tests.

The shape is what Jenkins' xunit plugin accepts (its `junit-10.xsd`, vendored in tests/ and
checked there), the format GitLab and GitHub test views read too. A testcase is named
`<journey> [<engine>]`, as a journey probed by http and by browser is two tests; its
classname is `journey.<channel>.<engine>`. A missed objective is a <failure> whose message
names the objective and, when a step failed, the step and its reason; a target that never
answered is an <error>; a journey that never ran (verdict "not run", or no attempt) is
<skipped/>, never a failure. Every testcase's <system-out> lists each of its objectives as
`state: name (detail)`, so "met, not shown" and its evidence note reach CI even on a pass;
objectives of the rehearsal as a whole go to the suite's <system-out>.

A failed http step carries its answer, as a browser step its screenshot: below the failure's
line in the <failure> text come the final URL and status, the redirect chain one hop per line,
and the start of the body (for the first JUNIT_BODIES failures; the rest are in results.json),
while the message attribute stays one line.

A canary adds one testcase per comparison, `<journey> [<engine>] canary` beside the journey's
own (same classname), and one for the decision, `<baseline> → <candidate> [canary]` (classname
`journey.canary`); the journeys' testcases judge the candidate against its SLOs as for `run`.
A comparison whose worst metric is beyond its margin is a <failure type="rollback"> with the
comparison's reason as its message and every metric line in its text. A hold must not read as
a pass, yet only what held it is to blame: on a hold, a comparison that one of the decision's
reasons names (a metric short of data, its SLOs missed) is a <failure type="hold">, and every
other comparison passes. A canary interrupted or unable to reach an arm decided nothing: its
comparisons are <skipped/> unless beyond their margin. The decision's testcase fails (type
"rollback" or "hold") with every reason in its text, whichever comparison they name: a hold
at the maximum duration names none, and must still fail the CI step. Each canary testcase's
<system-out> has its metric lines (or the reasons and the plan); their time is 0, as the
journeys' testcases already count the runs' time.

What a run was is kept in suite-level <properties> (the schema allows them nowhere else):
command, verdict, target and its URL per surface, where the report and results.json are,
confidence and --require-evidence, and `journey.recorded_captures`, how many values the
journeys' `record: true` captures wrote to captures.jsonl; a canary adds its baseline and
`canary.looks` (done/planned) and `canary.family_size` (m).

Times are seconds with three decimals. The suite's is the document's `duration_s`. A
journey's is the time its runs took in all: the exact sum of its run latencies
(`latency_buckets.sum`) when the document has it; else an estimate, the median run
(`latency_s.p50`) times its attempts, or for a journey with no end-to-end sample the same
over its steps; 0 for a journey that never ran or had nothing measured. Not `latency_s.max`:
one run's worst time is neither what the journey cost nor comparable between journeys run 5
and 500 times.

Written from the results document only; the text is scrubbed by the Redactor last. Imports
the document, the vocabulary, the Redactor and `canary_summary` (which comparison a reason
names), nothing of the other outputs.
"""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from runner.document import (
    CanaryComparison,
    CanarySection,
    FailureEntry,
    JourneyEntry,
    Objective,
    ResultsDocument,
)
from runner.outputs.canary_summary import names_comparison, plan_line
from runner.redact import Redactor
from runner.vocabulary import (
    ABORTED,
    ERROR,
    FAIL,
    HOLD,
    INTERRUPTED,
    MISSED,
    NOT_RUN,
    ROLLBACK,
    RunVerdict,
)

# Characters XML 1.0 cannot carry even escaped (a browser message's ANSI colour codes):
# ElementTree writes them as they are, and CI servers then reject the whole file.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
JUNIT_BODIES = 3  # failures whose body excerpt the <failure> text quotes: CI shows it whole
RECORDED_PROPERTY = "journey.recorded_captures"


@dataclass(frozen=True, slots=True)
class _Outcome:
    """How a canary testcase ends: passed (tag None), failure, error or skipped, and why."""

    tag: Literal["failure", "error", "skipped"] | None = None
    kind: str = ""
    message: str = ""
    text: str = ""


def render_junit(document: ResultsDocument, *, report_dir: Path | None = None) -> str:
    """The JUnit XML text of a results document.

    `report_dir` is the folder of results.json and index.html, given as a suite property
    when known. Raises nothing for odd figures: a journey without samples has time 0.
    """
    journeys = document.journeys
    skipped = [_never_ran(j) for j in journeys]
    ran = [j.verdict for j, skip in zip(journeys, skipped, strict=True) if not skip]
    failures, errors = ran.count(FAIL), ran.count(ERROR)
    own = {(o.name, o.engine) for j in journeys for o in j.objectives}
    rehearsal = [o for o in document.objectives if (o.name, o.engine) not in own]
    rehearsal_failed = document.load is not None and (
        document.load.aborted is not None or not all(o.met for o in rehearsal)
    )
    canary = _canary_outcomes(document)
    tests = len(journeys) + (document.load is not None) + len(canary)
    failures += rehearsal_failed
    failures += sum(1 for _, outcome in canary if outcome.tag == "failure")
    errors += sum(1 for _, outcome in canary if outcome.tag == "error")
    time_s = _seconds(document.duration_s)
    counts = {"tests": str(tests), "failures": str(failures), "errors": str(errors)}
    suites = ET.Element("testsuites", {"name": "journey", **counts, "time": time_s})
    suite = ET.SubElement(
        suites,
        "testsuite",
        {
            "name": f"journey {document.command} {document.target.name}",
            **counts,
            "skipped": str(sum(skipped) + sum(1 for _, o in canary if o.tag == "skipped")),
            "time": time_s,
            "timestamp": document.started[:19],
        },
    )
    properties = ET.SubElement(suite, "properties")
    for name, value in _properties(document, report_dir):
        ET.SubElement(properties, "property", name=name, value=value)
    for journey, skip in zip(journeys, skipped, strict=True):
        _testcase(suite, journey, skip=skip, run_verdict=document.verdict)
    if document.load is not None:
        _rehearsal_testcase(suite, document, rehearsal, failed=rehearsal_failed)
    for (classname, name, out), outcome in canary:
        _canary_testcase(suite, classname, name, out, outcome)
    ET.indent(suites)
    text = ET.tostring(suites, encoding="unicode", xml_declaration=True) + "\n"
    return _NOT_XML.sub("\ufffd", text)


def write_junit(document: ResultsDocument, path: Path, redactor: Redactor) -> None:
    """Write junit.xml at `path`; the report (index.html, results.json) is beside it."""
    text = render_junit(document, report_dir=path.parent)
    path.write_text(redactor.scrub(text), encoding="utf-8")


def _rehearsal_testcase(
    suite: ET.Element, document: ResultsDocument, objectives: list[Objective], *, failed: bool
) -> None:
    """The rehearsal as a whole, a testcase too.

    A profile objective missed, or an abort, must fail a CI step even when every journey passed.
    """
    load = document.load
    if load is None:
        return
    case = ET.SubElement(
        suite,
        "testcase",
        classname="journey.load",
        name=f"{load.profile} [load]",
        time=_seconds(document.duration_s),
    )
    if failed:
        missed = [o for o in objectives if not o.met]
        message = (
            f"aborted at {load.aborted.at_s:g}s: {load.aborted.reason}"
            if load.aborted is not None
            else f"{missed[0].state or MISSED} {missed[0].name}: {missed[0].detail}"
        )
        element = ET.SubElement(case, "failure", message=message, type="journey.failure")
        element.text = "\n".join(map(_objective_line, missed))
    lines = [load.rehearsed] if load.rehearsed else []
    lines += map(_objective_line, objectives)
    if lines:
        ET.SubElement(case, "system-out").text = "\n".join(lines)


_Case = tuple[str, str, str]  # classname, name, system-out


def _canary_outcomes(document: ResultsDocument) -> list[tuple[_Case, _Outcome]]:
    """Each comparison's testcase and how it ends, then the decision's (see the docstring)."""
    section = document.canary
    if section is None:
        return []
    channels = {(j.name, j.engine): j.channel for j in document.journeys}
    found = []
    for comparison in section.comparisons:
        channel = channels.get((comparison.journey, comparison.engine)) or "canary"
        case = (
            f"journey.{channel}.{comparison.engine}",
            f"{comparison.journey} [{comparison.engine}] canary",
            "\n".join(_comparison_lines(comparison)),
        )
        found.append((case, _comparison_outcome(document.verdict, section, comparison)))
    name = f"{section.baseline.name} → {section.candidate.name} [canary]"
    out = "\n".join([*section.reasons, plan_line(section)])
    found.append((("journey.canary", name, out), _decision_outcome(document, section)))
    return found


def _comparison_lines(comparison: CanaryComparison) -> list[str]:
    slo = f"SLO: baseline {comparison.baseline_verdict}, candidate {comparison.candidate_verdict}"
    if comparison.slo_note:
        slo += f" ({comparison.slo_note})"
    return [*(m.reason for m in comparison.metrics), slo]


def _comparison_outcome(
    verdict: RunVerdict, section: CanarySection, comparison: CanaryComparison
) -> _Outcome:
    text = "\n".join(_comparison_lines(comparison))
    if comparison.classification == ROLLBACK:
        return _Outcome("failure", ROLLBACK, comparison.reason, text)
    if verdict == HOLD:
        named = [r for r in section.reasons if names_comparison(r, comparison)]
        return _Outcome("failure", HOLD, named[0], text) if named else _Outcome()
    if verdict in (ERROR, INTERRUPTED):
        why = section.reasons[0] if section.reasons else verdict
        return _Outcome("skipped", message=f"not decided: {why}")
    return _Outcome()


def _decision_outcome(document: ResultsDocument, section: CanarySection) -> _Outcome:
    verdict = document.verdict
    reason = section.reasons[0] if section.reasons else document.reason
    if verdict in (ROLLBACK, HOLD):
        return _Outcome("failure", verdict, f"{verdict}: {reason}", "\n".join(section.reasons))
    if verdict == ERROR:
        return _Outcome("error", "journey.error", reason or "the canary could not run")
    if verdict == INTERRUPTED:
        return _Outcome("skipped", message=f"not decided: {reason or INTERRUPTED}")
    return _Outcome()


def _canary_testcase(
    suite: ET.Element, classname: str, name: str, out: str, outcome: _Outcome
) -> None:
    case = ET.SubElement(suite, "testcase", classname=classname, name=name, time=_seconds(0.0))
    if outcome.tag == "skipped":
        ET.SubElement(case, "skipped", message=outcome.message)
    elif outcome.tag is not None:
        element = ET.SubElement(case, outcome.tag, message=outcome.message, type=outcome.kind)
        element.text = outcome.text
    if out:
        ET.SubElement(case, "system-out").text = out


def _canary_properties(section: CanarySection) -> list[tuple[str, str]]:
    baseline = section.baseline
    found = [("baseline", baseline.name)]
    found += [(f"baseline.{surface}", url) for surface, url in baseline.urls.items()]
    if baseline.tenant:
        found.append(("baseline.tenant", baseline.tenant))
    found.append(("canary.looks", f"{section.looks_done}/{section.looks}"))
    found.append(("canary.family_size", str(section.family_size)))
    return found


def _never_ran(journey: JourneyEntry) -> bool:
    return journey.verdict == NOT_RUN or journey.attempts == 0


def _properties(document: ResultsDocument, report_dir: Path | None) -> list[tuple[str, str]]:
    target = document.target
    found = [
        ("command", document.command),
        ("verdict", document.verdict),
        ("target", target.name),
        *((f"target.{surface}", url) for surface, url in target.urls.items()),
    ]
    if target.tenant:
        found.append(("tenant", target.tenant))
    if document.load is not None:
        found.append(("profile", document.load.profile))
    if document.canary is not None:
        found += _canary_properties(document.canary)
    if report_dir is not None:  # as the run was given it, like command_line: CI's own paths
        found.append(("report", (report_dir / "index.html").as_posix()))
        found.append(("results", (report_dir / "results.json").as_posix()))
    found += [
        ("confidence", f"{document.confidence:g}"),
        ("require_evidence", "true" if document.require_evidence else "false"),
        (RECORDED_PROPERTY, str(sum(j.recorded.count for j in document.journeys if j.recorded))),
        ("tool", f"{document.tool.name} {document.tool.version}"),
    ]
    if document.command_line:
        found.append(("command_line", document.command_line))
    if document.reason:
        found.append(("reason", document.reason))
    return found


def _testcase(
    suite: ET.Element, journey: JourneyEntry, *, skip: bool, run_verdict: RunVerdict
) -> None:
    case = ET.SubElement(
        suite,
        "testcase",
        classname=f"journey.{journey.channel}.{journey.engine}",
        name=f"{journey.name} [{journey.engine}]",
        time=_seconds(0.0 if skip else _journey_time_s(journey)),
    )
    if skip:
        ET.SubElement(case, "skipped", message=_skip_message(run_verdict))
    elif journey.verdict in (FAIL, ERROR):
        message, details = _failure_text(journey)
        tag = "error" if journey.verdict == ERROR else "failure"  # JUnit's own words
        element = ET.SubElement(case, tag, message=message, type=f"journey.{tag}")
        element.text = details
    if journey.objectives:
        ET.SubElement(case, "system-out").text = "\n".join(map(_objective_line, journey.objectives))


def _journey_time_s(journey: JourneyEntry) -> float:
    # see the module docstring: exact sum, else median x runs, else the steps' median x runs
    if journey.latency_buckets is not None:
        return journey.latency_buckets.sum
    if journey.latency_s.p50 is not None:
        return journey.latency_s.p50 * journey.attempts
    return sum((s.latency_s.p50 or 0.0) * s.attempts for s in journey.steps)


def _skip_message(run_verdict: RunVerdict) -> str:
    if run_verdict == INTERRUPTED:
        return f"{NOT_RUN}: the run was interrupted before this journey started"
    if run_verdict == ABORTED:
        return f"{NOT_RUN}: the safety rail stopped the rehearsal before this journey started"
    return f"{NOT_RUN}: no run of this journey started"


def _objective_line(objective: Objective) -> str:
    # "met, not shown: checkout [http] success (3 of 3 runs passed; 3 runs; 598 needed …)"
    notes = [objective.detail] if objective.detail else []
    evidence = objective.evidence
    if evidence is not None and evidence.note and evidence.note not in objective.detail:
        notes.append(evidence.note)
    line = f"{objective.state or MISSED}: {objective.name}"
    return f"{line} ({'; '.join(notes)})" if notes else line


def _failure_text(journey: JourneyEntry) -> tuple[str, str]:
    missed = [o for o in journey.objectives if not o.met]
    first = journey.failures[0] if journey.failures else None
    parts = []
    if first:
        parts.append(f"step {first.step!r}: {first.reason}")
    if missed:
        parts.append(f"{missed[0].state or MISSED} {missed[0].name}: {missed[0].detail}")
    message = "; ".join(parts) or "journey failed"
    lines = [_objective_line(o) for o in missed]
    bodies = 0
    for failure in journey.failures:
        lines.append(f"run {failure.iteration} step {failure.step!r}: {failure.reason}")
        quote_body = bodies < JUNIT_BODIES
        evidence = _response_lines(failure, body=quote_body)
        bodies += quote_body and bool(failure.response and failure.response.body)
        lines += evidence
    return message, "\n".join(lines)


def _response_lines(failure: FailureEntry, *, body: bool) -> list[str]:
    """The failed step's answer, indented under its line: URL and status, hops, body."""
    response = failure.response
    if response is None:
        return []
    status = "no status" if response.status is None else str(response.status)
    lines = [f"  answered {status} at {response.url}"]
    lines += [f"  redirected: {hop}" for hop in response.redirects]
    if response.body and body:
        lines.append("  body:")
        lines += [f"    {line}" for line in response.body.splitlines()]
    elif response.body:
        lines.append("  body: in results.json")
    return lines


def _seconds(value: float) -> str:
    # Surefire's time: digits and at most three decimals; never negative, "nan" or "inf"
    return f"{value:.3f}" if math.isfinite(value) and value > 0 else "0.000"
