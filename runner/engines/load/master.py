"""The rehearsal's master: Locust's MasterRunner, our workers, the shape, the rails.

It spawns local worker processes (or waits for remote ones), sends each the spec, starts the
profile's shape once every expected worker is ready, and then, once a second, samples the
users running and the workers' CPU, merges the tallies workers send, and checks the safety
rails. At the end (or on abort, or on Ctrl-C / SIGTERM) it sends FINISH: workers start
nothing new, give the iterations under way the grace (the request timeout), cut off and
record as failed what is still in flight, and hand over everything, so nothing measured is
lost and nothing unfinished goes uncounted. It formats nothing: the `journey load` command
turns the outcome into results, and hears each recorded capture value (`on_recorded`) as the
workers' data brings it, to append it to captures.jsonl there and then.

Its local workers run in a session of their own: a terminal's Ctrl-C reaches this process
only, which stops them through FINISH as above (a Ctrl-C of their own would cut their hand-over
short); a second Ctrl-C kills them (`Stopping.on_hard_stop`).
"""

from __future__ import annotations

import logging
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

import gevent
import httpx
from locust.env import Environment
from locust.event import Events
from locust.runners import STATE_MISSING, MasterRunner

from runner.engines.load import protocol
from runner.engines.load.outcome import RehearsalOutcome
from runner.engines.load.rails import HangWindows, abort_reason, floor_reason, hang_reason
from runner.engines.load.recorder import Recorder
from runner.engines.load.shape import ProfileShape
from runner.engines.load.timeline import plan_stages
from runner.engines.load.users import build_user_classes, rehearsal_grace_s
from runner.engines.load.wire import recorded_from_wire
from runner.errors import JourneyError
from runner.results import RecordedValue
from runner.spec.loader import LoadedJourney
from runner.spec.loadprofile import LoadProfile
from runner.spec.target import Target
from runner.stopping import Stopping

logger = logging.getLogger(__name__)

CPU_OVERLOAD_PERCENT = 90.0  # a worker this busy measures itself more than the target
READY_TIMEOUT_S = 60.0
FINAL_DATA_SLACK_S = 15.0  # beyond the grace: for workers to kill, record and send
INTERRUPT_GRACE_S = 5.0  # Ctrl-C: whoever pressed it waits no longer than this for the end


class WorkersNotReady(JourneyError):
    """The expected workers did not connect, or could not load the spec."""


class Rehearsal:
    """One load rehearsal, from workers' start to the last flush."""

    def __init__(
        self,
        profile: LoadProfile,
        journeys: list[LoadedJourney],
        target: Target,
        *,
        time_scale: float = 1.0,
        bind_host: str = "127.0.0.1",
        port: int = 5557,
        stopping: Stopping | None = None,
    ) -> None:
        self.profile = profile
        self.journeys = [j for j in journeys if j.name in profile.mix]
        self.target = target
        self.time_scale = time_scale
        self.outcome = RehearsalOutcome(plan_stages(profile, time_scale))
        self.outcome.grace_s = self.grace_s = rehearsal_grace_s(profile, self.journeys)
        self.hang_windows = HangWindows.of(profile, self.journeys, time_scale)
        self.stopping = stopping or Stopping()  # polled once a second, never waited on
        # called about once a second while the profile plays, with the seconds since start
        self.on_second: Callable[[float], None] = lambda elapsed_s: None
        # called with the values `record: true` captures took, as each worker's data brings them
        self.on_recorded: Callable[[list[RecordedValue]], None] = lambda values: None
        self._ready: set[str] = set()
        self._failed: dict[str, str] = {}
        self._flushed: set[str] = set()
        self._cpu_percent: dict[str, float] = {}  # by worker: its CPU over its last second
        self._index = 0
        self.shape = ProfileShape(
            self.outcome.plans,
            open_model=profile.open_model,
            max_users=profile.max_users,
            on_rate=self._send_rate,
        )
        classes, _ = build_user_classes(self.journeys, profile, target, Recorder(), None)
        # stop_timeout travels to the workers in every spawn message: users that a ramp-down
        # stops finish their iteration (up to the grace) instead of being killed mid-request
        self.environment = Environment(
            user_classes=classes,
            shape_class=self.shape,
            events=Events(),  # type: ignore[no-untyped-call]
            stop_timeout=self.grace_s,
        )
        self.runner: MasterRunner = self.environment.create_master_runner(bind_host, port)
        self.runner.register_message(protocol.HELLO, self._on_hello)
        self.runner.register_message(protocol.READY, self._on_ready)
        self.runner.register_message(protocol.FAILED, self._on_failed)
        self.runner.register_message(protocol.DATA, self._on_data)

    # -- the protocol -----------------------------------------------------------------------

    def _on_hello(self, environment: Environment, msg: Any) -> None:
        client_id = msg.node_id
        spec = protocol.spec_message(
            self.journeys,
            self.profile,
            self.target,
            self._index,
            max(self.outcome.workers_expected, 1),
        )
        self._index += 1
        self.runner.send_message(protocol.SPEC, spec, client_id=client_id)

    def _on_ready(self, environment: Environment, msg: Any) -> None:
        self._ready.add(msg.node_id)

    def _on_failed(self, environment: Environment, msg: Any) -> None:
        self._failed[msg.node_id] = str(msg.data.get("error", "unknown error"))

    def _on_data(self, environment: Environment, msg: Any) -> None:
        self.outcome.add_data(msg.node_id, msg.data)
        if recorded := msg.data.get("recorded"):
            self.on_recorded([recorded_from_wire(value) for value in recorded])
        if "cpu_percent" in msg.data:
            self._cpu_percent[msg.node_id] = float(msg.data["cpu_percent"])
        if msg.data.get("final"):
            self._flushed.add(msg.node_id)

    def _send_rate(self, rate: float) -> None:
        workers = max(len(self._live_workers()), 1)
        self.runner.send_message(protocol.RATE, {"rate": rate / workers})

    def _live_workers(self) -> list[str]:
        return [c.id for c in self.runner.clients.values() if c.state != STATE_MISSING]

    # -- the run --------------------------------------------------------------------------

    def run(self, expect_workers: int, local_workers: int) -> RehearsalOutcome:
        """Start `local_workers` processes, wait for `expect_workers`, run the profile."""
        self.outcome.workers_expected = expect_workers
        processes = [self._spawn_worker() for _ in range(local_workers)]

        def kill_workers() -> None:
            for process in processes:
                process.kill()

        self.stopping.on_hard_stop(kill_workers)
        try:
            self._wait_until_ready(expect_workers)
            if not self.outcome.interrupted:
                self._run_shape()
        finally:
            self._finish(processes)
        return self.outcome

    def _spawn_worker(self) -> subprocess.Popen[bytes]:
        command = [sys.executable, "-m", "runner", "worker", "--master-host", "127.0.0.1"]
        command += ["--master-port", str(self.runner.master_bind_port)]
        return subprocess.Popen(command, stdin=subprocess.DEVNULL, start_new_session=True)

    def _wait_until_ready(self, expected: int) -> None:
        deadline = time.monotonic() + READY_TIMEOUT_S
        while len(self._ready) < expected:
            if self._failed:
                raise WorkersNotReady(
                    f"a worker could not load the spec: {next(iter(self._failed.values()))}"
                )
            if self.stopping.requested():
                self.outcome.interrupted = True  # before any load: nothing to run or judge
                return
            if time.monotonic() > deadline:
                raise WorkersNotReady(
                    f"{len(self._ready)} of {expected} workers ready after {READY_TIMEOUT_S:g}s"
                )
            gevent.sleep(0.1)
        self.outcome.workers_ready = len(self._ready)

    def _run_shape(self) -> None:
        outcome = self.outcome
        rail = self.profile.abort_if
        window_s = rail.window * self.time_scale
        health = gevent.spawn(self._watch_health) if rail.health else None
        outcome.started = time.time()
        self.runner.start_shape()
        end_s = self.outcome.plans[-1].end_s
        try:
            while True:
                elapsed = time.time() - outcome.started
                gevent.sleep(min(1.0, max(end_s - elapsed, 0.05)))
                elapsed = time.time() - outcome.started
                now = int(time.time())
                outcome.users[now] = self.runner.user_count
                outcome.asked[now] = self.shape.asked
                self._watch_workers(now)
                self.on_second(elapsed)
                if self.stopping.requested():
                    outcome.interrupted = True
                    break
                if why := self._rail_reason(window_s, elapsed, now):
                    outcome.aborted, outcome.aborted_at_s = why, elapsed
                    break
                if elapsed >= end_s:
                    break
        except KeyboardInterrupt:
            outcome.interrupted = True
        finally:
            outcome.stopped_at_s = time.time() - outcome.started
            self.shape.finished = True  # the users stay; FINISH ends their iterations
            if health is not None:
                health.kill()

    def _rail_reason(self, window_s: float, elapsed: float, now: int) -> str | None:
        outcome, rail = self.outcome, self.profile.abort_if
        return (
            abort_reason(rail, window_s, elapsed, outcome.seconds, outcome.health, now)
            or hang_reason(self.hang_windows, elapsed, outcome, now)
            or (
                floor_reason(rail, window_s, elapsed, outcome.asked, outcome.completed, now)
                if self.profile.open_model
                else None
            )
        )

    def _watch_workers(self, now: int) -> None:
        outcome = self.outcome
        busy = False
        for client in self.runner.clients.values():
            cpu = self._cpu_percent.get(client.id, 0.0)  # over the worker's last second
            outcome.cpu_max = max(outcome.cpu_max, cpu)
            busy |= cpu >= CPU_OVERLOAD_PERCENT
            if client.state == STATE_MISSING and client.id not in outcome.lost_workers:
                outcome.lost_workers.append(client.id)
        outcome.overloaded_seconds += busy

    def _watch_health(self) -> None:
        rail = self.profile.abort_if
        path = rail.health_path if rail else "/health"
        url = self.target.url_for("api") + path
        with httpx.Client(timeout=2.0, headers={"User-Agent": self.target.user_agent}) as client:
            while True:
                second = int(time.time())
                try:
                    ok = client.get(url).status_code < 500
                except httpx.HTTPError:
                    ok = False
                self.outcome.health[second] = ok
                gevent.sleep(1.0)

    def _finish(self, processes: list[subprocess.Popen[bytes]]) -> None:
        outcome = self.outcome
        grace = min(self.grace_s, INTERRUPT_GRACE_S) if outcome.interrupted else self.grace_s
        if outcome.interrupted:
            why = "the rehearsal was interrupted"
        elif outcome.aborted:
            why = "the rehearsal was aborted"
        else:
            why = "the rehearsal ended"
        try:
            if self._ready:
                self.runner.send_message(protocol.FINISH, {"grace_s": grace, "why": why})
                deadline = time.monotonic() + grace + FINAL_DATA_SLACK_S
                while (
                    time.monotonic() < deadline and not set(self._live_workers()) <= self._flushed
                ):
                    gevent.sleep(0.1)
        finally:
            outcome.ended = time.time()
            self.runner.quit()
            if outcome.interrupted:  # a worker still connecting never hears quit: tell it
                for process in processes:
                    if process.poll() is None:
                        process.terminate()
            for process in processes:
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait(timeout=10)
            self._ready.clear()
