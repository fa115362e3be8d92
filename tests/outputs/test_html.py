"""index.html, checked by its consumer: real Chromium, with every request recorded and blocked.

The documents come from real runs against the demo shop (tests/outputs/data/run-*.json; the
failing one with checkout:errors=50%) plus synthetic browser-engine entries, whose screenshot is
a real PNG copied next to the report and whose trace is a real (tiny) zip.
"""

from __future__ import annotations

import copy
import shutil
import zipfile
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, expect

from runner.document import from_json
from runner.outputs.html import render_html, write_html
from runner.redact import Redactor
from tests.outputs.conftest import ARTEFACTS, DATA, load, open_report, write

REASON = "locator '#place-order' not visible after 5s"
NASTY = "<script>window.pwned=1</script><img src=x>"


def failing_run(base_dir: Path) -> dict[str, Any]:
    """The failing run; its first browser failure's screenshot and trace exist, the second's not."""
    (base_dir / "artefacts").mkdir(parents=True, exist_ok=True)
    shutil.copy(DATA / "screenshot.png", base_dir / "artefacts" / "checkout-browser-0-3.png")
    with zipfile.ZipFile(base_dir / "artefacts" / "checkout-browser-0-3.zip", "w") as trace:
        trace.writestr("trace.trace", "{}\n")
    return load("run-fail-browser.json")


def many_journeys(count: int) -> dict[str, Any]:
    document = load("run-pass.json")
    templates = document["journeys"]
    channels = ("web", "pos", "marketplace", "backoffice")
    document["journeys"] = []
    for index in range(count):
        journey = copy.deepcopy(templates[index % len(templates)])
        journey["name"] = f"journey-{index:02d}"
        journey["channel"] = channels[index % len(channels)]
        document["journeys"].append(journey)
    document["objectives"] = [o for j in document["journeys"] for o in j["objectives"]]
    return document


@pytest.mark.browser
def test_report_opens_offline_and_answers_are_we_ready_first(
    browser: Browser, tmp_path: Path
) -> None:
    path = write(failing_run(tmp_path), tmp_path)
    page, requests = open_report(browser, path)

    assert requests == [path.as_uri()]
    expect(page.get_by_text("Not ready: 5 of 22 objectives missed")).to_be_visible()
    expect(page.locator("#overview")).to_be_visible()
    expect(page.locator("#overview tbody tr:not(.channel)")).to_have_count(7)
    # the error budget panel and "three worst steps" gave way to evidence and margins (issue)
    expect(page.get_by_role("heading", name="Evidence at 95 % confidence")).to_be_visible()
    expect(page.get_by_role("heading", name="Closest to failing")).to_be_visible()
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTEFACTS / "report.png"), full_page=True)
    page.context.close()


@pytest.mark.browser
def test_passing_run_reads_ready(browser: Browser, tmp_path: Path) -> None:
    page, requests = open_report(browser, write(load("run-pass.json"), tmp_path))

    expect(page.get_by_text("✔ Ready: every objective met")).to_be_visible()
    assert len(requests) == 1
    page.context.close()


@pytest.mark.browser
def test_failure_shows_step_reason_embedded_screenshot_and_trace(
    browser: Browser, tmp_path: Path
) -> None:
    page, _ = open_report(browser, write(failing_run(tmp_path), tmp_path))
    section = page.locator("details.journey", has_text="checkout").filter(has_text="browser").first
    section.locator("summary").click()

    failure = section.locator(".failure").first
    expect(failure).to_contain_text("step checkout form")
    expect(failure).to_contain_text(REASON)
    image = failure.locator("img")
    assert (image.get_attribute("src") or "").startswith("data:image/png;base64,")
    assert image.evaluate("img => img.naturalWidth") == 320  # decoded, not a broken image
    link = failure.locator("a", has_text="artefacts/checkout-browser-0-3.zip")
    assert link.get_attribute("href") == "artefacts/checkout-browser-0-3.zip"
    expect(
        failure.get_by_text("npx playwright show-trace artefacts/checkout-browser-0-3.zip")
    ).to_be_visible()
    page.context.close()


@pytest.mark.browser
def test_fifty_journeys_give_fifty_rows_and_collapsed_details(
    browser: Browser, tmp_path: Path
) -> None:
    page, _ = open_report(browser, write(many_journeys(50), tmp_path))

    expect(page.locator("#overview tbody tr:not(.channel)")).to_have_count(50)
    expect(page.locator("details.journey")).to_have_count(50)
    expect(page.locator("details.journey[open]")).to_have_count(0)
    expect(page.locator("#overview tr.channel")).to_have_count(4)
    page.context.close()


@pytest.mark.browser
def test_names_and_reasons_with_markup_appear_as_text(browser: Browser, tmp_path: Path) -> None:
    document = failing_run(tmp_path)
    journey = document["journeys"][-2]
    journey["name"] = NASTY
    journey["steps"][0]["name"] = NASTY
    journey["failures"][0]["reason"] = NASTY
    page, requests = open_report(browser, write(document, tmp_path))

    assert requests == [(tmp_path / "index.html").as_uri()]  # <img src=x> would request x
    assert page.evaluate("window.pwned") is None
    expect(page.locator("#overview").get_by_text(NASTY)).to_be_visible()
    page.locator("details.journey", has_text=NASTY).locator("summary").click()
    expect(page.locator(".failure").get_by_text(NASTY)).to_be_visible()
    page.context.close()


@pytest.mark.browser
def test_missing_screenshot_gives_a_note(browser: Browser, tmp_path: Path) -> None:
    page, _ = open_report(browser, write(failing_run(tmp_path), tmp_path))
    page.locator("details.journey", has_text="browser").first.locator("summary").click()

    expect(page.get_by_text("screenshot file missing")).to_be_visible()
    page.context.close()


@pytest.mark.browser
def test_print_shows_collapsed_details_and_makes_a_pdf(browser: Browser, tmp_path: Path) -> None:
    page, _ = open_report(browser, write(failing_run(tmp_path), tmp_path))
    hidden = page.locator("h4", has_text="Console errors")
    expect(hidden).to_have_count(1)
    expect(hidden).to_be_hidden()  # collapsed on screen

    page.emulate_media(media="print")
    expect(hidden).to_be_visible()
    expect(page.locator(".failure img")).to_be_visible()
    assert page.locator("details[open]").count() == 0  # CSS did it, not the print script
    assert page.pdf(format="A4").startswith(b"%PDF")
    page.context.close()


def test_markup_in_names_is_escaped_in_the_text(tmp_path: Path) -> None:
    document = failing_run(tmp_path)
    document["journeys"][0]["name"] = NASTY
    document["reason"] = NASTY

    html = render_html(from_json(document), base_dir=tmp_path)

    assert "<script>window.pwned" not in html
    assert "&lt;script&gt;window.pwned=1&lt;/script&gt;" in html


def test_screenshot_outside_the_results_folder_is_not_read(tmp_path: Path) -> None:
    (tmp_path / "secret.png").write_bytes((DATA / "screenshot.png").read_bytes())
    document = failing_run(tmp_path / "run")
    document["journeys"][-2]["failures"][0]["screenshot"] = "../secret.png"
    document["journeys"][-2]["failures"][1]["trace"] = "javascript:alert(1)"

    html = render_html(from_json(document), base_dir=tmp_path / "run")

    assert "the path leaves the results folder" in html
    assert 'href="javascript' not in html


def test_written_report_is_scrubbed_but_screenshots_stay_intact(tmp_path: Path) -> None:
    document = failing_run(tmp_path)
    document["journeys"][-2]["failures"][0]["reason"] = "card 4242 4242 4242 4242 for hunter22"
    path = tmp_path / "index.html"
    typed = from_json(document)
    embedded = render_html(typed, base_dir=tmp_path).split('src="data:image/png;base64,')[1]
    secret = embedded[10:14]  # a "secret" that occurs inside the image's base64

    write_html(typed, path, Redactor(["hunter22", secret]))

    text = path.read_text(encoding="utf-8")
    assert "hunter22" not in text
    assert "4242 4242 4242 4242" not in text
    assert embedded.split('"')[0] in text


@pytest.mark.parametrize(
    ("verdict", "reason", "words"),
    [
        ("error", "no response from http://shop", "Target unreachable"),
        ("interrupted", "stopped by SIGTERM", "Interrupted: partial results"),
    ],
)
def test_verdict_words_and_reason(verdict: str, reason: str, words: str, tmp_path: Path) -> None:
    document = load("run-pass.json")
    document["verdict"], document["reason"] = verdict, reason

    html = render_html(from_json(document), base_dir=tmp_path)

    assert words in html
    assert f"Reason: {reason}" in html


def test_missing_optional_fields_still_render(tmp_path: Path) -> None:
    # Optional as the typed document has it: a journey's engine and objectives are required.
    document = load("run-pass.json")
    for journey in document["journeys"]:
        for key in ("console_errors", "failed_requests"):
            journey.pop(key, None)
        for step in journey["steps"]:
            step["page"] = None
    for objective in document["objectives"]:
        for key in ("state", "error_budget_remaining"):
            objective.pop(key, None)

    html = render_html(from_json(document), base_dir=tmp_path)

    assert "Ready: every objective met" in html
    assert html.count('<tr><td><b class="v pass">') == len(document["journeys"])
