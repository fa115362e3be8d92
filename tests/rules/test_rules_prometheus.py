"""A real Prometheus loads the generated rules, scrapes a real `journey serve` probing a real
demo shop whose checkout fails, and shows the checkout page alert in its alerts API.

The journey's 99.9 % objective sees every run fail: a 1000x burn over both windows of the
1h/5m pair, as soon as the scrapes give the 5m ratio two samples. The alert's `for: 2m` holds
it pending for the test's span, which is enough: pending says the expression, as loaded and
evaluated by Prometheus on serve's real series, is true. Every rule must also evaluate without
error (a misspelt `le` would not error, so the latency ratios are read back too), and the
OpenSLO queries must be PromQL this Prometheus answers.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from runner.demoshop.process import running_demo_shop
from runner.serve.page import anchor_of
from runner.serve.series import Series
from tests.conftest import wait_for
from tests.rules.rulefiles import rules_text, write_rules
from tests.serve.journeys import write_journey
from tests.serve.processes import PrometheusServer, running_prometheus, running_serve

pytestmark = pytest.mark.slow


def alerts(prometheus: PrometheusServer, name: str, objective: str) -> list[dict[str, Any]]:
    answer = httpx.get(f"{prometheus.url}/api/v1/alerts", timeout=10).json()
    return [
        a
        for a in answer["data"]["alerts"]
        if a["labels"]["alertname"] == name and a["labels"].get("objective") == objective
    ]


def test_prometheus_shows_the_checkout_page_when_the_shops_checkout_fails(
    tmp_path: Path,
) -> None:
    journeys = tmp_path / "journeys"
    journeys.mkdir()
    write_journey(journeys, "checkout", "/checkout", success="99.9%", step="checkout page")
    rules = write_rules(tmp_path / "rules.yaml", str(journeys))
    with (
        running_demo_shop(tmp_path, "checkout:errors=100%") as shop,
        running_serve(
            [journeys], "--target", shop, "--db", str(tmp_path / "serve.db"), log=tmp_path / "log"
        ) as served,
        running_prometheus(
            [served.url.removeprefix("http://")], tmp_path, rule_files=[rules]
        ) as prometheus,
    ):
        wait_for(
            lambda: bool(alerts(prometheus, "JourneySLOBurn1h5m", "success")),
            timeout_s=60,
            interval_s=0.5,
        )
        (page,) = alerts(prometheus, "JourneySLOBurn1h5m", "success")
        assert page["state"] in ("pending", "firing")
        assert page["labels"] | {"target": shop} == {
            "alertname": "JourneySLOBurn1h5m",
            "severity": "page",
            "journey": "checkout",
            "engine": "http",
            "objective": "success",
            "target": shop,
        }
        assert float(page["value"]) > 14.4  # the 1h burn: every run failed, 1000x
        assert page["annotations"]["summary"].startswith(
            "checkout (http) success: error budget burning "
        )
        link = anchor_of(Series("checkout", "http", shop, "", "web"))
        assert page["annotations"]["runbook_url"] == f"http://journey-serve:9464/#{link}"

        groups = httpx.get(f"{prometheus.url}/api/v1/rules", timeout=10).json()["data"]
        evaluated = [rule for group in groups["groups"] for rule in group["rules"]]
        assert evaluated and all(r["health"] == "ok" for r in evaluated), [
            (r["name"], r.get("lastError")) for r in evaluated if r["health"] != "ok"
        ]
        # the latency ratios read buckets that exist: every failed run was fast, so 0, not NaN
        latency = prometheus.scalar(
            'journey:slo_error_ratio:rate5m{journey="checkout", objective="latency p95"}'
        )
        assert latency == 0.0

        text, _ = rules_text(str(journeys), "--format", "openslo")
        for document in yaml.safe_load_all(text):
            if document["kind"] != "SLO":
                continue
            ratio = document["spec"]["indicator"]["spec"]["ratioMetric"]
            good = prometheus.scalar(ratio["good"]["metricSource"]["spec"]["query"])
            total = prometheus.scalar(ratio["total"]["metricSource"]["spec"]["query"])
            assert good is not None and total is not None and 0 <= good <= total, document
