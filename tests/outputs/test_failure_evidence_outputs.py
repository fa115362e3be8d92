"""A failed http step's answer and the recorded captures, in every output that shows a run.

results.json holds them (typed, round-tripped, valid against the published schema), junit.xml
quotes the answer under the failure's line and counts recorded values in the suite's
properties (valid for Jenkins), and index.html shows both, escaped and bounded. Every writer
scrubs the new text as it scrubs the rest.
"""

from __future__ import annotations

import copy
import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import xmlschema
from jsonschema import Draft202012Validator

from runner.document import FailureEntry, ResponseEntry, from_json, to_json
from runner.outputs.html import render_html, write_html
from runner.outputs.junit import JUNIT_BODIES, RECORDED_PROPERTY, render_junit, write_junit
from runner.outputs.results_json import read_results, write_results
from runner.redact import Redactor
from tests.conftest import ROOT
from tests.outputs.conftest import load

SCHEMA = json.loads((ROOT / "runner" / "outputs" / "results.schema.json").read_text())
JUNIT_XSD = ROOT / "tests" / "junit-10.xsd"
SECRET = "tok-s3cr3t-42"
BODY = f'<h1>Service unavailable</h1>\n<script>alert("x")</script>\n<p>ref {SECRET}</p>'
RESPONSE = {
    "url": "/checkout?token=***",
    "status": 503,
    "redirects": ["302 /cart?session=***", "303 /checkout?token=***"],
    "body": BODY,
}


def with_evidence() -> dict[str, Any]:
    """run-fail-browser with answers on checkout [http]'s failures and cart [http] recording."""
    data = copy.deepcopy(load("run-fail-browser.json"))
    cart, checkout = data["journeys"][0], data["journeys"][1]
    assert (cart["name"], checkout["name"], checkout["engine"]) == ("cart", "checkout", "http")
    for failure in checkout["failures"]:
        failure["response"] = copy.deepcopy(RESPONSE)
    cart["recorded"] = {
        "count": 12,
        "first": [
            {
                "iteration": i,
                "step": "add to cart",
                "capture": "basket_id",
                "value": f"<b>B-{i}</b>",
                "at": "2026-11-22T23:27:10.293Z",
            }
            for i in range(5)
        ],
        "file": "captures.jsonl",
    }
    return data


def rounded(data: Any) -> Any:
    """`data` with floats at six decimals, as runs write them (builder.percentiles).

    The hand-kept file has float noise (`0.27360000000000007`) whose 17 digits pass the Luhn
    check, and the Redactor would mask them as a card number in the written text.
    """
    if isinstance(data, float):
        return round(data, 6)
    if isinstance(data, dict):
        return {key: rounded(value) for key, value in data.items()}
    if isinstance(data, list):
        return [rounded(value) for value in data]
    return data


def failure_of(root: ET.Element, name: str) -> ET.Element:
    (case,) = (c for c in root.iter("testcase") if c.attrib["name"] == name)
    (failure,) = case.iter("failure")
    return failure


def test_the_document_holds_answer_and_recorded_values_and_the_schema_allows_them() -> None:
    data = with_evidence()
    errors = [e.message for e in Draft202012Validator(SCHEMA).iter_errors(data)]
    assert errors == []
    document = from_json(data)
    failure = document.journeys[1].failures[0]
    assert failure.response == ResponseEntry(
        "/checkout?token=***", 503, ("302 /cart?session=***", "303 /checkout?token=***"), BODY
    )
    recorded = document.journeys[0].recorded
    assert recorded is not None and recorded.count == 12 and len(recorded.first) == 5
    written = to_json(document)  # the fixture predates other fields: compare these two
    assert written["journeys"][1]["failures"][0]["response"] == RESPONSE
    assert written["journeys"][0]["recorded"] == data["journeys"][0]["recorded"]
    assert from_json(json.loads(json.dumps(written))) == document


def test_the_schema_refuses_a_malformed_answer() -> None:
    data = with_evidence()
    data["journeys"][1]["failures"][0]["response"] = {"url": "/x", "status": "503"}
    assert list(Draft202012Validator(SCHEMA).iter_errors(data))


def test_an_older_document_without_them_still_reads() -> None:
    document = from_json(load("run-fail-browser.json"))
    assert all(j.recorded is None for j in document.journeys)
    assert all(f.response is None for j in document.journeys for f in j.failures)


def test_results_json_is_scrubbed_and_reads_back(tmp_path: Path) -> None:
    path = tmp_path / "results.json"
    write_results(from_json(rounded(with_evidence())), path, Redactor([SECRET]))
    assert SECRET not in path.read_text(encoding="utf-8")
    back = read_results(path)
    response = back.journeys[1].failures[0].response
    assert response is not None and response.body == BODY.replace(SECRET, "***")


def test_junit_quotes_the_answer_under_the_failure_and_keeps_the_message_one_line() -> None:
    plain = failure_of(
        ET.fromstring(render_junit(from_json(load("run-fail-browser.json")))), "checkout [http]"
    )
    root = ET.fromstring(render_junit(from_json(with_evidence())))
    failure = failure_of(root, "checkout [http]")
    assert failure.attrib["message"] == plain.attrib["message"]
    assert "\n" not in failure.attrib["message"]
    text = failure.text or ""
    first = text.split("run 1 step")[0]  # the evidence sits under its own failure's line
    assert "run 0 step 'checkout form': expected status 200, got 503" in first
    assert "  answered 503 at /checkout?token=***" in first
    assert "  redirected: 302 /cart?session=***\n  redirected: 303 /checkout?token=***" in first
    assert '    <script>alert("x")</script>' in first  # the XML writer escapes it, not us


def test_junit_quotes_only_the_first_few_bodies() -> None:
    text = (
        failure_of(ET.fromstring(render_junit(from_json(with_evidence()))), "checkout [http]").text
        or ""
    )
    assert text.count("  body:\n") == JUNIT_BODIES
    assert text.count("  body: in results.json") == 5 - JUNIT_BODIES
    assert text.count("  answered 503 at") == 5  # where it landed, for every failure


def test_junit_counts_recorded_values_in_the_suite_s_properties_and_stays_valid(
    tmp_path: Path,
) -> None:
    path = tmp_path / "junit.xml"
    write_junit(from_json(with_evidence()), path, Redactor([SECRET]))
    xmlschema.XMLSchema(JUNIT_XSD).validate(path)
    text = path.read_text(encoding="utf-8")
    assert SECRET not in text and "ref ***" in text
    (suite,) = ET.parse(path).getroot().iter("testsuite")
    assert suite[0].tag == "properties"  # first inside the testsuite, as the XSD wants
    found = {p.attrib["name"]: p.attrib["value"] for p in suite[0]}
    assert found[RECORDED_PROPERTY] == "12"
    assert sum(1 for _ in ET.parse(path).getroot().iter("properties")) == 1


def test_junit_says_zero_when_nothing_was_recorded() -> None:
    root = ET.fromstring(render_junit(from_json(load("run-pass.json"))))
    found = {p.attrib["name"]: p.attrib["value"] for p in root.iter("property")}
    assert found[RECORDED_PROPERTY] == "0"


def test_the_report_shows_the_answer_escaped_in_a_pre(tmp_path: Path) -> None:
    html = render_html(from_json(with_evidence()), base_dir=tmp_path)
    assert '<script>alert("x")' not in html
    # five runs in two groups (checkout form, place order): one answer shown per group
    body, _ = re.findall(r'<pre class="body">(.*?)</pre>', html, re.DOTALL)
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in body
    assert "&lt;h1&gt;Service unavailable&lt;/h1&gt;" in body
    assert "<code>/checkout?token=***</code>" in html
    assert "<li><code>302 /cart?session=***</code>" in html
    assert "HTTP 503 at" in html and "after 2 redirects" in html


def test_the_report_bounds_each_body_and_how_many_it_quotes(tmp_path: Path) -> None:
    data = with_evidence()
    failures = data["journeys"][1]["failures"]
    for i, failure in enumerate(failures):
        failure["step"] = f"step {i}"  # no grouping: five items
        failure["response"]["body"] = "x" * 2000
    data["journeys"][1]["failures"] = failures + [
        {**copy.deepcopy(failures[0]), "step": f"more {i}", "iteration": 10 + i} for i in range(3)
    ]
    html = render_html(from_json(data), base_dir=tmp_path)
    bodies = re.findall(r'<pre class="body">(.*?)</pre>', html, re.DOTALL)
    assert len(bodies) == 5
    assert all(len(body) < 1300 for body in bodies)
    assert html.count("Body not quoted here") == 3


def test_the_report_says_what_was_recorded_escaped_with_a_link(tmp_path: Path) -> None:
    html = render_html(from_json(with_evidence()), base_dir=tmp_path)
    assert "12 values of basket_id: &lt;b&gt;B-0&lt;/b&gt;, " in html and "<b>B-0</b>" not in html
    assert "&lt;b&gt;B-4&lt;/b&gt;, …" in html  # more than shown
    assert '<a href="captures.jsonl">captures.jsonl</a>' in html


def test_the_written_report_is_scrubbed(tmp_path: Path) -> None:
    data = with_evidence()
    data["journeys"][0]["recorded"]["first"][0]["value"] = f"B-{SECRET}"
    write_html(from_json(data), tmp_path / "index.html", Redactor([SECRET]))
    text = (tmp_path / "index.html").read_text(encoding="utf-8")
    assert SECRET not in text and "ref ***" in text and "B-***" in text


def test_a_browser_failure_has_no_answer_section(tmp_path: Path) -> None:
    entry = FailureEntry(0, "place order", "timed out", "2026-11-22T23:27:10.293Z")
    assert entry.response is None
    html = render_html(from_json(load("run-fail-browser.json")), base_dir=tmp_path)
    assert 'class="resp"' not in html and 'class="rec"' not in html
