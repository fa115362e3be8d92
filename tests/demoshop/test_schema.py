from __future__ import annotations

import sqlite3
from pathlib import Path

from runner.demoshop.database import Database
from runner.demoshop.faults import FaultSettings, FaultStore
from runner.demoshop.schema import initialise


def test_a_fresh_database_stores_and_reads_back_a_stall(tmp_path: Path) -> None:
    db = Database(str(tmp_path / "shop.db"))
    try:
        initialise(db)
        FaultStore(db).update("search", {"stall": 30.0})
        assert FaultStore(db).load()["search"] == FaultSettings(stall_s=30.0)
    finally:
        db.close()


def test_a_database_from_before_stalls_gains_the_column_and_keeps_its_faults(
    tmp_path: Path,
) -> None:
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as old:  # the faults table as it shipped before `stall`
        old.execute(
            "CREATE TABLE faults (group_name TEXT PRIMARY KEY, latency_s REAL NOT NULL, "
            "error_ratio REAL NOT NULL, lag_s REAL NOT NULL)"
        )
        old.execute("INSERT INTO faults VALUES ('checkout', 0.8, 0.2, 0)")
    old.close()
    db = Database(str(path))
    try:
        initialise(db)
        initialise(db)  # idempotent: the column is added once
        store = FaultStore(db)
        assert store.load()["checkout"] == FaultSettings(latency_s=0.8, error_ratio=0.2)
        store.update("checkout", {"stall": 2.0})
        assert FaultStore(db).load()["checkout"].stall_s == 2.0
    finally:
        db.close()
