"""A real Prometheus scrapes a real `journey serve` probing a real demo shop.

What an SRE builds an SLO on must be what Prometheus actually reads: the counters by result,
a p95 through `histogram_quantile` on the step histogram, and serve's own burn-rate gauges,
which must agree with the same burn rate computed in PromQL from the same counters. They are
compared at one instant: Prometheus evaluates the counters at the moment serve last computed
its figures (`journey_slo_refreshed_timestamp_seconds`), so the two can differ only by the
runs that ended between that moment and the scrape before it: at most one second of runs,
two per journey (the stated tolerance). `promtool check metrics` must pass on /metrics.
"""

from __future__ import annotations

import math
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from runner.demoshop.process import running_demo_shop
from tests.conftest import wait_for
from tests.serve.journeys import write_journey
from tests.serve.processes import running_prometheus, running_serve

pytestmark = pytest.mark.slow


def test_prometheus_reads_runs_a_step_p95_and_burn_rates_that_agree_with_promql(
    tmp_path: Path,
) -> None:
    journeys = tmp_path / "journeys"
    journeys.mkdir()
    write_journey(journeys, "catalogue", "/api/products?q=shoe", step="search api")
    write_journey(journeys, "basket", "/api/cart", success="99%", step="view cart")
    with (
        running_demo_shop(tmp_path, "cart:errors=40%") as shop,
        running_serve(
            [journeys],
            "--target",
            shop,
            "--db",
            str(tmp_path / "serve.db"),
            log=tmp_path / "serve.log",
        ) as served,
        running_prometheus([served.url.removeprefix("http://")], tmp_path) as prometheus,
    ):
        wait_for(
            lambda: (prometheus.scalar('sum(journey_runs_total{journey="basket"})') or 0) >= 20,
            timeout_s=60,
            interval_s=0.5,
        )
        runs = prometheus.query('journey_runs_total{journey="catalogue"}')
        assert {r["metric"]["result"] for r in runs} == {"success", "failure"}
        assert sum(float(r["value"][1]) for r in runs) >= 15

        p95 = prometheus.scalar(
            "histogram_quantile(0.95, sum by (le) (rate(journey_step_latency_seconds_bucket"
            '{journey="catalogue", step="search api"}[1m])))'
        )
        assert p95 is not None and 0 < p95 < 0.5  # the demo shop answers in milliseconds

        # one scrape holds both the burn-rate gauge and when serve computed it
        scrape = time.time() - 2
        refreshed = prometheus.scalar("journey_slo_refreshed_timestamp_seconds", at=scrape)
        labels = '{journey="basket", objective="success", window="5m"}'
        served_burn = prometheus.scalar(f"journey_slo_burn_rate{labels}", at=scrape)
        assert refreshed is not None and served_burn is not None
        # The same burn in PromQL over the counters as they were when serve computed it. The
        # counters started at zero with serve, under five minutes ago: their values are the 5 m
        # window's increase (`increase()` would extrapolate to the window's edges).
        failures = prometheus.scalar(
            'sum(journey_runs_total{journey="basket", result="failure"})', at=refreshed
        )
        total = prometheus.scalar('sum(journey_runs_total{journey="basket"})', at=refreshed)
        assert failures is not None and total
        promql_burn = (failures / total) / (1 - 0.99)
        # ~40 % of runs fail: a burn near 40x a 99 % objective's budget, both ways
        assert 15 < served_burn < 70, served_burn
        tolerance = (2 / total) / (1 - 0.99)  # two runs either way
        assert math.isclose(served_burn, promql_burn, abs_tol=tolerance), (
            served_burn,
            promql_burn,
            tolerance,
        )

        promtool = shutil.which("promtool")
        assert promtool is not None, "`make test` installs promtool (Debian's prometheus)"
        checked = subprocess.run(
            [promtool, "check", "metrics"],
            input=served.metrics(),
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert checked.returncode == 0 and not checked.stdout.strip(), checked.stdout
