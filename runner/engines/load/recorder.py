"""A worker's record of journey runs and arrivals, by wall-clock second, until the master takes it.

Runs are keyed by the second they *started* (for the open model, the second their arrival was
due), so the master can place every run in its stage and in the per-second time series,
whatever worker and whatever report it came in, and so iterations per second are arrivals per
second. Beside them, what the rails need as it happens rather than once a run ends: steps
that passed and iterations that completed since the last hand-over (so by the second they
did, give or take the hand-over's second), and the requests outstanding right now. Arrivals
asked and dropped are counted by their due second, so that asked = started + dropped holds
second by second. Memory is bounded by the seconds between two hand-overs, not by the number
of runs. The values of `record: true` captures (order numbers) are handed over the same way,
each run's as it ends, so that the master appends them to captures.jsonl as they come: never
more than a second's worth is held here, however many orders a rehearsal places.
"""

from __future__ import annotations

import time
from typing import Any

from runner.engines.load.client import Clients
from runner.engines.load.wire import recorded_to_wire, tally_to_wire
from runner.results import JourneyRun, JourneyTally, recorded_values


class Recorder:
    """Per-second tallies and counts of this process; `drain` hands them over and starts afresh.

    `clients` are every user's client (what is in flight, and each request's timeout);
    `running` counts iterations under way; `finishing` tells users to start no new iteration.
    """

    def __init__(self) -> None:
        self.bounds: tuple[float, ...] = ()  # exact histogram counts at these, once the spec came
        self._pending: dict[tuple[int, str], JourneyTally] = {}
        self._passed_steps: dict[str, int] = {}
        self._completed = 0
        self._asked: dict[int, int] = {}
        self._dropped: dict[int, int] = {}
        self._recorded: list[list[Any]] = []  # since the last drain, as they go on the wire
        self.clients = Clients()
        self.running = 0
        self.finishing = False

    def add(self, run: JourneyRun) -> None:
        key = (int(run.started), run.journey)
        tally = self._pending.get(key)
        if tally is None:
            tally = self._pending[key] = JourneyTally(run.journey, "http", self.bounds)
        tally.add(run)
        if run.steps and not run.cut_off and run.outcome == "passed":
            self._completed += 1
        if tally.recorded:  # cheap: most journeys record nothing
            self._recorded.extend(recorded_to_wire(value) for value in recorded_values(run))

    def step_passed(self, name: str) -> None:
        """A step (`journey / step`) passed just now: the hang rail's evidence."""
        passed = self._passed_steps
        passed[name] = passed.get(name, 0) + 1

    def arrival(self, due_wall: float, *, dropped: bool) -> None:
        """Open model: an arrival released by the gate, due at `due_wall`; dropped or taken."""
        second = int(due_wall)
        self._asked[second] = self._asked.get(second, 0) + 1
        if dropped:
            self._dropped[second] = self._dropped.get(second, 0) + 1

    def drain(self) -> dict[str, Any]:
        """What was recorded since the last drain, as msgpack-able data (no integer keys)."""
        pending, self._pending = self._pending, {}
        passed, self._passed_steps = self._passed_steps, {}
        completed, self._completed = self._completed, 0
        now = int(time.time())
        asked, self._asked = self._asked, {}
        dropped, self._dropped = self._dropped, {}
        recorded, self._recorded = self._recorded, []
        return {
            "seconds": [
                {"second": second, "tally": tally_to_wire(tally)}
                for (second, _), tally in sorted(pending.items())
            ],
            "passed_steps": [[now, name, n] for name, n in passed.items()],
            "completed": [[now, completed]] if completed else [],
            "asked": sorted(asked.items()),
            "dropped": sorted(dropped.items()),
            "recorded": recorded,
            "in_flight": {
                "at": now,
                "steps": self.clients.in_flight(),
            },
        }
