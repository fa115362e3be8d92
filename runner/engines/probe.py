"""Synthetic probes: journeys run once or `repeat` times, one fresh cookie jar per run.

Shared by `journey run` (and later `serve` and `canary`): it only runs flows and yields
JourneyRuns; judging and writing are other modules' work.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from typing import Any

import httpx

from runner.engines.http import run_http_flow
from runner.results import JourneyRun
from runner.spec.data import FeederExhausted
from runner.spec.loader import LoadedJourney
from runner.spec.target import Target
from runner.spec.template import render_value

USER_AGENT = "journey-probe/0.1 (+synthetic)"


def start_variables(journey: LoadedJourney, iteration: int) -> dict[str, Any]:
    """Variables a run starts with: its iteration, one row per data feeder, rendered vars.

    Raises FeederExhausted when a unique feeder has no row left.
    """
    variables: dict[str, Any] = {"iteration": iteration}
    for name, feeder in journey.feeders.items():
        variables[name] = feeder.draw()
    for key, value in journey.spec.vars.items():
        variables[key] = render_value(value, variables)
    return variables


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


def run_probes(
    journeys: Sequence[LoadedJourney], target: Target, *, repeat: int = 1
) -> Iterator[JourneyRun]:
    """Run every journey `repeat` times, round-robin, yielding each run as it ends.

    Round-robin rather than journey after journey, so a target that degrades during the run
    shows in every journey alike. The caller may stop iterating at any time (Ctrl-C).
    """
    clients = {journey.name: new_client() for journey in journeys}
    try:
        for iteration in range(repeat):
            for journey in journeys:
                yield run_http_journey(journey, target, iteration, client=clients[journey.name])
    finally:
        for client in clients.values():
            client.close()
