"""The report's first screen, read in real Chromium: verdict, evidence, closest to failing.

The documents are the hand-kept real runs (tests/outputs/data) with the fields runs now write
(objective state, evidence, margin; not-run journeys; the command line) set by hand, as the
issue's examples have them: a checkout run three times cannot show 99.5 % (598 runs could).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, expect

from runner.document import from_json
from runner.outputs.html import render_html
from tests.outputs.conftest import ARTEFACTS, load, open_report, weighed, write

NEEDED_NOTE = "3 runs; 598 needed with no failure to show ≥ 99.5 %"


def objectives_named(document: dict[str, Any], name: str) -> list[dict[str, Any]]:
    """The objective called `name`, in the document's list and in its journey's (two copies)."""
    found = [o for o in document["objectives"] if o["name"] == name]
    found += [o for j in document["journeys"] for o in j["objectives"] if o["name"] == name]
    assert found, name
    return found


def three_run_checkout() -> dict[str, Any]:
    """run-pass.json with checkout run 3 times: 0 failures, 99.5 % met but not shown."""
    document = load("run-pass.json")
    checkout = next(j for j in document["journeys"] if j["name"] == "checkout")
    checkout["attempts"] = checkout["successes"] = 3
    for step in checkout["steps"]:
        step["attempts"] = 3
    for objective in objectives_named(document, "checkout success"):
        objective.update(
            target=0.995,
            actual=1.0,
            samples=3,
            met=True,
            state="met, not shown",
            margin=0.0,
            detail=f"3 of 3 runs passed; {NEEDED_NOTE}",
            evidence={
                "confidence": 0.95,
                "samples": 3,
                "bad": 0,
                "allowed_share": 0.005,
                "bound": 0.631597,
                "shown": False,
                "needed": 598,
                "note": NEEDED_NOTE,
            },
        )
    return document


def slow_step_and_failing_journey() -> dict[str, Any]:
    """A step at 5 times its latency objective, no failure; cart with failures within 99 %.

    pos-sync's polling step also gets a latency objective at 9 times its limit: its latency is
    the wait for stock to show, judged by freshness, so it must never rank as slow.
    """
    document = weighed(load("run-pass.json"))
    for objective in objectives_named(document, "search / search api latency p95"):
        objective.update(actual=2.5, met=False, state="missed", margin=5.0, evidence=None)
    for objective in objectives_named(document, "cart success"):
        objective.update(actual=0.994, samples=500, margin=0.6, detail="497 of 500 runs passed")
    cart = next(j for j in document["journeys"] if j["name"] == "cart")
    cart.update(attempts=500, successes=497, failure_count=3, success_ratio=0.994)
    cart["steps"][0]["failures"] = 3
    polling = {
        "name": "pos-sync / stock visible latency p95",
        "journey": "pos-sync",
        "step": "stock visible",
        "kind": "latency",
        "stat": "p95",
        "target": 0.5,
        "actual": 4.5,
        "samples": 5,
        "met": False,
        "detail": "p95 4.500s over 0.5s",
        "engine": "http",
        "state": "missed",
        "margin": 9.0,
    }
    document["objectives"].append(polling)
    next(j for j in document["journeys"] if j["name"] == "pos-sync")["objectives"].append(polling)
    document["verdict"] = "fail"
    return document


@pytest.mark.browser
def test_a_pass_on_three_runs_is_not_ready_and_says_what_would_show_it(
    browser: Browser, tmp_path: Path
) -> None:
    page, requests = open_report(browser, write(three_run_checkout(), tmp_path))

    assert requests == [(tmp_path / "index.html").as_uri()]
    banner = page.locator("header .verdict")
    expect(banner).not_to_contain_text("Ready")
    expect(banner).to_contain_text(
        "⚠ Passed, not shown: 1 of 17 objectives met but too few samples to show them at 95 %"
    )
    expect(banner).to_contain_text("checkout success needs 598 runs")
    box = banner.bounding_box()
    assert box is not None and box["y"] + box["height"] < 900  # on the first screen
    assert "Ready" not in page.title()
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTEFACTS / "report-not-shown.png"))
    row = page.locator("#evidence tr", has_text="checkout").filter(has_text="success")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("⚠ met, not shown")
    expect(row).to_contain_text(NEEDED_NOTE)
    expect(row).to_contain_text("63.2 % / 0.5 %")
    page.locator("details.journey", has_text="checkout").locator("summary").click()
    listed = page.locator("details.journey[open] ul.objs li").first
    expect(listed).to_contain_text("⚠ met, not shown:")
    expect(listed).to_contain_text("success · 3 of 3 runs passed · 598 runs needed")
    page.context.close()


@pytest.mark.browser
def test_require_evidence_says_the_pass_exits_4(browser: Browser, tmp_path: Path) -> None:
    document = three_run_checkout()
    document["require_evidence"] = True
    page, _ = open_report(browser, write(document, tmp_path))

    expect(page.locator("header .verdict")).to_contain_text("--require-evidence: this run exits 4")
    page.context.close()


@pytest.mark.browser
def test_a_pass_shown_reads_ready_with_the_evidence_in_words(
    browser: Browser, tmp_path: Path
) -> None:
    document = load("run-pass.json")
    journeys = document["journeys"]
    for objective in [*document["objectives"], *(o for j in journeys for o in j["objectives"])]:
        objective["samples"] = 600  # enough for every bound to show its objective
    page, _ = open_report(browser, write(weighed(document), tmp_path))

    banner = page.locator("header .verdict")
    expect(banner).to_contain_text("✔ Ready: every objective met")
    expect(banner).to_contain_text("Evidence: 14 of 17 objectives shown at 95 %; 3 observed")
    page.context.close()


@pytest.mark.browser
def test_closest_to_failing_ranks_by_margin_and_never_a_polling_wait(
    browser: Browser, tmp_path: Path
) -> None:
    page, _ = open_report(browser, write(slow_step_and_failing_journey(), tmp_path))

    ranked = page.locator("#closest ol > li")
    expect(ranked.first).to_contain_text("search")
    expect(ranked.first).to_contain_text("search api latency p95")
    expect(ranked.first).to_contain_text("✖ 5.0× its limit")
    expect(ranked.nth(1)).to_contain_text("cart")
    expect(ranked.nth(1)).to_contain_text("failures at 60 % of those allowed")
    expect(page.locator("#closest")).not_to_contain_text("stock visible latency")
    # the polling step's objective is still judged and listed with the evidence
    expect(page.locator("#evidence")).to_contain_text("stock visible latency p95")
    page.context.close()


@pytest.mark.browser
def test_a_journey_that_never_ran_reads_not_run_never_fail(
    browser: Browser, tmp_path: Path
) -> None:
    document = load("run-fail-browser.json")
    document["verdict"] = "interrupted"
    search = document["journeys"][-1]
    search.update(verdict="not run", attempts=0, successes=0, success_ratio=None)
    page, _ = open_report(browser, write(document, tmp_path))

    row = page.locator("#overview tr", has=page.locator("a", has_text="search")).filter(
        has_text="browser"
    )
    expect(row.locator("b.v")).to_have_text("○ not run")
    section = page.locator("details.journey").filter(has_text="not run")
    expect(section).to_have_count(1)
    expect(section.locator("summary")).not_to_contain_text("FAIL")
    expect(page.locator("header .verdict")).to_contain_text("3 of 7 journeys passed, 1 not run")
    page.context.close()


@pytest.mark.browser
def test_about_shows_the_command_line_as_typed_and_escaped(
    browser: Browser, tmp_path: Path
) -> None:
    document = load("run-pass.json")
    line = "journey run journeys/ --target targets/demo.yaml --header 'X-Key: ***' <b>x</b>"
    document["command_line"] = line
    page, _ = open_report(browser, write(document, tmp_path))

    expect(page.locator("dl.meta dd code").first).to_have_text(line)
    assert page.locator("dl.meta b").count() == 0
    page.context.close()


def test_latency_objectives_are_lines_on_the_ladder(tmp_path: Path) -> None:
    html = render_html(from_json(load("run-fail-browser.json")), base_dir=tmp_path)

    section = html.split('id="j6"')[1]  # search on browser: p95 1.61 s, objective p95 ≤ 4 s
    ladder = section.split('<div class="ladder">')[1].split("</div>")[0]
    assert '<path class="g" d="M270 0v90"/>' in ladder  # the objective is the scale's end
    assert "┆ objective p95 ≤ 4 s" in ladder
    assert "<li>p95 1.61 s" in ladder


def test_every_table_shows_its_times_in_one_unit(tmp_path: Path) -> None:
    html = render_html(from_json(weighed(load("run-fail-browser.json"))), base_dir=tmp_path)

    for table in re.findall(r"<table.*?</table>", html, flags=re.S):
        cells = re.sub(r"<[^>]+>", " ", table)
        units = set(re.findall(r"\d (ms|s)\b", cells)) | set(re.findall(r"\((ms|s)\)", cells))
        assert len(units) <= 1, (units, cells[:300])


def test_the_budget_panel_is_gone_and_the_evidence_panel_replaces_it(tmp_path: Path) -> None:
    html = render_html(from_json(load("run-fail-browser.json")), base_dir=tmp_path)

    assert "budget" not in html.lower()
    assert 'id="evidence"' in html and 'id="closest"' in html
