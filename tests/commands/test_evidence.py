"""Verdicts that say how much they prove: a 3-run probe of a 99.5 % objective is "met, not shown"
in every output, `--require-evidence` makes it exit 4 (and `journey report` re-derives the 4),
and 1,000 runs show it."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families
from selectolax.lexbor import LexborHTMLParser

from tests.commands.test_run import journey, results
from tests.conftest import JOURNEYS, running_demo_shop

CHECKOUT = str(JOURNEYS / "checkout.yaml")


def success_objective(data: dict) -> dict:  # type: ignore[type-arg]
    (entry,) = data["journeys"]
    return next(o for o in entry["objectives"] if o["kind"] == "success")


def words(text: str) -> str:
    """Text with every run of whitespace as one space: the console wraps at 80 columns."""
    return " ".join(text.split())


def test_three_runs_of_a_99_5_percent_objective_are_met_but_not_shown(
    demo_shop: str, tmp_path: Path
) -> None:
    out = tmp_path / "three"
    done = journey(
        "run", CHECKOUT, "--target", demo_shop, "--engine", "http", "--repeat", "3",
        "--out", str(out), "--require-evidence",
    )  # fmt: skip
    assert done.returncode == 4, done.stdout + done.stderr
    data = results(out)
    assert data["verdict"] == "pass" and data["require_evidence"] is True
    assert data["confidence"] == 0.95
    success = success_objective(data)
    assert success["state"] == "met, not shown" and success["met"] is True
    assert success["evidence"]["needed"] == 598 and not success["evidence"]["shown"]
    assert "3 runs; 598 needed with no failure to show ≥ 99.5 %" in success["detail"]
    console = words(done.stdout)
    assert "met, not shown checkout [http] success" in console and "598 needed" in console
    junit = (out / "junit.xml").read_text()
    assert "met, not shown" in junit and "598 needed" in junit
    html = (out / "index.html").read_text()
    assert "598" in html and "Ready" not in html
    # the metrics' exact buckets say what the evidence counted: runs above the 4 s objective
    latency = next(o for o in data["journeys"][0]["objectives"] if o["kind"] == "latency")
    buckets = {
        s.labels["le"]: s.value
        for family in text_string_to_metric_families((out / "metrics.prom").read_text())
        for s in family.samples
        if s.name == "journey_latency_seconds_bucket"
    }
    assert buckets["+Inf"] == 3
    checked = subprocess.run(
        ["promtool", "check", "metrics"],
        input=(out / "metrics.prom").read_text(),
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr  # a real run's metrics
    assert buckets["+Inf"] - buckets[f"{latency['target']:.1f}"] == latency["evidence"]["bad"]

    # the report of that run ends as the run did; without the flag, the pass exits 0
    again = journey("report", str(out / "results.json"), "--out", str(tmp_path / "again"))
    assert again.returncode == 4, again.stdout + again.stderr
    lenient = journey(
        "run", CHECKOUT, "--target", demo_shop, "--engine", "http", "--repeat", "3",
        "--out", str(tmp_path / "lenient"),
    )  # fmt: skip
    assert lenient.returncode == 0, lenient.stdout + lenient.stderr


@pytest.mark.slow
def test_a_thousand_runs_show_the_99_5_percent_objective(demo_shop: str, tmp_path: Path) -> None:
    out = tmp_path / "thousand"
    done = journey(
        "run", CHECKOUT, "--target", demo_shop, "--engine", "http", "--repeat", "1000",
        "--out", str(out), "--require-evidence",
        timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr  # every objective shown
    data = results(out)
    success = success_objective(data)
    assert success["samples"] == 1000
    assert success["state"] == "met", success
    assert success["evidence"]["shown"] and success["evidence"]["bound"] <= 0.005


BASKET = """\
journey: basket
description: A cart that takes a few items and refuses an unknown one
channel: web
slo:
  success: 60%
data:
  item: {csv: items.csv, pick: sequential}
http:
  - name: add item
    request: {method: POST, url: /api/cart/items, json: {sku: "{{ item.sku }}"}}
    expect: {status: 201}
"""


@pytest.mark.slow
def test_a_slow_search_ranks_above_a_journey_failing_inside_its_objective(tmp_path: Path) -> None:
    (tmp_path / "basket.yaml").write_text(BASKET)
    # the second of every three runs adds an unknown SKU: 1 of 3 failed, inside 60 %
    (tmp_path / "items.csv").write_text("sku\nSKU-00001\nSKU-99999\nSKU-00002\n")
    out = tmp_path / "out"
    with running_demo_shop(tmp_path, "search:latency=2s") as url:
        done = journey(
            "run", str(JOURNEYS / "search.yaml"), str(tmp_path / "basket.yaml"),
            "--target", url, "--engine", "http", "--repeat", "3", "--out", str(out),
        )  # fmt: skip
    assert done.returncode == 1, done.stdout + done.stderr  # search misses its objectives
    data = results(out)
    basket = next(j for j in data["journeys"] if j["name"] == "basket")
    (success,) = basket["objectives"]
    assert (basket["successes"], basket["attempts"]) == (2, 3) and success["met"]
    assert 0 < success["margin"] < 1  # failing, but inside its objective
    ranked = [
        " ".join(item.text().split())
        for item in LexborHTMLParser((out / "index.html").read_text()).css("#closest ol > li")
    ]
    assert ranked and ranked[0].startswith("search"), ranked
    assert any(line.startswith("basket") for line in ranked[1:]), ranked
