"""The report of a load rehearsal, checked in real Chromium with every request recorded and blocked.

The documents come from real `journey load smoke` runs against the demo shop (two workers,
`--workers 2` each): load-pass.json with no fault, load-aborted.json with search:errors=60%
(the abort rail fires at 10 s), load-fail-probe.json with checkout:latency=300ms and
checkout:errors=40% (its one browser probe run failed). The soak is synthetic: 3,600 rows.
"""

from __future__ import annotations

import copy
import time
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, expect

from runner.document import SecondRow, from_json
from runner.outputs.html import render_html, write_html
from runner.outputs.load_charts import downsample
from runner.redact import Redactor
from tests.outputs.conftest import ARTEFACTS, load, open_report, write


def soak(rows: int = 3600) -> dict[str, Any]:
    """An hour of load at one row a second: three stages, a spike, a probe run every 5 s."""
    document = load("load-fail-probe.json")
    section = document["load"]
    stage = section["stages"][0]
    section["stages"] = [
        {**copy.deepcopy(stage), "name": name, "start_s": a, "ramp_end_s": b, "end_s": c}
        for name, a, b, c in (
            ("ramp-up", 0, 300, 300),
            ("soak", 300, 300, 3300),
            ("down", 3300, 3600, 3600),
        )
    ]
    section["timeseries"] = [
        {
            "t": t,
            "requests": 100 + t % 7,
            "errors": 40 if t == 1234 else t % 3,
            "iterations": 30,
            "p50": 0.04,
            "p95": 2.5 if t == 2001 else 0.05 + (t % 11) / 1000,
            "users": min(t // 3, 100),
            "asked": min(t / 3, 100),
        }
        for t in range(rows)
    ]
    start = section["probes"]["timeline"][0]["started"]
    section["probes"]["timeline"] = [
        {
            "started": start + i * 5,
            "journey": "checkout",
            "engine": "browser",
            "outcome": "failed" if i % 50 == 0 else "passed",
            "duration_s": 1.5 + (i % 9) / 10,
        }
        for i in range(rows // 5)
    ]
    return document


@pytest.mark.browser
def test_load_report_opens_offline_with_stages_and_chart(browser: Browser, tmp_path: Path) -> None:
    document = load("load-pass.json")
    path = write(document, tmp_path)
    page, requests = open_report(browser, path)

    assert requests == [path.as_uri()]
    section = page.locator("section.load")
    expect(section.get_by_role("heading", name="Load rehearsal")).to_be_visible()
    expect(section).to_contain_text("Profile smoke")
    for stage in document["load"]["stages"]:
        expect(section.locator("table.stages td", has_text=stage["name"])).to_be_visible()
    chart = section.locator("svg.tl")
    expect(chart).to_be_visible()
    expect(chart.locator("g.band")).to_have_count(len(document["load"]["stages"]))
    expect(chart.locator("title").first).to_have_text("Load rehearsal over time")
    assert chart.bounding_box() is not None and chart.bounding_box()["height"] > 300  # type: ignore[index]
    expect(page.locator("[role=alert]")).to_have_count(0)
    page.context.close()


@pytest.mark.browser
def test_aborted_rehearsal_shows_its_reason_and_the_abort_line(
    browser: Browser, tmp_path: Path
) -> None:
    document = load("load-aborted.json")
    path = write(document, tmp_path)
    page, requests = open_report(browser, path)

    assert requests == [path.as_uri()]
    reason = document["load"]["aborted"]["reason"]
    alert = page.locator("section.load [role=alert]")
    expect(alert).to_be_visible()
    expect(alert).to_contain_text(f"Aborted at 10 s by the safety rail: {reason}")
    chart = page.locator("svg.tl")
    expect(chart.locator("path.abort")).to_have_count(1)
    expect(chart.locator("text.abort")).to_have_text("✖ aborted at 10 s")
    expect(chart.locator("g.band")).to_have_count(2)
    expect(chart.locator(".probes path.pass")).to_have_count(1)
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTEFACTS / "report-load.png"), full_page=True)
    page.emulate_media(media="print")
    expect(chart).to_be_visible()
    assert page.pdf(format="A4").startswith(b"%PDF")
    page.context.close()


@pytest.mark.browser
def test_overloaded_generator_and_lost_workers_are_said_in_words(
    browser: Browser, tmp_path: Path
) -> None:
    document = load("load-pass.json")
    document["load"]["generator"] = {
        "cpu_max_percent": 97.0,
        "overloaded": True,
        "note": "CPU at 97%",
    }
    document["load"]["workers"] = {"expected": 2, "ready": 2, "lost": ["worker-b"]}
    page, _ = open_report(browser, write(document, tmp_path))

    expect(
        page.get_by_text("⚠ Load generator overloaded (CPU up to 97.0%): CPU at 97%")
    ).to_be_visible()
    expect(page.get_by_text("⚠ 1 worker lost during the rehearsal: worker-b")).to_be_visible()
    page.context.close()


def test_failed_probe_runs_are_drawn_as_crosses(tmp_path: Path) -> None:
    html = render_html(from_json(load("load-fail-probe.json")), base_dir=tmp_path)

    assert '<path class="fail" d="M' in html  # one cross ...
    assert '<path class="pass" d=""/>' in html  # ... and no circle
    assert "✖ 1 failed" in html


def test_an_hour_at_one_row_a_second_renders_fast_and_small(tmp_path: Path) -> None:
    document = from_json(soak())

    started = time.perf_counter()
    html = render_html(document, base_dir=tmp_path)
    elapsed = time.perf_counter() - started

    assert elapsed < 1.0
    assert len(html.encode()) < 2_000_000
    requests_line = html.split('<path class="ln req" d="')[1].split('"')[0]
    assert requests_line.count("L") + 1 <= 600
    assert "0:00 to 5:00 (ramp to 5:00)" in html  # minutes past 10 minutes


def test_written_chart_survives_the_card_number_scrub(tmp_path: Path) -> None:
    document = from_json(soak())
    path = tmp_path / "index.html"

    write_html(document, path, Redactor())

    assert path.read_text(encoding="utf-8") == render_html(document, base_dir=tmp_path)


def test_downsampling_keeps_spikes_and_the_mean_rate() -> None:
    section = soak()["load"]

    samples = downsample([SecondRow(**row) for row in section["timeseries"]], 600)

    assert len(samples) == 600
    assert max(s.p95_s or 0 for s in samples) == 2.5
    assert max(s.errors for s in samples) == 40
    mean = sum(r["requests"] for r in section["timeseries"]) / 3600
    assert abs(sum(s.requests for s in samples) / 600 - mean) < 1e-9


def test_stage_names_with_markup_are_escaped(tmp_path: Path) -> None:
    document = load("load-aborted.json")
    document["load"]["stages"][0]["name"] = "<script>window.pwned=1</script>"
    document["load"]["aborted"]["reason"] = "<img src=x>"

    html = render_html(from_json(document), base_dir=tmp_path)

    assert "<script>window.pwned" not in html and "<img src=x>" not in html
    assert "&lt;script&gt;window.pwned=1&lt;/script&gt;" in html


def test_a_run_without_load_has_no_load_section(tmp_path: Path) -> None:
    html = render_html(from_json(load("run-pass.json")), base_dir=tmp_path)

    assert "Load rehearsal" not in html
    assert "svg.tl" in html  # the stylesheet is shared; the chart itself is absent
    assert '<svg class="tl"' not in html
