"""A rehearsal's report says first what was held, and draws every latency objective it judged.

The documents are the real `journey load smoke` runs of tests/outputs/data with the sentence
the builder now writes (LoadSection.rehearsed) and the expected peak set by hand.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, expect

from tests.outputs.conftest import load, open_report, write

NOT_A_PEAK = "held 8 users for 20 s: not a peak rehearsal"
FLASH_SALE = (
    "held 60 users for 10 min 30 s: 1.0\N{MULTIPLICATION SIGN} the expected flash-sale peak"
)


def rehearsal(rehearsed: str, peak: dict[str, Any] | None = None) -> dict[str, Any]:
    document = load("load-pass.json")
    document["load"]["rehearsed"] = rehearsed
    document["load"]["peak"] = peak
    return document


@pytest.mark.browser
def test_what_was_held_is_the_first_line_of_the_report_and_of_the_load_section(
    browser: Browser, tmp_path: Path
) -> None:
    page, requests = open_report(browser, write(rehearsal(NOT_A_PEAK), tmp_path))

    assert requests == [(tmp_path / "index.html").as_uri()]
    first_line = page.evaluate("document.body.innerText.trim().split('\\n')[0]")
    assert first_line.lower() == NOT_A_PEAK  # shown as a sentence: its first letter upper case
    expect(page.locator("header > :first-child")).to_have_text(NOT_A_PEAK)
    expect(page.locator("section.load h2 + *")).to_have_text(NOT_A_PEAK)
    expect(page.get_by_text("not a peak rehearsal").first).to_be_visible()
    page.context.close()


@pytest.mark.browser
def test_a_peak_rehearsal_names_the_peak_and_not_the_opposite(
    browser: Browser, tmp_path: Path
) -> None:
    peak = {"event": "flash-sale", "expected": 60, "unit": "users"}
    page, _ = open_report(browser, write(rehearsal(FLASH_SALE, peak), tmp_path))

    expect(page.locator("header > :first-child")).to_have_text(FLASH_SALE)
    expect(page.locator("section.load")).to_contain_text("Expected peak: 60 users (flash-sale)")
    expect(page.get_by_text("not a peak rehearsal", exact=False)).to_have_count(0)
    page.context.close()


@pytest.mark.browser
def test_results_without_the_sentence_still_say_not_a_peak_rehearsal(
    browser: Browser, tmp_path: Path
) -> None:
    page, _ = open_report(browser, write(load("load-pass.json"), tmp_path))

    expect(page.locator("section.load")).to_contain_text("Not a peak rehearsal")
    expect(page.locator("p.held")).to_have_count(0)  # no sentence to show: none invented
    page.context.close()


@pytest.mark.browser
def test_each_latency_objective_is_a_line_and_titles_sit_outside_the_plot(
    browser: Browser, tmp_path: Path
) -> None:
    document = rehearsal(NOT_A_PEAK)
    p95 = next(o for o in document["objectives"] if o["name"] == "smoke: request latency p95")
    p99 = copy.deepcopy(p95)
    p99.update(name="smoke: request latency p99", stat="p99", target=2.0, actual=0.02)
    document["objectives"].append(p99)
    page, _ = open_report(browser, write(document, tmp_path))

    chart = page.locator("svg.tl")
    expect(chart.locator("path.goal")).to_have_count(2)
    expect(chart.locator("text", has_text="objective p95 ≤ 1 s")).to_have_count(1)
    expect(chart.locator("text", has_text="objective p99 ≤ 2 s")).to_have_count(1)
    expect(chart.locator("text.pt", has_text="p95 latency of all requests (s)")).to_have_count(1)
    overlaps = chart.evaluate(
        """svg => {
          const titles = [...svg.querySelectorAll("text.pt")].map(t => t.getBoundingClientRect());
          const bands = [...svg.querySelectorAll("g.band rect")].map(r => r.getBoundingClientRect());
          return titles.filter(t => bands.some(b =>
            t.left < b.right && b.left < t.right && t.top < b.bottom && b.top < t.bottom)).length;
        }"""
    )
    assert overlaps == 0
    page.context.close()
