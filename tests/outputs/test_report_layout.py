"""The report's layout in real Chromium: a phone's width, a desktop's, and two A4 pages of summary.

Nothing may reach past the window's right edge at 1280 or 420 px, details open or closed, save
inside a table that scrolls by itself (overflow-x: auto) and whose own box fits; html and body
may not hide the overflow to pass. The summary (#summary: banner, closest to failing, evidence)
printed alone ("print the summary only" ticked) fills at most two A4 pages, colours kept.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page

from tests.outputs.conftest import ARTEFACTS, DATA, load, open_report, weighed, write

# Every element whose right edge is past the window, unless a scroller it sits in fits.
OVERFLOWING = """() => {
  const width = window.innerWidth, out = [];
  for (const el of document.querySelectorAll("body *")) {
    const box = el.getBoundingClientRect();
    if ((box.width === 0 && box.height === 0) || box.right <= width + 0.5) continue;
    let scroller = el.parentElement;
    while (scroller && !["auto", "scroll"].includes(getComputedStyle(scroller).overflowX)) {
      scroller = scroller.parentElement;
    }
    if (scroller && scroller.getBoundingClientRect().right <= width + 0.5) continue;
    out.push(`${el.tagName.toLowerCase()}.${el.className.baseVal ?? el.className} ${box.right}`);
  }
  return out;
}"""
PAGE = re.compile(rb"/Type\s*/Page(?![a-zA-Z])")


def failing_run_with_evidence(base_dir: Path) -> dict[str, Any]:
    """The failing run, weighed, with its first browser failure's screenshot next to it."""
    (base_dir / "artefacts").mkdir(parents=True, exist_ok=True)
    shutil.copy(DATA / "screenshot.png", base_dir / "artefacts" / "checkout-browser-0-3.png")
    document = weighed(load("run-fail-browser.json"))
    document["command_line"] = (
        "journey run journeys/ --target targets/demo.yaml --engine http,browser --runs 5 "
        "--header 'Authorization: ***' --out reports/2026-11-22T23-27-10Z-run"
    )
    return document


def rehearsal_with_evidence(base_dir: Path) -> dict[str, Any]:
    document = weighed(load("load-fail-probe.json"))
    document["load"]["rehearsed"] = "held 8 users for 20 s: not a peak rehearsal"
    document["load"]["evidence_note"] = (
        "bounds count requests as independent samples; under load they share the target's "
        "queues and caches, so the evidence reads stronger than it is"
    )
    return document


def overflowing(page: Page) -> list[str]:
    found: list[str] = page.evaluate(OVERFLOWING)
    return found


@pytest.mark.browser
@pytest.mark.parametrize("width", [1280, 420])
@pytest.mark.parametrize("make", [failing_run_with_evidence, rehearsal_with_evidence])
def test_nothing_reaches_past_the_window(
    browser: Browser, tmp_path: Path, width: int, make: Any
) -> None:
    page, _ = open_report(browser, write(make(tmp_path), tmp_path), width=width)

    assert overflowing(page) == []
    for element in ("documentElement", "body"):  # html and body
        for axis in ("overflowX", "overflowY"):
            value = page.evaluate(f"getComputedStyle(document.{element}).{axis}")
            assert value not in ("hidden", "clip"), (element, axis, value)
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
    assert overflowing(page) == []
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    if make is failing_run_with_evidence:
        ARTEFACTS.mkdir(parents=True, exist_ok=True)
        page.evaluate("document.querySelectorAll('details').forEach(d => d.open = false)")
        page.screenshot(path=str(ARTEFACTS / f"report-{width}.png"), full_page=True)
    page.context.close()


@pytest.mark.browser
@pytest.mark.parametrize("make", [failing_run_with_evidence, rehearsal_with_evidence])
def test_the_summary_prints_on_at_most_two_a4_pages_in_colour(
    browser: Browser, tmp_path: Path, make: Any
) -> None:
    page, _ = open_report(browser, write(make(tmp_path), tmp_path))
    whole = page.pdf(format="A4", print_background=True)

    page.check("#po")
    page.emulate_media(media="print")
    summary = page.pdf(format="A4", print_background=True)

    assert 1 <= len(PAGE.findall(summary)) <= 2
    assert len(PAGE.findall(whole)) > len(PAGE.findall(summary))  # the rest prints after it
    verdict = page.locator("header .verdict")
    for prop in ("print-color-adjust", "-webkit-print-color-adjust"):
        assert verdict.evaluate(f"e => getComputedStyle(e).getPropertyValue('{prop}')") == "exact"
    background = verdict.evaluate("e => getComputedStyle(e).backgroundColor")
    assert background not in ("rgba(0, 0, 0, 0)", "transparent")  # colours kept in print
    assert page.locator("#overview").is_hidden()  # only the summary prints
    page.context.close()
