"""Orders: atomic placement from a session's cart, look-up, and listing in creation order.

Placing an order checks stock, decrements it, writes the order and its lines and empties the
cart in one immediate transaction, so concurrent checkouts can neither oversell nor lose an
update. The order id is random (it is the capability to view the order); the human number
`ORD-000123` comes from `seq`, which only grows and orders the export. The card number is
never stored: only its last four digits. Imports `carts`, `catalogue`, `database`, `errors`.
"""

from __future__ import annotations

import secrets
import sqlite3
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from runner.demoshop.carts import get_cart
from runner.demoshop.catalogue import format_price
from runner.demoshop.database import Database
from runner.demoshop.errors import EmptyCart, InvalidRequest, OutOfStock


def iso_timestamp(epoch_s: float) -> str:
    """Format a Unix time as ISO 8601 UTC with milliseconds, e.g. 2024-06-01T12:00:00.123Z."""
    return datetime.fromtimestamp(epoch_s, UTC).isoformat(timespec="milliseconds")[:-6] + "Z"


@dataclass(frozen=True, slots=True)
class OrderLine:
    """One product of an order, at the price it was sold for."""

    sku: str
    name: str
    qty: int
    price_cents: int

    @property
    def display_price(self) -> str:
        return format_price(self.price_cents)

    def to_json(self) -> dict[str, Any]:
        return {
            "sku": self.sku,
            "name": self.name,
            "qty": self.qty,
            "price": self.price_cents / 100,
        }


@dataclass(frozen=True, slots=True)
class Order:
    """A placed order."""

    order_id: str
    seq: int
    email: str
    name: str
    card_last4: str | None
    total_cents: int
    created_at: float
    lines: tuple[OrderLine, ...]

    @property
    def number(self) -> str:
        return f"ORD-{self.seq:06d}"

    @property
    def display_total(self) -> str:
        return format_price(self.total_cents)

    def to_json(self) -> dict[str, Any]:
        return {
            "order_id": self.order_id,
            "number": self.number,
            "status": "placed",
            "email": self.email,
            "items": [line.to_json() for line in self.lines],
            "total": self.total_cents / 100,
            "created_at": iso_timestamp(self.created_at),
        }


def check_email(email: object) -> str:
    """Return `email` stripped if it looks like an address.

    Raises:
        InvalidRequest: it is missing, not a string, or has no "@".
    """
    if not isinstance(email, str) or "@" not in email.strip():
        raise InvalidRequest(f"email: expected an email address, got {email!r}")
    return email.strip()


def place_order(
    db: Database,
    session_id: str,
    *,
    email: str,
    name: str = "",
    address: str = "",
    card_number: str = "",
) -> Order:
    """Turn the session's cart into an order, taking its stock, and empty the cart.

    Raises:
        EmptyCart: the cart has no lines.
        OutOfStock: a line asks for more than is in stock; nothing was changed.
    """
    digits = "".join(ch for ch in card_number if ch.isdigit())
    card_last4 = digits[-4:] if len(digits) >= 4 else None

    def work(connection: sqlite3.Connection) -> Order:
        cart = get_cart(connection, session_id)
        if not cart.lines:
            raise EmptyCart()
        for line in cart.lines:
            updated = connection.execute(
                "UPDATE products SET stock = stock - ? WHERE sku = ? AND stock >= ?",
                (line.qty, line.sku, line.qty),
            ).rowcount
            if not updated:
                raise OutOfStock(line.sku)  # Database.write rolls every decrement back
        order_id, created_at = secrets.token_hex(8), time.time()
        cursor = connection.execute(
            "INSERT INTO orders (order_id, session_id, email, name, address, card_last4, "
            "total_cents, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (order_id, session_id, email, name, address, card_last4, cart.total_cents, created_at),
        )
        lines = tuple(OrderLine(ln.sku, ln.name, ln.qty, ln.price_cents) for ln in cart.lines)
        connection.executemany(
            "INSERT INTO order_lines (order_id, line_no, sku, name, qty, price_cents) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            [(order_id, n, ln.sku, ln.name, ln.qty, ln.price_cents) for n, ln in enumerate(lines)],
        )
        connection.execute("DELETE FROM cart_lines WHERE session_id = ?", (session_id,))
        seq = cursor.lastrowid
        if seq is None:  # pragma: no cover - sqlite3 always sets it after an INSERT
            raise InvalidRequest("order was not stored")
        return Order(order_id, seq, email, name, card_last4, cart.total_cents, created_at, lines)

    return db.write(work)


_ORDER_COLUMNS = "order_id, seq, email, name, card_last4, total_cents, created_at"


def _with_lines(connection: sqlite3.Connection, rows: list[sqlite3.Row]) -> list[Order]:
    if not rows:
        return []
    ids = [row["order_id"] for row in rows]
    lines: dict[str, list[OrderLine]] = {order_id: [] for order_id in ids}
    for line in connection.execute(
        "SELECT order_id, sku, name, qty, price_cents FROM order_lines "
        f"WHERE order_id IN ({','.join('?' * len(ids))}) ORDER BY order_id, line_no",
        ids,
    ):
        lines[line[0]].append(OrderLine(line[1], line[2], line[3], line[4]))
    return [
        Order(
            order_id=row["order_id"],
            seq=row["seq"],
            email=row["email"],
            name=row["name"],
            card_last4=row["card_last4"],
            total_cents=row["total_cents"],
            created_at=row["created_at"],
            lines=tuple(lines[row["order_id"]]),
        )
        for row in rows
    ]


def get_order(connection: sqlite3.Connection, order_id: str) -> Order | None:
    """Return the order with `order_id`, or None."""
    rows = connection.execute(
        f"SELECT {_ORDER_COLUMNS} FROM orders WHERE order_id = ?", (order_id,)
    ).fetchall()
    orders = _with_lines(connection, rows)
    return orders[0] if orders else None


def last_seq(connection: sqlite3.Connection) -> int:
    """Return the `seq` of the newest order, 0 when there is none."""
    row = connection.execute("SELECT COALESCE(MAX(seq), 0) FROM orders").fetchone()
    return int(row[0])


def orders_after(connection: sqlite3.Connection, seq: int, limit: int) -> list[Order]:
    """Return up to `limit` orders whose `seq` is greater than `seq`, oldest first."""
    rows = connection.execute(
        f"SELECT {_ORDER_COLUMNS} FROM orders WHERE seq > ? ORDER BY seq LIMIT ?", (seq, limit)
    ).fetchall()
    return _with_lines(connection, rows)
