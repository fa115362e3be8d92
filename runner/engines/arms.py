"""A canary's two arms, run side by side: the same journeys, interleaved, at the same time.

Each look asks both arms for the same number of iterations of every (journey, engine); each
arm runs in its own thread, so the two are measured at the same moments and a target that
slows down for everyone slows both alike. Within an iteration an arm runs its journeys in a
random order (seeded: `--seed` replays it), so no journey always follows another. Both arms
use the same iteration numbers, so data feeders hand them the same products.

The engines are a ProbeRound's (runner/engines/probe.py): http clients per (journey, target),
and the one BrowserThread that every browser run goes through. A stop (Ctrl-C, SIGTERM) or
the deadline (`--max-duration`) ends each arm after the run in progress; what ran is kept.
"""

from __future__ import annotations

import random
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
        self._orders = {name: random.Random(f"{seed}:{name}") for name in self.targets}
        self._next_iteration = 0
        self._pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="canary-arm")

    @property
    def past_deadline(self) -> bool:
        return self.deadline is not None and time.monotonic() >= self.deadline

    def run(self, iterations: int) -> Batch:
        """`iterations` iterations of every item on both arms; returns when both are done."""
        first = self._next_iteration
        self._next_iteration += iterations
        futures = {
            name: self._pool.submit(self._arm, name, first, iterations) for name in self.targets
        }
        results = {name: future.result() for name, future in futures.items()}
        wanted = iterations * len(self.items)
        complete = all(len(runs) == wanted for runs in results.values())
        return Batch(results["baseline"], results["candidate"], complete)

    def _arm(self, name: str, first: int, iterations: int) -> tuple[JourneyRun, ...]:
        target, order = self.targets[name], self._orders[name]
        runs: list[JourneyRun] = []
        for iteration in range(first, first + iterations):
            items = list(self.items)
            order.shuffle(items)
            for journey, engine in items:
                if self.stopping.requested() or self.past_deadline:
                    return tuple(runs)
                runs.append(self.engines[engine].run_journey(journey, target, iteration))
        return tuple(runs)

    def close(self) -> None:
        self._pool.shutdown(wait=True)

    def __enter__(self) -> Arms:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
