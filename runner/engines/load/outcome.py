"""What a rehearsal measured, as plain data: judged and reported by `journey load`.

Kept apart from the master so that judging and reporting never import Locust.
"""

from __future__ import annotations

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
    seconds: dict[int, dict[str, JourneyTally]] = field(default_factory=dict)
    users: dict[int, int] = field(default_factory=dict)
    asked: dict[int, float] = field(default_factory=dict)
    health: dict[int, bool] = field(default_factory=dict)
    aborted: str | None = None
    aborted_at_s: float | None = None
    interrupted: bool = False
    workers_expected: int = 0
    workers_ready: int = 0
    lost_workers: list[str] = field(default_factory=list)
    cpu_max: float = 0.0
    overloaded_seconds: int = 0
    dropped_iterations: int = 0

    def add_data(self, data: dict[str, Any]) -> None:
        self.dropped_iterations += int(data.get("dropped", 0))
        for item in data.get("seconds", []):
            tally = tally_from_wire(item["tally"])
            per_journey = self.seconds.setdefault(int(item["second"]), {})
            if tally.journey in per_journey:
                per_journey[tally.journey].merge(tally)
            else:
                per_journey[tally.journey] = tally
