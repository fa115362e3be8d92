"""The engine seam: any JourneyEngine goes through the probe round, the judge and every output;
the one `until:` loop; the browser thread that outlives a Chromium crash."""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import yaml

from runner.builder import build_document
from runner.engines.browser_thread import BrowserOptions, BrowserThread
from runner.engines.engine import JourneyEngine, poll_until
from runner.engines.probe import ProbeOptions, ProbeRound, pairs_of
from runner.outputs.files import write_outputs
from runner.redact import Redactor
from runner.results import JourneyRun, JourneyTally, Outcome, StepResult
from runner.slo import judge_runs, run_verdict
from runner.spec.browser import Until
from runner.spec.loader import LoadedJourney, load_journey_text
from runner.spec.target import Target


def journey(name: str, **document: Any) -> LoadedJourney:
    document = {"journey": name, **document}
    document.setdefault("http", [{"name": "look", "request": {"url": "/never-sent"}}])
    return load_journey_text(yaml.safe_dump(document, sort_keys=False), path=f"{name}.yaml")


class FixedEngine:
    """A third engine: no network, no browser, fixed runs; every third iteration fails."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, int]] = []

    def run_journey(self, journey: LoadedJourney, target: Target, iteration: int) -> JourneyRun:
        self.calls.append((journey.name, target.name, iteration))
        failed = iteration % 3 == 2
        step = StepResult(
            journey=journey.name,
            step="look",
            engine="http",
            outcome="failed" if failed else "passed",
            started=1_700_000_000.0 + iteration,
            duration_s=0.125,
            reason="fixed engine: the shelf was empty" if failed else "",
            status=200,
            responded=True,
        )
        return JourneyRun(journey.name, "http", iteration, step.started, 0.125, (step,))


def test_the_round_interleaves_pairs_across_targets_round_by_round() -> None:
    fake = FixedEngine()
    engine: JourneyEngine = fake  # the seam's type: a fake needs no base class of ours
    baseline, candidate = Target.single("http://baseline.test"), Target.single("http://cand.test")
    pairs = pairs_of([journey("search"), journey("cart")], baseline, candidate)
    with ProbeRound(pairs, ProbeOptions(repeat=2), engines={"http": engine}) as probes:
        runs = list(probes.runs())
    assert len(runs) == 8
    assert fake.calls == [
        (name, target, iteration)
        for iteration in (0, 1)
        for name in ("search", "cart")
        for target in ("http://baseline.test", "http://cand.test")
    ]


def test_a_third_engine_goes_through_the_round_the_judge_and_every_output(
    tmp_path: Path,
) -> None:
    shelf = journey("fixed-shelf", slo={"success": "90%"})
    target = Target.single("http://fixed.test")
    fake = FixedEngine()
    tallies = {(shelf.name, "http"): JourneyTally(shelf.name, "http")}
    options = ProbeOptions(repeat=6, engines=("http", "browser"))  # no browser flow: none made
    with ProbeRound(pairs_of([shelf], target), options, engines={"http": fake}) as probes:
        for run in probes.runs():
            tallies[(run.journey, run.engine)].add(run)
    assert len(fake.calls) == 6

    judged = judge_runs([shelf], tallies)
    verdict = run_verdict([entry.verdict for entry in judged], interrupted=False)
    assert verdict == "fail"  # 4 of 6 passed: under the 90 % objective
    document = build_document(
        command="run",
        target=target,
        started=1_700_000_000.0,
        ended=1_700_000_010.0,
        verdict=verdict,
        judged=judged,
        out_dir=tmp_path,
    )
    write_outputs(document, tmp_path, Redactor())

    data = json.loads((tmp_path / "results.json").read_text())
    (entry,) = data["journeys"]
    assert (entry["name"], entry["engine"], entry["attempts"]) == ("fixed-shelf", "http", 6)
    assert entry["successes"] == 4
    assert entry["failures"][0]["reason"] == "fixed engine: the shelf was empty"
    junit = (tmp_path / "junit.xml").read_text()
    assert "fixed-shelf" in junit and "fixed engine: the shelf was empty" in junit
    assert "fixed-shelf" in (tmp_path / "index.html").read_text()


class Try:
    """An attempt that passes from the `passes_at`-th try on; records the pauses asked for."""

    def __init__(self, passes_at: int | None) -> None:
        self.passes_at = passes_at
        self.tries = 0
        self.pauses: list[float] = []

    @property
    def outcome(self) -> Outcome:
        return "passed" if self.passes_at is not None and self.tries >= self.passes_at else "failed"

    def attempt(self) -> Try:
        self.tries += 1
        return self

    def sleep(self, seconds: float) -> None:
        self.pauses.append(seconds)
        time.sleep(seconds)


def test_without_until_a_step_is_tried_once_even_when_it_fails() -> None:
    tried = Try(passes_at=None)
    polled = poll_until(tried.attempt, None, started=time.perf_counter(), sleep=tried.sleep)
    assert (polled.attempts, polled.gave_up, tried.pauses) == (1, False, [])
    assert polled.last.outcome == "failed"


def test_until_polls_interval_apart_until_the_attempt_passes() -> None:
    tried = Try(passes_at=3)
    until = Until(timeout="5s", interval="10ms")
    polled = poll_until(tried.attempt, until, started=time.perf_counter(), sleep=tried.sleep)
    assert (polled.attempts, polled.gave_up, polled.last.outcome) == (3, False, "passed")
    assert tried.pauses == [0.01, 0.01]


def test_until_gives_up_before_a_pause_that_would_end_past_its_timeout() -> None:
    tried = Try(passes_at=None)
    until = Until(timeout="100ms", interval="30ms")
    t0 = time.perf_counter()
    polled = poll_until(tried.attempt, until, started=t0, sleep=tried.sleep)
    elapsed = time.perf_counter() - t0
    assert polled.gave_up and polled.last.outcome == "failed"
    assert 2 <= polled.attempts <= 4 and elapsed < 0.2  # no pause past the timeout
    assert polled.not_met == f"not met within 0.1s ({polled.attempts} polls)"


def test_a_step_budget_shorter_than_until_ends_the_polls_at_the_budget() -> None:
    tried = Try(passes_at=None)
    until = Until(timeout="10s", interval="20ms")
    t0 = time.perf_counter()
    polled = poll_until(tried.attempt, until, started=t0, sleep=tried.sleep, budget_s=0.1)
    assert polled.gave_up and time.perf_counter() - t0 < 0.5
    # the reason names the until's own timeout, as the browser engine always has
    assert polled.not_met.startswith("not met within 10s (")


# The browser thread in real Chromium: Chromium killed between runs and during one.


def chromium_processes() -> list[int]:
    """This process's Chromium browser processes (not their zygotes and renderers)."""
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            parents[int(entry)] = int(stat.rsplit(")", 1)[1].split()[1])
    found = []
    for pid in parents:
        ancestor = parents.get(pid)
        while ancestor is not None and ancestor != os.getpid():
            ancestor = parents.get(ancestor)
        if ancestor is None:
            continue
        try:
            command = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            continue
        # helpers rewrite their command line into one string: look for --type= anywhere
        if b"chrom" in command.split(b"\0")[0] and b"--type=" not in command:
            found.append(pid)
    return found


def kill_chromium() -> int:
    killed = 0
    for pid in chromium_processes():
        try:
            os.kill(pid, signal.SIGKILL)
            killed += 1
        except ProcessLookupError:
            pass
    return killed


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[BrowserThread]:
    with BrowserThread(BrowserOptions(artefacts=tmp_path, trace=False)) as thread:
        yield thread


def browser_journey(*steps: dict[str, Any]) -> LoadedJourney:
    return journey("crash", http=[], browser=list(steps))


@pytest.mark.browser
@pytest.mark.slow
def test_the_browser_thread_relaunches_chromium_killed_between_or_during_runs(
    browser: BrowserThread, demo_shop: str
) -> None:
    home = browser_journey({"goto": "/", "expect": {"visible": "h1"}})
    target = Target.single(demo_shop)
    assert browser.run_journey(home, target, 0).outcome == "passed"
    assert browser.launches == 1

    assert kill_chromium() == 1  # between runs: the next run finds it gone
    again = browser.run_journey(home, target, 1)
    assert again.outcome == "passed", again.failure
    assert browser.launches == 2

    slow = browser_journey({"goto": "/"}, {"wait": "1500ms"}, {"goto": "/cart"})
    killer = threading.Timer(0.5, kill_chromium)  # during a run: that run is made again
    killer.start()
    with ThreadPoolExecutor(1) as other:  # handed in from another thread, as serve will
        during = other.submit(browser.run_journey, slow, target, 2).result(timeout=60)
    killer.join()
    assert during.outcome == "passed", during.failure
    assert browser.launches == 3


@pytest.mark.browser
@pytest.mark.slow
def test_a_run_chromium_dies_under_twice_is_a_failed_run_not_an_exception(
    browser: BrowserThread, demo_shop: str
) -> None:
    slow = browser_journey({"name": "open", "goto": "/"}, {"wait": "1500ms"})
    stop = threading.Event()

    def keep_killing() -> None:
        while not stop.wait(0.1):
            kill_chromium()

    killer = threading.Thread(target=keep_killing)
    killer.start()
    try:
        crashed = browser.run_journey(slow, Target.single(demo_shop), 0)
    finally:
        stop.set()
        killer.join()
    assert crashed.outcome == "failed"
    assert crashed.failure is not None
    assert "browser crashed, and again after a relaunch" in crashed.failure.reason
    after = browser.run_journey(slow, Target.single(demo_shop), 1)  # a fresh launch
    assert after.outcome == "passed", after.failure
