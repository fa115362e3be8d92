"""junit.xml as its consumer reads it: validated against Jenkins' xunit plugin's junit-10.xsd.

tests/junit-10.xsd is the plugin's file, byte for byte with its MIT header (jenkinsci/xunit-plugin,
src/main/resources/org/jenkinsci/plugins/xunit/types/model/xsd/junit-10.xsd, last changed in
ae25da5 and unchanged at 8c515de). The documents are the hand-kept results in
tests/outputs/data, and ones derived from them for what no kept run shows: an interrupted run
with a journey that never ran, an objective met but not shown.
"""

from __future__ import annotations

import copy
import math
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
import xmlschema

from runner.document import from_json
from runner.outputs.junit import render_junit, write_junit
from runner.redact import Redactor
from runner.vocabulary import FAIL, INTERRUPTED, MET_NOT_SHOWN, NOT_RUN, PASS
from tests.outputs.conftest import DATA, ROOT, load

JUNIT_XSD = ROOT / "tests" / "junit-10.xsd"
# the schema's SUREFIRE_TIME, which Jenkins also parses as a number
SUREFIRE_TIME = re.compile(r"(([0-9]{0,3},)*[0-9]{3}|[0-9]{0,3})*(\.[0-9]{0,3})?")
NOTE = "3 runs; 598 needed with no failure to show ≥ 99.5 %"
EVIDENCE = {
    "confidence": 0.95,
    "samples": 3,
    "bad": 0,
    "allowed_share": 0.005,
    "bound": 0.6316,
    "shown": False,
    "needed": 598,
    "note": NOTE,
}


@pytest.fixture(scope="module")
def schema() -> xmlschema.XMLSchema:
    return xmlschema.XMLSchema(JUNIT_XSD)


def interrupted() -> dict[str, Any]:
    """run-fail-browser, stopped early: search [browser] never ran, checkout [http] ran none."""
    data = copy.deepcopy(load("run-fail-browser.json"))
    data["verdict"] = INTERRUPTED
    data["reason"] = "interrupted by SIGTERM"
    for journey in data["journeys"]:
        if (journey["name"], journey["engine"]) == ("search", "browser"):
            journey.update(attempts=0, successes=0, verdict=NOT_RUN, success_ratio=None)
        if (journey["name"], journey["engine"]) == ("checkout", "http"):
            journey["attempts"] = 0  # a fail without a single attempt is still not a failure
    return data


def not_shown() -> dict[str, Any]:
    """run-pass, with checkout [http]'s success objective met but too few runs to show it."""
    data = copy.deepcopy(load("run-pass.json"))
    (checkout,) = (j for j in data["journeys"] if (j["name"], j["engine"]) == ("checkout", "http"))
    success = checkout["objectives"][0]
    success.update(state=MET_NOT_SHOWN, evidence=EVIDENCE, detail="3 of 3 runs passed")
    checkout.update(attempts=3, successes=3)
    return data


def junit(data: dict[str, Any], report_dir: Path | None = Path("reports/latest")) -> ET.Element:
    return ET.fromstring(render_junit(from_json(data), report_dir=report_dir))


def cases(root: ET.Element) -> dict[str, ET.Element]:
    return {case.attrib["name"]: case for case in root.iter("testcase")}


def properties(root: ET.Element) -> dict[str, str]:
    return {p.attrib["name"]: p.attrib["value"] for p in root.iter("property")}


DOCUMENTS = {
    "run-pass": lambda: load("run-pass.json"),
    "run-fail-browser": lambda: load("run-fail-browser.json"),
    "load-pass": lambda: load("load-pass.json"),
    "load-fail-probe": lambda: load("load-fail-probe.json"),
    "load-aborted": lambda: load("load-aborted.json"),
    "interrupted": interrupted,
    "not-shown": not_shown,
}


@pytest.mark.parametrize("name", sorted(DOCUMENTS))
def test_every_document_s_junit_is_valid_for_jenkins(
    name: str, schema: xmlschema.XMLSchema, tmp_path: Path
) -> None:
    data = DOCUMENTS[name]()
    write_junit(from_json(data), tmp_path / "junit.xml", Redactor())
    schema.validate(tmp_path / "junit.xml")
    root = ET.parse(tmp_path / "junit.xml").getroot()
    (suite,) = root.iter("testsuite")
    assert suite[0].tag == "properties" and properties(root)["target"] == data["target"]["name"]
    # one testcase per journey and engine, and the rehearsal as a whole
    expected = len(data["journeys"]) + (data.get("load") is not None)
    assert len(cases(root)) == expected == int(suite.attrib["tests"])


def test_the_vendored_schema_is_jenkins_with_its_licence() -> None:
    text = JUNIT_XSD.read_text(encoding="utf-8")
    assert "The MIT License (MIT)" in text and "Copyright (c) 2014, Gregory Boissinot" in text
    assert 'name="SUREFIRE_TIME"' in text and 'name="flakyFailure"' in text


def test_the_schema_rejects_properties_on_a_testcase(schema: xmlschema.XMLSchema) -> None:
    # what makes suite-level properties the only place: a check that the check checks
    root = junit(load("run-pass.json"))
    assert schema.is_valid(root)
    ET.SubElement(next(root.iter("testcase")), "properties")
    assert not schema.is_valid(root)


def test_testcases_are_named_for_journey_and_engine_classed_by_channel() -> None:
    root = junit(load("run-fail-browser.json"))
    named = {(c.attrib["name"], c.attrib["classname"]) for c in root.iter("testcase")}
    assert ("checkout [http]", "journey.web.http") in named
    assert ("checkout [browser]", "journey.web.browser") in named
    assert ("pos-sync [http]", "journey.pos.http") in named
    assert len(named) == 7  # checkout on two engines is two tests, not one overwritten


def test_failures_name_the_step_and_the_missed_objective() -> None:
    root = junit(load("run-fail-browser.json"))
    (failure,) = cases(root)["checkout [browser]"].iter("failure")
    assert failure.attrib["message"] == (
        "step 'checkout form': locator '#place-order' not visible after 5s; "
        "missed checkout success: 7 of 10 runs passed"
    )
    assert "missed: checkout / place order latency p95 (p95 1.87s over 1.5s)" in (
        failure.text or ""
    )
    (suite,) = root.iter("testsuite")
    assert (suite.attrib["failures"], suite.attrib["errors"], suite.attrib["skipped"]) == (
        "3",
        "0",
        "0",
    )


def test_suite_properties_say_what_ran_against_what_and_where_the_report_is() -> None:
    data = copy.deepcopy(load("run-pass.json"))
    data.update(confidence=0.9, require_evidence=True, command_line="journey run journeys/")
    found = properties(junit(data, Path("reports/latest")))
    assert found["command"] == "run" and found["verdict"] == PASS
    assert found["target"] == "demo-shop"
    assert found["target.storefront"] == found["target.api"] == "http://127.0.0.1:18123"
    assert found["report"] == "reports/latest/index.html"
    assert found["results"] == "reports/latest/results.json"
    assert found["confidence"] == "0.9" and found["require_evidence"] == "true"
    assert found["command_line"] == "journey run journeys/"
    assert "tenant" not in found and "reason" not in found  # absent, not written empty


def test_write_junit_points_at_the_report_beside_it_and_scrubs(tmp_path: Path) -> None:
    data = copy.deepcopy(load("run-pass.json"))
    data["target"]["urls"]["api"] = "http://shop.example/?key=s3cr3t-token"
    write_junit(from_json(data), tmp_path / "junit.xml", Redactor(["s3cr3t-token"]))
    text = (tmp_path / "junit.xml").read_text(encoding="utf-8")
    found = properties(ET.fromstring(text))
    assert found["report"] == (tmp_path / "index.html").as_posix()
    assert "s3cr3t-token" not in text and found["target.api"] == "http://shop.example/?key=***"


def test_journeys_that_never_ran_are_skipped_not_failed(schema: xmlschema.XMLSchema) -> None:
    data = interrupted()
    text = render_junit(from_json(data))
    schema.validate(text)
    root = ET.fromstring(text)
    (suite,) = root.iter("testsuite")
    assert suite.attrib["skipped"] == "2" and suite.attrib["tests"] == "7"
    # of run-fail-browser's three failures, checkout [http] made no attempt: skipped instead
    assert suite.attrib["failures"] == root.attrib["failures"] == "2"
    for name in ("search [browser]", "checkout [http]"):
        case = cases(root)[name]
        (skipped,) = case.iter("skipped")
        assert skipped.attrib["message"] == (
            f"{NOT_RUN}: the run was interrupted before this journey started"
        )
        assert not list(case.iter("failure")) and not list(case.iter("error"))
        assert case.attrib["time"] == "0.000"
    assert properties(root)["verdict"] == INTERRUPTED
    assert properties(root)["reason"] == "interrupted by SIGTERM"


def test_a_pass_not_shown_says_so_with_its_evidence_note() -> None:
    root = junit(not_shown())
    case = cases(root)["checkout [http]"]
    assert not list(case.iter("failure"))  # met, not shown is a pass: CI stays green
    (out,) = case.iter("system-out")
    lines = (out.text or "").splitlines()
    assert f"{MET_NOT_SHOWN}: checkout success (3 of 3 runs passed; {NOTE})" in lines
    assert "met: checkout latency p95 (p95 0.009s within 4s)" in lines
    assert any("598" in line for line in lines)


def test_an_evidence_note_already_in_the_detail_is_not_repeated() -> None:
    data = not_shown()
    (checkout,) = (j for j in data["journeys"] if (j["name"], j["engine"]) == ("checkout", "http"))
    checkout["objectives"][0]["detail"] = NOTE
    (out,) = cases(junit(data))["checkout [http]"].iter("system-out")
    assert f"{MET_NOT_SHOWN}: checkout success ({NOTE})" in (out.text or "").splitlines()


def test_every_objective_state_is_written_in_words() -> None:
    data = copy.deepcopy(load("run-fail-browser.json"))
    states = ["met", "met, not shown", "observed", "missed", "not judged", "not reached"]
    (journey,) = (j for j in data["journeys"] if (j["name"], j["engine"]) == ("search", "http"))
    journey["objectives"] = [
        {**journey["objectives"][0], "state": state, "name": f"objective {state}", "detail": "d"}
        for state in states
    ]
    (out,) = cases(junit(data))["search [http]"].iter("system-out")
    assert (out.text or "").splitlines() == [f"{state}: objective {state} (d)" for state in states]


def test_the_rehearsal_is_a_testcase_that_fails_on_its_own_objectives_or_an_abort() -> None:
    root = junit(load("load-aborted.json"))
    (case,) = [c for c in root.iter("testcase") if c.attrib["name"] == "smoke [load]"]
    assert case.attrib["classname"] == "journey.load"
    failure = case.find("failure")
    assert failure is not None
    assert failure.attrib["message"].startswith("aborted at 10s: error ratio 36.0%")
    assert case.findtext("system-out") == (
        "missed: smoke: request error ratio (67 of 193 requests failed)\n"
        "met: smoke: request latency p95 (p95 0.015s vs 1s)"
    )
    # every journey of a rehearsal passing cannot hide a profile objective it missed
    data = copy.deepcopy(load("load-pass.json"))
    data["objectives"][0] = {**data["objectives"][0], "met": False, "state": "missed"}
    (case,) = [c for c in junit(data).iter("testcase") if c.attrib["name"].endswith("[load]")]
    assert case.find("failure") is not None
    passing = junit(load("load-pass.json"))
    (case,) = [c for c in passing.iter("testcase") if c.attrib["name"].endswith("[load]")]
    assert case.find("failure") is None


def test_times_are_surefire_numbers_and_a_journey_s_is_its_runs_total() -> None:
    data = copy.deepcopy(load("run-fail-browser.json"))
    data["duration_s"] = 1234.5678
    cart = data["journeys"][0]
    assert (cart["name"], cart["engine"]) == ("cart", "http")
    cart["latency_buckets"] = {"le": [0.1, 1.0], "cumulative": [4, 5], "count": 5, "sum": 0.0612}
    root = junit(data)
    times = [e.attrib["time"] for e in root.iter() if "time" in e.attrib]
    assert len(times) == 2 + 7
    for time in times:
        assert SUREFIRE_TIME.fullmatch(time) and math.isfinite(float(time)) and float(time) >= 0
    assert root.attrib["time"] == "1234.568"
    found = cases(root)
    assert found["cart [http]"].attrib["time"] == "0.061"  # the exact sum of its 5 runs
    assert found["checkout [browser]"].attrib["time"] == "23.000"  # p50 2.3 s x 10 runs
    # checkout [http] has no end-to-end sample: the time its steps took, 5 runs each
    steps = next(j for j in data["journeys"] if j["name"] == "checkout")["steps"]
    expected = sum((s["latency_s"]["p50"] or 0) * s["attempts"] for s in steps)
    assert found["checkout [http]"].attrib["time"] == f"{expected:.3f}"


def test_a_failed_journey_s_time_is_not_its_worst_run() -> None:
    data = load("run-fail-browser.json")
    browser = next(
        j for j in data["journeys"] if (j["name"], j["engine"]) == ("checkout", "browser")
    )
    time = float(cases(junit(data))["checkout [browser]"].attrib["time"])
    assert time > browser["latency_s"]["max"] * 2  # ten runs took longer than the slowest one


def test_characters_xml_cannot_carry_are_replaced(schema: xmlschema.XMLSchema) -> None:
    data = copy.deepcopy(load("run-fail-browser.json"))
    failing = next(j for j in data["journeys"] if j["verdict"] == FAIL)
    failing["failures"][0]["reason"] = "locator \x1b[31mred\x1b[0m timed out\x00"
    text = render_junit(from_json(data))
    schema.validate(text)
    assert "\x1b" not in text and "\x00" not in text and "\ufffd[31mred" in text


def test_hand_kept_documents_are_all_covered() -> None:
    assert {f"{p.stem}" for p in DATA.glob("*.json")} <= set(DOCUMENTS)
