"""The storefront: HTML pages and form posts, as a browser (or an http journey) drives them.

Page GETs are sync functions (Starlette runs them in its threadpool); form posts are async only
to read the body, then hand the SQLite work to the threadpool. Selectors and ids used here are a
contract with journeys: see docs/demo-shop.md before renaming any.
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from runner.demoshop import carts, catalogue, orders
from runner.demoshop.context import session_id, shop
from runner.demoshop.errors import EmptyCart, InvalidRequest, OutOfStock, UnknownProduct
from runner.demoshop.paths import served_path
from runner.demoshop.routes.bodies import read_form
from runner.demoshop.routes.rendering import error_page, render
from runner.demoshop.sessions import csrf_is_valid, csrf_token

SEARCH_PAGE_SIZE = 60


def _csrf(request: Request) -> str:
    return csrf_token(shop(request).csrf_secret, session_id(request))


def _forbidden(request: Request) -> Response:
    message = "The form has expired or did not come from this shop. Reload the page and retry."
    return error_page(request, 403, "Forbidden", message)


def _see_other(request: Request, path: str) -> Response:
    # 303: after a form post the browser GETs the page (Post/Redirect/Get), never re-posts.
    return RedirectResponse(served_path(request, path), status_code=303)


def home(request: Request) -> Response:
    products = catalogue.featured_products(shop(request).db.read())
    return render(request, "home.html", {"products": products})


def search(request: Request) -> Response:
    query = request.query_params.get("q", "").strip()
    result = catalogue.search_products(
        shop(request).db.read(), query=query, page_size=SEARCH_PAGE_SIZE
    )
    return render(request, "search.html", {"q": query, "result": result})


def product(request: Request) -> Response:
    sku = request.path_params["sku"]
    found = catalogue.get_product(shop(request).db.read(), sku)
    if found is None:
        return error_page(request, 404, "Product not found", f"No product has sku {sku}.")
    return render(request, "product.html", {"product": found, "csrf_token": _csrf(request)})


async def add_to_cart(request: Request) -> Response:
    try:
        form = await read_form(request)
        if not csrf_is_valid(
            shop(request).csrf_secret, session_id(request), form.get("csrf_token")
        ):
            return _forbidden(request)
        qty = carts.check_qty(form.get("qty", "1"))
        sku = form.get("sku", "")
        await run_in_threadpool(carts.add_item, shop(request).db, session_id(request), sku, qty)
    except InvalidRequest as exc:
        return error_page(request, 400, "Bad request", str(exc))
    except UnknownProduct as exc:
        return error_page(request, 404, "Product not found", str(exc))
    return _see_other(request, "/cart")


def cart(request: Request) -> Response:
    current = carts.get_cart(shop(request).db.read(), session_id(request))
    return render(request, "cart.html", {"cart": current})


def checkout_form(request: Request) -> Response:
    current = carts.get_cart(shop(request).db.read(), session_id(request))
    if not current.lines:
        return _see_other(request, "/cart")
    context = {"cart": current, "csrf_token": _csrf(request)}
    return render(request, "checkout.html", context)


async def place_order(request: Request) -> Response:
    try:
        form = await read_form(request)
        if not csrf_is_valid(
            shop(request).csrf_secret, session_id(request), form.get("csrf_token")
        ):
            return _forbidden(request)
        email = orders.check_email(form.get("email"))
        order = await run_in_threadpool(
            lambda: orders.place_order(
                shop(request).db,
                session_id(request),
                email=email,
                name=form.get("name", "").strip(),
                address=form.get("address", "").strip(),
                card_number=form.get("card_number", ""),
            )
        )
    except InvalidRequest as exc:
        return error_page(request, 400, "Please check your details", str(exc))
    except EmptyCart:
        return _see_other(request, "/cart")
    except OutOfStock as exc:
        message = f"Sorry, {exc.sku} is out of stock. Your cart is unchanged; no order was placed."
        return error_page(request, 409, "Out of stock", message)
    return _see_other(request, f"/orders/{order.order_id}")


def order_confirmation(request: Request) -> Response:
    order = orders.get_order(shop(request).db.read(), request.path_params["order_id"])
    if order is None:
        return error_page(request, 404, "Order not found", "No order has this id.")
    return render(request, "order.html", {"order": order})


routes = [
    Route("/", home, methods=["GET"]),
    Route("/search", search, methods=["GET"]),
    Route("/products/{sku}", product, methods=["GET"]),
    Route("/cart/items", add_to_cart, methods=["POST"]),
    Route("/cart", cart, methods=["GET"]),
    Route("/checkout", checkout_form, methods=["GET"]),
    Route("/checkout", place_order, methods=["POST"]),
    Route("/orders/{order_id}", order_confirmation, methods=["GET"]),
]
