"""Point-of-sale sales batches: idempotent acceptance now, stock decrement later.

A batch is stored as `accepted` with `apply_after = now + BASE_DELAY_S + pos lag`; a
`PosApplier` thread in every worker process claims due batches and decrements stock in the same
immediate transaction that marks them `applied`, so a batch is applied exactly once whichever
worker sees it first. The idempotency key is checked and recorded inside one immediate
transaction too, so concurrent replays across processes store one batch. Storefront stock thus
lags POS sales by a measurable delay: the freshness that journeys put an SLO on.
"""

from __future__ import annotations

import hashlib
import json
import logging
import secrets
import sqlite3
import threading
import time
from dataclasses import dataclass
from typing import Any, Final

from runner.demoshop.carts import check_qty
from runner.demoshop.database import Database
from runner.demoshop.errors import IdempotencyConflict, InvalidRequest, UnknownProduct
from runner.demoshop.orders import iso_timestamp

logger = logging.getLogger(__name__)

BASE_DELAY_S: Final = 0.3
MAX_KEY_LENGTH: Final = 200
MAX_LINES: Final = 1000


@dataclass(frozen=True, slots=True)
class SaleLine:
    """Units of one product sold in a store."""

    sku: str
    qty: int


@dataclass(frozen=True, slots=True)
class SalesBatch:
    """A stored batch; `applied_at` is None until its stock decrement has happened."""

    batch_id: str
    status: str
    line_count: int
    accepted_at: float
    applied_at: float | None

    def to_json(self) -> dict[str, Any]:
        return {
            "batch_id": self.batch_id,
            "status": self.status,
            "lines": self.line_count,
            "accepted_at": iso_timestamp(self.accepted_at),
            "applied_at": iso_timestamp(self.applied_at) if self.applied_at else None,
        }


def check_key(key: str | None) -> str:
    """Return a usable idempotency key.

    Raises:
        InvalidRequest: missing, blank or longer than MAX_KEY_LENGTH.
    """
    if key is None or not key.strip() or len(key) > MAX_KEY_LENGTH:
        raise InvalidRequest(f"Idempotency-Key header: expected 1 to {MAX_KEY_LENGTH} characters")
    return key


def parse_batch(payload: object) -> tuple[str, list[SaleLine]]:
    """Validate a batch body `{"store": ..., "sales": [{"sku": ..., "qty": ...}]}`.

    Raises:
        InvalidRequest: the first problem found, located (e.g. "sales[2].qty: ...").
    """
    if not isinstance(payload, dict):
        raise InvalidRequest("body: expected a JSON object")
    store, sales = payload.get("store"), payload.get("sales")
    if not isinstance(store, str) or not store.strip():
        raise InvalidRequest(f"store: expected a store id string, got {store!r}")
    if not isinstance(sales, list) or not 1 <= len(sales) <= MAX_LINES:
        raise InvalidRequest(f"sales: expected a list of 1 to {MAX_LINES} sales")
    lines = []
    for index, sale in enumerate(sales):
        if not isinstance(sale, dict) or not isinstance(sale.get("sku"), str):
            raise InvalidRequest(f"sales[{index}]: expected an object with a string sku")
        try:
            qty = check_qty(sale.get("qty", 1))
        except InvalidRequest as exc:
            raise InvalidRequest(f"sales[{index}].{exc}") from None
        lines.append(SaleLine(sale["sku"], qty))
    return store, lines


def _fingerprint(store: str, lines: list[SaleLine]) -> str:
    canonical = json.dumps([store, [(line.sku, line.qty) for line in lines]])
    return hashlib.sha256(canonical.encode()).hexdigest()


def _batch(row: sqlite3.Row | None) -> SalesBatch | None:
    if row is None:
        return None
    return SalesBatch(row[0], row[1], row[2], row[3], row[4])


_BATCH_COLUMNS = "batch_id, status, line_count, accepted_at, applied_at"


def accept_batch(
    db: Database, *, key: str, store: str, lines: list[SaleLine], lag_s: float
) -> tuple[SalesBatch, bool]:
    """Store a batch to apply after BASE_DELAY_S + `lag_s`; return it and whether it was new.

    A key already used for the same batch returns the stored batch (not new) untouched.

    Raises:
        UnknownProduct: a line names an unknown sku (nothing is stored).
        IdempotencyConflict: `key` was used before for a different batch.
    """
    fingerprint = _fingerprint(store, lines)

    def work(connection: sqlite3.Connection) -> tuple[SalesBatch, bool]:
        row = connection.execute(
            f"SELECT {_BATCH_COLUMNS}, fingerprint FROM pos_batches WHERE idempotency_key = ?",
            (key,),
        ).fetchone()
        if row is not None:
            if row["fingerprint"] != fingerprint:
                raise IdempotencyConflict(key)
            return SalesBatch(row[0], row[1], row[2], row[3], row[4]), False
        skus = sorted({line.sku for line in lines})
        known = {
            sku
            for (sku,) in connection.execute(
                f"SELECT sku FROM products WHERE sku IN ({','.join('?' * len(skus))})", skus
            )
        }
        for sku in skus:
            if sku not in known:
                raise UnknownProduct(sku)
        batch_id, now = "pb_" + secrets.token_hex(8), time.time()
        connection.execute(
            "INSERT INTO pos_batches (batch_id, idempotency_key, fingerprint, store, status, "
            "line_count, accepted_at, apply_after) VALUES (?, ?, ?, ?, 'accepted', ?, ?, ?)",
            (batch_id, key, fingerprint, store, len(lines), now, now + BASE_DELAY_S + lag_s),
        )
        connection.executemany(
            "INSERT INTO pos_lines (batch_id, line_no, sku, qty) VALUES (?, ?, ?, ?)",
            [(batch_id, n, line.sku, line.qty) for n, line in enumerate(lines)],
        )
        return SalesBatch(batch_id, "accepted", len(lines), now, None), True

    return db.write(work)


def get_batch(connection: sqlite3.Connection, batch_id: str) -> SalesBatch | None:
    """Return the batch with `batch_id`, or None."""
    return _batch(
        connection.execute(
            f"SELECT {_BATCH_COLUMNS} FROM pos_batches WHERE batch_id = ?", (batch_id,)
        ).fetchone()
    )


def apply_due_batches(db: Database, *, limit: int = 50) -> int:
    """Apply up to `limit` accepted batches whose time has come; return how many were applied.

    Stock is decremented but never below zero: a store can sell what the web shop has already
    promised, and the storefront then shows none left rather than a negative count.
    """
    due_check = "SELECT 1 FROM pos_batches WHERE status = 'accepted' AND apply_after <= ? LIMIT 1"
    if db.read().execute(due_check, (time.time(),)).fetchone() is None:
        return 0  # the common case: no write lock taken

    def work(connection: sqlite3.Connection) -> int:
        now = time.time()
        batch_ids = [
            batch_id
            for (batch_id,) in connection.execute(
                "SELECT batch_id FROM pos_batches WHERE status = 'accepted' AND apply_after <= ? "
                "ORDER BY apply_after LIMIT ?",
                (now, limit),
            )
        ]
        for batch_id in batch_ids:
            connection.execute(
                "UPDATE products SET stock = MAX(stock - (SELECT SUM(qty) FROM pos_lines "
                "WHERE batch_id = ? AND pos_lines.sku = products.sku), 0) "
                "WHERE sku IN (SELECT sku FROM pos_lines WHERE batch_id = ?)",
                (batch_id, batch_id),
            )
            connection.execute(
                "UPDATE pos_batches SET status = 'applied', applied_at = ? WHERE batch_id = ?",
                (now, batch_id),
            )
        return len(batch_ids)

    return db.write(work)


class PosApplier:
    """A daemon thread applying due POS batches every `interval_s` until stopped.

    One runs in every worker process; they compete safely because claiming and applying a
    batch is one immediate transaction.
    """

    def __init__(self, db: Database, *, interval_s: float = 0.05) -> None:
        self._db = db
        self._interval_s = interval_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="pos-applier", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout_s: float = 5.0) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout_s)

    def _run(self) -> None:
        while not self._stop.wait(self._interval_s):
            try:
                apply_due_batches(self._db)
            except sqlite3.Error:
                # Keep the loop alive: a transient failure only delays batches to the next tick.
                logger.exception("applying POS batches failed; retrying")
