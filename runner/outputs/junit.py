"""junit.xml: one testcase per journey, so CI systems show journeys as tests.

A missed objective is a <failure> whose message names the objective and, when a step failed,
the step and its reason; a target that never answered is an <error>. Written from the results
document only.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from runner.redact import Redactor


def render_junit(results: Mapping[str, Any]) -> str:
    """The JUnit XML text of a results document."""
    journeys = results["journeys"]
    failures = sum(1 for j in journeys if j["verdict"] == "fail")
    errors = sum(1 for j in journeys if j["verdict"] == "error")
    time_s = f"{results.get('duration_s', 0):.3f}"
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
        name=f"journey {results['command']} {results['target']['name']}",
        tests=str(len(journeys)),
        failures=str(failures),
        errors=str(errors),
        skipped="0",
        time=time_s,
        timestamp=results["started"][:19],
    )
    for journey in journeys:
        total = (journey["latency_s"] or {}).get("max") or 0.0
        case = ET.SubElement(
            suite,
            "testcase",
            classname=f"journey.{journey['channel']}.{journey['engine']}",
            name=journey["name"],
            time=f"{total:.3f}",
        )
        if journey["verdict"] in ("fail", "error"):
            message, details = _failure_text(journey)
            tag = "error" if journey["verdict"] == "error" else "failure"
            element = ET.SubElement(case, tag, message=message, type=f"journey.{tag}")
            element.text = details
    ET.indent(suites)
    return ET.tostring(suites, encoding="unicode", xml_declaration=True) + "\n"


def _failure_text(journey: Mapping[str, Any]) -> tuple[str, str]:
    missed = [o for o in journey["objectives"] if not o["met"]]
    first = journey["failures"][0] if journey["failures"] else None
    parts = []
    if first:
        parts.append(f"step {first['step']!r}: {first['reason']}")
    if missed:
        parts.append(
            f"{missed[0].get('state') or 'missed'} {missed[0]['name']}: {missed[0]['detail']}"
        )
    message = "; ".join(parts) or "journey failed"
    lines = [f"{o.get('state') or 'missed'}: {o['name']} ({o['detail']})" for o in missed]
    lines += [
        f"run {f['iteration']} step {f['step']!r}: {f['reason']}" for f in journey["failures"]
    ]
    return message, "\n".join(lines)


def write_junit(results: Mapping[str, Any], path: Path, redactor: Redactor) -> None:
    path.write_text(redactor.scrub(render_junit(results)), encoding="utf-8")
