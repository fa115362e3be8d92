from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest

from runner.results import JourneyRun, StepResult
from runner.serve.history import MINUTE_RETENTION_S, History, RunRow, SeriesTotals
from runner.serve.series import Series
from runner.vocabulary import FAILED, PASSED, Outcome

T0 = 1_800_000_000.0  # a whole hour (and minute), epoch seconds
DAY = 86400.0
RETENTION = 30 * DAY
CHECKOUT = Series("checkout", "http", "prod", "", "web")
SEARCH = Series("search", "browser", "prod", "acme", "web")


def run(ended: float, *, passed: bool = True, duration: float = 1.0) -> JourneyRun:
    """A checkout run that ended at `ended`, failing at `pay` unless it passed."""
    started = ended - duration
    outcome: Outcome = PASSED if passed else FAILED
    steps = (
        StepResult("checkout", "browse", "http", "passed", started, duration / 2),
        StepResult("checkout", "pay", "http", outcome, started + duration / 2, duration / 2),
    )
    return JourneyRun("checkout", "http", 0, started, duration, steps)


def counts(r: JourneyRun) -> dict[str, tuple[int, int]]:
    return {"success": (int(r.outcome == "passed"), 1), "latency p95": (int(r.duration_s <= 2), 1)}


def history(path: Path, *, now: float = T0, retention_s: float = RETENTION) -> History:
    return History(path, retention_s=retention_s, clock=lambda: now)


def record(h: History, ended: float, *, passed: bool = True, series: Series = CHECKOUT) -> None:
    r = run(ended, passed=passed)
    h.record(series, r, "scheduled", counts(r))


def test_a_restart_keeps_window_totals_last_times_recent_runs_and_totals(tmp_path: Path) -> None:
    path = tmp_path / "history.db"
    with history(path) as h:
        record(h, T0 + 10)
        record(h, T0 + 70, passed=False)
        record(h, T0 + 130, series=SEARCH)
        h.record_skip(CHECKOUT, T0 + 200, "busy")
        before = (h.window_totals(T0), h.last_times(), h.recent(CHECKOUT), h.totals())
    with history(path) as h:
        after = (h.window_totals(T0), h.last_times(), h.recent(CHECKOUT), h.totals())
        assert after == before
        assert h.window_totals(T0)[CHECKOUT, "success"] == (1, 2)
        assert h.last_times()[CHECKOUT] == (T0 + 70, T0 + 10)
        record(h, T0 + 190)  # a reopened history goes on adding to the same tallies
        assert h.window_totals(T0)[CHECKOUT, "success"] == (2, 3)


def test_rechecks_are_kept_and_counted_apart_but_never_enter_the_tallies(tmp_path: Path) -> None:
    with history(tmp_path / "h.db") as h:
        record(h, T0 + 10, passed=False)
        retried = run(T0 + 40)
        h.record(CHECKOUT, retried, "recheck", counts(retried), reason="after a failure")
        assert h.window_totals(T0) == {
            (CHECKOUT, "success"): (0, 1),
            (CHECKOUT, "latency p95"): (1, 1),
        }
        assert [row.kind for row in h.recent(CHECKOUT)] == ["recheck", "scheduled"]
        assert h.last_times()[CHECKOUT] == (T0 + 40, T0 + 40)  # a passing recheck is a success
        assert h.totals()[CHECKOUT] == SeriesTotals(
            scheduled=1, rechecks=1, skipped=0, failures=1, recheck_failures=0
        )


def test_a_run_is_in_a_window_by_when_it_ended(tmp_path: Path) -> None:
    with history(tmp_path / "h.db") as h:
        record(h, T0 + 30)  # ended before the window
        long_run = run(T0 + 130, duration=40.0)  # started before the window, ended in it
        h.record(CHECKOUT, long_run, "scheduled", {"success": (1, 1)})
        record(h, T0 + 150)
        assert h.window_totals(T0 + 120)[CHECKOUT, "success"] == (2, 2)
        assert h.window_totals(T0 + 200) == {}
        assert h.window_totals(T0)[CHECKOUT, "success"] == (3, 3)


def test_minute_windows_count_exactly_from_the_minute_holding_their_start(tmp_path: Path) -> None:
    ends = [T0 + 37 * i + 0.5 for i in range(700)]  # seven hours and more, every 37 s
    with history(tmp_path / "h.db") as h:
        for i, end in enumerate(ends):
            record(h, end, passed=i % 5 != 0)
        for since in [T0 - 1, T0, T0 + 59.9, T0 + 3599, T0 + 3600, T0 + 5432.1, ends[-1] + 1]:
            first = since // 60 * 60
            held = [i for i, end in enumerate(ends) if end >= first]
            good = sum(1 for i in held if i % 5 != 0)
            assert h.window_totals(since).get((CHECKOUT, "success"), (0, 0)) == (good, len(held))


def test_a_window_beyond_three_days_is_counted_in_whole_hours(tmp_path: Path) -> None:
    with history(tmp_path / "h.db") as h:
        record(h, T0 + 600)  # ten minutes into its hour
        record(h, T0 + 4 * DAY)  # the newest run, four days on
        # 20 minutes in: beyond the minute tallies' reach, so from the hour holding it
        assert h.window_totals(T0 + 1200)[CHECKOUT, "success"] == (2, 2)
        assert h.window_totals(T0 + 3600)[CHECKOUT, "success"] == (1, 1)
        # within three days of the newest run, the minute grain leaves the early run out
        near = T0 + 4 * DAY - MINUTE_RETENTION_S + 60
        record(h, near - 30)  # in near's hour, before near's minute
        assert h.window_totals(near)[CHECKOUT, "success"] == (1, 1)


def test_purge_drops_old_rows_and_keeps_new_ones_and_lifetime_counts(tmp_path: Path) -> None:
    now = T0 + 40 * DAY
    with history(tmp_path / "h.db", now=now) as h:
        record(h, T0 + 10, passed=False)
        h.record_skip(CHECKOUT, T0 + 20, "busy")
        record(h, now - DAY)
        h.record_skip(CHECKOUT, now - DAY, "missed")
        totals = h.totals()
        # one run, one skip, two minute and two hour buckets of the old run
        assert h.purge() == 6
        assert [row.ended for row in h.recent(CHECKOUT)] == [now - DAY]
        assert h.window_totals(T0)[CHECKOUT, "success"] == (1, 1)
        assert h.totals() == totals  # counters never go down
        assert h.totals()[CHECKOUT].skipped_by_reason == {"busy": 1, "missed": 1}
        assert h.last_times()[CHECKOUT] == (now - DAY, now - DAY)
        assert h.purge() == 0


def test_minute_tallies_purged_are_never_read_even_after_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "h.db"
    purged_at = T0 + MINUTE_RETENTION_S + 1200  # the minute cut falls 20 min into T0's hour
    with history(path, now=purged_at) as h:
        record(h, T0 + 600)
        record(h, T0 + 3000)
        assert h.purge() == 2  # the first run's two minute buckets, nothing else
        assert h.window_totals(T0 + 1200)[CHECKOUT, "success"] == (1, 1)
        # before the cut: whole hours, not the minutes that are left (which would say 1)
        assert h.window_totals(T0 + 300)[CHECKOUT, "success"] == (2, 2)
    with history(path, now=purged_at) as h:
        assert h.window_totals(T0 + 300)[CHECKOUT, "success"] == (2, 2)


def test_recent_runs_come_newest_first_with_the_failed_step_and_reason(tmp_path: Path) -> None:
    with history(tmp_path / "h.db") as h:
        for i in range(5):
            r = run(T0 + 60 * i, passed=i != 3)
            h.record(CHECKOUT, r, "scheduled", counts(r), reason="boom" if i == 3 else "")
        rows = h.recent(CHECKOUT, limit=3)
        assert [row.ended for row in rows] == [T0 + 240, T0 + 180, T0 + 120]
        assert rows[1] == RunRow(T0 + 179, T0 + 180, 1.0, "scheduled", "failed", "pay", "boom")
        assert rows[0].step == "" and rows[0].outcome == "passed"
        assert h.recent(SEARCH) == []


def test_a_sqlite_file_of_another_program_is_refused_and_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    other = sqlite3.connect(path)
    other.execute("CREATE TABLE notes (body TEXT)")
    other.commit()
    other.close()
    before = path.read_bytes()
    with pytest.raises(ValueError, match="not a journey history") as raised:
        history(path)
    assert str(path) in str(raised.value) and "\n" not in str(raised.value)
    assert path.read_bytes() == before


def test_a_file_that_is_not_sqlite_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "garbage.db"
    path.write_bytes(b"this is no database at all\n" * 200)
    with pytest.raises(ValueError, match="not a journey history") as raised:
        history(path)
    assert str(path) in str(raised.value) and "\n" not in str(raised.value)


def test_a_history_of_a_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "h.db"
    history(path).close()
    db = sqlite3.connect(path)
    db.execute("PRAGMA user_version = 99")
    db.close()
    with pytest.raises(ValueError, match="newer journey") as raised:
        history(path)
    assert str(path) in str(raised.value)


def test_a_missing_folder_is_refused_naming_the_file(tmp_path: Path) -> None:
    path = tmp_path / "no" / "such" / "h.db"
    with pytest.raises(ValueError, match="cannot open") as raised:
        history(path)
    assert str(path) in str(raised.value)


def test_a_new_history_is_versioned_and_in_wal_mode(tmp_path: Path) -> None:
    path = tmp_path / "h.db"
    with history(path) as h:
        record(h, T0)
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA user_version").fetchone() == (1,)
    assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    db.close()


def test_bad_input_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="retention"):
        history(tmp_path / "h.db", retention_s=0)
    with history(tmp_path / "h.db") as h:
        with pytest.raises(ValueError, match="run kind"):
            h.record(CHECKOUT, run(T0), "later", {})  # type: ignore[arg-type]
        with pytest.raises(ValueError, match="good <= total"):
            h.record(CHECKOUT, run(T0), "scheduled", {"success": (2, 1)})
        assert h.recent(CHECKOUT) == [] and h.window_totals(T0) == {}


def test_four_threads_recording_at_once_lose_nothing(tmp_path: Path) -> None:
    per_thread = 500
    series = [Series(f"journey {n}", "http", "prod", "", "web") for n in range(2)]
    with history(tmp_path / "h.db") as h:

        def probe(n: int) -> None:
            for i in range(per_thread):
                r = run(T0 + i, passed=i % 10 != 0)
                h.record(series[n % 2], r, "scheduled", counts(r))
                h.window_totals(T0)  # readers interleave with writers

        threads = [threading.Thread(target=probe, args=(n,)) for n in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        totals = h.window_totals(T0)
        for s in series:
            assert totals[s, "success"] == (2 * per_thread * 9 // 10, 2 * per_thread)
            assert h.totals()[s].scheduled == 2 * per_thread
            assert len(h.recent(s, limit=10_000)) == 2 * per_thread
