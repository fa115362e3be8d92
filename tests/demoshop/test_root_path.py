"""The demo shop under a path prefix (`journey demo-shop --root-path /en-gb`), over loopback.

Every route answers under the prefix and 404 without it; every link, form action, redirect and
JSON URL the shop emits resolves (RFC 3986, as `urljoin` does) to a path under it. The flows are
driven by following what the pages say, never by URLs known in advance, and run with and
without a prefix, since the cart's checkout link is document-relative in both.
"""

from __future__ import annotations

import subprocess
import sys
import uuid
from urllib.parse import urljoin, urlsplit

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from runner.demoshop.paths import check_root_path
from runner.demoshop.server import serve
from tests.conftest import free_port

from .shopping import html, one, request_counts

PREFIX = "/en-gb"
SKU = "SKU-00020"
LINKS = "a[href], form[action], link[href], script[src], img[src]"
SHOPS = ["demo_shop", "prefixed_shop"]

# Under the prefix each answers 200; without it, 404.
SERVED = [
    "/",
    "/search?q=shirt",
    f"/products/{SKU}",
    "/cart",
    "/health",
    "/metrics",
    "/api/products?q=mug",
    f"/api/products/{SKU}",
    f"/api/stock/{SKU}",
    "/api/cart",
    "/export/v1/cursor",
    "/export/v1/orders?limit=1",
    "/export/v1/orders.csv?limit=1",
    "/admin/faults",
]


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def prefix_of(url: str) -> str:
    return urlsplit(url).path.rstrip("/")


def link_targets(response: httpx.Response) -> list[tuple[str, str, str]]:
    """Every link and form action of the page: its tag, as written, and resolved."""
    targets = []
    for node in html(response).css(LINKS):
        attributes = node.attributes
        value = attributes.get("href") or attributes.get("action") or attributes.get("src")
        assert value, f"<{node.tag}> without a target in {response.url}"
        targets.append((node.tag or "", value, urljoin(str(response.url), value)))
    return targets


def assert_links_stay_under(response: httpx.Response, prefix: str) -> None:
    for _, value, resolved in link_targets(response):
        parts = urlsplit(value)
        assert not parts.scheme and not parts.netloc, f"{value!r}: absolute in {response.url}"
        if value.startswith("/"):
            assert value.startswith(f"{prefix}/"), f"{value!r} lacks {prefix} in {response.url}"
        assert urlsplit(resolved).path.startswith(f"{prefix}/"), (value, resolved)


def form_fields(form_html: httpx.Response, selector: str) -> tuple[str, dict[str, str]]:
    """The form's resolved action and its named inputs' values."""
    form = one(html(form_html), selector)
    fields = {
        node.attributes["name"] or "": node.attributes.get("value") or ""
        for node in form.css("input[name]")
    }
    return urljoin(str(form_html.url), form.attributes["action"] or ""), fields


def shop_through_the_pages(client: httpx.Client, base_url: str) -> dict[str, httpx.Response]:
    """A guest checkout that only follows links and submits forms, from the search page on."""
    search = client.get(f"{base_url}/search", params={"q": "shirt"})
    href = html(search).css(".product-card a.product-link")[0].attributes["href"] or ""
    product = client.get(urljoin(str(search.url), href))
    action, fields = form_fields(product, 'form[method="post"]')
    cart = client.post(action, data={**fields, "qty": "2"})
    checkout_href = one(html(cart), "#checkout-link").attributes["href"] or ""
    checkout = client.get(urljoin(str(cart.url), checkout_href))
    action, fields = form_fields(checkout, "#checkout-form")
    details = {"email": "guest@example.test", "name": "Guest", "address": "1 Loop Road"}
    order = client.post(action, data={**fields, **details, "card_number": "4242424242424242"})
    pages = {"search": search, "product": product, "cart": cart}
    return {**pages, "checkout": checkout, "order": order}


@pytest.mark.parametrize("path", SERVED)
def test_every_surface_answers_under_the_prefix_and_404_without_it(
    prefixed_shop: str, path: str
) -> None:
    assert httpx.get(f"{prefixed_shop}{path}").status_code == 200
    assert httpx.get(f"{origin_of(prefixed_shop)}{path}").status_code == 404


def test_pos_sales_are_accepted_under_the_prefix_only(prefixed_shop: str) -> None:
    batch = {"store": "S001", "sales": [{"sku": SKU, "qty": 1}]}
    headers = {"Idempotency-Key": f"root-path-{uuid.uuid4()}"}
    accepted = httpx.post(f"{prefixed_shop}/pos/v1/sales/batches", json=batch, headers=headers)
    assert accepted.status_code == 202
    batch_path = f"/pos/v1/sales/batches/{accepted.json()['batch_id']}"
    assert httpx.get(f"{prefixed_shop}{batch_path}").status_code == 200
    assert httpx.get(f"{origin_of(prefixed_shop)}{batch_path}").status_code == 404


def test_a_path_without_the_prefix_gets_the_shops_404_leading_back_under_it(
    prefixed_shop: str,
) -> None:
    origin = origin_of(prefixed_shop)
    api = httpx.get(f"{origin}/api/products")
    assert (api.status_code, api.json()) == (404, {"error": "not found"})
    for path in ("/search", "/en-gbx/search", f"{PREFIX}{PREFIX}/search"):
        page = httpx.get(f"{origin}{path}")
        assert page.status_code == 404
        assert one(html(page), ".error-title").text() == "Page not found"
        assert_links_stay_under(page, PREFIX)


@pytest.mark.parametrize("shop", SHOPS)
def test_every_link_of_the_pages_resolves_under_the_prefix(
    shop: str, request: pytest.FixtureRequest
) -> None:
    base_url: str = request.getfixturevalue(shop)
    prefix = prefix_of(base_url)
    with httpx.Client(follow_redirects=True) as client:
        pages = shop_through_the_pages(client, base_url)
        pages["home"] = client.get(f"{base_url}/")
        pages["missing product"] = client.get(f"{base_url}/products/SKU-99999")
        links = set()
        for name, page in pages.items():
            assert page.status_code == (404 if name == "missing product" else 200), name
            assert_links_stay_under(page, prefix)
            links |= {url for tag, _, url in link_targets(page) if tag == "a"}
        for url in sorted(links):  # and every link leads to a page
            assert client.get(url).status_code == 200, url


@pytest.mark.parametrize("shop", SHOPS)
def test_add_to_cart_redirects_to_a_cart_whose_checkout_link_is_document_relative(
    shop: str, request: pytest.FixtureRequest
) -> None:
    base_url: str = request.getfixturevalue(shop)
    prefix = prefix_of(base_url)
    with httpx.Client() as client:
        action, fields = form_fields(
            client.get(f"{base_url}/products/{SKU}"), 'form[method="post"]'
        )
        assert urlsplit(action).path == f"{prefix}/cart/items"
        added = client.post(action, data=fields)
        assert (added.status_code, added.headers["location"]) == (303, f"{prefix}/cart")
        cart = client.get(urljoin(str(added.url), added.headers["location"]))
        assert cart.status_code == 200
        assert one(html(cart), ".cart-line").attributes["data-sku"] == SKU
        href = one(html(cart), "a#checkout-link").attributes["href"] or ""
        assert href == "checkout"  # document-relative: resolved against the cart's own URL
        checkout = client.get(urljoin(str(cart.url), href))
        assert checkout.url.path == f"{prefix}/checkout"
        assert checkout.status_code == 200
        assert one(html(checkout), "#checkout-form #place-order")


@pytest.mark.parametrize("shop", SHOPS)
def test_a_guest_checkout_through_the_forms_places_an_order_the_export_lists(
    shop: str, request: pytest.FixtureRequest
) -> None:
    base_url: str = request.getfixturevalue(shop)
    prefix = prefix_of(base_url)
    since = httpx.get(f"{base_url}/export/v1/cursor").json()["cursor"]
    with httpx.Client(follow_redirects=True) as client:
        pages = shop_through_the_pages(client, base_url)
    cart, order = pages["cart"], pages["order"]
    assert [r.status_code for r in cart.history] == [303]
    assert cart.url.path == f"{prefix}/cart"
    assert [r.status_code for r in order.history] == [303]
    assert order.history[0].headers["location"].startswith(f"{prefix}/orders/")
    number = one(html(order), ".order-number").text()
    order_id = one(html(order), "table.order").attributes["data-order-id"] or ""
    assert order.url.path == f"{prefix}/orders/{order_id}"

    feed = httpx.get(f"{base_url}/export/v1/orders", params={"since": since}).json()
    listed = {o["order_id"]: o for o in feed["orders"]}
    assert listed[order_id]["number"] == number
    assert listed[order_id]["items"][0]["qty"] == 2
    csv = httpx.get(f"{base_url}/export/v1/orders.csv", params={"since": since}).text
    assert order_id in csv


def test_product_json_links_to_the_prefixed_product_page(prefixed_shop: str) -> None:
    product = httpx.get(f"{prefixed_shop}/api/products/{SKU}").json()
    assert product["url"] == f"{PREFIX}/products/{SKU}"
    items = httpx.get(f"{prefixed_shop}/api/products", params={"q": "mug"}).json()["items"]
    assert items and all(item["url"] == f"{PREFIX}/products/{item['sku']}" for item in items)
    page = httpx.get(urljoin(prefixed_shop, product["url"]))
    assert (page.status_code, one(html(page), ".sku").text()) == (200, SKU)


def test_route_groups_count_and_fault_the_paths_below_the_prefix(prefixed_shop: str) -> None:
    before, _ = request_counts(prefixed_shop)
    assert httpx.get(f"{prefixed_shop}/search", params={"q": "mug"}).status_code == 200
    assert httpx.get(f"{origin_of(prefixed_shop)}/search").status_code == 404  # not counted
    after, _ = request_counts(prefixed_shop)
    assert after[("search", "GET", "200")] - before[("search", "GET", "200")] == 1
    assert sum(after.values()) - sum(before.values()) == 1

    admin = f"{prefixed_shop}/admin/faults"
    try:
        httpx.put(f"{admin}/pages", json={"errors": "100%"}).raise_for_status()
        page = httpx.get(f"{prefixed_shop}/products/{SKU}")
        assert page.status_code == 503
        assert one(html(page), ".error-message").text() == "injected fault"
        assert_links_stay_under(page, PREFIX)
        assert httpx.get(f"{prefixed_shop}/api/cart").status_code == 200  # another group
    finally:
        httpx.delete(admin).raise_for_status()


@pytest.mark.parametrize(
    ("text", "root_path"),
    [
        ("", ""),
        ("/", ""),
        ("/en-gb", "/en-gb"),
        ("/en-gb/", "/en-gb"),
        ("/shop/en_GB", "/shop/en_GB"),
    ],
)
def test_root_paths_are_kept_without_a_trailing_slash(text: str, root_path: str) -> None:
    assert check_root_path(text) == root_path


@pytest.mark.parametrize(
    "text", ["en-gb", "/a//b", "/a/../b", "/./a", "/en gb", "/en%2Dgb", "/café", "/a?b", "/a#b"]
)
def test_malformed_root_paths_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match=r"^expected .*, got "):
        check_root_path(text)


@given(st.one_of(st.text(), st.from_regex(r"(/[A-Za-z0-9._~%-]{0,4}){0,4}/?", fullmatch=True)))
def test_a_root_path_is_refused_or_is_a_prefix_links_resolve_below(text: str) -> None:
    try:
        root_path = check_root_path(text)
    except ValueError as exc:
        assert str(exc).startswith("expected ")
        return
    assert check_root_path(root_path) == root_path
    assert root_path == "" or (root_path.startswith("/") and not root_path.endswith("/"))
    base = f"http://shop{root_path}/cart"
    assert urljoin(base, "checkout") == f"http://shop{root_path}/checkout"


def test_serve_refuses_a_malformed_root_path_before_starting() -> None:
    with pytest.raises(ValueError, match="invalid root_path: expected a path starting with /"):
        serve(host="127.0.0.1", port=1, db=None, workers=1, faults=[], root_path="en-gb")


def test_demo_shop_with_a_bad_root_path_exits_2_with_one_line() -> None:
    command = [sys.executable, "-m", "runner", "demo-shop", "--port", str(free_port())]
    done = subprocess.run(
        [*command, "--root-path", "bad"], capture_output=True, text=True, timeout=30
    )
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.splitlines() == [
        "--root-path:1:1: root_path: expected a path starting with /, such as /en-gb, got 'bad'"
    ]
