"""Signals and exit codes, every time: Ctrl-C, SIGTERM, a second Ctrl-C, a closed stdout, exit 2.

Ctrl-C is sent as a terminal sends it: to the whole process group (the command, Playwright's
driver, Locust's workers), each command started in a session of its own. The demo shop is
slowed with latency faults so that a browser run lasts long enough to be cut at many moments.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import xmlschema

from tests.commands.test_run import JUNIT_XSD, results
from tests.conftest import JOURNEYS, ROOT, free_port, running_demo_shop, wait_for

pytestmark = pytest.mark.slow

SEARCH = str(JOURNEYS / "search.yaml")
MOMENTS = 10
NOISE = ("Traceback", "Future exception", "Exception ignored")


def start(*args: str, cwd: Path = ROOT, stdout: Any = subprocess.PIPE) -> subprocess.Popen[str]:
    """`journey ARGS` in a session of its own, so that a signal can reach its whole group."""
    return subprocess.Popen(
        [sys.executable, "-m", "runner", *args],
        stdout=stdout,
        stderr=subprocess.PIPE,
        text=True,
        cwd=cwd,
        start_new_session=True,
    )


def ctrl_c(proc: subprocess.Popen[str], sig: signal.Signals = signal.SIGINT) -> None:
    """What a terminal does on Ctrl-C: the signal to every process of the group."""
    assert proc.poll() is None, "the command ended before the signal: that moment is untested"
    os.killpg(proc.pid, sig)


def finish(proc: subprocess.Popen[str], timeout: float = 30) -> tuple[str, str]:
    try:
        return proc.communicate(timeout=timeout)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()


def assert_quiet(stderr: str) -> None:
    for noise in NOISE:
        assert noise not in stderr, stderr


def assert_nothing_interrupted_is_green(out: Path, data: dict[str, Any]) -> None:
    """A green testcase only for a journey whose every counted run went through every step."""
    xmlschema.XMLSchema(JUNIT_XSD).validate(out / "junit.xml")
    entries = {f"{j['name']} [{j['engine']}]": j for j in data["journeys"]}
    for case in ET.parse(out / "junit.xml").getroot().iter("testcase"):
        if case.find("failure") is None and case.find("error") is None:
            if case.find("skipped") is not None:
                continue
            entry = entries[case.get("name", "")]
            assert entry["verdict"] == "pass" and entry["attempts"] >= 1, entry
            steps = {step["name"]: step["attempts"] for step in entry["steps"]}
            assert set(steps.values()) == {entry["attempts"]}, (steps, entry["attempts"])


@pytest.fixture(scope="module")
def slow_shop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A shop whose pages and searches take 200 ms more: a browser search run lasts ~2-3 s."""
    folder = tmp_path_factory.mktemp("slow-shop")
    with running_demo_shop(folder, "pages:latency=200ms", "search:latency=200ms") as url:
        yield url


@pytest.fixture(scope="module")
def run_length_s(slow_shop: str, tmp_path_factory: pytest.TempPathFactory) -> float:
    """How long one uninterrupted browser run takes here, start to exit (it passes)."""
    out = tmp_path_factory.mktemp("whole-run")
    started = time.monotonic()
    proc = start("run", SEARCH, "--engine", "browser", "--target", slow_shop, "--out", str(out))
    stdout, stderr = finish(proc, timeout=60)
    assert proc.returncode == 0, stdout + stderr
    return time.monotonic() - started


@pytest.mark.browser
@pytest.mark.parametrize("moment", range(MOMENTS))
def test_ctrl_c_at_any_moment_of_a_browser_run_exits_130_with_its_outputs(
    slow_shop: str, run_length_s: float, tmp_path: Path, moment: int
) -> None:
    # from 0.2 s (Python still starting) to 80 % of the run (its browser closing)
    delay_s = 0.2 + moment * (0.8 * run_length_s - 0.2) / (MOMENTS - 1)
    out = tmp_path / "out"
    proc = start("run", SEARCH, "--engine", "browser", "--target", slow_shop, "--out", str(out))
    time.sleep(delay_s)
    ctrl_c(proc)
    stdout, stderr = finish(proc)
    assert proc.returncode == 130, f"at {delay_s:.2f}s: {stdout}{stderr}"
    assert_quiet(stderr)
    data = results(out)  # by 0.2 s the command has started: what it measured is written
    assert data["verdict"] == "interrupted" and "stopped by SIGINT" in data["reason"]
    assert_nothing_interrupted_is_green(out, data)
    assert not list(out.glob("*.partial"))


@pytest.mark.browser
def test_sigterm_to_the_command_alone_mid_step_exits_130_with_its_outputs(
    slow_shop: str, run_length_s: float, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    proc = start("run", SEARCH, "--target", slow_shop, "--repeat", "3", "--out", str(out))
    time.sleep(run_length_s * 0.7)
    assert proc.poll() is None
    proc.send_signal(signal.SIGTERM)  # `kill PID`, or a CI runner's timeout: the driver lives on
    stdout, stderr = finish(proc)
    assert proc.returncode == 130, stdout + stderr
    assert_quiet(stderr)
    data = results(out)
    assert data["verdict"] == "interrupted" and "stopped by SIGTERM" in data["reason"]
    assert_nothing_interrupted_is_green(out, data)


@pytest.mark.browser
def test_a_second_ctrl_c_stops_at_once(slow_shop: str, tmp_path: Path) -> None:
    # the search is held for 30 s: the first Ctrl-C would wait for that step (at most 5 s)
    faults = f"{slow_shop}/admin/faults/search"
    httpx.put(faults, json={"stall": "30s"}).raise_for_status()
    try:
        out = tmp_path / "out"
        proc = start("run", SEARCH, "--engine", "browser", "--target", slow_shop, "--out", str(out))
        time.sleep(2.5)  # in the held search
        ctrl_c(proc)
        time.sleep(0.3)
        ctrl_c(proc)
        second = time.monotonic()
        stdout, stderr = finish(proc)
        stopped_after_s = time.monotonic() - second
    finally:
        httpx.put(faults, json={"stall": 0}).raise_for_status()
    assert proc.returncode == 130, stdout + stderr
    assert stopped_after_s < 1.5, stopped_after_s
    assert "stopped at once" in stderr
    assert_quiet(stderr)
    assert not (out / "results.json").exists()


LOAD_PROFILE = """\
profile: signals
stages: [{duration: 60s, users: 2}]
mix: {search: 100}
think_time: {min: 50ms, max: 100ms}
slo: {error_rate: 1%}
"""


def test_ctrl_c_stops_a_worker_with_130_and_a_load_rehearsal_with_its_outputs(
    demo_shop: str, tmp_path: Path
) -> None:
    profile = tmp_path / "signals.yaml"
    profile.write_text(LOAD_PROFILE)
    out, port, worker_log = tmp_path / "out", str(free_port()), tmp_path / "worker.log"
    master = start(
        *("load", str(profile), "--journeys", str(JOURNEYS), "--target", demo_shop),
        *("--master", "--expect-workers", "1", "--master-port", port, "--out", str(out)),
    )
    with worker_log.open("w") as log:
        worker = start("worker", "--master-host", "127.0.0.1", "--master-port", port, stdout=log)
        try:
            wait_for(lambda: "generating load" in worker_log.read_text(), timeout_s=30)
            time.sleep(1.5)  # a few seconds of load, handed over each second
            ctrl_c(worker)
            _, worker_stderr = finish(worker)
        finally:
            if master.poll() is None and worker.poll() is not None:
                ctrl_c(master)
            stdout, stderr = finish(master, timeout=60)
    assert worker.returncode == 130, worker_log.read_text() + worker_stderr
    assert "final figures sent" in worker_log.read_text()
    assert_quiet(worker_stderr)
    assert master.returncode == 130, stdout + stderr
    assert_quiet(stderr)
    data = results(out)
    assert data["verdict"] == "interrupted" and "stopped by SIGINT" in data["reason"]
    assert data["load"]["iterations"]["completed"] > 0  # what the worker measured is there
    assert_nothing_interrupted_is_green(out, data)


def test_the_demo_shop_stops_gracefully_on_a_terminals_ctrl_c(tmp_path: Path) -> None:
    port = free_port()
    shop = start("demo-shop", "--port", str(port), "--workers", "2", "--db", str(tmp_path / "db"))
    try:
        wait_for(lambda: _healthy(port), timeout_s=20)
        ctrl_c(shop)  # the supervisor and both uvicorn workers
        _, stderr = finish(shop)
    finally:
        if shop.poll() is None:
            os.killpg(shop.pid, signal.SIGKILL)
    assert shop.returncode == 0, stderr
    assert_quiet(stderr)


def _healthy(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


@pytest.mark.parametrize("reader", ["head -1", "true"])
def test_a_closed_stdout_keeps_the_verdicts_exit_code(
    demo_shop: str, tmp_path: Path, reader: str
) -> None:
    # `true` reads nothing: every write meets a closed pipe, the last flush at exit too
    nobody = f"http://127.0.0.1:{free_port()}"
    codes = []
    for target in (demo_shop, nobody):
        command = f"{sys.executable} -m runner run {SEARCH} --engine http --target {target}"
        command += f" --out {tmp_path / 'out'}"
        script = f"set -o pipefail; {command} | {reader}; echo ${{PIPESTATUS[0]}}"
        done = subprocess.run(
            ["bash", "-c", script], capture_output=True, text=True, timeout=60, cwd=ROOT
        )
        codes.append(done.stdout.strip().splitlines()[-1])
        assert_quiet(done.stderr)
    assert codes == ["0", "3"]  # pass, unreachable: never 1, 70 or 120


def test_a_command_that_fails_before_running_leaves_reports_as_they_were(
    demo_shop: str, tmp_path: Path
) -> None:
    reports = tmp_path / "reports"
    (reports / "20260101T000000.000000Z-run").mkdir(parents=True)
    (reports / "latest").symlink_to("20260101T000000.000000Z-run", target_is_directory=True)
    bad_journey = tmp_path / "bad.yaml"
    bad_journey.write_text("journey: bad\nhttp: [{name: x, request: {url: 5}}]\nnope: 1\n")
    failing = [
        ("run", SEARCH, "--target", demo_shop, "--engine", "browser", "--browser-path", "/no"),
        ("run", SEARCH, "--target", demo_shop, "--repaet", "2"),
        ("run", str(bad_journey), "--target", demo_shop),
    ]
    for args in failing:
        proc = start(*args, cwd=tmp_path)
        stdout, stderr = finish(proc)
        assert proc.returncode == 2, (args, stdout + stderr)
        assert_quiet(stderr)
    assert sorted(p.name for p in reports.iterdir()) == ["20260101T000000.000000Z-run", "latest"]
    assert os.readlink(reports / "latest") == "20260101T000000.000000Z-run"
