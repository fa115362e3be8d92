"""Route groups: the unit that faults target and metrics are labelled by.

Every path maps to exactly one label. The six shop groups can be faulted; `admin` (fault
control), `ops` (/health and /metrics) and `other` (unknown paths) never are, so an operator can
always reach the shop's controls, and a scrape never perturbs what it measures. Imports nothing
of ours.
"""

from __future__ import annotations

from typing import Final

GROUPS: Final[tuple[str, ...]] = ("search", "cart", "checkout", "pos", "export", "pages")
"""The faultable route groups, in display order."""

_PREFIXES: Final[tuple[tuple[str, str], ...]] = (
    ("/api/products", "search"),
    ("/api/stock", "search"),
    ("/search", "search"),
    ("/api/cart", "cart"),
    ("/cart", "cart"),
    ("/api/orders", "checkout"),
    ("/checkout", "checkout"),
    ("/pos", "pos"),
    ("/export", "export"),
    ("/products", "pages"),
    ("/orders", "pages"),
    ("/admin", "admin"),
)

# Paths answered as JSON (errors included); every other path is a storefront HTML page.
_JSON_PREFIXES: Final[tuple[str, ...]] = ("/api", "/pos", "/export", "/admin", "/health")


def _is_under(path: str, prefix: str) -> bool:
    return path == prefix or path.startswith(prefix + "/")


def route_group(path: str) -> str:
    """Return the label of `path`: one of `GROUPS`, or `admin`, `ops` or `other`."""
    if path in ("/health", "/metrics"):
        return "ops"
    if path == "/":
        return "pages"
    for prefix, group in _PREFIXES:
        if _is_under(path, prefix):
            return group
    return "other"


def wants_json(path: str) -> bool:
    """Whether errors for `path` (injected or not) should be JSON rather than an HTML page."""
    return any(_is_under(path, prefix) for prefix in _JSON_PREFIXES)
