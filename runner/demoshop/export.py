"""The order export feed: opaque cursors over the order sequence, and its CSV form.

A cursor encodes the `seq` of the last order returned. `seq` only grows, and orders commit in
`seq` order (writes are serialised by SQLite's write lock), so a consumer that stores the last
cursor sees every later order exactly once. Imports `orders` and `errors`.
"""

from __future__ import annotations

import base64
import binascii
import csv
import io
import sqlite3
from dataclasses import dataclass
from typing import Any, Final

from runner.demoshop.errors import InvalidRequest
from runner.demoshop.orders import Order, iso_timestamp, last_seq, orders_after

MAX_LIMIT: Final = 500
CSV_COLUMNS: Final = ("order_id", "number", "email", "total", "created_at", "lines")
_PREFIX: Final = "orders:"


def encode_cursor(seq: int) -> str:
    """Return the opaque cursor meaning "after the order with this seq"."""
    return base64.urlsafe_b64encode(f"{_PREFIX}{seq}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    """Return the seq a cursor stands for.

    Raises:
        InvalidRequest: `cursor` was not made by `encode_cursor`.
    """
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        text = ""
    number = text.removeprefix(_PREFIX)
    if not text.startswith(_PREFIX) or not number.isdigit():
        raise InvalidRequest(f"since: not a cursor from this feed: {cursor[:40]!r}")
    return int(number)


def check_limit(raw: str | None, default: int = 100) -> int:
    """Parse the `limit` parameter (1 to MAX_LIMIT).

    Raises:
        InvalidRequest: not an integer in range.
    """
    if raw is None:
        return default
    if not raw.strip().isdigit() or not 1 <= int(raw) <= MAX_LIMIT:
        raise InvalidRequest(f"limit: expected an integer from 1 to {MAX_LIMIT}, got {raw!r}")
    return int(raw)


@dataclass(frozen=True, slots=True)
class ExportPage:
    """One page of the feed and the cursor to ask for the next one."""

    orders: list[Order]
    next_cursor: str
    has_more: bool

    def to_json(self) -> dict[str, Any]:
        return {
            "orders": [export_record(order) for order in self.orders],
            "next_cursor": self.next_cursor,
            "has_more": self.has_more,
        }


def export_page(connection: sqlite3.Connection, *, since: str | None, limit: int) -> ExportPage:
    """Return up to `limit` orders created after the cursor `since` (from the start if None).

    Raises:
        InvalidRequest: `since` is not a cursor of this feed.
    """
    after = decode_cursor(since) if since else 0
    orders = orders_after(connection, after, limit + 1)
    has_more = len(orders) > limit
    orders = orders[:limit]
    last = orders[-1].seq if orders else after
    return ExportPage(orders=orders, next_cursor=encode_cursor(last), has_more=has_more)


def head_cursor(connection: sqlite3.Connection) -> str:
    """Return the cursor after the newest order: a consumer starting "from now" pages from it."""
    return encode_cursor(last_seq(connection))


def export_record(order: Order) -> dict[str, Any]:
    """Return the feed's JSON form of one order."""
    return {
        "order_id": order.order_id,
        "number": order.number,
        "email": order.email,
        "total": order.total_cents / 100,
        "created_at": iso_timestamp(order.created_at),
        "items": [line.to_json() for line in order.lines],
    }


def export_csv(orders: list[Order]) -> str:
    """Return the orders as CSV with a header row; `lines` is "SKU:QTY" joined by ";"."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for order in orders:
        lines = ";".join(f"{line.sku}:{line.qty}" for line in order.lines)
        total = f"{order.total_cents // 100}.{order.total_cents % 100:02d}"
        created_at = iso_timestamp(order.created_at)
        writer.writerow((order.order_id, order.number, order.email, total, created_at, lines))
    return buffer.getvalue()
