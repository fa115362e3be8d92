"""Synthetic probes: the probe round that `run` uses (and `canary` and `serve` will use).

A round runs (journey, target) pairs, each through the engines asked for that the journey has
a flow for, and yields one JourneyRun per flow; `repeat` rounds start `interval_s` apart.
Pairs rather than journeys, so that a canary's baseline and candidate interleave within one
round and a target that degrades shows in both arms alike. The engines are JourneyEngines
(runner/engines/engine.py): the round makes the http and browser engines itself unless the
caller hands it others (a test's fake, an engine shared between rounds).

The browser engine is reached through one BrowserThread (browser_thread.py), because
Playwright's sync objects belong to the thread that made them: a canary's arms or serve's
scheduler threads hand it their runs and wait. It relaunches Chromium when Chromium dies.

Stopping (runner/stopping.py): a round looks at the flag before every run and while it waits
between rounds, and raises Interrupted; an http run in progress is cut at once (it holds nothing
half done), a browser run ends at its next step (runner/engines/browser.py). Either way the run
in progress is not counted: a run cut short by a stop is neither a pass nor a failure.

It only runs flows and yields JourneyRuns; judging and writing are other modules' work. It
imports Playwright only when a round needs a browser, never Locust.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import httpx

from runner.engines.browser_thread import BrowserOptions, BrowserThread
from runner.engines.chromium import ports_of
from runner.engines.engine import JourneyEngine
from runner.engines.http import run_http_flow
from runner.engines.variables import start_variables
from runner.results import Engine, JourneyRun
from runner.spec.data import FeederExhausted
from runner.spec.loader import LoadedJourney
from runner.spec.target import DEFAULT_USER_AGENT, Target
from runner.stopping import Stopping

if TYPE_CHECKING:
    from runner.engines.browser import BrowserSession

Pair = tuple[LoadedJourney, Target]
"""One journey against one target: what a round runs."""


def pairs_of(journeys: Sequence[LoadedJourney], *targets: Target) -> list[Pair]:
    """Every journey against every target, the targets of one journey side by side.

    `pairs_of(journeys, baseline, candidate)` interleaves a canary's arms journey by journey.
    """
    return [(journey, target) for journey in journeys for target in targets]


def new_client(user_agent: str = DEFAULT_USER_AGENT) -> httpx.Client:
    """A client that behaves like one shopper's browser session (the caller clears cookies)."""
    return httpx.Client(headers={"User-Agent": user_agent}, follow_redirects=True)


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
        variables = start_variables(journey, iteration, target)
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
                client = self._new_client()
                client.headers["User-Agent"] = target.user_agent
                entry = self._clients[key] = (target, client)
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


@dataclass(frozen=True, slots=True)
class ProbeOptions:
    """How a probe round runs: typed, so that nothing below the CLI reads argparse.Namespace."""

    repeat: int = 1  # rounds
    engines: tuple[Engine, ...] = ("http",)  # flows to run, where a journey has them
    duration_s: float | None = None  # no round starts after this long
    interval_s: float = 0.0  # rounds start this far apart (0: each as the last ends)
    browser: BrowserOptions | None = None  # required when a browser flow is to run
    stopping: Stopping = field(default_factory=Stopping)  # cli.main's: Ctrl-C, SIGTERM


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
            ports = frozenset(ports_of(url for _, t in self.pairs for url in t.urls.values()))
            browser = BrowserThread(options.browser, stopping=options.stopping, allowed_ports=ports)
            chosen["browser"] = self._owned.enter_context(browser)
        if "http" in needed and "http" not in chosen:  # after the launch: nothing to undo
            chosen["http"] = self._owned.enter_context(HttpProbe())
        self.engines: Mapping[Engine, JourneyEngine] = chosen

    def runs(self) -> Iterator[JourneyRun]:
        """Every round, `repeat` of them, yielding each run as it ends.

        Rounds start `interval_s` apart; none starts after `duration_s`. The caller may stop
        iterating at any time: nothing is lost but the run in progress. Raises Interrupted
        once `options.stopping` is requested, the run in progress not yielded.
        """
        options = self.options
        t0 = time.monotonic()
        for iteration in range(options.repeat):
            round_start = t0 + iteration * options.interval_s
            if options.duration_s is not None and round_start - t0 >= options.duration_s:
                return
            if options.stopping.wait(round_start - time.monotonic()):
                options.stopping.check()
            yield from self.round(iteration)

    def round(self, iteration: int) -> Iterator[JourneyRun]:
        """One round: each pair's flows in order, http first, as shopper `iteration`.

        Raises Interrupted once a stop is requested: at once for a run in this thread (an http
        run holds nothing half done), at its next step for a BrowserThread's.
        """
        stopping = self.options.stopping
        for journey, target in self.pairs:
            for flow in journey.spec.flows():
                engine = self.engines.get(flow)
                if flow in self.options.engines and engine is not None:
                    stopping.check()
                    if isinstance(engine, BrowserThread):
                        run = engine.run_journey(journey, target, iteration)
                    else:
                        with stopping.interruptible():
                            run = engine.run_journey(journey, target, iteration)
                    yield run

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
