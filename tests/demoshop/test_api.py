from __future__ import annotations

import re

import httpx

from .shopping import stock

SKU, OTHER = "SKU-00020", "SKU-00021"


def test_product_search_pages_through_case_insensitive_matches(demo_shop: str) -> None:
    first = httpx.get(f"{demo_shop}/api/products", params={"q": "Lamp", "page_size": 5}).json()
    assert first["total"] >= 6 and first["page"] == 1 and first["page_size"] == 5
    second = httpx.get(
        f"{demo_shop}/api/products", params={"q": "lamp", "page": 2, "page_size": 5}
    ).json()
    items = first["items"] + second["items"]
    assert len({item["sku"] for item in items}) == min(first["total"], 10)
    for item in items:
        assert "lamp" in item["name"].lower()
        assert item["price"] == item["price_cents"] / 100
        assert item["url"] == f"/products/{item['sku']}"
        assert item["stock"] > 0


def test_common_queries_find_several_products(demo_shop: str) -> None:
    for word in ("shirt", "scarf", "mug", "lamp", "backpack", "sneaker", "jacket", "candle"):
        total = httpx.get(f"{demo_shop}/api/products", params={"q": word}).json()["total"]
        assert total >= 3, word


def test_product_search_filters_by_category(demo_shop: str) -> None:
    body = httpx.get(f"{demo_shop}/api/products", params={"category": "footwear"}).json()
    assert body["total"] > 0
    assert {item["category"] for item in body["items"]} == {"footwear"}


def test_product_search_rejects_a_bad_page_size(demo_shop: str) -> None:
    response = httpx.get(f"{demo_shop}/api/products", params={"page_size": 0})
    assert response.status_code == 422


def test_product_and_stock_lookups(demo_shop: str) -> None:
    product = httpx.get(f"{demo_shop}/api/products/{SKU}").json()
    assert product["sku"] == SKU
    assert httpx.get(f"{demo_shop}/api/stock/{SKU}").json() == {
        "sku": SKU,
        "stock": product["stock"],
    }
    missing = httpx.get(f"{demo_shop}/api/products/SKU-99999")
    assert (missing.status_code, missing.json()) == (404, {"error": "not found"})
    assert httpx.get(f"{demo_shop}/api/stock/SKU-99999").status_code == 404


def test_json_cart_and_order_flow(demo_shop: str) -> None:
    before = stock(demo_shop, SKU)
    with httpx.Client(base_url=demo_shop) as client:
        added = client.post("/api/cart/items", json={"sku": SKU, "qty": 2})
        assert added.status_code == 201
        assert "shop_session=" in added.headers["set-cookie"]
        cart = client.post("/api/cart/items", json={"sku": OTHER}).json()
        assert [(i["sku"], i["qty"]) for i in cart["items"]] == [(SKU, 2), (OTHER, 1)]
        assert cart["count"] == 3
        assert cart["total"] == round(sum(i["price"] * i["qty"] for i in cart["items"]), 2)
        assert client.delete(f"/api/cart/items/{OTHER}").json()["count"] == 2
        assert client.get("/api/cart").json()["count"] == 2

        placed = client.post("/api/orders", json={"email": "bob@example.test", "name": "Bob"})
        assert placed.status_code == 201
        order = placed.json()
        assert order["status"] == "placed" and order["email"] == "bob@example.test"
        assert re.fullmatch(r"ORD-\d{6}", order["number"])
        assert [(i["sku"], i["qty"]) for i in order["items"]] == [(SKU, 2)]
        assert client.get(f"/api/orders/{order['order_id']}").json() == order
        assert client.get("/api/cart").json() == {"items": [], "count": 0, "total": 0.0}
    assert stock(demo_shop, SKU) == before - 2


def test_cart_rejects_unknown_skus_and_bad_quantities(demo_shop: str) -> None:
    with httpx.Client(base_url=demo_shop) as client:
        assert client.post("/api/cart/items", json={"sku": "SKU-99999"}).status_code == 404
        for qty in (0, -1, "two", 1.5, True):
            response = client.post("/api/cart/items", json={"sku": SKU, "qty": qty})
            assert response.status_code == 422, qty
        assert client.post("/api/cart/items", content=b"{not json").status_code == 422
        assert client.get("/api/cart").json()["count"] == 0


def test_order_errors_empty_cart_missing_email_out_of_stock(demo_shop: str) -> None:
    with httpx.Client(base_url=demo_shop) as client:
        empty = client.post("/api/orders", json={"email": "a@example.test"})
        assert empty.status_code == 400
        client.post("/api/cart/items", json={"sku": OTHER, "qty": 1})
        assert client.post("/api/orders", json={}).status_code == 422
        assert client.post("/api/orders", json={"email": "no-at-sign"}).status_code == 422

        items = client.get("/api/products", params={"page_size": 100}).json()["items"]
        low = next(item for item in items if item["stock"] < 999)
        client.post("/api/cart/items", json={"sku": low["sku"], "qty": 999})
        response = client.post("/api/orders", json={"email": "a@example.test"})
        assert (response.status_code, response.json()) == (
            409,
            {"error": "out of stock", "sku": low["sku"]},
        )
        assert client.get("/api/cart").json()["count"] == 1000  # cart kept, nothing ordered
    assert stock(demo_shop, low["sku"]) == low["stock"]


def test_unknown_order_is_a_json_404(demo_shop: str) -> None:
    response = httpx.get(f"{demo_shop}/api/orders/0123456789abcdef")
    assert (response.status_code, response.json()) == (404, {"error": "not found"})
    assert httpx.get(f"{demo_shop}/api/nothing").json() == {"error": "not found"}


def test_health(demo_shop: str) -> None:
    response = httpx.get(f"{demo_shop}/health")
    assert (response.status_code, response.json()) == (200, {"status": "ok"})
