"""`journey serve` against a shop that freezes and comes back, restarts, reloads and stops.

The shop is a real demo shop process, frozen with SIGSTOP (its socket still accepts, nothing
answers: the worst kind of outage for a prober) and continued with SIGCONT. Four journeys
every second with a 2 s timeout and a concurrency bound of 2: while frozen, runs must fail at
their timeout (never hang), the bound must hold at every look, the fires that cannot start
must be counted as skipped, and success must come back once the shop does.
"""

from __future__ import annotations

import re
import signal
import time
from pathlib import Path

import httpx
import pytest

from runner.demoshop.process import demo_shop_process
from tests.conftest import wait_for
from tests.serve.journeys import write_journey
from tests.serve.processes import Served, running_serve, sample_sum

pytestmark = pytest.mark.slow


def _runs(served: Served, result: str) -> float:
    return served.value("journey_runs_total", result=result) or 0.0


def test_a_frozen_shop_fails_runs_at_their_timeout_within_the_bound_and_success_resumes(
    tmp_path: Path,
) -> None:
    journeys = tmp_path / "journeys"
    journeys.mkdir()
    for name in ("north", "south", "east", "west"):
        write_journey(journeys, name, "/api/products?q=shoe", step="search api")
    write_journey(journeys, "basket", "/api/cart", every="4s", step="view cart")
    db = tmp_path / "serve.db"
    flags = ["--db", str(db), "--concurrency", "2", "--grace", "3s"]
    with demo_shop_process(tmp_path, "cart:errors=100%") as (shop, shop_proc):
        with running_serve([journeys], "--target", shop, *flags, log=tmp_path / "a.log") as served:
            wait_for(lambda: _runs(served, "success") >= 8, timeout_s=20, interval_s=0.2)

            # rechecks: the always-failing basket is run again sooner, counted apart
            wait_for(
                lambda: (served.value("journey_rechecks_total", journey="basket") or 0) >= 1,
                timeout_s=15,
                interval_s=0.2,
            )

            shop_proc.send_signal(signal.SIGSTOP)
            frozen_at = time.monotonic()
            failures_before = _runs(served, "failure")
            most = 0
            while time.monotonic() - frozen_at < 7:
                health = served.health()  # serve keeps answering while the shop is frozen
                most = max(most, health["in_flight"]["http"])
                assert health["in_flight"]["http"] <= 2
                time.sleep(0.2)
            assert most == 2  # runs did hang: the bound was reached, and held
            assert served.health()["most_in_flight"]["http"] == 2
            text = served.metrics()
            assert (sample_sum(text, "journey_skipped_total", reason="bound") or 0) > 0
            assert (sample_sum(text, "journey_skipped_total", reason="busy") or 0) > 0
            assert _runs(served, "failure") - failures_before >= 4
            # every run that hung ended at its 2 s timeout: none took longer than 2.5 s
            over = sample_sum(text, "journey_latency_seconds_count") or 0
            within = sample_sum(text, "journey_latency_seconds_bucket", le="2.5") or 0
            assert over == within
            assert (sample_sum(text, "journey_latency_seconds_bucket", le="1.0") or 0) < within

            shop_proc.send_signal(signal.SIGCONT)
            resumed = _runs(served, "success")
            wait_for(lambda: _runs(served, "success") >= resumed + 4, timeout_s=10)
            assert served.health()["in_flight"]["http"] <= 2

            # SIGHUP: an edited journey (a new step name) and a new one are picked up
            text = (journeys / "north.yaml").read_text().replace("search api", "find shoes")
            (journeys / "north.yaml").write_text(text)
            write_journey(journeys, "added", "/api/products?q=bag", step="search api")
            served.proc.send_signal(signal.SIGHUP)
            wait_for(
                lambda: (
                    (served.value("journey_runs_total", journey="added") or 0) >= 1
                    and (served.value("journey_step_latency_seconds_count", step="find shoes") or 0)
                    >= 1
                ),
                timeout_s=10,
            )
            # a broken edit is refused and the probes go on
            (journeys / "south.yaml").write_text("journey: south\nhttp: [{name: x}]\n")
            served.proc.send_signal(signal.SIGHUP)
            time.sleep(1.0)
            assert served.proc.poll() is None and served.health()["status"] == "ok"
            assert "reload refused" in served.log.read_text()
            (journeys / "south.yaml").unlink()

            before_stop = served.metrics()
            last_success = sample_sum(
                before_stop, "journey_last_success_timestamp_seconds", journey="east"
            )
            events_before = sample_sum(
                before_stop, "journey_slo_window_events", journey="east", objective="success"
            )
            # SIGTERM during a freeze: runs in flight end (at their 2 s timeout) within --grace
            shop_proc.send_signal(signal.SIGSTOP)
            time.sleep(0.5)
            stopped_at = time.monotonic()
            assert served.stop(signal.SIGTERM) == 0
            assert time.monotonic() - stopped_at < 3 + 5  # the grace and the web server's close
            shop_proc.send_signal(signal.SIGCONT)

        # a restart keeps the history: last success and the budgets' events before any new run
        flags_later = ["--db", str(db), "--every", "1h"]
        with running_serve(
            [journeys], "--target", shop, *flags_later, log=tmp_path / "b.log"
        ) as again:
            text = again.metrics()
            assert sample_sum(text, "journey_last_success_timestamp_seconds", journey="east") == (
                pytest.approx(last_success)
            )
            events = sample_sum(
                text, "journey_slo_window_events", journey="east", objective="success"
            )
            assert events_before is not None and events is not None and events >= events_before
            burn = sample_sum(
                text, "journey_slo_burn_rate", journey="basket", objective="success", window="1h"
            )
            assert burn == pytest.approx(100.0)  # every basket run failed: 1 / (1 - 0.99)
            page = httpx.get(again.url, timeout=5).text
            assert re.search(r'id="east-http-', page) and "failed" in page
            assert again.stop(signal.SIGINT) == 0
