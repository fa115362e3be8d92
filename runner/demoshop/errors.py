"""The demo shop's own exception tree, raised by its domain modules and mapped to HTTP by routes.

```
ShopError
├── InvalidRequest       a request body or parameter is malformed (422, or 400 on HTML forms)
├── UnknownProduct       no product has that sku (404)
├── EmptyCart            checkout with nothing in the cart (400, or a redirect on HTML)
├── OutOfStock           a line asks for more than is in stock; nothing was changed (409)
└── IdempotencyConflict  a POS key was reused for a different batch (409)
```

Domain modules raise these instead of returning status codes, so the HTML and JSON routes share
one set of rules. Imports nothing of ours.
"""

from __future__ import annotations


class ShopError(Exception):
    """Base of every error the shop turns into a client-facing answer."""


class InvalidRequest(ShopError):
    """A request body, form field or query parameter is malformed; the message says which."""


class UnknownProduct(ShopError):
    """No product has the given sku."""

    def __init__(self, sku: str) -> None:
        super().__init__(f"unknown sku {sku!r}")
        self.sku = sku


class EmptyCart(ShopError):
    """An order was asked for while the session's cart is empty."""

    def __init__(self) -> None:
        super().__init__("cart is empty")


class OutOfStock(ShopError):
    """A cart line asks for more units than are in stock; the order was not created."""

    def __init__(self, sku: str) -> None:
        super().__init__(f"out of stock: {sku}")
        self.sku = sku


class IdempotencyConflict(ShopError):
    """A POS idempotency key was replayed with a different batch than the one it first carried."""

    def __init__(self, key: str) -> None:
        super().__init__(f"idempotency key {key!r} was already used for a different batch")
        self.key = key
