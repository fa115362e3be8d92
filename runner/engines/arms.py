"""A canary's two arms, run side by side: the same journeys, interleaved, at the same time.

Each look asks both arms for the same number of iterations of every (journey, engine); each
arm runs in its own thread, and each run starts when the other arm's same run starts (a
barrier), so the two are measured at the same moments, paced alike, and a target that slows
down for everyone slows both alike. Within an iteration the journeys run in a random order
(seeded: `--seed` replays it), the same on both arms, so no journey always follows another.
Both arms use the same iteration numbers, so data feeders hand them the same products.

The engines are a ProbeRound's (runner/engines/probe.py): http clients per (journey, target),
and the one BrowserThread that every browser run goes through. A stop (Ctrl-C, SIGTERM) or
the deadline (`--max-duration`) ends each arm after the run in progress; what ran is kept.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from runner.engines.engine import JourneyEngine
from runner.results import Engine, JourneyRun
from runner.spec.loader import LoadedJourney
from runner.spec.target import Target
from runner.stopping import Stopping

Item = tuple[LoadedJourney, Engine]


@dataclass(frozen=True, slots=True)
class Batch:
    """What both arms ran for one look (or the warm-up), each arm's runs in the order run."""

    baseline: tuple[JourneyRun, ...]
    candidate: tuple[JourneyRun, ...]
    complete: bool  # every run asked for ran: no stop, no deadline

    def arm(self, name: str) -> tuple[JourneyRun, ...]:
        return self.baseline if name == "baseline" else self.candidate


class Arms:
    """Runs batches of iterations on both arms at once; a context manager for its threads."""

    def __init__(
        self,
        items: Sequence[Item],
        engines: Mapping[Engine, JourneyEngine],
        baseline: Target,
        candidate: Target,
        *,
        seed: int,
        stopping: Stopping,
        deadline: float | None = None,
    ) -> None:
        self.items = tuple(items)
        self.engines = engines
        self.targets = {"baseline": baseline, "candidate": candidate}
        self.stopping = stopping
        self.deadline = deadline  # time.monotonic() after which no run starts
        self._order = random.Random(seed)  # one order for both arms: the same runs side by side
        self._next_iteration = 0
        self._pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="canary-arm")

    @property
    def past_deadline(self) -> bool:
        return self.deadline is not None and time.monotonic() >= self.deadline

    def run(self, iterations: int) -> Batch:
        """`iterations` iterations of every item on both arms; returns when both are done."""
        first = self._next_iteration
        self._next_iteration += iterations
        orders = []
        for _ in range(iterations):
            items = list(self.items)
            self._order.shuffle(items)
            orders.append(items)
        together = threading.Barrier(len(self.targets))
        futures = {
            name: self._pool.submit(self._arm, name, first, orders, together)
            for name in self.targets
        }
        results = {name: future.result() for name, future in futures.items()}
        wanted = iterations * len(self.items)
        complete = all(len(runs) == wanted for runs in results.values())
        return Batch(results["baseline"], results["candidate"], complete)

    def _arm(
        self, name: str, first: int, orders: list[list[Item]], together: threading.Barrier
    ) -> tuple[JourneyRun, ...]:
        """One arm's share of a batch: each run starts as the other arm's same run starts.

        In lockstep because pacing shows in latency: a request that follows an idle gap is
        slower than one that follows another at once (2.5 ms against 1.1 ms on loopback), so
        an arm slowed by one journey would make its other journeys look slower too.
        """
        target = self.targets[name]
        runs: list[JourneyRun] = []
        try:
            for iteration, items in enumerate(orders, start=first):
                for journey, engine in items:
                    together.wait()
                    if self.stopping.requested() or self.past_deadline:
                        together.abort()
                        return tuple(runs)
                    runs.append(self.engines[engine].run_journey(journey, target, iteration))
        except threading.BrokenBarrierError:  # the other arm stopped: so does this one
            return tuple(runs)
        except BaseException:
            together.abort()  # never leave the other arm waiting
            raise
        return tuple(runs)

    def close(self) -> None:
        self._pool.shutdown(wait=True)

    def __enter__(self) -> Arms:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
