from __future__ import annotations

import csv
import io
from typing import Any

import httpx

from .shopping import api_order

FEED = "/export/v1/orders"


def read_feed(base_url: str, since: str | None, limit: int) -> tuple[list[dict[str, Any]], str]:
    """Follow the feed from `since` until has_more is false; return orders and last cursor."""
    orders: list[dict[str, Any]] = []
    while True:
        params: dict[str, str | int] = {"limit": limit} | ({"since": since} if since else {})
        page = httpx.get(f"{base_url}{FEED}", params=params).json()
        orders += page["orders"]
        since = page["next_cursor"]
        if not page["has_more"]:
            return orders, since


def test_export_pages_return_every_order_once_and_new_ones_after_the_cursor(
    demo_shop: str,
) -> None:
    with httpx.Client(base_url=demo_shop) as client:
        placed = [api_order(client, "SKU-00030")["order_id"] for _ in range(5)]
    orders, cursor = read_feed(demo_shop, None, limit=2)
    ids = [order["order_id"] for order in orders]
    assert len(ids) == len(set(ids))
    assert ids[-5:] == placed
    numbers = [int(order["number"].removeprefix("ORD-")) for order in orders]
    assert numbers == sorted(numbers)

    empty = httpx.get(f"{demo_shop}{FEED}", params={"since": cursor}).json()
    assert (empty["orders"], empty["has_more"], empty["next_cursor"]) == ([], False, cursor)
    with httpx.Client(base_url=demo_shop) as client:
        later = [api_order(client, "SKU-00031", qty=2)["order_id"] for _ in range(3)]
    newer, _ = read_feed(demo_shop, cursor, limit=2)
    assert [order["order_id"] for order in newer] == later
    assert newer[0]["items"] == [
        {"sku": "SKU-00031", "name": newer[0]["items"][0]["name"], "qty": 2,
         "price": newer[0]["items"][0]["price"]}
    ]  # fmt: skip


def test_export_csv_matches_the_json_page(demo_shop: str) -> None:
    with httpx.Client(base_url=demo_shop) as client:
        api_order(client, "SKU-00032")
    params = {"limit": 3}
    page = httpx.get(f"{demo_shop}{FEED}", params=params).json()
    response = httpx.get(f"{demo_shop}{FEED}.csv", params=params)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert response.headers["x-next-cursor"] == page["next_cursor"]
    assert response.headers["x-has-more"] == str(page["has_more"]).lower()
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert list(rows[0]) == ["order_id", "number", "email", "total", "created_at", "lines"]
    assert len(rows) == len(page["orders"])
    for row, order in zip(rows, page["orders"], strict=True):
        assert (row["order_id"], row["number"], row["email"], row["created_at"]) == (
            order["order_id"], order["number"], order["email"], order["created_at"]
        )  # fmt: skip
        assert float(row["total"]) == order["total"]
        assert row["lines"] == ";".join(f"{i['sku']}:{i['qty']}" for i in order["items"])


def test_export_rejects_bad_limits_and_cursors(demo_shop: str) -> None:
    for limit in ("0", "501", "ten"):
        assert httpx.get(f"{demo_shop}{FEED}", params={"limit": limit}).status_code == 422
        assert httpx.get(f"{demo_shop}{FEED}.csv", params={"limit": limit}).status_code == 422
    assert httpx.get(f"{demo_shop}{FEED}", params={"since": "garbage!"}).status_code == 422


def test_the_head_cursor_starts_the_feed_after_the_newest_order(demo_shop: str) -> None:
    with httpx.Client(base_url=demo_shop) as client:
        api_order(client, "SKU-00011")
        head = client.get("/export/v1/cursor").json()["cursor"]
        assert read_feed(demo_shop, head, 100)[0] == []
        order = api_order(client, "SKU-00011")
    orders, _ = read_feed(demo_shop, head, 100)
    assert [o["order_id"] for o in orders] == [order["order_id"]]
