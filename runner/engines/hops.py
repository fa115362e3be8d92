"""One redirect hop: where a `Location` leads, and what the next request keeps of the last.

Shared by the two places that follow redirects hop by hop: `redirects.request_guarded`
(a request carrying secrets, through any client) and the load users' FastClient, which
follows every redirect itself because geventhttpclient would not say where it went. One set
of rules, so that a chain goes alike in probes and in load: a Location resolves against the
URL that answered (RFC 3986); only http(s) with a host is followed; 303 turns any method but
HEAD into GET, and 301/302 turn POST into GET, dropping the body, as httpx and browsers do.

Imports the URL checks only (the load workers import this under gevent).
"""

from __future__ import annotations

from collections.abc import Mapping, Set
from typing import Any
from urllib.parse import urljoin, urlsplit

from runner.engines.urls import REQUESTED_SCHEMES, UnsafeUrl
from runner.spec.origins import origin_of, show_origin

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
MAX_REDIRECTS = 20  # httpx's default


class Sent:
    """One request as sent: what a redirect hop may keep, change or drop."""

    __slots__ = ("body_secrets", "data", "headers", "json", "method", "params")

    def __init__(
        self,
        method: str,
        headers: Mapping[str, str] | None,
        params: Mapping[str, str] | None,
        json: Any,
        data: Mapping[str, str] | None,
        body_secrets: Set[str],
    ) -> None:
        self.method, self.headers, self.params = method, headers, params
        self.json, self.data, self.body_secrets = json, data, body_secrets


def next_hop(current: str, location: str) -> str:
    """Where a `Location` leads from `current` (RFC 3986); UnsafeUrl if not http(s) with a host."""
    url = urljoin(current, location)
    scheme = urlsplit(url).scheme.lower()
    if scheme not in REQUESTED_SCHEMES:
        raise UnsafeUrl(f"redirected to a {scheme[:20]!r} URL: not followed")
    if origin_of(url) is None:
        raise UnsafeUrl(f"redirected to {show_origin(None)}: not followed")
    return url


def redirect_method(sent: Sent, status: int) -> None:
    """Change method and body for the next hop in place, as httpx and browsers do."""
    sent.params = None  # the query is in the Location now
    if (status == 303 and sent.method != "HEAD") or (
        status in (301, 302) and sent.method == "POST"
    ):
        sent.method, sent.json, sent.data = "GET", None, None
        sent.body_secrets = frozenset()
