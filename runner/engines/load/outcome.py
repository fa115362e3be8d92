"""What a rehearsal measured, as plain data: judged and reported by `journey load`.

Kept apart from the master so that judging and reporting never import Locust. Every figure is
keyed by epoch second: runs by the second they started (or their arrival was due), arrivals
asked and dropped by their due second, steps passed and iterations completed by the second
they ended, requests in flight by the second a worker sampled them.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from runner.engines.load.timeline import StagePlan
from runner.engines.load.wire import tally_from_wire
from runner.results import JourneyTally


@dataclass(slots=True)
class RehearsalOutcome:
    """What the master measured; seconds are epoch seconds, run time is from the start."""

    plans: list[StagePlan]
    started: float = 0.0
    ended: float = 0.0
    grace_s: float = 0.0
    seconds: dict[int, dict[str, JourneyTally]] = field(default_factory=dict)
    users: dict[int, int] = field(default_factory=dict)
    asked: dict[int, float] = field(default_factory=dict)  # the rate the shape asked, per s
    health: dict[int, bool] = field(default_factory=dict)
    arrivals: Counter[int] = field(default_factory=Counter)  # open model: released by gates
    dropped: Counter[int] = field(default_factory=Counter)  # ... of which never started
    completed: Counter[int] = field(default_factory=Counter)  # iterations passed, by end
    passed_steps: dict[int, Counter[str]] = field(default_factory=dict)  # `journey / step`
    # by second, by worker: requests outstanding per `journey / step` when it was sampled
    in_flight: dict[int, dict[str, dict[str, int]]] = field(default_factory=dict)
    aborted: str | None = None
    aborted_at_s: float | None = None
    interrupted: bool = False
    stopped_at_s: float = 0.0  # run time when the master stopped asking for load
    workers_expected: int = 0
    workers_ready: int = 0
    lost_workers: list[str] = field(default_factory=list)
    cpu_max: float = 0.0
    overloaded_seconds: int = 0

    @property
    def dropped_iterations(self) -> int:
        return sum(self.dropped.values())

    def in_flight_at(self, second: int) -> dict[str, int] | None:
        """Requests outstanding by step in `second`, all workers summed; None if unsampled."""
        samples = self.in_flight.get(second)
        if samples is None:
            return None
        total: Counter[str] = Counter()
        for steps in samples.values():
            total.update(steps)
        return dict(total)

    def add_data(self, worker: str, data: dict[str, Any]) -> None:
        for item in data.get("seconds", []):
            tally = tally_from_wire(item["tally"])
            per_journey = self.seconds.setdefault(int(item["second"]), {})
            if tally.journey in per_journey:
                per_journey[tally.journey].merge(tally)
            else:
                per_journey[tally.journey] = tally
        for second, count in data.get("asked", []):
            self.arrivals[int(second)] += int(count)
        for second, count in data.get("dropped", []):
            self.dropped[int(second)] += int(count)
        for second, count in data.get("completed", []):
            self.completed[int(second)] += int(count)
        for second, name, count in data.get("passed_steps", []):
            self.passed_steps.setdefault(int(second), Counter())[str(name)] += int(count)
        if sample := data.get("in_flight"):
            steps = {str(k): int(v) for k, v in sample["steps"].items()}
            self.in_flight.setdefault(int(sample["at"]), {})[worker] = steps
