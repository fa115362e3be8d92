"""Journeys as Locust users: a class per journey in the mix, or a pool fed by arrivals.

The closed model has one user class per journey, weighted by the mix; the open model one pool
of users that an arrival gate feeds at the asked rate.

Each user is one shopper: its own FastHttpSession, hence its own cookie jar, running its
journey's http flow with the same code as probes (templating, checks, captures, until:),
iteration after iteration. Runs are recorded by the process's Recorder.
"""

from __future__ import annotations

import random
import time
from collections.abc import Sequence
from typing import Any

import gevent
from gevent.queue import Empty, Queue
from locust import FastHttpUser, User, between, constant, task
from locust.event import EventHook

from runner.engines.http import run_http_flow
from runner.engines.load.client import FastClient
from runner.engines.load.recorder import Recorder
from runner.engines.variables import start_variables
from runner.results import JourneyRun
from runner.spec.data import FeederExhausted
from runner.spec.loader import LoadedJourney
from runner.spec.loadprofile import LoadProfile
from runner.spec.target import Target

ARRIVALS_USER = "arrivals"


class ArrivalGate:
    """Tokens released at the asked arrival rate; a free user takes one per iteration.

    Tokens are scheduled on absolute time, so the rate holds whatever the responses do. When
    no user is free for more than a second's worth of tokens, the extra arrivals are dropped
    and counted (the pool, `max_users`, is too small for the latency seen).
    """

    def __init__(self, recorder: Recorder) -> None:
        self.recorder = recorder
        self.rate = 0.0
        self._tokens: Queue[float] = Queue()
        self._greenlet = gevent.spawn(self._release)

    def set_rate(self, rate: float) -> None:
        self.rate = max(rate, 0.0)

    def take(self, timeout_s: float = 1.0) -> bool:
        try:
            self._tokens.get(timeout=timeout_s)
        except Empty:
            return False
        return True

    def _release(self) -> None:
        next_at = time.monotonic()
        while True:
            now = time.monotonic()
            if self.rate <= 0:
                next_at = now
                gevent.sleep(0.05)
                continue
            # a new, faster rate takes effect now, not after the old rate's long gap
            next_at = min(next_at, now + 1.0 / self.rate)
            if now < next_at:
                gevent.sleep(min(next_at - now, 0.05))
                continue
            next_at += 1.0 / self.rate  # absolute schedule: no drift, whatever the latency
            if self._tokens.qsize() > max(self.rate, 1.0):
                self.recorder.dropped_iterations += 1
            else:
                self._tokens.put(next_at)


class _Shopper:
    """What every generated user class shares: run one journey iteration and record it."""

    target: Target
    recorder: Recorder

    def _run(self, user: Any, journey: LoadedJourney) -> None:
        user.iteration = getattr(user, "iteration", -1) + 1
        started, t0 = time.time(), time.perf_counter()
        try:
            variables = start_variables(journey, user.iteration)
        except FeederExhausted as exc:
            run = JourneyRun(journey.name, "http", user.iteration, started, 0.0, (), str(exc))
        else:
            client = user.journey_client
            steps = tuple(
                run_http_flow(journey.spec, self.target, client=client, variables=variables)
            )
            run = JourneyRun(
                journey.name, "http", user.iteration, started, time.perf_counter() - t0, steps
            )
        self.recorder.add(run)


def build_user_classes(
    journeys: Sequence[LoadedJourney],
    profile: LoadProfile,
    target: Target,
    recorder: Recorder,
    gate: ArrivalGate | None,
) -> list[type[User]]:
    """Locust user classes for the profile's mix; the same names on master and workers."""
    by_name = {journey.name: journey for journey in journeys}
    shopper = _Shopper()
    shopper.target, shopper.recorder = target, recorder
    host = target.url_for("api")

    def on_start(user: Any) -> None:
        # Our Recorder measures every step; Locust's own per-request statistics would be a
        # second, unused bookkeeping on the hottest path (~10 % of a worker's core).
        user.client.request_event = EventHook()  # type: ignore[no-untyped-call]
        user.journey_client = FastClient(user.client)

    if profile.open_model:
        names = [name for name, weight in profile.mix.items() if weight > 0]
        weights = [profile.mix[name] for name in names]

        def arrive(user: Any) -> None:
            if gate is not None and gate.take():
                shopper._run(user, by_name[random.choices(names, weights)[0]])

        arrivals = type(
            ARRIVALS_USER,
            (FastHttpUser,),
            {
                "host": host,
                "wait_time": constant(0),
                "on_start": on_start,
                "tasks": [task(arrive)],
                "__module__": __name__,
            },
        )
        return [arrivals]
    think = profile.think_time
    classes: list[type[User]] = []
    for name, weight in profile.mix.items():
        if weight <= 0:
            continue
        journey = by_name[name]

        def iterate(user: Any, journey: LoadedJourney = journey) -> None:
            shopper._run(user, journey)

        classes.append(
            type(
                name,
                (FastHttpUser,),
                {
                    "host": host,
                    "weight": weight,
                    "wait_time": between(think.min, think.max),
                    "on_start": on_start,
                    "tasks": [task(iterate)],
                    "__module__": __name__,
                },
            )
        )
    return classes
