"""A canary's document through every output, as `journey canary` writes them (write_outputs).

The documents are made here by `canary_document`: run-pass's checkout and search as both arms'
journeys, and a canary section by hand for each decision: a rollback (checkout › place order
beyond its margin at look 4 of 12), a hold (checkout latency short of its minimum samples at
the last look) and a promote. Each is written into tmp_path and read back as `journey report`
reads it; junit.xml is validated against Jenkins' schema, and the report opened in Chromium
with every request recorded.
"""

from __future__ import annotations

import dataclasses
import io
import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from pathlib import Path
from typing import Any, get_args

import pytest
import xmlschema
from jsonschema import Draft202012Validator, ValidationError
from markupsafe import escape
from playwright.sync_api import Browser, expect
from rich.console import Console

from runner.document import (
    CanaryArmFigures,
    CanaryClass,
    CanaryComparison,
    CanaryDistribution,
    CanaryMetric,
    CanaryMetricKind,
    CanarySection,
    Percentiles,
    ResultsDocument,
    TargetInfo,
    from_json,
    to_json,
)
from runner.outputs.console import RedactingWriter, print_summary
from runner.outputs.files import write_outputs
from runner.outputs.results_json import read_results
from runner.redact import MASK, Redactor
from runner.vocabulary import (
    HOLD,
    PROMOTE,
    ROLLBACK,
    VERDICT_HEADLINES,
    VERDICT_LINES,
    RunVerdict,
)
from tests.outputs.conftest import ROOT, load, open_report

SCHEMA = json.loads((ROOT / "runner" / "outputs" / "results.schema.json").read_text())
JUNIT_XSD = ROOT / "tests" / "junit-10.xsd"
SECRET = "tok-3f9a1c"  # in a target URL: every output must mask it
PLACE_ORDER = (
    "checkout › place order latency +18 % [+12 %, +25 %] > margin +10 % at look 4/12 → roll back"
)
SHORT = (
    "checkout latency +3 % [−8 %, +15 %] vs margin +10 %: not enough data "
    "(needs 705 per arm, has 24)"
)
HEADLINES = {
    ROLLBACK: (
        "Roll back: checkout › place order is 18 % slower (+12 % to +25 %), beyond the 10 % margin"
    ),
    HOLD: "Hold: not enough data on checkout latency: needs 705 samples per arm, has 24",
    PROMOTE: (
        "Promote: no metric beyond its margin (5 metrics, 12 of 12 looks); largest change: "
        "checkout › place order +4 % (−1 % to +9 %) against a 10 % margin"
    ),
}


def latency(
    journey: str,
    step: str | None,
    kind: CanaryClass,
    reason: str,
    *,
    shift: tuple[float, float, float] = (0.01, -0.03, 0.05),
    look: int = 12,
    needed: int | None = 300,
    samples: int = 900,
) -> CanaryMetric:
    name = f"{journey} › {step} latency" if step else f"{journey} latency"
    return CanaryMetric(
        name=name,
        journey=journey,
        engine="http",
        step=step,
        kind="latency",
        baseline=CanaryArmFigures(samples, median_s=0.2),
        candidate=CanaryArmFigures(samples, median_s=round(0.2 * (1 + shift[0]), 6)),
        look=look,
        classification=kind,
        reason=reason,
        margin=0.1,
        boundary=2.48,
        shift=shift[0],
        shift_low=shift[1],
        shift_high=shift[2],
        z=-3.1,
        needed=needed,
    )


def errors(journey: str, look: int = 12, candidate: int = 1) -> CanaryMetric:
    return CanaryMetric(
        name=f"{journey} errors",
        journey=journey,
        engine="http",
        step=None,
        kind="errors",
        baseline=CanaryArmFigures(900, events=0),
        candidate=CanaryArmFigures(900, events=candidate),
        look=look,
        classification="pass",
        reason=f"{journey} errors {candidate} vs 0, ratio ≤ 1.2× shown (margin 1.5×) → pass",
        margin=1.5,
        boundary=250.0,
        bayes_factor=0.41,
        ratio_high=1.2,
    )


def metrics_for(verdict: RunVerdict) -> tuple[list[CanaryMetric], list[CanaryMetric]]:
    """checkout's metrics and search's, as each decision's last look judged them."""
    look = 4 if verdict == ROLLBACK else 12
    if verdict == ROLLBACK:
        total = latency("checkout", None, "pass", "checkout latency +2 % → pass", look=look)
        order = latency(
            "checkout", "place order", "rollback", PLACE_ORDER, shift=(0.18, 0.12, 0.25), look=look
        )
    elif verdict == HOLD:
        total = latency(
            "checkout", None, "not enough data", SHORT, shift=(0.03, -0.08, 0.15), needed=705
        )
        total = dataclasses.replace(
            total, baseline=CanaryArmFigures(24, 0.2), candidate=CanaryArmFigures(24, 0.206)
        )
        order = latency("checkout", "place order", "pass", "checkout › place order → pass")
    else:
        total = latency("checkout", None, "pass", "checkout latency +1 % → pass")
        order = latency(
            "checkout",
            "place order",
            "pass",
            "checkout › place order latency +4 % [−1 %, +9 %] ≤ +10 % → pass",
            shift=(0.04, -0.01, 0.09),
        )
    search = latency(
        "search", None, "pass", "search latency +1 % [−3 %, +5 %] ≤ +10 % → pass", look=look
    )
    return [total, order, errors("checkout", look)], [search, errors("search", look, 0)]


def distributions() -> tuple[CanaryDistribution, ...]:
    base = Percentiles(0.2, 0.22, 0.24, 0.26, 0.3, 0.31)
    slower = Percentiles(0.236, 0.26, 0.28, 0.3, 0.36, 0.37)
    return (
        CanaryDistribution(None, base, slower),
        CanaryDistribution("place order", Percentiles(0.1, 0.11, 0.12, 0.13, 0.15, 0.16), slower),
        CanaryDistribution("search", Percentiles(), Percentiles()),  # no passed run: no bar
    )


def comparison(journey: str, metrics: list[CanaryMetric]) -> CanaryComparison:
    order = ("rollback", "not enough data", "inconclusive", "pass")
    worst = min(metrics, key=lambda m: order.index(m.classification))
    return CanaryComparison(
        journey=journey,
        engine="http",
        classification=worst.classification,
        reason=worst.reason,
        baseline_verdict="pass",
        candidate_verdict="pass",
        slo_note="",
        metrics=tuple(metrics),
        distributions=distributions() if journey == "checkout" else (),
    )


def canary_document(verdict: RunVerdict) -> ResultsDocument:
    """A canary's document deciding `verdict`: run-pass's checkout and search on both arms."""
    run = from_json(load("run-pass.json"))
    journeys = tuple(j for j in run.journeys if j.name in ("checkout", "search"))
    checkout, search = metrics_for(verdict)
    every = [*checkout, *search]
    reasons = {
        ROLLBACK: (PLACE_ORDER,),
        HOLD: (SHORT,),
        PROMOTE: ("no metric beyond its margin at the last look", *(m.reason for m in every)),
    }[verdict]
    looks_done = 4 if verdict == ROLLBACK else 12
    section = CanarySection(
        baseline=TargetInfo("shop-blue", {"storefront": "http://blue.test"}),
        candidate=TargetInfo("shop-green", {"storefront": f"http://green.test/?key={SECRET}"}),
        reasons=reasons,
        looks=12,
        looks_done=looks_done,
        iterations=75,
        warmup=10,
        alpha=0.02,
        family_size=len(every),
        margins={"latency": 0.1, "freshness": 0.1, "floor_s": 0.005, "errors": 1.5, "slow": 1.5},
        boundaries=(4.28, 3.9, 3.6, 3.4, 3.2, 3.0, 2.9, 2.8, 2.7, 2.6, 2.55, 2.48),
        comparisons=(comparison("checkout", checkout), comparison("search", search)),
        baseline_journeys=journeys,
        early=looks_done < 12,
    )
    return dataclasses.replace(
        run,
        command="canary",
        verdict=verdict,
        reason="; ".join(reasons[:3]),
        target=section.candidate,
        objectives=tuple(o for j in journeys for o in j.objectives),
        journeys=journeys,
        canary=section,
    )


@pytest.fixture(params=[ROLLBACK, HOLD, PROMOTE])
def written(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[ResultsDocument, Path]:
    """Each decision's document, every output written as `journey canary` writes them."""
    document = canary_document(request.param)
    write_outputs(document, tmp_path, Redactor([SECRET]))
    return document, tmp_path


def schema_problems(data: Any) -> list[str]:
    """Every complaint, each at its place: a nullable section's (oneOf) are its branches' own."""
    found: list[str] = []

    def leaves(errors: Iterable[ValidationError]) -> None:
        for error in errors:
            if error.validator == "oneOf" and error.context:
                leaves(e for e in error.context if e.validator != "type" or e.relative_path)
            else:
                path = "/".join(map(str, error.absolute_path)) or "(document)"
                found.append(f"{path}: {error.message}")

    leaves(Draft202012Validator(SCHEMA).iter_errors(data))
    return sorted(found)


def unmasked(document: ResultsDocument) -> ResultsDocument:
    # what results.json holds: the candidate's URL with its secret masked, in both places
    masked = {"storefront": f"http://green.test/?key={MASK}"}
    target = dataclasses.replace(document.target, urls=masked)
    assert document.canary is not None
    section = dataclasses.replace(document.canary, candidate=target)
    return dataclasses.replace(document, target=target, canary=section)


def test_results_json_reads_back_as_written_and_the_schema_accepts_it(
    written: tuple[ResultsDocument, Path],
) -> None:
    document, out = written
    data = json.loads((out / "results.json").read_text(encoding="utf-8"))
    assert SECRET not in json.dumps(data)
    assert read_results(out / "results.json") == unmasked(document)
    assert schema_problems(data) == []
    assert data["canary"]["comparisons"][0]["metrics"][1]["classification"] in get_args(CanaryClass)


def test_the_schema_refuses_a_malformed_canary_section() -> None:
    data = to_json(canary_document(ROLLBACK))
    assert schema_problems(data) == []
    data["canary"]["comparisons"][0]["metrics"][0]["classification"] = "maybe"
    del data["canary"]["reasons"]
    data["canary"]["comparisons"][1]["distributions"] = [{"step": None, "baseline": {}}]
    problems = schema_problems(data)
    assert any(p.startswith("canary/comparisons/0/metrics/0/classification:") for p in problems)
    assert "canary: 'reasons' is a required property" in problems
    assert any(p.startswith("canary/comparisons/1/distributions/0") for p in problems)


def test_the_schema_names_the_document_s_canary_words() -> None:
    defs = SCHEMA["$defs"]
    assert defs["canary_class"]["enum"] == list(get_args(CanaryClass))
    assert defs["canary_metric"]["properties"]["kind"]["enum"] == list(get_args(CanaryMetricKind))
    # every field the document has, the schema describes (a renamed field would slip by)
    for kind, name in (
        (CanarySection, "canary"),
        (CanaryComparison, "canary_comparison"),
        (CanaryMetric, "canary_metric"),
        (CanaryArmFigures, "canary_arm"),
        (CanaryDistribution, "canary_distribution"),
    ):
        fields = {f.name for f in dataclasses.fields(kind)}
        assert set(defs[name]["properties"]) == fields, name
        required = {
            f.name
            for f in dataclasses.fields(kind)
            if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
        }
        assert set(defs[name]["required"]) == required, name


def junit_cases(out: Path) -> tuple[ET.Element, dict[str, ET.Element]]:
    xmlschema.XMLSchema(JUNIT_XSD).validate(out / "junit.xml")
    root = ET.parse(out / "junit.xml").getroot()
    return root, {case.attrib["name"]: case for case in root.iter("testcase")}


def test_junit_fails_the_comparison_that_rolled_back_with_every_metric_line(
    tmp_path: Path,
) -> None:
    document = canary_document(ROLLBACK)
    write_outputs(document, tmp_path, Redactor([SECRET]))
    root, cases = junit_cases(tmp_path)

    (failure,) = cases["checkout [http] canary"].iter("failure")
    assert failure.attrib == {"message": PLACE_ORDER, "type": "rollback"}
    assert document.canary is not None
    checkout = document.canary.comparisons[0]
    for metric in checkout.metrics:
        assert metric.reason in (failure.text or "")
    assert cases["checkout [http] canary"].attrib["classname"] == "journey.web.http"
    assert not list(cases["search [http] canary"].iter("failure"))
    (decision,) = cases["shop-blue → shop-green [canary]"].iter("failure")
    assert decision.attrib["type"] == "rollback" and PLACE_ORDER in decision.attrib["message"]
    # the journeys' own testcases stay: the candidate against its SLOs, both passing
    assert not list(cases["checkout [http]"].iter("failure"))
    assert set(cases) == {
        "checkout [http]",
        "search [http]",
        "checkout [http] canary",
        "search [http] canary",
        "shop-blue → shop-green [canary]",
    }
    (suite,) = root.iter("testsuite")
    assert (suite.attrib["tests"], suite.attrib["failures"]) == ("5", "2")
    found = {p.attrib["name"]: p.attrib["value"] for p in root.iter("property")}
    assert found["baseline"] == "shop-blue" and found["canary.looks"] == "4/12"
    assert found["target.storefront"] == f"http://green.test/?key={MASK}"


def test_junit_on_a_hold_fails_only_the_comparison_that_held(tmp_path: Path) -> None:
    write_outputs(canary_document(HOLD), tmp_path, Redactor())
    _, cases = junit_cases(tmp_path)

    (failure,) = cases["checkout [http] canary"].iter("failure")
    assert failure.attrib == {"message": SHORT, "type": "hold"}
    assert not list(cases["search [http] canary"].iter("failure"))
    (decision,) = cases["shop-blue → shop-green [canary]"].iter("failure")
    assert decision.attrib["type"] == "hold"


def test_junit_on_a_promote_fails_nothing(tmp_path: Path) -> None:
    write_outputs(canary_document(PROMOTE), tmp_path, Redactor())
    root, cases = junit_cases(tmp_path)

    for name, case in cases.items():  # no failure, error or skipped: only what was seen
        assert [child.tag for child in case] in ([], ["system-out"]), name
    assert "search latency +1 % [−3 %, +5 %] ≤ +10 % → pass" in (
        cases["search [http] canary"].findtext("system-out") or ""
    )
    (suite,) = root.iter("testsuite")
    assert (suite.attrib["failures"], suite.attrib["errors"], suite.attrib["skipped"]) == (
        "0",
        "0",
        "0",
    )


def test_the_report_leads_with_the_decision_and_shows_reasons_and_distributions(
    written: tuple[ResultsDocument, Path],
) -> None:
    document, out = written
    html = (out / "index.html").read_text(encoding="utf-8")
    assert document.canary is not None
    symbol, _ = VERDICT_HEADLINES[document.verdict]
    assert f'<p class="words">{symbol} {escape(HEADLINES[document.verdict])}</p>' in html
    summary = html[html.index('<div id="summary">') : html.index('<label class="po">')]
    for reason in document.canary.reasons:  # in the first screen, as words
        assert str(escape(reason)) in summary
    for c in document.canary.comparisons:
        for metric in c.metrics:
            assert str(escape(metric.reason)) in html
    distribution = html[html.index('<table class="canary-dist">') :]
    distribution = distribution[: distribution.index("</table>")]
    # whole journey, baseline above candidate, p50/p90/p95/p99 in ms with the change
    assert 'whole journey<td>baseline<td class="n">200<td class="n">240<td' in distribution
    assert '<td class="n">236 <span class="muted">(+18 %)</span>' in distribution
    assert "place order" in distribution and distribution.count("<svg") == 4
    assert SECRET not in html and "http://green.test/?key=***" in html
    # no external reference at all: no src, no stylesheet link, no url() to any host
    assert not re.search(r"""(?:src|href)\s*=\s*["']?(?:[a-z]+:)?//""", html, re.IGNORECASE)
    assert not re.search(r"url\(\s*['\"]?(?:[a-z]+:)?//", html, re.IGNORECASE)


def test_a_comparison_s_marks_are_symbols_and_words_not_colour_alone(tmp_path: Path) -> None:
    write_outputs(canary_document(ROLLBACK), tmp_path, Redactor())
    html = (tmp_path / "index.html").read_text(encoding="utf-8")
    assert '<td class="bad">✖ roll back' in html and '<td class="ok">✔ pass' in html
    assert '<a href="#canary-0">' in html  # the deciding reason links to its comparison


@pytest.mark.browser
def test_the_canary_report_opens_offline_with_markup_as_text(
    browser: Browser, tmp_path: Path
) -> None:
    document = canary_document(ROLLBACK)
    assert document.canary is not None
    nasty = '<img src=x onerror="window.pwned=1">'
    section = dataclasses.replace(document.canary, reasons=(nasty, *document.canary.reasons))
    write_outputs(dataclasses.replace(document, canary=section), tmp_path, Redactor())
    page, requests = open_report(browser, tmp_path / "index.html")

    assert requests == [(tmp_path / "index.html").as_uri()]
    assert page.evaluate("window.pwned") is None
    expect(page.locator("#canary-decision").get_by_text(nasty)).to_be_visible()
    expect(page.locator(".verdict .words")).to_have_text(f"✖ {HEADLINES[ROLLBACK]}")
    expect(page.locator("#canary-0 table.canary-dist svg")).to_have_count(4)
    page.context.close()


def console_lines(document: ResultsDocument, redactor: Redactor) -> list[str]:
    buffer = io.StringIO()
    stream = RedactingWriter(buffer, redactor)
    console = Console(file=stream, width=200, color_system=None, force_terminal=False)  # type: ignore[arg-type]
    print_summary(document, console, "reports/canary")
    return [line.rstrip() for line in buffer.getvalue().splitlines()]


@pytest.mark.parametrize("verdict", [ROLLBACK, HOLD, PROMOTE])
def test_the_console_says_the_decision_the_plan_and_every_metric_line(verdict: RunVerdict) -> None:
    document = canary_document(verdict)
    assert document.canary is not None
    lines = console_lines(document, Redactor([SECRET]))
    text = "\n".join(lines)

    assert f"  decision {HEADLINES[verdict]}" in lines
    assert "m = 5 metrics, each at α/m = 0.004" in text
    looks = "4 of 12 looks, decided early" if verdict == ROLLBACK else "12 of 12 looks"
    assert looks in text
    for c in document.canary.comparisons:
        for metric in c.metrics:
            assert any(line.endswith(metric.reason) for line in lines), metric.reason
    assert lines[-2].startswith(VERDICT_LINES[verdict]) and lines[-1] == "reports: reports/canary"
    assert lines[0].strip() == "journey canary → shop-green against baseline shop-blue"


def test_the_console_masks_secrets_in_canary_lines() -> None:
    document = canary_document(ROLLBACK)
    assert document.canary is not None
    leaky = dataclasses.replace(
        document.canary.comparisons[0].metrics[1], reason=f"{PLACE_ORDER} key={SECRET}"
    )
    first = dataclasses.replace(document.canary.comparisons[0], metrics=(leaky,))
    section = dataclasses.replace(
        document.canary, comparisons=(first, *document.canary.comparisons[1:])
    )
    leaking = dataclasses.replace(document, canary=section)
    text = "\n".join(console_lines(leaking, Redactor([SECRET])))
    assert SECRET not in text and f"key={MASK}" in text


def test_run_documents_print_no_canary_lines() -> None:
    *lines, reports = console_lines(from_json(load("run-pass.json")), Redactor())
    assert reports == "reports: reports/canary"
    assert lines[-1] == VERDICT_LINES["pass"]
    assert not [line for line in lines if "decision" in line or "canary" in line]
