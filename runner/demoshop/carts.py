"""Shopping carts, one per session id, stored in SQLite so every worker sees the same cart.

Adding an item checks that the product exists but not that it is in stock: stock is checked,
and taken, only when an order is placed. Imports `catalogue`, `database` and `errors`.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Any

from runner.demoshop.catalogue import format_price, get_product
from runner.demoshop.database import Database
from runner.demoshop.errors import InvalidRequest, UnknownProduct

MAX_QTY = 999


@dataclass(frozen=True, slots=True)
class CartLine:
    """A product in a cart, at its current catalogue price."""

    sku: str
    name: str
    qty: int
    price_cents: int

    @property
    def display_price(self) -> str:
        return format_price(self.price_cents)

    @property
    def display_line_total(self) -> str:
        return format_price(self.price_cents * self.qty)

    def to_json(self) -> dict[str, Any]:
        return {
            "sku": self.sku,
            "name": self.name,
            "qty": self.qty,
            "price": self.price_cents / 100,
        }


@dataclass(frozen=True, slots=True)
class Cart:
    """A session's cart; `count` is the number of units, not of lines."""

    lines: tuple[CartLine, ...]

    @property
    def count(self) -> int:
        return sum(line.qty for line in self.lines)

    @property
    def total_cents(self) -> int:
        return sum(line.qty * line.price_cents for line in self.lines)

    @property
    def display_total(self) -> str:
        return format_price(self.total_cents)

    def to_json(self) -> dict[str, Any]:
        return {
            "items": [line.to_json() for line in self.lines],
            "count": self.count,
            "total": self.total_cents / 100,
        }


def check_qty(qty: object) -> int:
    """Return `qty` if it is an integer from 1 to MAX_QTY (digits in a string allowed).

    Raises:
        InvalidRequest: anything else.
    """
    if isinstance(qty, str) and qty.strip().isdigit():
        qty = int(qty)
    if isinstance(qty, bool) or not isinstance(qty, int) or not 1 <= qty <= MAX_QTY:
        raise InvalidRequest(f"qty: expected an integer from 1 to {MAX_QTY}, got {qty!r}")
    return qty


def get_cart(connection: sqlite3.Connection, session_id: str) -> Cart:
    """Return the cart of `session_id` (empty if it has none), lines in the order added."""
    rows = connection.execute(
        "SELECT c.sku, p.name, c.qty, p.price_cents FROM cart_lines c "
        "JOIN products p ON p.sku = c.sku WHERE c.session_id = ? ORDER BY c.rowid",
        (session_id,),
    ).fetchall()
    return Cart(tuple(CartLine(*row) for row in rows))


def add_item(db: Database, session_id: str, sku: str, qty: int) -> Cart:
    """Add `qty` units of `sku` to the cart (summing with a line already there).

    Raises:
        UnknownProduct: no product has `sku`.
    """

    def work(connection: sqlite3.Connection) -> Cart:
        if get_product(connection, sku) is None:
            raise UnknownProduct(sku)
        connection.execute(
            "INSERT INTO cart_lines (session_id, sku, qty) VALUES (?, ?, ?) "
            "ON CONFLICT (session_id, sku) DO UPDATE SET qty = MIN(qty + excluded.qty, ?)",
            (session_id, sku, qty, MAX_QTY),
        )
        return get_cart(connection, session_id)

    return db.write(work)


def remove_item(db: Database, session_id: str, sku: str) -> Cart:
    """Remove the line for `sku` from the cart, if present, and return the cart."""

    def work(connection: sqlite3.Connection) -> Cart:
        connection.execute(
            "DELETE FROM cart_lines WHERE session_id = ? AND sku = ?", (session_id, sku)
        )
        return get_cart(connection, session_id)

    return db.write(work)
