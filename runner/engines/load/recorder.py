"""A worker's record of finished journey runs, by wall-clock second, until the master takes it.

Keyed by the second a run *started*, so the master can place every run in its stage and in the
per-second time series, whatever worker and whatever report it came in, and so iterations per
second are arrivals per second: what an open-model stage asks for, whatever the latency. Memory
is bounded by the seconds between two hand-overs, not by the number of runs.
"""

from __future__ import annotations

from typing import Any

from runner.engines.load.wire import tally_to_wire
from runner.results import JourneyRun, JourneyTally


class Recorder:
    """Per-second JourneyTallies of this process; `drain` hands them over and starts afresh."""

    def __init__(self) -> None:
        self._pending: dict[tuple[int, str], JourneyTally] = {}
        self.dropped_iterations = 0  # open model: arrivals no free user could start

    def add(self, run: JourneyRun) -> None:
        key = (int(run.started), run.journey)
        tally = self._pending.get(key)
        if tally is None:
            tally = self._pending[key] = JourneyTally(run.journey, "http")
        tally.add(run)

    def drain(self) -> dict[str, Any]:
        pending, self._pending = self._pending, {}
        dropped, self.dropped_iterations = self.dropped_iterations, 0
        return {
            "seconds": [
                {"second": second, "tally": tally_to_wire(tally)}
                for (second, _), tally in sorted(pending.items())
            ],
            "dropped": dropped,
        }
