"""junit.xml: one testcase per journey, so CI systems show journeys as tests.

A missed objective is a <failure> whose message names the objective and, when a step failed,
the step and its reason; a target that never answered is an <error>. Written from the results
document only.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from runner.document import JourneyEntry, ResultsDocument
from runner.redact import Redactor
from runner.vocabulary import ERROR, FAIL, MISSED


def render_junit(document: ResultsDocument) -> str:
    """The JUnit XML text of a results document."""
    journeys = document.journeys
    failures = sum(1 for j in journeys if j.verdict == FAIL)
    errors = sum(1 for j in journeys if j.verdict == ERROR)
    time_s = f"{document.duration_s:.3f}"
    suites = ET.Element(
        "testsuites",
        name="journey",
        tests=str(len(journeys)),
        failures=str(failures),
        errors=str(errors),
        time=time_s,
    )
    suite = ET.SubElement(
        suites,
        "testsuite",
        name=f"journey {document.command} {document.target.name}",
        tests=str(len(journeys)),
        failures=str(failures),
        errors=str(errors),
        skipped="0",
        time=time_s,
        timestamp=document.started[:19],
    )
    for journey in journeys:
        total = journey.latency_s.max or 0.0
        case = ET.SubElement(
            suite,
            "testcase",
            classname=f"journey.{journey.channel}.{journey.engine}",
            name=journey.name,
            time=f"{total:.3f}",
        )
        if journey.verdict in (FAIL, ERROR):
            message, details = _failure_text(journey)
            tag = "error" if journey.verdict == ERROR else "failure"  # JUnit's own words
            element = ET.SubElement(case, tag, message=message, type=f"journey.{tag}")
            element.text = details
    ET.indent(suites)
    return ET.tostring(suites, encoding="unicode", xml_declaration=True) + "\n"


def _failure_text(journey: JourneyEntry) -> tuple[str, str]:
    missed = [o for o in journey.objectives if not o.met]
    first = journey.failures[0] if journey.failures else None
    parts = []
    if first:
        parts.append(f"step {first.step!r}: {first.reason}")
    if missed:
        parts.append(f"{missed[0].state or MISSED} {missed[0].name}: {missed[0].detail}")
    message = "; ".join(parts) or "journey failed"
    lines = [f"{o.state or MISSED}: {o.name} ({o.detail})" for o in missed]
    lines += [f"run {f.iteration} step {f.step!r}: {f.reason}" for f in journey.failures]
    return message, "\n".join(lines)


def write_junit(document: ResultsDocument, path: Path, redactor: Redactor) -> None:
    path.write_text(redactor.scrub(render_junit(document)), encoding="utf-8")
