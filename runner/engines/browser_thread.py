"""The browser engine behind one thread: Playwright's sync objects belong to their thread.

A canary's arms or serve's scheduler threads hand the BrowserThread their runs and wait; it
launches Chromium (allowed to reach the targets' own ports), relaunches it when it dies, and on
a stop kills Playwright's driver if a step will not end, so that nothing hangs (probe.py).
"""

from __future__ import annotations

import contextlib
import logging
import os
import queue
import signal
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import psutil

from runner.engines.engine import REASON_CHARS, one_line
from runner.results import JourneyRun, StepResult
from runner.spec.loader import LoadedJourney
from runner.spec.target import Target
from runner.stopping import Interrupted, Stopping

if TYPE_CHECKING:
    from runner.engines.browser import BrowserSession

logger = logging.getLogger(__name__)

HANG_SLACK_S = 15.0  # beyond a journey's own budget, a browser run is Playwright hung


def _unchanged(text: str) -> str:
    return text


@dataclass(frozen=True, slots=True)
class BrowserOptions:
    """How the browser engine launches Chromium and keeps its artefacts."""

    artefacts: Path  # failure screenshots and traces land here
    scrub: Callable[[str], str] = _unchanged  # applied to every text of a kept trace
    browser_path: str | None = None  # --browser-path; None: JOURNEY_BROWSER, then found
    trace: bool = True  # keep a Playwright trace of each failed run


@dataclass(slots=True)
class _Job:
    journey: LoadedJourney
    target: Target
    iteration: int
    done: Future[JourneyRun] = field(default_factory=Future)


class BrowserThread:
    """One Chromium in a thread of its own, which any thread hands journey runs to and waits.

    Implements JourneyEngine. Playwright's sync objects belong to the thread that made them,
    so the BrowserSession is made, used and closed in this thread only; runs are served one
    at a time, in the order handed in. Construction waits for Chromium's launch and raises
    what it raised (SpecError, exit 2, when there is no Chromium).

    When Chromium dies (crashed, killed: Playwright's Error says the browser or target is
    closed, or the browser reports itself disconnected after a failed run), the thread
    relaunches it once and runs that journey once more. If that fails the same way, the run
    is a failed JourneyRun saying why, never an exception; the next run launches afresh.
    Other exceptions are bugs of ours and reach the caller that handed in the run.

    Once `stopping` is requested nothing is relaunched: the run in progress ends at its next
    step, and the caller gets Interrupted. A step that will not end (a hung page) is given
    `stop_timeout_s`; then Playwright's driver is killed, which fails that step at once.
    """

    def __init__(
        self,
        options: BrowserOptions,
        *,
        stop_timeout_s: float = 5.0,
        stopping: Stopping | None = None,
        allowed_ports: frozenset[int] = frozenset(),
    ) -> None:
        self.options = options
        self.stop_timeout_s = stop_timeout_s  # how long a stop waits for a run in progress
        self.stopping = stopping or Stopping()
        self.allowed_ports = allowed_ports  # Chromium refuses some ports unless allowed
        self.launches = 0  # Chromium launches so far: 1 + relaunches after crashes
        self._driver_pid: int | None = None
        self._jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._closed = False
        self._session: BrowserSession | None = None
        started: Future[None] = Future()
        self._thread = threading.Thread(
            target=self._serve, args=(started,), name="journey-browser", daemon=True
        )
        self._thread.start()
        try:
            started.result()  # the launch's exception, raised here in the caller's thread
        except Exception:
            # a launch that failed under a stop (its driver died with us) says nothing
            self.stopping.check()
            raise
        if self.stopping.requested():
            self.close()
            self.stopping.check()

    def run_journey(self, journey: LoadedJourney, target: Target, iteration: int) -> JourneyRun:
        """Hand the run to the browser thread and wait for it.

        Raises RuntimeError once closed, Interrupted when a stop ended the run.
        """
        job = _Job(journey, target, iteration)
        with self._lock:
            if self._closed:
                raise RuntimeError("the browser thread is closed")
            self._jobs.put(job)
        return self._wait(job.done, journey.spec.timeout + HANG_SLACK_S)

    def _wait(self, done: Future[JourneyRun], patience_s: float) -> JourneyRun:
        """The run's result; once a stop is asked for, at most `stop_timeout_s` more, then kill.

        A run is bounded by its journey's budget, so one that outlasts it by `HANG_SLACK_S` is
        Playwright itself hung (a Chromium killed mid-call can leave the driver waiting for
        ever): its driver is killed, the call fails, and the thread relaunches or reports a
        crashed run. Without this a dying browser could hang `journey run` for good.
        """
        deadline = time.monotonic() + patience_s
        while not self.stopping.requested():
            with contextlib.suppress(TimeoutError):
                return done.result(timeout=0.25)
            if time.monotonic() > deadline:
                logger.warning("a browser run hung past its budget: killing Playwright's driver")
                self._kill_driver()
                deadline = time.monotonic() + patience_s
        with contextlib.suppress(TimeoutError):
            return done.result(timeout=self.stop_timeout_s)
        self._kill_driver()
        return done.result(timeout=self.stop_timeout_s)

    def close(self) -> None:
        """Stop after the run in progress, if any, and close Chromium.

        Waits up to `stop_timeout_s` (Ctrl-C must not wait out a hung page): after that the
        thread is left to end with the process, which takes Chromium with it.
        """
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self._jobs.put(None)
        self._thread.join(self.stop_timeout_s)
        if self._thread.is_alive():
            # A hung step: the driver's death ends it, and the thread (whose greenlets must
            # not outlive the interpreter) closes what is left.
            logger.warning("browser run still going after %gs; stopping it", self.stop_timeout_s)
            self._kill_driver()
            self._thread.join(self.stop_timeout_s)

    def _kill_driver(self) -> None:
        """Kill Playwright's driver: the known one, and any other of ours (one mid-launch)."""
        pids = {self._driver_pid} if self._driver_pid is not None else set()
        with contextlib.suppress(psutil.Error):
            for child in psutil.Process().children(recursive=True):
                with contextlib.suppress(psutil.Error):
                    if "run-driver" in child.cmdline():
                        pids.add(child.pid)
        for pid in pids:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)

    def __enter__(self) -> BrowserThread:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _serve(self, started: Future[None]) -> None:
        try:
            self._session = self._launch()
        except BaseException as exc:  # the caller raises it; this thread just ends
            started.set_exception(exc)
            return
        started.set_result(None)
        try:
            while (job := self._jobs.get()) is not None:
                if not job.done.set_running_or_notify_cancel():
                    continue
                try:
                    job.done.set_result(self._run(job))
                except BaseException as exc:  # a bug of ours: the caller's to raise
                    job.done.set_exception(exc)
        finally:
            self._discard()

    def _launch(self) -> BrowserSession:
        # Imported here: a round without browser flows never loads Playwright.
        from runner.engines.browser import BrowserSession

        options = self.options
        session = BrowserSession(
            artefacts=options.artefacts,
            scrub=options.scrub,
            browser_path=options.browser_path,
            trace=options.trace,
            allowed_ports=self.allowed_ports,
            stopping=self.stopping,
        )
        self.launches += 1
        self._driver_pid = session.driver_pid
        return session

    def _run(self, job: _Job) -> JourneyRun:
        """The run, retried once on a relaunched Chromium if Chromium died during it."""
        from runner.engines.browser import browser_gone

        started, t0 = time.time(), time.perf_counter()
        why = ""
        for _ in range(2):
            try:
                self.stopping.check()  # never a relaunch, nor a new run, once asked to stop
                if self._session is None:
                    self._session = self._launch()
                run = self._session.run_journey(job.journey, job.target, job.iteration)
            except Exception as exc:
                if self._stopped_by(exc):
                    raise Interrupted(self.stopping.reason) from None
                if self._session is not None and not browser_gone(exc):
                    raise
                why = one_line(str(exc)) or type(exc).__name__  # gone, or could not relaunch
            else:
                if run.outcome != "passed" and self.stopping.requested():
                    raise Interrupted(self.stopping.reason)  # failed as it stopped: not counted
                if self._session.connected:
                    return run
                if run.outcome == "passed":  # it ended before Chromium did: a good run
                    self._discard()
                    return run
                failure = run.failure
                why = failure.reason if failure is not None else "the browser disconnected"
            logger.warning("Chromium is gone (%s): a new one is launched for the next try", why)
            self._discard()
        return _crashed_run(job, started, time.perf_counter() - t0, why)

    def _stopped_by(self, exc: Exception) -> bool:
        """Whether a stop, not the browser, ended the run: a driver dying with us says "gone"."""
        from runner.engines.browser import STOP_SETTLE_S, browser_gone

        if self.stopping.requested():
            return True
        return browser_gone(exc) and self.stopping.wait(STOP_SETTLE_S)

    def _discard(self) -> None:
        session, self._session = self._session, None
        if session is not None:
            with contextlib.suppress(Exception):  # a dead browser may not even close
                session.close()


def _crashed_run(job: _Job, started: float, duration_s: float, why: str) -> JourneyRun:
    """A failed run for a journey that Chromium died under twice, on its first step."""
    journey = job.journey
    step = StepResult(
        journey=journey.name,
        step=journey.spec.browser[0].name,
        engine="browser",
        outcome="failed",
        started=started,
        duration_s=duration_s,
        reason=one_line(f"browser crashed, and again after a relaunch: {why}", REASON_CHARS),
    )
    return JourneyRun(journey.name, "browser", job.iteration, started, duration_s, (step,))
