"""The shop's SQLite schema and its idempotent initialisation.

Every statement is `IF NOT EXISTS` and runs in one immediate transaction, so `serve()` and each
worker may all initialise the same file safely; the catalogue is seeded and the CSRF secret
created only when absent. Orders use `AUTOINCREMENT`, so their `seq` never goes backwards or is
reused: the export cursor relies on it. `CREATE TABLE IF NOT EXISTS` never alters a table, so
columns added since a table first shipped are also added to a reused `--db` that lacks them.
"""

from __future__ import annotations

import secrets
import sqlite3
from typing import Final

from runner.demoshop.catalogue import seed_catalogue
from runner.demoshop.database import Database

_TABLES: Final = (
    """CREATE TABLE IF NOT EXISTS meta (
        key TEXT PRIMARY KEY, value TEXT NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS products (
        sku TEXT PRIMARY KEY, name TEXT NOT NULL, category TEXT NOT NULL,
        price_cents INTEGER NOT NULL, stock INTEGER NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS cart_lines (
        session_id TEXT NOT NULL, sku TEXT NOT NULL REFERENCES products (sku),
        qty INTEGER NOT NULL, PRIMARY KEY (session_id, sku))""",
    """CREATE TABLE IF NOT EXISTS orders (
        seq INTEGER PRIMARY KEY AUTOINCREMENT, order_id TEXT NOT NULL UNIQUE,
        session_id TEXT NOT NULL, email TEXT NOT NULL, name TEXT NOT NULL,
        address TEXT NOT NULL, card_last4 TEXT, total_cents INTEGER NOT NULL,
        created_at REAL NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS order_lines (
        order_id TEXT NOT NULL REFERENCES orders (order_id), line_no INTEGER NOT NULL,
        sku TEXT NOT NULL, name TEXT NOT NULL, qty INTEGER NOT NULL,
        price_cents INTEGER NOT NULL, PRIMARY KEY (order_id, line_no))""",
    """CREATE TABLE IF NOT EXISTS pos_batches (
        batch_id TEXT PRIMARY KEY, idempotency_key TEXT NOT NULL UNIQUE,
        fingerprint TEXT NOT NULL, store TEXT NOT NULL, status TEXT NOT NULL,
        line_count INTEGER NOT NULL, accepted_at REAL NOT NULL, apply_after REAL NOT NULL,
        applied_at REAL)""",
    """CREATE INDEX IF NOT EXISTS pos_batches_due ON pos_batches (status, apply_after)""",
    """CREATE TABLE IF NOT EXISTS pos_lines (
        batch_id TEXT NOT NULL REFERENCES pos_batches (batch_id), line_no INTEGER NOT NULL,
        sku TEXT NOT NULL, qty INTEGER NOT NULL, PRIMARY KEY (batch_id, line_no))""",
    """CREATE TABLE IF NOT EXISTS faults (
        group_name TEXT PRIMARY KEY, latency_s REAL NOT NULL, error_ratio REAL NOT NULL,
        lag_s REAL NOT NULL, stall_s REAL NOT NULL DEFAULT 0)""",
)

# (table, column, declaration) of columns added after their table first shipped; each is also
# in the table's CREATE statement above, so a fresh database has it from the start.
_ADDED_COLUMNS: Final = (("faults", "stall_s", "REAL NOT NULL DEFAULT 0"),)


def initialise(db: Database) -> bytes:
    """Create missing tables, seed an empty catalogue, and return the CSRF secret.

    The secret is made once per database file, so every worker (and every restart on the same
    `--db`) signs and checks CSRF tokens alike.
    """
    db.enable_wal()

    def work(connection: sqlite3.Connection) -> bytes:
        for statement in _TABLES:
            connection.execute(statement)
        _add_missing_columns(connection)
        seed_catalogue(connection)
        connection.execute(
            "INSERT OR IGNORE INTO meta (key, value) VALUES ('csrf_secret', ?)",
            (secrets.token_hex(32),),
        )
        (secret,) = connection.execute(
            "SELECT value FROM meta WHERE key = 'csrf_secret'"
        ).fetchone()
        return bytes.fromhex(secret)

    return db.write(work)


def _add_missing_columns(connection: sqlite3.Connection) -> None:
    for table, column, declaration in _ADDED_COLUMNS:
        # Names come from _ADDED_COLUMNS, never from input: SQLite cannot bind identifiers.
        present = {row[1] for row in connection.execute(f"PRAGMA table_info({table})")}
        if column not in present:
            connection.execute(f"ALTER TABLE {table} ADD COLUMN {column} {declaration}")
