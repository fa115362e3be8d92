"""Fault settings: parsing `GROUP:KIND=VALUE`, durations and ratios, and the shared fault store.

Four kinds per route group: `latency` (seconds added before handling), `errors` (the ratio of
requests answered 503), `lag` (seconds added before a POS batch is applied) and `stall` (seconds
a request is held, re-read while holding so clearing it releases held requests). Settings live in
SQLite, not in process memory, so a change made through any worker is seen by all of them; each
process caches them for at most `FaultStore.max_age_s`. Imports `groups` and `database` only.
"""

from __future__ import annotations

import re
import sqlite3
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Final

from runner.demoshop.database import Database
from runner.demoshop.groups import GROUPS

KINDS: Final[tuple[str, ...]] = ("latency", "errors", "lag", "stall")

_DURATION = re.compile(r"(?P<number>\d+(?:\.\d*)?|\.\d+)\s*(?P<unit>ms|s|m|h)?")
_UNIT_S: Final = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, None: 1.0}
_RATIO = re.compile(r"(?P<number>\d+(?:\.\d*)?|\.\d+)\s*(?P<percent>%)?")
_SPEC = re.compile(r"(?P<group>[a-z]+):(?P<kind>[a-z]+)=(?P<value>.+)")


@dataclass(frozen=True, slots=True)
class FaultSettings:
    """The faults of one route group; all zero means healthy."""

    latency_s: float = 0.0
    error_ratio: float = 0.0
    lag_s: float = 0.0
    stall_s: float = 0.0

    def to_json(self) -> dict[str, float]:
        return {
            "latency": self.latency_s,
            "errors": self.error_ratio,
            "lag": self.lag_s,
            "stall": self.stall_s,
        }


_FIELDS: Final = {
    "latency": "latency_s",
    "errors": "error_ratio",
    "lag": "lag_s",
    "stall": "stall_s",
}

# What FaultStore._store applies inside its transaction: current settings -> new settings.
_Change = Callable[[dict[str, FaultSettings]], dict[str, FaultSettings]]


def parse_duration(text: str) -> float:
    """Parse "800ms", "2s", "1.5s", "1m" or a bare number of seconds into seconds.

    Raises:
        ValueError: `text` is not a non-negative duration.
    """
    match = _DURATION.fullmatch(text.strip())
    if not match:
        raise ValueError(f"expected a duration like 800ms, 2s or 1m, got {text!r}")
    return float(match["number"]) * _UNIT_S[match["unit"]]


def parse_ratio(text: str) -> float:
    """Parse "20%" or "0.2" into a ratio between 0 and 1.

    Raises:
        ValueError: `text` is not a percentage from 0% to 100% or a ratio from 0 to 1.
    """
    match = _RATIO.fullmatch(text.strip())
    if match:
        ratio = float(match["number"]) / (100 if match["percent"] else 1)
        if ratio <= 1:
            return ratio
    raise ValueError(f"expected a ratio like 20% or 0.2 (at most 100%), got {text!r}")


def parse_fault_value(kind: str, value: object) -> float:
    """Parse one fault value: a string as in `--fault`, or a number (seconds, or ratio 0..1).

    Raises:
        ValueError: unknown `kind`, or a value out of range or unreadable.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown fault kind {kind!r}, expected one of {', '.join(KINDS)}")
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ValueError(f"{kind}: expected a string or a number, got {value!r}")
    if isinstance(value, str):
        return parse_ratio(value) if kind == "errors" else parse_duration(value)
    number = float(value)
    if not 0 <= number < float("inf") or (kind == "errors" and number > 1):
        limit = "a ratio from 0 to 1" if kind == "errors" else "non-negative seconds"
        raise ValueError(f"{kind}: expected {limit}, got {value!r}")
    return number


def parse_fault_spec(spec: str) -> tuple[str, str, float]:
    """Parse "GROUP:KIND=VALUE" (e.g. "checkout:latency=800ms") into (group, kind, value).

    Raises:
        ValueError: with a one-line message quoting `spec` and saying what was expected.
    """
    match = _SPEC.fullmatch(spec.strip())
    if not match:
        raise ValueError(
            f"invalid fault {spec!r}: expected GROUP:KIND=VALUE, e.g. search:errors=20%"
        )
    group, kind = match["group"], match["kind"]
    if group not in GROUPS:
        raise ValueError(f"invalid fault {spec!r}: unknown group {group!r}, expected one of "
                         f"{', '.join(GROUPS)}")  # fmt: skip
    try:
        return group, kind, parse_fault_value(kind, match["value"])
    except ValueError as exc:
        raise ValueError(f"invalid fault {spec!r}: {exc}") from None


def parse_fault_specs(specs: Iterable[str]) -> dict[str, FaultSettings]:
    """Parse several specs into settings per group; later specs override earlier ones.

    Raises:
        ValueError: for the first malformed spec, as `parse_fault_spec`.
    """
    settings = healthy()
    for spec in specs:
        group, kind, value = parse_fault_spec(spec)
        settings[group] = replace(settings[group], **{_FIELDS[kind]: value})
    return settings


def healthy() -> dict[str, FaultSettings]:
    """Return settings with no fault in any group."""
    return {group: FaultSettings() for group in GROUPS}


def apply_changes(settings: FaultSettings, changes: Mapping[str, float]) -> FaultSettings:
    """Return `settings` with the given kinds (already parsed) replaced."""
    return replace(settings, **{_FIELDS[kind]: value for kind, value in changes.items()})


class FaultStore:
    """Fault settings kept in SQLite and cached per process for at most `max_age_s`."""

    def __init__(self, db: Database, *, max_age_s: float = 0.05) -> None:
        self._db = db
        self.max_age_s = max_age_s
        self._cache: tuple[float, dict[str, FaultSettings]] | None = None

    def cached(self) -> dict[str, FaultSettings] | None:
        """Return the cached settings if fresh enough, else None (then call `load`)."""
        cache = self._cache
        if cache and time.monotonic() - cache[0] <= self.max_age_s:
            return cache[1]
        return None

    def load(self) -> dict[str, FaultSettings]:
        """Return the current settings, reading SQLite if the cache is stale (blocking I/O)."""
        cached = self.cached()
        if cached is not None:
            return cached
        settings = _read(self._db.read())
        self._cache = (time.monotonic(), settings)
        return settings

    def replace_all(self, settings: Mapping[str, FaultSettings]) -> dict[str, FaultSettings]:
        """Replace every group's settings (groups not given become healthy)."""
        merged = healthy() | dict(settings)
        return self._store(lambda _current: merged)

    def update(self, group: str, changes: Mapping[str, float]) -> dict[str, FaultSettings]:
        """Change some kinds of one group, keeping the others; return all settings."""
        return self._store(
            lambda current: current | {group: apply_changes(current[group], changes)}
        )

    def _store(self, change: _Change) -> dict[str, FaultSettings]:
        def work(connection: sqlite3.Connection) -> dict[str, FaultSettings]:
            settings = change(_read(connection))
            connection.execute("DELETE FROM faults")
            connection.executemany(
                "INSERT INTO faults (group_name, latency_s, error_ratio, lag_s, stall_s) "
                "VALUES (?, ?, ?, ?, ?)",
                [(g, s.latency_s, s.error_ratio, s.lag_s, s.stall_s) for g, s in settings.items()],
            )
            return settings

        settings = self._db.write(work)
        self._cache = (time.monotonic(), settings)
        return settings


def _read(connection: sqlite3.Connection) -> dict[str, FaultSettings]:
    settings = healthy()
    rows = connection.execute(
        "SELECT group_name, latency_s, error_ratio, lag_s, stall_s FROM faults"
    )
    for row in rows:
        if row[0] in settings:
            settings[row[0]] = FaultSettings(row[1], row[2], row[3], row[4])
    return settings
