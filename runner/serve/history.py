"""Every result `journey serve` saw, in SQLite, so that a restart keeps history and burn rates.

A burn rate over 3 days or a budget over 30 days cannot live in the process's memory: a
restart (a deploy, a crash) would reset them to "no data". So each run is written as it ends:

- `runs`: one row per run (scheduled or recheck), for the web page's recent runs;
- `minute_tallies` and `hour_tallies`: per SLI objective, the (good, total) events of the
  scheduled runs ended in that minute or hour, upserted as runs end. Minutes answer windows up
  to 3 days (they are kept 3 days and an hour); hours answer the SLO window (kept as long as the
  retention). Rechecks stay out: a failure retried until it passes must not hide the failure;
- `series_totals`: lifetime counts and last times, never purged, so the Prometheus counters
  built from them never go down (a purge that lowered a counter would read as a reset);
- `skips`: each run that did not start (busy, bound, missed), with a count per reason.

A run is placed by when it *ended* (started + duration_s), as its Prometheus samples are. One
connection serves every thread (probe threads record, the metrics refresher reads), behind one
lock, in WAL mode with synchronous=NORMAL: a commit writes the WAL without an fsync, so a
record costs a few inserts, and a power cut loses at most the last commits, never the file.
The clock is read only by `purge`: everything else is decided by the times recorded, so tests
can place runs days apart without waiting. Imports results, vocabulary and serve's series.
"""

from __future__ import annotations

import math
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Literal, cast

from runner.results import JourneyRun
from runner.serve.series import Series
from runner.vocabulary import PASSED, Engine, Outcome

RunKind = Literal["scheduled", "recheck"]
RUN_KINDS: tuple[RunKind, ...] = ("scheduled", "recheck")

SCHEMA_VERSION = 1  # PRAGMA user_version; a later version migrates from the one it finds
APPLICATION_ID = 0x4A524E59  # PRAGMA application_id, "JRNY": tells our file from any SQLite
MINUTE_S = 60
HOUR_S = 3600
MINUTE_RETENTION_S = 3 * 86400 + HOUR_S  # the longest burn window (3 d) and its first hour

_SCHEMA = """
CREATE TABLE series (
    id INTEGER PRIMARY KEY,
    journey TEXT NOT NULL,
    engine TEXT NOT NULL,
    target TEXT NOT NULL,
    tenant TEXT NOT NULL,
    channel TEXT NOT NULL,
    UNIQUE (journey, engine, target, tenant, channel)
);
CREATE TABLE series_totals (
    series INTEGER PRIMARY KEY REFERENCES series (id),
    scheduled INTEGER NOT NULL DEFAULT 0,
    failures INTEGER NOT NULL DEFAULT 0,
    rechecks INTEGER NOT NULL DEFAULT 0,
    recheck_failures INTEGER NOT NULL DEFAULT 0,
    skipped INTEGER NOT NULL DEFAULT 0,
    last_ended REAL,
    last_passed_ended REAL
);
CREATE TABLE skip_reasons (
    series INTEGER NOT NULL REFERENCES series (id),
    reason TEXT NOT NULL,
    skipped INTEGER NOT NULL,
    PRIMARY KEY (series, reason)
) WITHOUT ROWID;
CREATE TABLE runs (
    id INTEGER PRIMARY KEY,
    series INTEGER NOT NULL REFERENCES series (id),
    started REAL NOT NULL,
    ended REAL NOT NULL,
    duration_s REAL NOT NULL,
    kind TEXT NOT NULL,
    outcome TEXT NOT NULL,
    failed_step TEXT NOT NULL,
    reason TEXT NOT NULL
);
CREATE INDEX runs_by_series ON runs (series, ended);
CREATE INDEX runs_by_end ON runs (ended);
CREATE TABLE skips (
    id INTEGER PRIMARY KEY,
    series INTEGER NOT NULL REFERENCES series (id),
    at REAL NOT NULL,
    reason TEXT NOT NULL
);
CREATE INDEX skips_by_time ON skips (at);
CREATE TABLE objectives (
    id INTEGER PRIMARY KEY,
    series INTEGER NOT NULL REFERENCES series (id),
    name TEXT NOT NULL,
    UNIQUE (series, name)
);
CREATE TABLE minute_tallies (
    minute INTEGER NOT NULL,
    objective INTEGER NOT NULL REFERENCES objectives (id),
    good INTEGER NOT NULL,
    total INTEGER NOT NULL,
    PRIMARY KEY (minute, objective)
) WITHOUT ROWID;
CREATE TABLE hour_tallies (
    hour INTEGER NOT NULL,
    objective INTEGER NOT NULL REFERENCES objectives (id),
    good INTEGER NOT NULL,
    total INTEGER NOT NULL,
    PRIMARY KEY (hour, objective)
) WITHOUT ROWID;
CREATE TABLE horizon (
    grain TEXT PRIMARY KEY,
    since REAL NOT NULL
);
"""

_ADD = "INSERT INTO {table} VALUES (?, ?, ?, ?) ON CONFLICT DO UPDATE SET good = good + excluded.good, total = total + excluded.total"  # noqa: E501
_ADD_MINUTE = _ADD.format(table="minute_tallies")
_ADD_HOUR = _ADD.format(table="hour_tallies")
_ADD_RUN = "INSERT INTO runs VALUES (NULL, ?, ?, ?, ?, ?, ?, ?, ?)"
_COUNT_RUN = """
UPDATE series_totals SET
    scheduled = scheduled + :scheduled, failures = failures + :failures,
    rechecks = rechecks + :rechecks, recheck_failures = recheck_failures + :recheck_failures,
    last_ended = MAX(COALESCE(last_ended, :ended), :ended),
    last_passed_ended = CASE WHEN :passed THEN MAX(COALESCE(last_passed_ended, :ended), :ended)
                             ELSE last_passed_ended END
WHERE series = :series
"""


@dataclass(frozen=True, slots=True)
class RunRow:
    """One run as the history keeps it: when, what kind, how it ended and where it failed."""

    started: float  # epoch seconds
    ended: float  # started + duration_s
    duration_s: float
    kind: RunKind
    outcome: Outcome
    step: str  # the step that ended the run, "" when none did
    reason: str  # as the caller gave it (scrubbed by the caller: the history never redacts)


@dataclass(frozen=True, slots=True)
class SeriesTotals:
    """Lifetime counts of one series, never purged: what its Prometheus counters show."""

    scheduled: int  # scheduled runs, the SLI's
    rechecks: int
    skipped: int  # runs that never started, every reason
    failures: int  # scheduled runs that did not pass
    recheck_failures: int = 0  # rechecks that did not pass
    skipped_by_reason: Mapping[str, int] = field(default_factory=dict)


class History:
    """Every result serve saw, in SQLite, so that a restart keeps history and burn rates.

    Safe to share between threads. Raises ValueError, one line naming the file, when `path`
    cannot be opened or is not a journey history (another program's SQLite file, a corrupt or
    non-SQLite file, or one written by a newer journey); the command turns that into exit 2.
    It never creates the folder `path` is in.
    """

    def __init__(
        self,
        path: str | Path,
        *,
        retention_s: float,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not retention_s > 0:
            raise ValueError(f"retention must be positive, got {retention_s!r}")
        self.path = str(path)
        self.retention_s = float(retention_s)
        self._clock = clock
        self._lock = threading.Lock()
        self._series: dict[Series, int] = {}
        self._by_id: dict[int, Series] = {}
        self._objectives: dict[tuple[int, str], int] = {}
        self._objective_of: dict[int, tuple[Series, str]] = {}
        self._minutes_from = -math.inf  # minute tallies are whole from here on (last purge)
        self._newest: float | None = None  # the latest end of any run recorded
        self._db = _connect(self.path)
        try:
            _prepare(self._db, self.path)
            self._load()
        except sqlite3.DatabaseError as exc:
            self._db.close()
            raise ValueError(f"{self.path}: not a journey history ({exc})") from None
        except ValueError:
            self._db.close()
            raise

    def __enter__(self) -> History:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()

    def record(
        self,
        series: Series,
        run: JourneyRun,
        kind: RunKind,
        counts: Mapping[str, tuple[int, int]],
        reason: str = "",
    ) -> None:
        """Keep one run; a scheduled one also adds `counts` (objective → (good, total)).

        Rechecks never add counts: they are kept and counted apart, outside every SLI.
        Objectives with no events (0, 0) write nothing. Raises ValueError for an unknown
        `kind` or a count whose good is outside 0..total.
        """
        if kind not in RUN_KINDS:
            raise ValueError(f"expected a run kind in {RUN_KINDS}, got {kind!r}")
        scheduled = kind == "scheduled"
        # rechecks add no events: a failure retried until it passes must not hide the failure
        tallied = [(n, good, total) for n, (good, total) in counts.items() if total and scheduled]
        if any(not 0 <= good <= total for _, good, total in tallied):
            raise ValueError(f"expected 0 <= good <= total, got {dict(counts)!r}")
        ended = run.started + run.duration_s
        failure = run.failure
        passed = run.outcome == PASSED
        with self._lock:
            sid = self._series_id(series)
            adds = [(self._objective_id(sid, name), good, total) for name, good, total in tallied]
            with self._transaction():
                step = failure.step if failure else ""
                self._db.execute(
                    _ADD_RUN,
                    (sid, run.started, ended, run.duration_s, kind, run.outcome, step, reason),
                )
                failed = not passed
                self._db.execute(
                    _COUNT_RUN,
                    {
                        "scheduled": scheduled,
                        "failures": failed and scheduled,
                        "rechecks": not scheduled,
                        "recheck_failures": failed and not scheduled,
                        "ended": ended,
                        "passed": passed,
                        "series": sid,
                    },
                )
                if adds:
                    minute, hour = math.floor(ended / MINUTE_S), math.floor(ended / HOUR_S)
                    self._db.executemany(_ADD_MINUTE, [(minute, *add) for add in adds])
                    self._db.executemany(_ADD_HOUR, [(hour, *add) for add in adds])
            self._newest = ended if self._newest is None else max(self._newest, ended)

    def record_skip(self, series: Series, when: float, reason: str) -> None:
        """Keep one run that did not start at `when` (epoch seconds) and why: a bounded word."""
        with self._lock:
            sid = self._series_id(series)
            with self._transaction():
                self._db.execute("INSERT INTO skips VALUES (NULL, ?, ?, ?)", (sid, when, reason))
                self._db.execute(
                    "UPDATE series_totals SET skipped = skipped + 1 WHERE series = ?", (sid,)
                )
                self._db.execute(
                    "INSERT INTO skip_reasons VALUES (?, ?, 1)"
                    " ON CONFLICT DO UPDATE SET skipped = skipped + 1",
                    (sid, reason),
                )

    def window_totals(self, since: float) -> dict[tuple[Series, str], tuple[int, int]]:
        """(good, total) per (series, objective) of scheduled runs ended at or after `since`.

        Counted by buckets, so a window starts at the start of the bucket holding `since`:
        within the minute tallies' reach (`since` no more than 3 d 1 h before the newest run,
        and not before the last purge's minute cutoff) it may hold up to a minute more; beyond
        it, whole hours from the hour holding `since`, so up to an hour more (under 0.2 % of a
        30 d window). Whole hours inside a minute-grain window are read from the hour tallies:
        the same sums, an hour in one row instead of sixty.
        """
        with self._lock:
            if self._newest is None:
                return {}
            minute_reach = max(self._minutes_from, self._newest - MINUTE_RETENTION_S)
            if since >= minute_reach:
                first_minute = math.floor(since / MINUTE_S)
                first_hour = -(-first_minute * MINUTE_S // HOUR_S)  # the first whole hour
                minutes = (first_minute, first_hour * HOUR_S // MINUTE_S)
            else:
                first_hour, minutes = math.floor(since / HOUR_S), (0, 0)
            rows = self._db.execute(
                "SELECT objective, SUM(good), SUM(total) FROM minute_tallies"
                " WHERE minute >= ? AND minute < ? GROUP BY objective"
                " UNION ALL SELECT objective, SUM(good), SUM(total) FROM hour_tallies"
                " WHERE hour >= ? GROUP BY objective",
                (*minutes, first_hour),
            ).fetchall()
            out: dict[tuple[Series, str], tuple[int, int]] = {}
            for oid, good, total in rows:
                key = self._objective_of[oid]
                before = out.get(key, (0, 0))
                out[key] = (before[0] + good, before[1] + total)
            return out

    def last_times(self) -> dict[Series, tuple[float | None, float | None]]:
        """(last run ended, last passing run ended) per series, scheduled or recheck."""
        with self._lock:
            rows = self._db.execute(
                "SELECT series, last_ended, last_passed_ended FROM series_totals"
            ).fetchall()
        return {self._by_id[sid]: (last, passed) for sid, last, passed in rows}

    def recent(self, series: Series, limit: int = 60) -> list[RunRow]:
        """The latest `limit` runs of `series` (scheduled and recheck), newest first."""
        with self._lock:
            sid = self._series.get(series)
            if sid is None:
                return []
            rows = self._db.execute(
                "SELECT started, ended, duration_s, kind, outcome, failed_step, reason FROM runs"
                " WHERE series = ? ORDER BY ended DESC, id DESC LIMIT ?",
                (sid, limit),
            ).fetchall()
        return [
            RunRow(started, ended, duration, cast(RunKind, kind), cast(Outcome, outcome), step, why)
            for started, ended, duration, kind, outcome, step, why in rows
        ]

    def totals(self) -> dict[Series, SeriesTotals]:
        """Lifetime counts per series: scheduled, rechecks, skipped, failures (never purged)."""
        with self._lock:
            rows = self._db.execute(
                "SELECT series, scheduled, rechecks, skipped, failures, recheck_failures"
                " FROM series_totals"
            ).fetchall()
            reasons: dict[int, dict[str, int]] = {}
            for sid, reason, skipped in self._db.execute("SELECT * FROM skip_reasons"):
                reasons.setdefault(sid, {})[reason] = skipped
        return {
            self._by_id[sid]: SeriesTotals(
                scheduled, rechecks, skipped, failures, recheck_failures, reasons.get(sid, {})
            )
            for sid, scheduled, rechecks, skipped, failures, recheck_failures in rows
        }

    def purge(self) -> int:
        """Drop what is older than its retention; return how many rows were deleted.

        Runs and skips older than `retention_s`; minute tallies wholly older than 3 d 1 h (or
        the retention, if shorter); hour tallies wholly older than the retention. Lifetime
        counts and last times stay.
        """
        now = self._clock()
        run_cut = now - self.retention_s
        minute_cut = now - min(MINUTE_RETENTION_S, self.retention_s)
        deletes = [
            ("DELETE FROM runs WHERE ended < ?", run_cut),
            ("DELETE FROM skips WHERE at < ?", run_cut),
            ("DELETE FROM minute_tallies WHERE minute < ?", math.floor(minute_cut / MINUTE_S)),
            ("DELETE FROM hour_tallies WHERE hour < ?", math.floor(run_cut / HOUR_S)),
        ]
        with self._lock:
            with self._transaction():
                deleted = sum(self._db.execute(sql, (cut,)).rowcount for sql, cut in deletes)
                if minute_cut > self._minutes_from:
                    self._db.execute(
                        "INSERT INTO horizon VALUES ('minute', ?)"
                        " ON CONFLICT DO UPDATE SET since = excluded.since",
                        (minute_cut,),
                    )
            # under the same lock: no reader may see the minutes gone but not the new reach
            self._minutes_from = max(self._minutes_from, minute_cut)
        return deleted

    def close(self) -> None:
        """Close the file; any later call raises sqlite3.ProgrammingError. Safe to repeat."""
        with self._lock:
            self._db.close()

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        # The caller holds the lock. Autocommit connection: BEGIN and COMMIT are ours.
        self._db.execute("BEGIN")
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def _series_id(self, series: Series) -> int:
        # The caller holds the lock; a new series is committed before any row points to it.
        sid = self._series.get(series)
        if sid is None:
            with self._transaction():
                labels = (series.journey, series.engine, series.target, series.tenant)
                self._db.execute(
                    "INSERT OR IGNORE INTO series VALUES (NULL, ?, ?, ?, ?, ?)",
                    (*labels, series.channel),
                )
                (sid,) = self._db.execute(
                    "SELECT id FROM series WHERE journey = ? AND engine = ? AND target = ?"
                    " AND tenant = ? AND channel = ?",
                    (*labels, series.channel),
                ).fetchone()
                self._db.execute("INSERT OR IGNORE INTO series_totals (series) VALUES (?)", (sid,))
            self._series[series], self._by_id[sid] = sid, series
        return sid

    def _objective_id(self, sid: int, name: str) -> int:
        # The caller holds the lock; as _series_id, committed before tallies point to it.
        oid = self._objectives.get((sid, name))
        if oid is None:
            with self._transaction():
                self._db.execute(
                    "INSERT OR IGNORE INTO objectives VALUES (NULL, ?, ?)", (sid, name)
                )
                (oid,) = self._db.execute(
                    "SELECT id FROM objectives WHERE series = ? AND name = ?", (sid, name)
                ).fetchone()
            self._objectives[sid, name] = oid
            self._objective_of[oid] = (self._by_id[sid], name)
        return oid

    def _load(self) -> None:
        for sid, journey, engine, target, tenant, channel in self._db.execute(
            "SELECT * FROM series"
        ):
            series = Series(journey, cast(Engine, engine), target, tenant, channel)
            self._series[series], self._by_id[sid] = sid, series
        for oid, sid, name in self._db.execute("SELECT * FROM objectives"):
            self._objectives[sid, name] = oid
            self._objective_of[oid] = (self._by_id[sid], name)
        (newest,) = self._db.execute("SELECT MAX(last_ended) FROM series_totals").fetchone()
        self._newest = newest
        horizon = self._db.execute("SELECT since FROM horizon WHERE grain = 'minute'").fetchone()
        if horizon is not None:
            self._minutes_from = horizon[0]


def _connect(path: str) -> sqlite3.Connection:
    try:
        # isolation_level=None: no implicit transactions, each write is BEGIN … COMMIT of ours
        return sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=10)
    except sqlite3.Error as exc:
        raise ValueError(f"{path}: cannot open the history ({exc})") from None


def _prepare(db: sqlite3.Connection, path: str) -> None:
    """Check `db` is a journey history (or empty, then make it one), and set it up.

    Nothing is written to a file that is not ours: its identity is read before WAL is set.
    """
    (version,) = db.execute("PRAGMA user_version").fetchone()
    (application,) = db.execute("PRAGMA application_id").fetchone()
    if version == 0 and application == 0:
        if db.execute("SELECT 1 FROM sqlite_master LIMIT 1").fetchone() is not None:
            raise ValueError(f"{path}: not a journey history (an SQLite file with other tables)")
        _create(db)
    elif application != APPLICATION_ID:
        raise ValueError(f"{path}: not a journey history (SQLite application id {application})")
    elif version > SCHEMA_VERSION:
        raise ValueError(
            f"{path}: written by a newer journey (history schema {version}, "
            f"this one reads up to {SCHEMA_VERSION})"
        )
    # a later SCHEMA_VERSION migrates here, one version at a time, from `version` up
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("PRAGMA synchronous = NORMAL")


def _create(db: sqlite3.Connection) -> None:
    db.execute("BEGIN")
    try:
        for statement in _SCHEMA.split(";"):
            if statement.strip():
                db.execute(statement)
        db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")
