"""A Locust worker that becomes a journey worker when the master sends it the spec.

`journey worker --master-host H` starts one; `journey load` starts one per core locally.
It hands its per-second tallies to the master every second and on the master's flush, so a
worker that dies loses at most its last second.

The end of a run is ours, not Locust's `stop` (which kills users at once when the master's
spawn message carries no stop_timeout, and then sleeps before reading the next message): on
the master's FINISH, no new iteration starts, the arrivals still queued are dropped, the
iterations under way get the grace (the request timeout) to end, and what is still in flight
then is killed, recorded as failed, and handed over with the final data.
"""

from __future__ import annotations

import gc
import logging
import time
from typing import Any

import gevent
from locust.env import Environment
from locust.event import Events

from runner.engines.load import protocol
from runner.engines.load.recorder import Recorder
from runner.engines.load.users import ArrivalGate, build_user_classes
from runner.errors import JourneyError
from runner.spec.thresholds import run_bounds

logger = logging.getLogger(__name__)

KILL_TIMEOUT_S = 5.0  # killing greenlets blocked in a request takes a few milliseconds


def run_worker(master_host: str, master_port: int) -> None:
    """Serve the master until it quits (or the connection is lost)."""
    recorder = Recorder()
    gate = ArrivalGate(recorder)
    environment = Environment(
        user_classes=[],
        events=Events(),  # type: ignore[no-untyped-call]
    )
    runner = environment.create_worker_runner(master_host, master_port)
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

    def on_finish(environment: Environment, msg: Any) -> None:
        # not in this handler: Locust reads the master's messages one at a time from here
        gevent.spawn(finish, float(msg.data["grace_s"]), str(msg.data["why"]))

    runner.register_message(protocol.SPEC, on_spec)
    runner.register_message(protocol.RATE, on_rate)
    runner.register_message(protocol.FINISH, on_finish)
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

    pump = gevent.spawn(hand_over)
    try:
        runner.greenlet.join()
    finally:
        pump.kill()
