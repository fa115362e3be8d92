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
from gevent import GreenletExit
from gevent.queue import Empty, Queue
from locust import FastHttpUser, User, between, constant, task
from locust.event import EventHook

from runner.engines.http import run_http_flow, step_timeout_s
from runner.engines.load.client import FastClient
from runner.engines.load.recorder import Recorder
from runner.engines.variables import start_variables
from runner.results import JourneyRun, StepResult
from runner.spec.data import FeederExhausted
from runner.spec.loader import LoadedJourney
from runner.spec.loadprofile import LoadProfile
from runner.spec.target import Target

ARRIVALS_USER = "arrivals"


class ArrivalGate:
    """Arrivals released at the asked rate, each with the time it was due; a free user takes one.

    Arrivals are scheduled on absolute time, so the rate holds whatever the responses do. When
    no user is free for more than a second's worth of arrivals, the extra ones are dropped and
    counted by their due second (the pool, `max_users`, is too small for the latency seen, or
    the generator is short of CPU). Once closed, it releases nothing more and what is still
    queued counts as dropped: asked = started + dropped, always.
    """

    def __init__(self, recorder: Recorder) -> None:
        self.recorder = recorder
        self.rate = 0.0
        self.closed = False
        self._tokens: Queue[float] = Queue()
        self._greenlet = gevent.spawn(self._release)

    def set_rate(self, rate: float) -> None:
        if not self.closed:
            self.rate = max(rate, 0.0)

    def take(self, timeout_s: float = 1.0) -> float | None:
        """The monotonic time the arrival taken was due, or None if none came in `timeout_s`."""
        try:
            return self._tokens.get(timeout=timeout_s)
        except Empty:
            return None

    def close(self) -> None:
        """Release no more arrivals; those queued now were never started: dropped."""
        self.closed, self.rate = True, 0.0
        self._greenlet.kill()
        while True:
            try:
                due = self._tokens.get_nowait()
            except Empty:
                return
            self.recorder.arrival(_wall(due), dropped=True)

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
            due, next_at = next_at, next_at + 1.0 / self.rate  # absolute: no drift
            dropped = self._tokens.qsize() > max(self.rate, 1.0)
            self.recorder.arrival(_wall(due), dropped=dropped)
            if not dropped:
                self._tokens.put(due)


def _wall(monotonic_s: float) -> float:
    """The wall-clock time of a monotonic instant in the recent past (or near future)."""
    return time.time() - (time.monotonic() - monotonic_s)


class _Shopper:
    """What every generated user class shares: run one journey iteration and record it.

    Everything an iteration started is recorded, even when the user is killed mid-request at
    the end of the run's grace (GreenletExit): the step in flight then is a failed step "no
    response within …", and the run counts as cut off. Its latency enters at no less than
    the step's timeout (censored there), never dropped.
    """

    target: Target
    recorder: Recorder
    default_timeout_s: float | None = None
    grace_s: float = 0.0
    end_reason = "the rehearsal ended"

    def __init__(self) -> None:
        self.step_keys: dict[str, dict[str, str]] = {}

    def run(self, user: Any, journey: LoadedJourney, due: float | None = None) -> None:
        """One iteration, recorded whatever happens to it.

        `due` is when its arrival was due (open model): latency counts the wait for a free
        user too, so a slow target cannot hide behind the arrivals it delayed.
        """
        recorder = self.recorder
        user.iteration = iteration = getattr(user, "iteration", -1) + 1
        wall, t0 = time.time(), time.perf_counter()
        if due is not None:
            late = max(time.monotonic() - due, 0.0)
            wall, t0 = wall - late, t0 - late
        steps: list[StepResult] = []
        keys = self.step_keys.get(journey.name)
        if keys is None:  # `journey / step`, as requests are named, worked out once
            keys = self.step_keys[journey.name] = {
                step.name: f"{journey.name} / {step.name}" for step in journey.spec.http
            }
        recorder.running += 1
        try:
            variables = start_variables(journey, iteration, self.target)
            for step in run_http_flow(
                journey.spec,
                self.target,
                client=user.journey_client,
                variables=variables,
                default_timeout_s=self.default_timeout_s,
            ):
                steps.append(step)
                if step.outcome == "passed":
                    recorder.step_passed(keys[step.step])
        except FeederExhausted as exc:
            run = JourneyRun(journey.name, "http", iteration, wall, 0.0, (), str(exc))
        except GreenletExit:
            recorder.add(self._cut_off(user, journey, iteration, wall, t0, steps))
            raise
        else:
            run = JourneyRun(
                journey.name, "http", iteration, wall, time.perf_counter() - t0, tuple(steps)
            )
        finally:
            recorder.running -= 1
        recorder.add(run)

    def _cut_off(
        self,
        user: Any,
        journey: LoadedJourney,
        iteration: int,
        wall: float,
        t0: float,
        steps: list[StepResult],
    ) -> JourneyRun:
        now = time.perf_counter()
        flow = journey.spec.http
        spec = flow[min(len(steps), len(flow) - 1)]
        sent_at = user.journey_client.sent_at
        # in a request: since it was sent; between two: since the last step ended
        step_t0 = sent_at if sent_at is not None else t0 + sum(s.duration_s for s in steps)
        waited = now - step_t0
        timeout = step_timeout_s(spec, self.default_timeout_s)
        cut = StepResult(
            journey=journey.name,
            step=spec.name,
            engine="http",
            outcome="failed",
            started=wall + (step_t0 - t0),
            duration_s=max(waited, timeout),
            reason=f"no response within {waited:.1f}s: still in flight when {self.end_reason}"
            f" (grace {self.grace_s:g}s)",
            responded=True,
        )
        steps = [*steps, cut]
        duration = max(now - t0, sum(s.duration_s for s in steps))
        return JourneyRun(
            journey.name, "http", iteration, wall, duration, tuple(steps), cut_off=True
        )


def build_user_classes(
    journeys: Sequence[LoadedJourney],
    profile: LoadProfile,
    target: Target,
    recorder: Recorder,
    gate: ArrivalGate | None,
) -> tuple[list[type[User]], _Shopper]:
    """Locust user classes for the profile's mix, and the shopper they share.

    The classes have the same names on master and workers; the worker sets the shopper's
    `end_reason` when the run ends.
    """
    by_name = {journey.name: journey for journey in journeys}
    shopper = _Shopper()
    shopper.target, shopper.recorder = target, recorder
    shopper.default_timeout_s = profile.request_timeout
    shopper.grace_s = grace = rehearsal_grace_s(profile, journeys)
    host = target.url_for("api")
    # Our per-request gevent.Timeout must fire first: geventhttpclient's own would read as
    # "cannot connect", and its default of 60 s outlives the grace.
    client_timeout_s = grace + 5.0

    def on_start(user: Any) -> None:
        # Our Recorder measures every step; Locust's own per-request statistics would be a
        # second, unused bookkeeping on the hottest path (~10 % of a worker's core).
        user.client.request_event = EventHook()  # type: ignore[no-untyped-call]
        user.journey_client = FastClient(user.client, recorder.clients)

    common = {
        "host": host,
        "on_start": on_start,
        # what probes send too: a shop's analytics can tell rehearsal traffic from shoppers
        "default_headers": {"User-Agent": target.user_agent},
        "network_timeout": client_timeout_s,
        "connection_timeout": client_timeout_s,
        "__module__": __name__,
    }
    if profile.open_model:
        names = [name for name, weight in profile.mix.items() if weight > 0]
        weights = [profile.mix[name] for name in names]

        def arrive(user: Any) -> None:
            due = None if gate is None or recorder.finishing else gate.take()
            if due is None:
                if recorder.finishing:
                    gevent.sleep(0.2)
                return
            shopper.run(user, by_name[random.choices(names, weights)[0]], due)

        arrivals = type(
            ARRIVALS_USER,
            (FastHttpUser,),
            {**common, "wait_time": constant(0), "tasks": [task(arrive)]},
        )
        return [arrivals], shopper
    think = profile.think_time
    classes: list[type[User]] = []
    for name, weight in profile.mix.items():
        if weight <= 0:
            continue
        journey = by_name[name]

        def iterate(user: Any, journey: LoadedJourney = journey) -> None:
            if recorder.finishing:  # the run is over: finish, never start, an iteration
                gevent.sleep(0.2)
                return
            shopper.run(user, journey)

        classes.append(
            type(
                name,
                (FastHttpUser,),
                {
                    **common,
                    "weight": weight,
                    "wait_time": between(think.min, think.max),
                    "tasks": [task(iterate)],
                },
            )
        )
    return classes, shopper


def rehearsal_grace_s(profile: LoadProfile, journeys: Sequence[LoadedJourney]) -> float:
    """The end-of-run grace: the longest request timeout among the mix's http steps."""
    timeouts = [
        step_timeout_s(step, profile.request_timeout)
        for journey in journeys
        if profile.mix.get(journey.name, 0) > 0
        for step in journey.spec.http
    ]
    return profile.grace_s(timeouts)
