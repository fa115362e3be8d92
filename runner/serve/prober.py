"""The scheduler of `journey serve`: each probe on its schedule, within bounds, never piling up.

APScheduler keeps the time (intervals with jitter, cron, misfires); what a fire does is ours and
quick: in the scheduler's own thread (`_Launcher`) it either starts the run in a thread of its
own or counts a skip, so the scheduler never waits on a shop. A fire is **skipped** when the
probe's previous run is still in flight (`busy`: one instance per probe, so a frozen shop never
piles runs up), when serve's concurrency bound for the engine is reached (`bound`), or when it
fired too late to be the run it was planned as (`missed`: serve itself was stopped or starved).
Skips are counted apart and never count against the shop's SLO: a skip is our limit, not its
failure. A run that outlasts its journey's `timeout:` fails (the engines enforce it).

While a probe fails it is **rechecked** sooner: after a failed scheduled run, up to
`max_rechecks` more runs a quarter of the interval apart (at least 1 s, at most 60 s), ending at
the first that passes, and only while they land well before the next scheduled run. Rechecks
tell a blip from an outage quickly on the page and in `journey_rechecks_total`; they stay out
of the SLI, so probing more often while failing never weighs failures more than successes.

Runs go through the probe round's engines (runner/engines/probe.py): one http client per
(journey, target), and the one BrowserThread every browser run queues on; threads are daemons,
so a stop can abandon a run stuck on a frozen shop after its grace.
"""

from __future__ import annotations

import contextlib
import logging
import math
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

from apscheduler.executors.base import BaseExecutor
from apscheduler.job import Job
from apscheduler.schedulers.background import BackgroundScheduler

from runner.engines.engine import JourneyEngine
from runner.results import Engine, JourneyRun
from runner.serve.history import History
from runner.serve.metrics import DelayTally
from runner.serve.series import Series
from runner.serve.slis import Sli
from runner.serve.tallies import Tallies
from runner.serve.triggers import Plan
from runner.spec.loader import LoadedJourney
from runner.spec.target import Target
from runner.vocabulary import PASSED

logger = logging.getLogger(__name__)

Kind = Literal["scheduled", "recheck"]
RECHECK_SHARE = 0.25  # of the interval
RECHECK_MIN_S = 1.0
RECHECK_MAX_S = 60.0
MAX_RECHECKS = 2  # after each failed scheduled run, until one passes
MIN_MISFIRE_GRACE_S = 1.0


@dataclass(frozen=True, slots=True)
class Probe:
    """One journey's flow against one target, on its plan, with the SLIs it feeds."""

    series: Series
    journey: LoadedJourney
    target: Target
    plan: Plan
    slis: tuple[Sli, ...]

    def describe(self) -> str:
        """`checkout [http] → prod (tenant acme)`, for log lines."""
        s = self.series
        tenant = f" (tenant {s.tenant})" if s.tenant else ""
        return f"{s.journey} [{s.engine}] → {s.target}{tenant}"

    @property
    def key(self) -> str:
        s = self.series
        return f"{s.journey}|{s.engine}|{s.target}|{s.tenant}"


@dataclass(slots=True)
class _Flight:
    """What the prober tracks between fires, under its lock."""

    busy: set[str] = field(default_factory=set)
    in_flight: dict[str, int] = field(default_factory=dict)
    most_in_flight: dict[str, int] = field(default_factory=dict)  # highest seen, for tests
    iterations: dict[str, int] = field(default_factory=dict)
    rechecks_in_a_row: dict[str, int] = field(default_factory=dict)  # since the last scheduled


class Prober:
    """Schedules probes and runs them; `start`, `replace` on reload, `stop` at the end."""

    def __init__(
        self,
        engines: Mapping[Engine, JourneyEngine],
        history: History,
        tallies: Tallies,
        *,
        limits: Mapping[str, int],
        scrub: Callable[[str], str] = str,
        max_rechecks: int = MAX_RECHECKS,
    ) -> None:
        self.engines = engines
        self.history = history
        self.tallies = tallies
        self.limits = dict(limits)
        self.delays = DelayTally()
        self._scrub = scrub
        self._max_rechecks = max_rechecks
        self._lock = threading.Lock()
        self._flight = _Flight()
        self._probes: dict[str, Probe] = {}
        self._stopping = threading.Event()
        self._scheduler = BackgroundScheduler(
            timezone=UTC,
            executors={"default": _Launcher()},
            job_defaults={"coalesce": False, "max_instances": 1},
        )

    # -- life cycle ---------------------------------------------------------------------

    def start(self, probes: Sequence[Probe]) -> None:
        self.replace(probes)
        self._scheduler.start()

    def replace(self, probes: Sequence[Probe]) -> None:
        """Schedule exactly `probes`: new ones join, gone ones leave, kept ones keep state.

        A kept probe whose plan changed is rescheduled; its counters and history stay.
        """
        now = datetime.now(UTC)
        wanted = {probe.key: probe for probe in probes}
        self.tallies.keep((p.series, p.journey.spec) for p in probes)
        with self._lock:
            old, self._probes = self._probes, wanted
        for key in old.keys() - wanted.keys():
            for job_id in (key, _recheck_id(key)):
                if self._scheduler.get_job(job_id) is not None:
                    self._scheduler.remove_job(job_id)
        for position, probe in enumerate(probes):
            before = old.get(probe.key)
            if before is not None and before.plan == probe.plan:
                continue
            trigger = probe.plan.trigger(position, len(probes), now)
            # APScheduler takes whole seconds
            grace = math.ceil(max(MIN_MISFIRE_GRACE_S, probe.plan.interval_s(now) / 2))
            self._scheduler.add_job(
                self._fire,
                trigger,
                args=(probe.key, "scheduled"),
                id=probe.key,
                name=probe.key,
                replace_existing=True,
                misfire_grace_time=grace,
            )

    def stop(self, grace_s: float) -> int:
        """No new runs; wait up to `grace_s` for those in flight; return how many were left."""
        self._stopping.set()
        if self._scheduler.running:
            self._scheduler.shutdown(wait=False)
        deadline = time.monotonic() + grace_s
        while time.monotonic() < deadline and self.running_now():
            time.sleep(0.05)
        left = self.running_now()
        if left:
            logger.warning("abandoned %d probe runs still in flight after %gs", left, grace_s)
        return left

    # -- what tests, /healthz and /metrics read ------------------------------------------

    def running_now(self) -> int:
        with self._lock:
            return sum(self._flight.in_flight.values())

    def in_flight(self) -> dict[str, int]:
        with self._lock:
            return {engine: self._flight.in_flight.get(engine, 0) for engine in self.limits}

    def most_in_flight(self) -> dict[str, int]:
        with self._lock:
            return {e: self._flight.most_in_flight.get(e, 0) for e in self.limits}

    def probes(self) -> list[Probe]:
        with self._lock:
            return list(self._probes.values())

    @property
    def running(self) -> bool:
        return bool(self._scheduler.running) and not self._stopping.is_set()

    def next_fire(self, probe: Probe) -> datetime | None:
        job = self._scheduler.get_job(probe.key)
        return job.next_run_time if job is not None else None

    # -- fires ---------------------------------------------------------------------------

    def _fire(
        self, key: str, kind: Kind, planned: datetime | None = None, missed: bool = False
    ) -> None:
        """Start the run in its own thread, or count the skip; called in the scheduler's thread."""
        with self._lock:
            probe = self._probes.get(key)
            if probe is None or self._stopping.is_set():
                return
            engine = probe.series.engine
            flight = self._flight
            reason = ""
            if missed:
                reason = "missed"
            elif key in flight.busy:
                reason = "busy"
            elif flight.in_flight.get(engine, 0) >= self.limits.get(engine, 1):
                reason = "bound"
            if not reason:
                flight.busy.add(key)
                flight.in_flight[engine] = flight.in_flight.get(engine, 0) + 1
                flight.most_in_flight[engine] = max(
                    flight.most_in_flight.get(engine, 0), flight.in_flight[engine]
                )
                iteration = flight.iterations.get(key, 0)
                flight.iterations[key] = iteration + 1
        if reason:
            if kind == "scheduled":  # a recheck that cannot start is simply dropped
                self._skip(probe, reason)
            return
        thread = threading.Thread(
            target=self._run,
            args=(probe, kind, iteration),
            name=f"probe {probe.series.journey} [{engine}]",
            daemon=True,
        )
        if planned is not None and kind == "scheduled":
            self.delays.observe(engine, (datetime.now(UTC) - planned).total_seconds())
        thread.start()

    def _skip(self, probe: Probe, reason: str) -> None:
        self.tallies.add_skip(probe.series, reason)
        self.history.record_skip(probe.series, time.time(), reason)

    def _run(self, probe: Probe, kind: Kind, iteration: int) -> None:
        engine = probe.series.engine
        run: JourneyRun | None = None
        try:
            run = self.engines[engine].run_journey(probe.journey, probe.target, iteration)
        except KeyboardInterrupt:  # a stop ended a browser run: abandoned, not a failure
            run = None
        except Exception as exc:  # a bug of ours: logged, and the run counts as errored
            logger.exception("probe %s failed inside journey", probe.key)
            run = JourneyRun(
                probe.series.journey, engine, iteration, time.time(), 0.0, (), reason=str(exc)
            )
        finally:
            with self._lock:
                self._flight.busy.discard(probe.key)
                self._flight.in_flight[engine] -= 1
        if run is None or (self._stopping.is_set() and not run.steps):
            return
        self._record(probe, run, kind)
        self._maybe_recheck(probe, run, kind)

    def _record(self, probe: Probe, run: JourneyRun, kind: Kind) -> None:
        counts = {sli.objective: sli.count(run) for sli in probe.slis}
        failure = run.failure
        reason = run.reason or (failure.reason if failure is not None else "")
        try:
            self.history.record(probe.series, run, kind, counts, reason=self._scrub(reason))
        except Exception:  # a full disk must not stop the probes; the metrics still count
            logger.exception("could not record a run of %s in the history", probe.key)
        self.tallies.add_run(probe.series, run, recheck=kind == "recheck")
        for step in run.steps:  # a failed browser run's screenshot: serve keeps none, so that a
            for artefact in step.artefacts:  # long outage cannot fill the disk
                with contextlib.suppress(OSError):
                    Path(artefact).unlink()

    def _maybe_recheck(self, probe: Probe, run: JourneyRun, kind: Kind) -> None:
        key = probe.key
        now = datetime.now(UTC)
        delay = min(max(RECHECK_SHARE * probe.plan.interval_s(now), RECHECK_MIN_S), RECHECK_MAX_S)
        due = self.next_fire(probe)
        with self._lock:
            done = 0 if kind == "scheduled" else self._flight.rechecks_in_a_row.get(key, 0)
            if run.outcome == PASSED or done >= self._max_rechecks or self._stopping.is_set():
                self._flight.rechecks_in_a_row.pop(key, None)
                return
            if due is None or now + timedelta(seconds=2 * delay) > due:
                return  # the next scheduled run comes about as soon
            self._flight.rechecks_in_a_row[key] = done + 1
        try:
            self._scheduler.add_job(
                self._fire,
                "date",
                run_date=now + timedelta(seconds=delay),
                args=(key, "recheck"),
                id=_recheck_id(key),
                replace_existing=True,
                misfire_grace_time=None,
            )
        except Exception:  # the scheduler shut down meanwhile
            logger.debug("no recheck for %s: the scheduler is stopping", key)


def _recheck_id(key: str) -> str:
    return f"recheck {key}"


class _Launcher(BaseExecutor):  # type: ignore[misc]
    """Calls a job's function in the scheduler's thread, with its planned fire time.

    The function only starts a thread or counts a skip, so running it inline never delays the
    scheduler, and it learns when it was due (APScheduler's pool executors do not pass it).
    """

    def _do_submit_job(self, job: Job, run_times: list[datetime]) -> None:
        now = datetime.now(UTC)
        function: Callable[..., Any] = job.func
        try:
            for planned in run_times:  # several when serve was late (coalescing is off)
                late = (now - planned).total_seconds()
                missed = job.misfire_grace_time is not None and late > job.misfire_grace_time
                function(*job.args, planned=planned, missed=missed, **job.kwargs)
        except Exception as exc:
            self._run_job_error(job.id, exc, exc.__traceback__)
        else:
            self._run_job_success(job.id, [])
