"""The JSON shop API: product search and stock, the session cart, and orders.

Same rules as the storefront (the domain modules are shared); the cart is still bound to the
`shop_session` cookie, so an http journey keeps one cookie jar per virtual user. No CSRF here:
JSON bodies cannot be sent cross-site by a plain form.
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from runner.demoshop import carts, catalogue, orders
from runner.demoshop.catalogue import Product
from runner.demoshop.context import session_id, shop
from runner.demoshop.errors import EmptyCart, InvalidRequest, OutOfStock, UnknownProduct
from runner.demoshop.paths import served_path
from runner.demoshop.routes.bodies import json_object, read_json

MAX_PAGE_SIZE = 100
NOT_FOUND = {"error": "not found"}


def invalid(exc: InvalidRequest) -> Response:
    """Return the 422 answer to a malformed request."""
    return JSONResponse({"error": str(exc)}, status_code=422)


def _int_param(request: Request, name: str, default: int, maximum: int) -> int:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    if not raw.isdigit() or not 1 <= int(raw) <= maximum:
        raise InvalidRequest(f"{name}: expected an integer from 1 to {maximum}, got {raw!r}")
    return int(raw)


def _product_json(request: Request, product: Product) -> dict[str, object]:
    # The product page's served path: under the root path, as the storefront links to it.
    return {**product.to_json(), "url": served_path(request, product.url)}


def list_products(request: Request) -> Response:
    try:
        page = _int_param(request, "page", 1, 1_000_000)
        page_size = _int_param(request, "page_size", 20, MAX_PAGE_SIZE)
    except InvalidRequest as exc:
        return invalid(exc)
    result = catalogue.search_products(
        shop(request).db.read(),
        query=request.query_params.get("q", "").strip(),
        category=request.query_params.get("category", "").strip(),
        page=page,
        page_size=page_size,
    )
    items = [_product_json(request, p) for p in result.items]
    body = {"items": items, "total": result.total, "page": page, "page_size": page_size}
    return JSONResponse(body)


def get_product(request: Request) -> Response:
    found = catalogue.get_product(shop(request).db.read(), request.path_params["sku"])
    return JSONResponse(_product_json(request, found)) if found else JSONResponse(NOT_FOUND, 404)


def get_stock(request: Request) -> Response:
    found = catalogue.get_product(shop(request).db.read(), request.path_params["sku"])
    if found is None:
        return JSONResponse(NOT_FOUND, 404)
    return JSONResponse({"sku": found.sku, "stock": found.stock})


async def add_cart_item(request: Request) -> Response:
    try:
        body = json_object(await read_json(request))
        sku = body.get("sku")
        if not isinstance(sku, str):
            raise InvalidRequest(f"sku: expected a string, got {sku!r}")
        qty = carts.check_qty(body.get("qty", 1))
        cart = await run_in_threadpool(
            carts.add_item, shop(request).db, session_id(request), sku, qty
        )
    except InvalidRequest as exc:
        return invalid(exc)
    except UnknownProduct:
        return JSONResponse(NOT_FOUND, 404)
    return JSONResponse(cart.to_json(), status_code=201)


def get_cart(request: Request) -> Response:
    return JSONResponse(carts.get_cart(shop(request).db.read(), session_id(request)).to_json())


def remove_cart_item(request: Request) -> Response:
    sku = request.path_params["sku"]
    return JSONResponse(carts.remove_item(shop(request).db, session_id(request), sku).to_json())


async def create_order(request: Request) -> Response:
    try:
        body = json_object(await read_json(request))
        email = orders.check_email(body.get("email"))
        name = body.get("name") or ""
        if not isinstance(name, str):
            raise InvalidRequest(f"name: expected a string, got {name!r}")
        order = await run_in_threadpool(
            lambda: orders.place_order(
                shop(request).db, session_id(request), email=email, name=name
            )
        )
    except InvalidRequest as exc:
        return invalid(exc)
    except EmptyCart:
        return JSONResponse({"error": "cart is empty"}, status_code=400)
    except OutOfStock as exc:
        return JSONResponse({"error": "out of stock", "sku": exc.sku}, status_code=409)
    return JSONResponse(order.to_json(), status_code=201)


def get_order(request: Request) -> Response:
    order = orders.get_order(shop(request).db.read(), request.path_params["order_id"])
    return JSONResponse(order.to_json()) if order else JSONResponse(NOT_FOUND, 404)


routes = [
    Route("/api/products", list_products, methods=["GET"]),
    Route("/api/products/{sku}", get_product, methods=["GET"]),
    Route("/api/stock/{sku}", get_stock, methods=["GET"]),
    Route("/api/cart", get_cart, methods=["GET"]),
    Route("/api/cart/items", add_cart_item, methods=["POST"]),
    Route("/api/cart/items/{sku}", remove_cart_item, methods=["DELETE"]),
    Route("/api/orders", create_order, methods=["POST"]),
    Route("/api/orders/{order_id}", get_order, methods=["GET"]),
]
