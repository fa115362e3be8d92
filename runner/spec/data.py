"""Data feeders: rows from a CSV file handed to journey runs (`{{ product.query }}`).

`pick` says how rows are drawn: `sequential` cycles in file order, `random` draws with
replacement, `unique` hands each row out at most once (a run that finds the feeder exhausted
fails with a clear reason instead of reusing, say, a gift card).

A journey file is input, often from another team: its data file must lie inside the journey's
folder, so a journey cannot read `/etc/passwd` or `../../secrets.csv` into requests that go
to the target. The path is checked as written (relative, no `..`) and again once resolved
(no symbolic link out of the folder), and the file must be a regular file of at most
`MAX_DATA_BYTES` (a FIFO or `/dev/zero` would hang or exhaust the loader).
"""

from __future__ import annotations

import csv
import random
import stat
import threading
from collections.abc import Mapping
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

MAX_DATA_BYTES = 10 * 1024 * 1024
"""The largest data file a journey may read (10 MiB): its rows are held in memory."""


class DataFeeder(BaseModel):
    """A CSV file, relative to the journey file, and how to pick its rows."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    csv: str = Field(min_length=1)
    pick: Literal["random", "sequential", "unique"] = "sequential"

    @field_validator("csv")
    @classmethod
    def _inside_the_journey_folder(cls, path: str) -> str:
        # as written: `../x.csv`, `/etc/passwd`, `C:\\x.csv` all point outside the folder
        windows = PureWindowsPath(path)  # its parts split on `/` and `\\` alike
        outside = PurePosixPath(path).is_absolute() or windows.drive or windows.root
        if outside or ".." in windows.parts:
            raise ValueError(
                f"expected a path inside the journey's folder (relative, no '..'), got {path!r}"
            )
        if any(ord(character) < 32 for character in path):
            raise ValueError(f"expected a path without control characters, got {path!r}")
        return path


class DataPathError(ValueError):
    """A data file resolves outside the journey's folder, or is not a regular file."""


class FeederExhausted(RuntimeError):
    """A `unique` feeder has handed out every row."""


class Feeder:
    """The rows of one feeder and the drawing state; safe to share between threads."""

    def __init__(self, name: str, rows: list[dict[str, str]], pick: str) -> None:
        self.name = name
        self.rows = rows
        self.pick = pick
        self.columns = frozenset(rows[0]) if rows else frozenset()
        self._next = 0
        self._lock = threading.Lock()

    def draw(self) -> Mapping[str, str]:
        """The next row. Raises FeederExhausted when a unique feeder has no row left."""
        if self.pick == "random":
            return random.choice(self.rows)
        with self._lock:
            index = self._next
            self._next += 1
        if self.pick == "sequential":
            return self.rows[index % len(self.rows)]
        if index >= len(self.rows):
            raise FeederExhausted(f"data feeder {self.name!r}: every unique row has been used")
        return self.rows[index]


def read_csv_rows(path: Path, *, within: Path) -> list[dict[str, str]]:
    """Read every row of the CSV file `path`, with a header, that lies inside `within`.

    Raises FileNotFoundError, DataPathError (outside `within` once symbolic links are
    followed, not a regular file, or too large), OSError, csv.Error and ValueError.
    """
    resolved = path.resolve(strict=True)
    if not resolved.is_relative_to(within.resolve()):
        raise DataPathError(f"{str(path)!r} leads outside the journey's folder (a symbolic link)")
    info = resolved.stat()
    if not stat.S_ISREG(info.st_mode):
        raise DataPathError(f"{str(path)!r} is not a regular file")
    if info.st_size > MAX_DATA_BYTES:
        raise DataPathError(
            f"{str(path)!r} has {info.st_size:,} bytes (at most {MAX_DATA_BYTES:,})"
        )
    with resolved.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        if not reader.fieldnames:
            raise ValueError("the CSV file has no header row")
        rows = [dict(row) for row in reader]
    if not rows:
        raise ValueError("the CSV file has a header but no rows")
    return rows
