"""SQLite access shared by every thread and worker process of the shop.

One connection per thread (sqlite3 connections must not be shared concurrently), WAL mode so
readers never wait for the writer, and every write inside `BEGIN IMMEDIATE`: the write lock is
taken up front, so two checkouts cannot both read stock and then both fail to upgrade their lock
(the deferred-transaction deadlock that surfaces as "database is locked"). Waiting for the lock
is left to SQLite's busy timeout, and a busy error that still escapes is retried here until the
deadline. Imports nothing of ours.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

_BUSY_MESSAGES = ("database is locked", "database is busy", "database table is locked")


def _is_busy(exc: sqlite3.OperationalError) -> bool:
    return any(message in str(exc) for message in _BUSY_MESSAGES)


class Database:
    """A SQLite file opened lazily, one connection per calling thread.

    `read()` gives the calling thread's connection in autocommit mode (each statement sees the
    latest committed state); `write(work)` runs `work(connection)` in one immediate transaction,
    retried as a whole while the database stays busy, so `work` must have no effects outside it.
    """

    def __init__(self, path: str, *, busy_timeout_s: float = 30.0) -> None:
        self.path = path
        self._busy_timeout_s = busy_timeout_s
        self._local = threading.local()
        self._lock = threading.Lock()
        self._connections: list[sqlite3.Connection] = []

    def read(self) -> sqlite3.Connection:
        """Return this thread's connection, opening it on first use."""
        connection: sqlite3.Connection | None = getattr(self._local, "connection", None)
        if connection is None:
            # check_same_thread=False only so close() may run on another thread at shutdown;
            # each connection is still used by the one thread that opened it.
            connection = sqlite3.connect(
                self.path,
                timeout=self._busy_timeout_s,
                isolation_level=None,
                check_same_thread=False,
            )
            connection.row_factory = sqlite3.Row
            connection.execute("PRAGMA synchronous=NORMAL")
            connection.execute("PRAGMA foreign_keys=ON")
            self._local.connection = connection
            with self._lock:
                self._connections.append(connection)
        return connection

    def write(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """Run `work` in one `BEGIN IMMEDIATE` transaction and return its result.

        Raises:
            sqlite3.OperationalError: the database stayed busy past the busy timeout, or any
                other SQLite failure. Exceptions from `work` roll the transaction back and
                propagate unchanged.
        """
        connection = self.read()
        deadline = time.monotonic() + self._busy_timeout_s
        pause_s = 0.005
        while True:
            try:
                connection.execute("BEGIN IMMEDIATE")
                result = work(connection)
                connection.execute("COMMIT")
            except sqlite3.OperationalError as exc:
                if connection.in_transaction:
                    connection.execute("ROLLBACK")
                if not _is_busy(exc) or time.monotonic() > deadline:
                    raise
                time.sleep(pause_s)
                pause_s = min(pause_s * 2, 0.1)
                continue
            except BaseException:
                if connection.in_transaction:
                    connection.execute("ROLLBACK")
                raise
            return result

    def enable_wal(self) -> None:
        """Switch the file to WAL mode (persistent; must run outside a transaction)."""
        self.read().execute("PRAGMA journal_mode=WAL")

    def close(self) -> None:
        """Close every connection opened so far; later calls to `read()` reopen lazily."""
        with self._lock:
            connections, self._connections = self._connections, []
        for connection in connections:
            connection.close()
        self._local = threading.local()
