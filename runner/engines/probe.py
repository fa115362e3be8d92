"""Synthetic probes: the probe round that `run` uses (and `canary` and `serve` will use).

A round runs (journey, target) pairs, each through the engines asked for that the journey has
a flow for, and yields one JourneyRun per flow; `repeat` rounds start `interval_s` apart.
Pairs rather than journeys, so that a canary's baseline and candidate interleave within one
round and a target that degrades shows in both arms alike. The engines are JourneyEngines
(runner/engines/engine.py): the round makes the http and browser engines itself unless the
caller hands it others (a test's fake, an engine shared between rounds).

The browser engine is reached through one BrowserThread, because Playwright's sync objects
belong to the thread that made them: a canary's arms or serve's scheduler threads hand it
their runs and wait. It relaunches Chromium when Chromium dies.

It only runs flows and yields JourneyRuns; judging and writing are other modules' work. It
imports Playwright only when a round needs a browser, never Locust.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import httpx

from runner.engines.engine import REASON_CHARS, JourneyEngine, one_line
from runner.engines.http import run_http_flow
from runner.engines.variables import start_variables
from runner.results import Engine, JourneyRun, StepResult
from runner.spec.data import FeederExhausted
from runner.spec.loader import LoadedJourney
from runner.spec.target import Target

if TYPE_CHECKING:
    from runner.engines.browser import BrowserSession

logger = logging.getLogger(__name__)

USER_AGENT = "journey-probe/0.1 (+synthetic)"

Pair = tuple[LoadedJourney, Target]
"""One journey against one target: what a round runs."""


def pairs_of(journeys: Sequence[LoadedJourney], *targets: Target) -> list[Pair]:
    """Every journey against every target, the targets of one journey side by side.

    `pairs_of(journeys, baseline, candidate)` interleaves a canary's arms journey by journey.
    """
    return [(journey, target) for journey in journeys for target in targets]


def new_client() -> httpx.Client:
    """A client that behaves like one shopper's browser session (the caller clears cookies)."""
    return httpx.Client(headers={"User-Agent": USER_AGENT}, follow_redirects=True)


def run_http_journey(
    journey: LoadedJourney, target: Target, iteration: int, *, client: httpx.Client
) -> JourneyRun:
    """Run one journey's http flow once with an empty cookie jar.

    Never raises for the target's failure (see JourneyEngine); a unique data feeder that ran
    dry is an errored run with that reason.
    """
    client.cookies.clear()
    started, t0 = time.time(), time.perf_counter()
    try:
        variables = start_variables(journey, iteration)
    except FeederExhausted as exc:
        return JourneyRun(journey.name, "http", iteration, started, 0.0, (), reason=str(exc))
    steps = tuple(run_http_flow(journey.spec, target, client=client, variables=variables))
    return JourneyRun(journey.name, "http", iteration, started, time.perf_counter() - t0, steps)


class HttpProbe:
    """The http engine as a JourneyEngine: one httpx client per (journey, target), kept.

    Each run clears its client's cookies (a new shopper) but keeps its connections, as a
    returning shopper's browser would. Threads may share it as long as one (journey, target)
    pair runs in one thread at a time: its cookie jar is that run's.
    """

    def __init__(self, client: Callable[[], httpx.Client] = new_client) -> None:
        self._new_client = client
        self._lock = threading.Lock()
        # by (journey name, target identity); the target is kept so its id is never reused
        self._clients: dict[tuple[str, int], tuple[Target, httpx.Client]] = {}

    def run_journey(self, journey: LoadedJourney, target: Target, iteration: int) -> JourneyRun:
        return run_http_journey(journey, target, iteration, client=self._client(journey, target))

    def _client(self, journey: LoadedJourney, target: Target) -> httpx.Client:
        key = (journey.name, id(target))
        with self._lock:
            entry = self._clients.get(key)
            if entry is None or entry[0] is not target:
                entry = self._clients[key] = (target, self._new_client())
        return entry[1]

    def close(self) -> None:
        with self._lock:
            clients, self._clients = self._clients, {}
        for _, client in clients.values():
            client.close()

    def __enter__(self) -> HttpProbe:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


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
    """

    def __init__(self, options: BrowserOptions, *, stop_timeout_s: float = 10.0) -> None:
        self.options = options
        self.stop_timeout_s = stop_timeout_s  # how long close() waits for a run in progress
        self.launches = 0  # Chromium launches so far: 1 + relaunches after crashes
        self._jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._closed = False
        self._session: BrowserSession | None = None
        started: Future[None] = Future()
        self._thread = threading.Thread(
            target=self._serve, args=(started,), name="journey-browser", daemon=True
        )
        self._thread.start()
        started.result()  # the launch's exception, raised here in the caller's thread

    def run_journey(self, journey: LoadedJourney, target: Target, iteration: int) -> JourneyRun:
        """Hand the run to the browser thread and wait for it. Raises RuntimeError once closed."""
        job = _Job(journey, target, iteration)
        with self._lock:
            if self._closed:
                raise RuntimeError("the browser thread is closed")
            self._jobs.put(job)
        return job.done.result()

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
            logger.warning("browser run still going after %gs; not waiting", self.stop_timeout_s)

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
        )
        self.launches += 1
        return session

    def _run(self, job: _Job) -> JourneyRun:
        """The run, retried once on a relaunched Chromium if Chromium died during it."""
        from runner.engines.browser import browser_gone

        started, t0 = time.time(), time.perf_counter()
        why = ""
        for _ in range(2):
            try:
                if self._session is None:
                    self._session = self._launch()
                run = self._session.run_journey(job.journey, job.target, job.iteration)
            except Exception as exc:
                if self._session is not None and not browser_gone(exc):
                    raise
                why = one_line(str(exc)) or type(exc).__name__  # gone, or could not relaunch
            else:
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


@dataclass(frozen=True, slots=True)
class ProbeOptions:
    """How a probe round runs: typed, so that nothing below the CLI reads argparse.Namespace."""

    repeat: int = 1  # rounds
    engines: tuple[Engine, ...] = ("http",)  # flows to run, where a journey has them
    duration_s: float | None = None  # no round starts after this long
    interval_s: float = 0.0  # rounds start this far apart (0: each as the last ends)
    browser: BrowserOptions | None = None  # required when a browser flow is to run


class ProbeRound:
    """(journey, target) pairs run through the engines asked, round after round.

    Makes the engines the pairs need that `engines` does not give (http: HttpProbe; browser:
    a BrowserThread, launched here, raising SpecError when there is no Chromium), and closes
    those it made; engines handed in stay the caller's. A context manager.
    """

    def __init__(
        self,
        pairs: Sequence[Pair],
        options: ProbeOptions,
        *,
        engines: Mapping[Engine, JourneyEngine] | None = None,
    ) -> None:
        self.pairs = tuple(pairs)
        self.options = options
        self._owned = contextlib.ExitStack()
        chosen = dict(engines or {})
        needed = {e for j, _ in self.pairs for e in j.spec.flows() if e in options.engines}
        if "browser" in needed and "browser" not in chosen:
            if options.browser is None:
                raise ValueError("a round with browser flows needs ProbeOptions.browser")
            chosen["browser"] = self._owned.enter_context(BrowserThread(options.browser))
        if "http" in needed and "http" not in chosen:  # after the launch: nothing to undo
            chosen["http"] = self._owned.enter_context(HttpProbe())
        self.engines: Mapping[Engine, JourneyEngine] = chosen

    def runs(self) -> Iterator[JourneyRun]:
        """Every round, `repeat` of them, yielding each run as it ends.

        Rounds start `interval_s` apart; none starts after `duration_s`. The caller may stop
        iterating at any time (Ctrl-C): nothing is lost but the run in progress.
        """
        options = self.options
        t0 = time.monotonic()
        for iteration in range(options.repeat):
            round_start = t0 + iteration * options.interval_s
            if options.duration_s is not None and round_start - t0 >= options.duration_s:
                return
            time.sleep(max(0.0, round_start - time.monotonic()))
            yield from self.round(iteration)

    def round(self, iteration: int) -> Iterator[JourneyRun]:
        """One round: each pair's flows in order, http first, as shopper `iteration`."""
        for journey, target in self.pairs:
            for flow in journey.spec.flows():
                engine = self.engines.get(flow)
                if flow in self.options.engines and engine is not None:
                    yield engine.run_journey(journey, target, iteration)

    def close(self) -> None:
        self._owned.close()

    def __enter__(self) -> ProbeRound:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


if TYPE_CHECKING:

    def _each_is_a_journey_engine(
        session: BrowserSession, thread: BrowserThread, http: HttpProbe
    ) -> tuple[JourneyEngine, ...]:
        # Never runs: mypy --strict fails here when an engine stops matching the seam.
        return session, thread, http


def run_probes(
    pairs: Sequence[Pair],
    options: ProbeOptions,
    *,
    engines: Mapping[Engine, JourneyEngine] | None = None,
) -> Iterator[JourneyRun]:
    """Every run of a ProbeRound over `pairs`, its own engines closed when iteration ends."""
    with ProbeRound(pairs, options, engines=engines) as probes:
        yield from probes.runs()
