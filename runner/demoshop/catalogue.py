"""The product catalogue: its deterministic generation, and product look-ups and search.

The catalogue is generated from a seeded `random.Random`, so every fresh database holds the same
~300 products and journeys can name skus and queries that exist. Each noun appears in several
products (nouns are dealt round-robin), so common one-word queries ("shirt", "mug", "lamp")
always find several hits. Imports nothing of ours.
"""

from __future__ import annotations

import random
import sqlite3
from dataclasses import dataclass
from typing import Any, Final

CATALOGUE_SEED: Final = 20240601
CATALOGUE_SIZE: Final = 300

_ADJECTIVES: Final = (
    "Linen", "Wool", "Canvas", "Leather", "Cotton", "Denim", "Classic", "Vintage",
    "Urban", "Alpine", "Coastal", "Nordic", "Everyday", "Premium", "Compact", "Lightweight",
    "Recycled", "Organic", "Midnight", "Sunset", "Forest", "Slate", "Ember", "Harbor",
)  # fmt: skip

# category -> (nouns, price range in cents)
_CATEGORIES: Final[dict[str, tuple[tuple[str, ...], tuple[int, int]]]] = {
    "apparel": (
        ("Shirt", "T-Shirt", "Jacket", "Sweater", "Hoodie", "Dress", "Jeans"),
        (1500, 12000),
    ),
    "footwear": (("Sneakers", "Boots", "Sandals", "Loafers", "Slippers"), (2500, 16000)),
    "accessories": (("Scarf", "Backpack", "Belt", "Wallet", "Beanie", "Gloves"), (900, 9000)),
    "home": (("Mug", "Lamp", "Candle", "Cushion", "Vase", "Teapot", "Blanket"), (600, 8000)),
    "outdoor": (("Tent", "Sleeping Bag", "Water Bottle", "Hammock", "Rain Jacket"), (1200, 30000)),
    "electronics": (("Headphones", "Speaker", "Charger", "Desk Lamp", "Power Bank"), (1500, 25000)),
}


@dataclass(frozen=True, slots=True)
class Product:
    """One catalogue entry; `stock` is the storefront's view, reduced by orders and POS sales."""

    sku: str
    name: str
    category: str
    price_cents: int
    stock: int

    @property
    def display_price(self) -> str:
        return format_price(self.price_cents)

    @property
    def url(self) -> str:
        return f"/products/{self.sku}"

    def to_json(self) -> dict[str, Any]:
        return {
            "sku": self.sku,
            "name": self.name,
            "category": self.category,
            "price": self.price_cents / 100,
            "price_cents": self.price_cents,
            "stock": self.stock,
            "url": self.url,
        }


def format_price(cents: int) -> str:
    """Format an amount in cents for display, e.g. 123456 -> "$1,234.56"."""
    return f"${cents // 100:,}.{cents % 100:02d}"


def generate_catalogue(seed: int = CATALOGUE_SEED, size: int = CATALOGUE_SIZE) -> list[Product]:
    """Return `size` distinct products, the same for the same seed."""
    rng = random.Random(seed)
    nouns = [(noun, category) for category, (names, _) in _CATEGORIES.items() for noun in names]
    rng.shuffle(nouns)
    adjectives_left = {noun: rng.sample(_ADJECTIVES, len(_ADJECTIVES)) for noun, _ in nouns}
    products = []
    for index in range(size):
        noun, category = nouns[index % len(nouns)]
        low, high = _CATEGORIES[category][1]
        # Prices end in 99 or 50 cents, as shop prices do.
        price_cents = rng.randrange(low // 100, high // 100) * 100 + rng.choice((99, 50))
        products.append(
            Product(
                sku=f"SKU-{index + 1:05d}",
                name=f"{adjectives_left[noun].pop()} {noun}",
                category=category,
                price_cents=price_cents,
                stock=rng.randint(200, 1000),
            )
        )
    return products


def seed_catalogue(connection: sqlite3.Connection) -> int:
    """Insert the generated catalogue if there are no products yet; return how many were added.

    Must run inside a write transaction, so two workers starting together seed once.
    """
    (count,) = connection.execute("SELECT COUNT(*) FROM products").fetchone()
    if count:
        return 0
    products = generate_catalogue()
    connection.executemany(
        "INSERT INTO products (sku, name, category, price_cents, stock) VALUES (?, ?, ?, ?, ?)",
        [(p.sku, p.name, p.category, p.price_cents, p.stock) for p in products],
    )
    return len(products)


def _product(row: sqlite3.Row) -> Product:
    return Product(row["sku"], row["name"], row["category"], row["price_cents"], row["stock"])


def get_product(connection: sqlite3.Connection, sku: str) -> Product | None:
    """Return the product with `sku`, or None."""
    row = connection.execute(
        "SELECT sku, name, category, price_cents, stock FROM products WHERE sku = ?", (sku,)
    ).fetchone()
    return _product(row) if row else None


@dataclass(frozen=True, slots=True)
class SearchResult:
    """One page of matching products and the number of matches over all pages."""

    items: list[Product]
    total: int


def search_products(
    connection: sqlite3.Connection,
    *,
    query: str = "",
    category: str = "",
    page: int = 1,
    page_size: int = 20,
) -> SearchResult:
    """Return products whose name contains `query` (case-insensitive), ordered by sku.

    An empty query matches everything; an empty category means all categories.
    """
    pattern = "%" + query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    where = "name LIKE ? ESCAPE '\\'"
    params: list[str | int] = [pattern]
    if category:
        where += " AND category = ?"
        params.append(category)
    (total,) = connection.execute(f"SELECT COUNT(*) FROM products WHERE {where}", params).fetchone()
    rows = connection.execute(
        "SELECT sku, name, category, price_cents, stock FROM products "
        f"WHERE {where} ORDER BY sku LIMIT ? OFFSET ?",
        [*params, page_size, (page - 1) * page_size],
    ).fetchall()
    return SearchResult(items=[_product(row) for row in rows], total=total)


def featured_products(connection: sqlite3.Connection, count: int = 8) -> list[Product]:
    """Return a fixed selection of products for the home page (one every 37 skus)."""
    skus = [f"SKU-{n:05d}" for n in range(1, CATALOGUE_SIZE + 1, 37)][:count]
    rows = connection.execute(
        "SELECT sku, name, category, price_cents, stock FROM products "
        f"WHERE sku IN ({','.join('?' * len(skus))}) ORDER BY sku",
        skus,
    ).fetchall()
    return [_product(row) for row in rows]
