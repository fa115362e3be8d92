"""Data feeders: rows from a CSV file handed to journey runs (`{{ product.query }}`).

`pick` says how rows are drawn: `sequential` cycles in file order, `random` draws with
replacement, `unique` hands each row out at most once (a run that finds the feeder exhausted
fails with a clear reason instead of reusing, say, a gift card).
"""

from __future__ import annotations

import csv
import random
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class DataFeeder(BaseModel):
    """A CSV file, relative to the journey file, and how to pick its rows."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    csv: str = Field(min_length=1)
    pick: Literal["random", "sequential", "unique"] = "sequential"


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


def read_csv_rows(path: Path) -> list[dict[str, str]]:
    """Read every row of a CSV file with a header. Raises OSError, csv.Error, ValueError."""
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        if not reader.fieldnames:
            raise ValueError("the CSV file has no header row")
        rows = [dict(row) for row in reader]
    if not rows:
        raise ValueError("the CSV file has a header but no rows")
    return rows
