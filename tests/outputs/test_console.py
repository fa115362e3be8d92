"""The console summary, rendered as rich tests itself: a StringIO console, 80 columns, no colour.

The documents are the hand-kept results in tests/outputs/data, which the other output tests
read too. The lines under the table are compared exactly, wrapping at 80 columns included,
since that is what a CI log shows; the table's rows are compared cell by cell, so a column
growing by a space does not fail them.
"""

from __future__ import annotations

import io

from rich.console import Console

from runner.document import from_json
from runner.outputs.console import print_summary
from tests.outputs.conftest import load


def summary(name: str, out_dir: str | None = "reports/latest") -> list[str]:
    """The summary of the document `name` as printed, one string per line, trailing blanks cut."""
    buffer = io.StringIO()
    console = Console(file=buffer, width=80, color_system=None, force_terminal=False)
    print_summary(from_json(load(name)), console, out_dir)
    text = buffer.getvalue()
    assert "\x1b" not in text  # no colour, no cursor movement: a log file reads it as is
    return [line.rstrip() for line in text.splitlines()]


def title(lines: list[str]) -> str:
    return lines[0].strip()


def rows(lines: list[str]) -> list[list[str]]:
    """The table's body rows, each as its cells' text (the header row aside)."""
    body = [line for line in lines if line.startswith("│")]
    return [[cell.strip() for cell in line.strip("│").split("│")] for line in body]


def below_table(lines: list[str]) -> list[str]:
    """Every line after the table's bottom border."""
    (bottom,) = [index for index, line in enumerate(lines) if line.startswith("└")]
    return lines[bottom + 1 :]


def test_a_passing_run_shows_every_journey_and_ends_with_the_pass_line() -> None:
    lines = summary("run-pass.json")
    assert title(lines) == "journey run → demo-shop"
    header = [cell.strip() for cell in lines[2].strip("┃").split("┃")]
    assert header == ["journey", "verdict", "runs", "success", "p95", "freshness p95"]
    assert rows(lines) == [
        ["cart [http]", "PASS", "5", "100.0%", "5ms", "-"],
        ["checkout [http]", "PASS", "5", "100.0%", "9ms", "-"],
        ["order-export [http]", "PASS", "5", "100.0%", "8ms", "1ms"],
        ["pos-sync [http]", "PASS", "5", "100.0%", "416ms", "411ms"],
        ["search [http]", "PASS", "5", "100.0%", "5ms", "-"],
    ]
    assert below_table(lines) == ["PASS: every objective met", "reports: reports/latest"]


def test_without_an_output_folder_the_verdict_is_the_last_line() -> None:
    assert summary("run-pass.json", out_dir=None)[-1] == "PASS: every objective met"


def test_a_failing_run_lists_each_missed_objective_then_at_most_three_failures() -> None:
    lines = summary("run-fail-browser.json")
    assert rows(lines)[1] == ["checkout [http]", "FAIL", "5", "0.0%", "-", "-"]
    assert rows(lines)[5] == ["checkout [browser]", "FAIL", "10", "70.0%", "3.91s", "-"]
    # five failed checkouts in the document: the same failure repeated is one line with its
    # count (issue 11), the commonest three at most
    assert below_table(lines) == [
        "  missed  checkout success: 0 of 5 runs passed",
        "  missed  checkout latency p95: no data",
        "  failed  checkout / checkout form: expected status 200, got 503 (3\u00d7)",
        "  failed  checkout / place order: expected status 200, got 503 (2\u00d7)",
        "  missed  order-export success: 2 of 5 runs passed",
        "  failed  order-export / place order: expected status 201, got 503 (3\u00d7)",
        "  missed  checkout success: 7 of 10 runs passed",
        "  missed  checkout / place order latency p95: p95 1.87s over 1.5s",
        "  failed  checkout / checkout form: locator '#place-order' not visible after 5s",
        "(3\u00d7)",
        "FAIL: an objective was missed",
        "reports: reports/latest",
    ]


def test_a_passing_rehearsal_prints_one_line_per_stage() -> None:
    lines = summary("load-pass.json")
    assert title(lines) == "journey load → http://127.0.0.1:18700"
    assert [row[:3] for row in rows(lines)] == [
        ["cart [http]", "PASS", "202"],
        ["checkout [http]", "PASS", "188"],
        ["search [http]", "PASS", "384"],
        ["checkout [browser]", "PASS", "6"],  # the probe
    ]
    assert below_table(lines) == [
        "  stage   warm-up: 446 requests, 0.0% errors, p95 13ms, 0 completed/s (ramp",
        "excluded)",
        "  stage   steady: 2726 requests, 0.0% errors, p95 13ms, 0 completed/s (ramp",
        "excluded)",
        "PASS: every objective met",
        "reports: reports/latest",
    ]


def test_a_rehearsal_failed_by_its_probe_shows_the_probes_objectives() -> None:
    lines = summary("load-fail-probe.json")
    assert rows(lines)[3] == ["checkout [browser]", "FAIL", "1", "0.0%", "-", "-"]
    assert below_table(lines) == [
        "  missed  checkout [http] success: 17 of 58 runs passed",
        "  failed  checkout / checkout form: expected status 200, got 503 (24\u00d7)",
        "  failed  checkout / place order: expected status 200, got 503 (17\u00d7)",
        "  missed  checkout [browser] success: 0 of 1 runs passed",
        "  missed  checkout [browser] latency p95: no data",
        "  missed  checkout [browser] / place order latency p95: no data",
        "  failed  checkout / checkout form: click #checkout-link: #place-order: Locator",
        "expected to be visible (GET /checkout 503)",
        "  missed  smoke: request error ratio: 41 of 2140 requests failed",
        "  stage   warm-up: 357 requests, 2.0% errors, p95 53ms, 0 completed/s (ramp",
        "excluded)",
        "  stage   steady: 1997 requests, 1.8% errors, p95 93ms, 0 completed/s (ramp",
        "excluded)",
        "FAIL: an objective was missed",
        "reports: reports/latest",
    ]


def test_an_aborted_rehearsal_says_when_and_why_the_rail_stopped_it() -> None:
    lines = summary("load-aborted.json")
    assert [row[:4] for row in rows(lines)] == [
        ["cart [http]", "FAIL", "23", "39.1%"],
        ["checkout [http]", "FAIL", "23", "39.1%"],
        ["search [http]", "FAIL", "48", "18.8%"],
        ["checkout [browser]", "PASS", "1", "100.0%"],
    ]
    assert below_table(lines)[-8:] == [
        "  missed  smoke: request error ratio: 67 of 193 requests failed",
        "  stage   warm-up: 275 requests, 36.0% errors, p95 13ms, 0 completed/s (ramp",
        "excluded)",
        "  stage   steady: 0 requests, - errors, p95 -, 0 completed/s (ramp excluded)",
        "  aborted at 10s: error ratio 36.0% over the last 10s is above 20.0%",
        "ABORTED: the safety rail stopped the rehearsal (aborted: error ratio 36.0% over",
        "the last 10s is above 20.0%)",
        "reports: reports/latest",
    ]
