"""A Locust worker that becomes a journey worker when the master sends it the spec.

`journey worker --master-host H` starts one; `journey load` starts one per core locally.
It hands its per-second tallies, and the values its runs' `record: true` captures took, to the
master every second and on the master's flush, so a worker that dies loses at most its last
second.

The end of a run is ours, not Locust's `stop` (which kills users at once when the master's
spawn message carries no stop_timeout, and then sleeps before reading the next message): on
the master's FINISH, no new iteration starts, the arrivals still queued are dropped, the
iterations under way get the grace (the request timeout) to end, and what is still in flight
then is killed, recorded as failed, and handed over with the final data.

A worker stopped itself (Ctrl-C, SIGTERM: runner/stopping.py) ends the same way, with a short
grace, tells the master it quits, and returns; before it has reached a master there is
nothing to hand over, and it returns at once. Either way the caller exits 130. The stop is
polled with gevent.sleep: the flag's Event may predate gevent's patching.
"""

from __future__ import annotations

import gc
import logging
import time
from collections.abc import Callable
from typing import Any

import gevent
from locust.env import Environment
from locust.event import Events

from runner.engines.load import protocol
from runner.engines.load.recorder import Recorder
from runner.engines.load.users import ArrivalGate, build_user_classes
from runner.errors import JourneyError
from runner.spec.thresholds import run_bounds
from runner.stopping import Interrupted, Stopping

logger = logging.getLogger(__name__)

KILL_TIMEOUT_S = 5.0  # killing greenlets blocked in a request takes a few milliseconds
STOPPED_GRACE_S = 5.0  # a worker stopped by Ctrl-C: whoever pressed it waits no longer
STOP_POLL_S = 0.1


class MasterUnreachable(JourneyError):
    """No master answered at the address given (Locust gave up connecting)."""


def _silent(line: str) -> None:
    pass


def run_worker(
    master_host: str,
    master_port: int,
    say: Callable[[str], None] = _silent,
    stopping: Stopping | None = None,
) -> None:
    """Serve the master until it quits (or the connection is lost), or `stopping` is asked.

    Raises Interrupted when stopped (after handing over what was measured), and
    MasterUnreachable when no master answered.

    `say` hears where the worker is: connected, the rehearsal started, ended. A worker runs
    unattended on another host, and its log is the first place one looks when load is missing.
    """
    stopping = stopping or Stopping()
    recorder = Recorder()
    gate = ArrivalGate(recorder)
    environment = Environment(
        user_classes=[],
        events=Events(),  # type: ignore[no-untyped-call]
    )
    runner = _connect(environment, master_host, master_port, stopping)
    shoppers = []

    def on_spec(environment: Environment, msg: Any) -> None:
        try:
            journeys, profile, target = protocol.load_spec_message(
                msg.data, protocol.scratch_folder()
            )
        except JourneyError as exc:
            runner.send_message(protocol.FAILED, {"error": str(exc)})
            return
        recorder.bounds = run_bounds([journey.spec for journey in journeys], profile)
        classes, shopper = build_user_classes(journeys, profile, target, recorder, gate)
        shoppers.append(shopper)
        environment.user_classes = list(classes)
        # Everything loaded so far lives for the whole rehearsal: keep the collector off it,
        # and collect young objects less often (each request makes a few dozen), ~3 % more
        # requests per core in bench/load_engine.py.
        gc.freeze()
        gc.set_threshold(10_000, 50, 50)
        runner.send_message(protocol.READY, {"index": msg.data["worker_index"]})
        say(
            f"worker: connected to {master_host}:{master_port}; profile {profile.profile}, "
            f"{len(journeys)} journeys: ready"
        )

    def on_rate(environment: Environment, msg: Any) -> None:
        gate.set_rate(float(msg.data["rate"]))

    def finish(grace_s: float, why: str) -> None:
        recorder.finishing = True
        gate.close()
        for shopper in shoppers:
            shopper.end_reason, shopper.grace_s = why, grace_s
        deadline = time.monotonic() + grace_s
        while recorder.running and time.monotonic() < deadline:
            gevent.sleep(0.05)
        # what is still under way now is cut off: recorded as failed by the user as it dies
        runner.user_greenlets.kill(block=True, timeout=KILL_TIMEOUT_S)
        runner.send_message(protocol.DATA, {**recorder.drain(), "final": True})
        say(f"worker: the rehearsal ended ({why}): final figures sent to the master")

    def on_start(environment: Environment, **kwargs: Any) -> None:
        say("worker: the rehearsal started: generating load")

    def on_finish(environment: Environment, msg: Any) -> None:
        # not in this handler: Locust reads the master's messages one at a time from here
        gevent.spawn(finish, float(msg.data["grace_s"]), str(msg.data["why"]))

    runner.register_message(protocol.SPEC, on_spec)
    runner.register_message(protocol.RATE, on_rate)
    runner.register_message(protocol.FINISH, on_finish)
    environment.events.test_start.add_listener(on_start)  # type: ignore[no-untyped-call]
    say(f"worker: connecting to the master at {master_host}:{master_port}")
    runner.send_message(protocol.HELLO, {})  # only now can the spec's answer be heard

    def hand_over() -> None:
        # The CPU this process used over each second goes with that second's data: Locust's
        # own figure is sampled every 10 s (none at all in a rehearsal under 20 s).
        cpu, wall = time.process_time(), time.monotonic()
        while True:
            gevent.sleep(1.0)
            data = recorder.drain()
            cpu_now, wall_now = time.process_time(), time.monotonic()
            data["cpu_percent"] = 100.0 * (cpu_now - cpu) / max(wall_now - wall, 1e-6)
            cpu, wall = cpu_now, wall_now
            runner.send_message(protocol.DATA, data)

    def watch_stop() -> None:
        while not stopping.requested():
            gevent.sleep(STOP_POLL_S)
        if recorder.finishing:  # the master's FINISH is under way: it quits us when done
            runner.greenlet.join(timeout=STOPPED_GRACE_S + KILL_TIMEOUT_S)
        elif shoppers:
            finish(STOPPED_GRACE_S, "the worker was stopped")
        runner.quit()  # tells the master this worker is gone, and ends runner.greenlet

    pump = gevent.spawn(hand_over)
    watcher = gevent.spawn(watch_stop)
    try:
        runner.greenlet.join()
    finally:
        pump.kill()
        watcher.kill()
    stopping.check()


def _connect(environment: Environment, host: str, port: int, stopping: Stopping) -> Any:
    """The worker runner, connected to its master.

    Locust's connect blocks (up to 5 minutes) and turns a KeyboardInterrupt into exit 1, so it
    runs in a greenlet of its own, which a stop kills.
    """
    connecting = gevent.spawn(environment.create_worker_runner, host, port)
    while not connecting.ready():
        if stopping.requested():
            connecting.kill()
            raise Interrupted(stopping.reason)
        gevent.sleep(STOP_POLL_S)
    if not connecting.successful():
        raise MasterUnreachable(f"no master answered at {host}:{port}") from connecting.exception
    return connecting.value
