"""captures.jsonl: every value a `record: true` capture took, one JSON line each, as runs end.

The audit trail of what probes and load rehearsals placed in the target (order numbers, basket
ids), so that someone can find them in the shop's own export, or cancel them. A rehearsal may
place 10^5 orders: values are streamed to the file as they arrive and never kept here, and the
results document only counts them and shows the first few (runner.results.JourneyTally).

A line reads `{"journey", "engine", "iteration", "step", "capture", "value", "at"}`, `at` the
step's start in UTC ISO 8601. Each line is scrubbed by the run's Redactor like every other
output. The file is opened on the first value only: a run that records nothing (or a command
that exits 2 before running) leaves no captures.jsonl, and no output folder, behind. It is
flushed as values come, so what was recorded survives a run that is killed. The file always
belongs to the run whose results.json is beside it: the first value replaces one an earlier
run left in the same `--out` folder, and `complete` removes such a file when this run
recorded nothing.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from types import TracebackType
from typing import IO

from runner.builder import iso
from runner.redact import Redactor
from runner.results import JourneyRun, RecordedValue, recorded_values

CAPTURES_FILE = "captures.jsonl"


def capture_line(value: RecordedValue) -> str:
    """One value as its JSON line (without the newline), before scrubbing."""
    return json.dumps(
        {
            "journey": value.journey,
            "engine": value.engine,
            "iteration": value.iteration,
            "step": value.step,
            "capture": value.capture,
            "value": value.value,
            "at": iso(value.started),
        },
        ensure_ascii=False,
    )


class CapturesFile:
    """Appends recorded values to `path`, made (with its folder) when the first one comes.

    A context manager: leaving it closes the file. `written` counts the lines appended.
    Raises OSError when the file cannot be made or written.
    """

    def __init__(self, path: Path, redactor: Redactor) -> None:
        self.path = path
        self.written = 0
        self._redactor = redactor
        self._handle: IO[str] | None = None

    def add(self, value: RecordedValue) -> None:
        """Append one value, flushed at once."""
        self.extend((value,))

    def add_run(self, run: JourneyRun) -> None:
        """Append every value `run` recorded (nothing, for most runs)."""
        self.extend(recorded_values(run))

    def extend(self, values: Iterable[RecordedValue]) -> None:
        """Append `values`, then flush once."""
        lines = [self._redactor.scrub(capture_line(value)) + "\n" for value in values]
        if not lines:
            return
        self._open().writelines(lines)
        self._open().flush()
        self.written += len(lines)

    def append_file(self, other: Path) -> None:
        """Append another run's captures.jsonl as it is (a rehearsal's probes' own), scrubbed.

        Read line by line: its size does not matter. Nothing happens if it does not exist.
        """
        try:
            source = other.open(encoding="utf-8")
        except FileNotFoundError:
            return
        with source:
            for line in source:
                if line.strip():
                    self._open().write(self._redactor.scrub(line.rstrip("\n")) + "\n")
                    self.written += 1
        if self._handle is not None:
            self._handle.flush()

    def close(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None

    def complete(self) -> None:
        """Close the file once the run is over; with nothing recorded, remove an earlier one.

        Called just before the other outputs are written, so the folder's files agree.
        """
        self.close()
        if not self.written:
            self.path.unlink(missing_ok=True)

    def __enter__(self) -> CapturesFile:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def _open(self) -> IO[str]:
        if self._handle is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)  # the run has started
            # the first open replaces an earlier run's file; a reopening after close appends
            self._handle = self.path.open("a" if self.written else "w", encoding="utf-8")
        return self._handle
