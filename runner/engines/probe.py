"""Synthetic probes: journeys run once or `repeat` times, one fresh cookie jar per run.

Shared by `journey run` (and later `serve` and `canary`): it only runs flows and yields
JourneyRuns; judging and writing are other modules' work.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection, Iterator, Sequence

import httpx

from runner.engines.http import run_http_flow
from runner.engines.variables import start_variables
from runner.results import JourneyRun
from runner.spec.data import FeederExhausted
from runner.spec.loader import LoadedJourney
from runner.spec.target import Target

USER_AGENT = "journey-probe/0.1 (+synthetic)"


def new_client() -> httpx.Client:
    """A client that behaves like one shopper's browser session (the caller clears cookies)."""
    return httpx.Client(headers={"User-Agent": USER_AGENT}, follow_redirects=True)


def run_http_journey(
    journey: LoadedJourney, target: Target, iteration: int, *, client: httpx.Client
) -> JourneyRun:
    """Run one journey's http flow once with an empty cookie jar."""
    client.cookies.clear()
    started, t0 = time.time(), time.perf_counter()
    try:
        variables = start_variables(journey, iteration)
    except FeederExhausted as exc:
        return JourneyRun(journey.name, "http", iteration, started, 0.0, (), reason=str(exc))
    steps = tuple(run_http_flow(journey.spec, target, client=client, variables=variables))
    return JourneyRun(journey.name, "http", iteration, started, time.perf_counter() - t0, steps)


BrowserRunner = Callable[[LoadedJourney, Target, int], JourneyRun]
"""Runs one journey's browser flow once: `BrowserSession.run_journey`."""


def run_probes(
    journeys: Sequence[LoadedJourney],
    target: Target,
    *,
    repeat: int = 1,
    engines: Collection[str] = ("http",),
    browser: BrowserRunner | None = None,
    duration_s: float | None = None,
    interval_s: float = 0.0,
) -> Iterator[JourneyRun]:
    """Run every journey's flows (those in `engines`) `repeat` times, round-robin.

    Round-robin rather than journey after journey, so a target that degrades during the run
    shows in every journey alike. Rounds start `interval_s` apart; no round starts after
    `duration_s`. Yields each run as it ends; the caller may stop iterating at any time
    (Ctrl-C). `browser` runs browser flows; without it they are not run.
    """
    clients = {journey.name: new_client() for journey in journeys}
    t0 = time.monotonic()
    try:
        for iteration in range(repeat):
            round_start = t0 + iteration * interval_s
            if duration_s is not None and round_start - t0 >= duration_s:
                return
            time.sleep(max(0.0, round_start - time.monotonic()))
            for journey in journeys:
                for engine in journey.spec.flows():
                    if engine not in engines:
                        continue
                    if engine == "http":
                        client = clients[journey.name]
                        yield run_http_journey(journey, target, iteration, client=client)
                    elif browser is not None:
                        yield browser(journey, target, iteration)
    finally:
        for client in clients.values():
            client.close()
