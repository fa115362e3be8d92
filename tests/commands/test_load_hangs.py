"""Rehearsals against a shop that hangs, freezes, stalls and comes back: none may pass.

The shop is frozen with SIGSTOP (the kernel still accepts connections, nothing answers), or
one route group is stalled with the demo shop's `stall` fault while the others stay healthy.
"""

from __future__ import annotations

import signal
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from tests.commands.test_load import load, load_command, results, write
from tests.conftest import ROOT, demo_shop_process, running_demo_shop

pytestmark = pytest.mark.slow


def freeze_between(proc: subprocess.Popen[bytes], start_s: float, end_s: float | None) -> None:
    """SIGSTOP the shop `start_s` from now and SIGCONT it at `end_s` (None: left frozen)."""

    def freeze() -> None:
        time.sleep(start_s)
        proc.send_signal(signal.SIGSTOP)
        if end_s is not None:
            time.sleep(end_s - start_s)
            proc.send_signal(signal.SIGCONT)

    threading.Thread(target=freeze, daemon=True).start()


def rows_between(data: dict[str, Any], first: int, last: int) -> list[dict[str, Any]]:
    return [row for row in data["load"]["timeseries"] if first <= row["t"] <= last]


def assert_conserved(iterations: dict[str, Any]) -> None:
    if iterations["asked"] is not None:
        assert iterations["asked"] == iterations["started"] + iterations["dropped"], iterations
    assert iterations["started"] == iterations["completed"] + iterations["failed"], iterations
    assert iterations["cut_off"] <= iterations["failed"]


FROZEN = """\
profile: frozen
stages:
  - {name: steady, duration: 40s, rate: 2/s}
mix: {search: 1}
request_timeout: 3s
"""


def test_a_rehearsal_against_a_frozen_shop_fails_and_says_why(tmp_path: Path) -> None:
    profile = write(tmp_path, FROZEN)
    with demo_shop_process(tmp_path, quiet=True) as (url, shop):
        # the load command takes ~4 s to start its workers: the freeze lands ~8 s into the run
        freeze_between(shop, 12.0, None)
        done = load(str(profile), url, tmp_path / "out", workers=1)
    assert done.returncode == 1, done.stdout + done.stderr
    data = results(tmp_path / "out")
    assert data["verdict"] == "aborted"
    assert data["load"]["aborted"]["reason"].startswith("no request of search / search")
    # nothing answered during the freeze: those iterations failed, with their step and reason
    search = next(j for j in data["journeys"] if j["name"] == "search")
    timed_out = [f for f in search["failures"] if f["reason"] == "no response within 3s"]
    assert timed_out and all(f["step"] == "search page" for f in timed_out)
    # requests in flight rise while the shop is frozen
    in_flight = [row["in_flight"] or 0 for row in data["load"]["timeseries"]]
    assert max(in_flight) >= 6, in_flight
    before = [row["in_flight"] or 0 for row in rows_between(data, 1, 6)]
    assert max(before) <= 2, before
    assert_conserved(data["load"]["iterations"])
    assert data["load"]["iterations"]["failed"] >= 10
    (throughput,) = [o for o in data["objectives"] if o["kind"] == "throughput"]
    assert throughput["state"] == "missed" and not throughput["met"], throughput
    assert not any(o["met"] for o in data["objectives"])
    html = (tmp_path / "out" / "index.html").read_text()
    assert "Not ready: the safety rail stopped the rehearsal" in html
    assert "objectives missed" in html
    assert "Ready: every objective met" not in html
    assert "no response within 3s" in done.stdout


FREEZE_AND_RESUME = """\
profile: resume
stages:
  - {name: steady, duration: 26s, rate: 2/s}
mix: {search: 1}
request_timeout: 4s
abort_if: {hang: off, throughput_floor: off}
"""


def test_timeouts_fire_on_time_and_a_late_answer_is_no_success(tmp_path: Path) -> None:
    profile = write(tmp_path, FREEZE_AND_RESUME)
    with demo_shop_process(tmp_path, quiet=True) as (url, shop):
        started = time.monotonic()
        freeze_between(shop, 12.0, 22.0)  # ~8 s to ~18 s of the run
        done = load(str(profile), url, tmp_path / "out", workers=1)
        elapsed = time.monotonic() - started
    assert done.returncode == 1, done.stdout + done.stderr
    data = results(tmp_path / "out")
    assert data["verdict"] == "fail"
    search = next(j for j in data["journeys"] if j["name"] == "search")
    page = next(s for s in search["steps"] if s["name"] == "search page")
    # every timed-out request ended at its 4 s timeout, not at the shop's resumption
    assert 4.0 * 0.98 <= page["latency_s"]["max"] <= 4.8, page["latency_s"]
    assert set(page["reasons"]) == {"no response within 4s"}, page["reasons"]
    # the freeze starts where the first iteration failed (start-up time varies); iterations
    # started in its first 6 s timed out before the shop resumed, 10 s in, and were answered
    # only then: not one of them is a success
    frozen = next(r["t"] for r in data["load"]["timeseries"] if r["errors"])
    frozen_rows = rows_between(data, frozen + 1, frozen + 5)
    assert all(r["completed"] == 0 and r["errors"] == r["iterations"] for r in frozen_rows)
    assert sum(r["iterations"] for r in frozen_rows) >= 8, frozen_rows
    # ... and once the shop is back, iterations pass again
    assert sum(r["completed"] for r in rows_between(data, frozen + 12, frozen + 16)) >= 6
    assert_conserved(data["load"]["iterations"])
    assert elapsed < 50  # the 26 s profile, start-up and a 4 s grace


STALLED_CHECKOUT = """\
profile: stalled-checkout
stages:
  - {name: shoppers, duration: 40s, users: 4}
mix: {search: 1, checkout: 1}
think_time: {min: 100ms, max: 200ms}
request_timeout: 6s
abort_if: {hang: 4s}
"""


def test_a_stalled_checkout_inside_healthy_searches_trips_the_hang_rail(tmp_path: Path) -> None:
    profile = write(tmp_path, STALLED_CHECKOUT)
    with running_demo_shop(tmp_path, "checkout:stall=30s", quiet=True) as url:
        done = load(str(profile), url, tmp_path / "out", workers=1)
    assert done.returncode == 1, done.stdout + done.stderr
    data = results(tmp_path / "out")
    assert data["verdict"] == "aborted"
    reason = data["load"]["aborted"]["reason"]
    assert reason.startswith("no request of checkout / checkout form succeeded for 4s"), reason
    assert data["load"]["aborted"]["at_s"] <= 4 + 8, data["load"]["aborted"]
    search = next(j for j in data["journeys"] if j["name"] == "search")
    assert search["successes"] > 0  # the searches around it stayed healthy


SEARCH_STALL_ON_A_RAMP = """\
profile: stall-on-a-ramp
stages:
  - {name: ramp up, duration: 40s, users: 4, ramp: 40s}
  - {name: hold, duration: 20s, users: 4}
mix: {search: 1}
think_time: {min: 100ms, max: 200ms}
request_timeout: 5s
slo: {exclude: ramp, latency: {p95: 2s}, error_rate: 1%}
"""


def test_a_stalled_search_is_aborted_by_the_hang_rail_and_nothing_reads_met(
    tmp_path: Path,
) -> None:
    profile = write(tmp_path, SEARCH_STALL_ON_A_RAMP)
    with running_demo_shop(tmp_path, "search:stall=30s", quiet=True) as url:
        done = load(str(profile), url, tmp_path / "out", "--time-scale", "0.5", workers=1)
    assert done.returncode == 1, done.stdout + done.stderr
    data = results(tmp_path / "out")
    assert data["verdict"] == "aborted"
    aborted = data["load"]["aborted"]
    assert aborted["reason"].startswith("no request of search / search page"), aborted
    # the default hang window (10 s at --time-scale 0.5), plus the timeout
    assert aborted["at_s"] <= 5 + 5, aborted
    # every attempt is a latency sample, censored at its timeout: p95 is at least the timeout
    search = next(j for j in data["journeys"] if j["name"] == "search")
    assert search["latency_s"]["p95"] >= 5.0 * 0.99, search["latency_s"]
    # only the ramp was reached: it is judged on its own figures, and nothing reads as met
    stages = data["load"]["stages"]
    assert [s["judged"] for s in stages] == ["ramp excluded", "not reached"]
    assert "judged on the ramp" in data["load"]["judged_note"]
    assert data["objectives"] and not any(o["met"] for o in data["objectives"])
    latency = next(
        o for o in data["objectives"] if o["name"] == "stall-on-a-ramp: request latency p95"
    )
    assert latency["state"] == "missed" and latency["samples"] > 0, latency
    assert stages[0]["reasons"] and all("no response within 5s" in r for r in stages[0]["reasons"])


def test_ctrl_c_during_a_freeze_records_the_requests_in_flight_as_failures(
    tmp_path: Path,
) -> None:
    profile = write(tmp_path, FROZEN.replace("request_timeout: 3s", "request_timeout: 30s"))
    with demo_shop_process(tmp_path, quiet=True) as (url, shop):
        proc = subprocess.Popen(
            load_command(str(profile), url, tmp_path / "out", workers=1),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=ROOT,
        )
        time.sleep(9)  # ~5 s into the run
        shop.send_signal(signal.SIGSTOP)
        time.sleep(4)
        proc.send_signal(signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stdout + stderr
    data = results(tmp_path / "out")
    assert data["verdict"] == "interrupted"
    iterations = data["load"]["iterations"]
    assert_conserved(iterations)
    assert iterations["cut_off"] >= 4, iterations  # ~2/s for 4 s, none answered
    reasons = data["load"]["stages"][0]["reasons"]
    assert any("still in flight when the rehearsal was interrupted" in r for r in reasons)
