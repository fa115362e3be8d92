from __future__ import annotations

import re

import httpx

from .shopping import csrf_token, html, one, stock

SKU = "SKU-00010"


def test_home_page_has_the_search_form_and_featured_products(demo_shop: str) -> None:
    response = httpx.get(demo_shop)
    assert response.status_code == 200
    tree = html(response)
    form = one(tree, 'form[action="/search"][method="get"]')
    assert form.css_first("input#q").attributes["name"] == "q"
    assert form.css_first('button[type="submit"]').text() == "Search"
    assert len(tree.css(".product-card")) >= 4


def test_first_response_sets_an_http_only_lax_session_cookie(demo_shop: str) -> None:
    cookie = httpx.get(demo_shop).headers["set-cookie"]
    assert re.match(r"shop_session=[A-Za-z0-9_-]{32}; ", cookie)
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    with httpx.Client(base_url=demo_shop) as client:
        client.get("/")
        assert "set-cookie" not in client.get("/").headers


def test_search_page_lists_matching_product_cards(demo_shop: str) -> None:
    tree = html(httpx.get(f"{demo_shop}/search", params={"q": "SCARF"}))
    cards = tree.css(".product-card")
    assert len(cards) >= 3
    for card in cards:
        sku = card.attributes["data-sku"]
        link = card.css_first("a.product-link")
        assert link.attributes["href"] == f"/products/{sku}"
        assert "scarf" in link.css_first(".product-name").text().lower()
        assert card.css_first(".price").text().startswith("$")
    assert not tree.css(".no-results")
    assert one(tree, "input#q").attributes["value"] == "SCARF"


def test_search_without_hits_shows_no_results(demo_shop: str) -> None:
    tree = html(httpx.get(f"{demo_shop}/search", params={"q": "<b>zeppelin</b>"}))
    assert not tree.css(".product-card")
    assert "<b>zeppelin</b>" in one(tree, ".no-results").text()  # escaped, shown as text


def test_product_page_shows_stock_and_add_to_cart_form(demo_shop: str) -> None:
    response = httpx.get(f"{demo_shop}/products/{SKU}")
    tree = html(response)
    assert one(tree, ".product-name").text()
    stock_node = one(tree, "span.stock")
    assert stock_node.text() == f"{stock_node.attributes['data-stock']} in stock"
    form = one(tree, 'form[method="post"][action="/cart/items"]')
    assert form.css_first('input[name="sku"]').attributes["value"] == SKU
    assert form.css_first('input[name="qty"]').attributes["value"] == "1"
    assert form.css_first("button#add-to-cart").text() == "Add to cart"


def test_unknown_product_page_is_404(demo_shop: str) -> None:
    response = httpx.get(f"{demo_shop}/products/SKU-99999")
    assert response.status_code == 404
    assert one(html(response), ".error-title").text() == "Product not found"


def test_html_checkout_flow_places_an_order(demo_shop: str) -> None:
    before = stock(demo_shop, SKU)
    with httpx.Client(base_url=demo_shop, follow_redirects=True) as client:
        token = csrf_token(client.get(f"/products/{SKU}"))
        cart = client.post("/cart/items", data={"csrf_token": token, "sku": SKU, "qty": "2"})
        assert [r.status_code for r in cart.history] == [303]
        assert cart.url.path == "/cart"
        tree = html(cart)
        line = one(tree, ".cart-line")
        assert line.attributes["data-sku"] == SKU
        assert line.css_first(".qty").text() == "2"
        assert one(tree, ".cart-count").text() == "2"
        # document-relative, as on many real shops: `checkout` from /cart is /checkout
        assert one(tree, "a#checkout-link").attributes["href"] == "checkout"

        checkout = client.get("/checkout")
        form = one(html(checkout), 'form#checkout-form[method="post"][action="/checkout"]')
        assert form.css_first("button#place-order").text() == "Place order"
        fields = {
            "csrf_token": csrf_token(checkout),
            "email": "ada@example.test",
            "name": "Ada",
            "address": "1 Loop Road",
            "card_number": "4242 4242 4242 4242",
        }
        confirmation = client.post("/checkout", data=fields)

    assert [r.status_code for r in confirmation.history] == [303]
    assert re.fullmatch(r"/orders/[0-9a-f]{16}", confirmation.url.path)
    tree = html(confirmation)
    assert re.fullmatch(r"ORD-\d{6}", one(tree, ".order-number").text())
    assert one(tree, ".order-line").attributes["data-sku"] == SKU
    assert "4242 4242" not in confirmation.text  # the card number is never echoed
    assert stock(demo_shop, SKU) == before - 2


def test_cart_post_with_bad_csrf_token_is_forbidden(demo_shop: str) -> None:
    with httpx.Client(base_url=demo_shop) as client:
        client.get(f"/products/{SKU}")
        response = client.post("/cart/items", data={"csrf_token": "forged", "sku": SKU})
        assert response.status_code == 403
        assert client.post("/cart/items", data={"sku": SKU}).status_code == 403


def test_checkout_with_another_sessions_token_is_forbidden(demo_shop: str) -> None:
    with httpx.Client(base_url=demo_shop) as victim, httpx.Client(base_url=demo_shop) as attacker:
        token = csrf_token(attacker.get(f"/products/{SKU}"))
        victim.post("/api/cart/items", json={"sku": SKU})
        response = victim.post("/checkout", data={"csrf_token": token, "email": "a@example.test"})
        assert response.status_code == 403
        assert victim.get("/api/cart").json()["count"] == 1  # nothing was ordered


def test_checkout_without_email_is_400_and_keeps_the_cart(demo_shop: str) -> None:
    with httpx.Client(base_url=demo_shop) as client:
        token = csrf_token(client.get(f"/products/{SKU}"))
        client.post("/cart/items", data={"csrf_token": token, "sku": SKU, "qty": "1"})
        response = client.post("/checkout", data={"csrf_token": token, "email": ""})
        assert response.status_code == 400
        assert one(html(response), ".error-message").text().startswith("email")
        assert client.get("/api/cart").json()["count"] == 1


def test_checkout_of_an_empty_cart_redirects_to_the_cart(demo_shop: str) -> None:
    with httpx.Client(base_url=demo_shop) as client:
        response = client.get("/checkout")
        assert response.status_code == 303
        assert response.headers["location"] == "/cart"
        assert one(html(client.get("/cart")), ".cart-empty")


def test_checkout_beyond_stock_is_409_and_creates_no_order(demo_shop: str) -> None:
    items = httpx.get(f"{demo_shop}/api/products", params={"page_size": 100}).json()["items"]
    low = next(item for item in items if item["stock"] < 999)
    with httpx.Client(base_url=demo_shop) as client:
        token = csrf_token(client.get(low["url"]))
        client.post("/cart/items", data={"csrf_token": token, "sku": low["sku"], "qty": "999"})
        response = client.post("/checkout", data={"csrf_token": token, "email": "a@example.test"})
        assert response.status_code == 409
        assert one(html(response), ".error-title").text() == "Out of stock"
    assert stock(demo_shop, low["sku"]) == low["stock"]


def test_unknown_page_is_an_html_404(demo_shop: str) -> None:
    response = httpx.get(f"{demo_shop}/no/such/page")
    assert response.status_code == 404
    assert one(html(response), ".error-title").text() == "Page not found"
