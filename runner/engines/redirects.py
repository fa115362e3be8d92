"""Following the redirects of a request that carries secrets, hop by hop, on our own rules.

httpx and geventhttpclient, when they follow a redirect to another origin, drop only
`Authorization`: a target header `X-Api-Key: ${SHOP_KEY}` or a journey's own secret header
would go along, and a 307/308 resends the body, secret fields included. So the http engine
sends such a request with `follow_redirects=False` and follows here, through the same
HttpClient (its cookie jar sees every hop, as when the client follows):

- a hop to one of the target's origins keeps every header;
- a hop elsewhere drops the headers that carry secrets (the target's headers, headers whose
  value is a `${NAME}`, and the credentials `Authorization`, `Cookie`, `X-Api-Key`, …) and
  goes on without them, as browsers do for `Authorization`;
- a 307/308 elsewhere that would resend a body carrying a secret is refused (UnsafeUrl), and
  so is a hop to anything but http(s).

Methods change as httpx changes them: 303 turns any method but HEAD into GET, and 301/302
turn POST into GET; the body goes with the method. Requests that carry no secret are
followed by the client itself, unchanged (the load path's common case).
"""

from __future__ import annotations

from collections.abc import Mapping, Set
from typing import Any
from urllib.parse import urljoin, urlsplit

from runner.engines.http_client import HttpClient, HttpResponse
from runner.engines.urls import REQUESTED_SCHEMES, UnsafeUrl
from runner.spec.origins import Origin, origin_of, show_origin, show_secrets

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


def send(
    client: HttpClient,
    url: str,
    sent: Sent,
    *,
    timeout: float,
    extensions: Mapping[str, str],
    follow_redirects: bool,
    guard: tuple[Set[Origin], Set[str]] | None,
) -> tuple[HttpResponse, tuple[str, ...]]:
    """Send `sent`; return the last response and the redirect hops followed.

    Without `guard` (a request that carries no secret) the client follows redirects by its
    own rules; with it, `request_guarded` follows them with `guard`'s (the target's origins,
    the secret-bearing header names).
    """
    if guard is not None and follow_redirects:
        own, secret_headers = guard
        return request_guarded(
            client,
            url,
            sent,
            own=own,
            secret_headers=secret_headers,
            timeout=timeout,
            extensions=extensions,
        )
    response = _send(client, url, sent, timeout, extensions, follow=follow_redirects)
    if not response.history:
        return response, ()
    return response, tuple(f"{r.status_code} {r.url.path}" for r in response.history)


def _send(
    client: HttpClient,
    url: str,
    sent: Sent,
    timeout: float,
    extensions: Mapping[str, str],
    *,
    follow: bool,
) -> HttpResponse:
    return client.request(
        sent.method,
        url,
        headers=sent.headers,
        params=sent.params,
        json=sent.json,
        data=sent.data,
        timeout=timeout,
        follow_redirects=follow,
        extensions=extensions,
    )


def request_guarded(
    client: HttpClient,
    url: str,
    sent: Sent,
    *,
    own: Set[Origin],
    secret_headers: Set[str],
    timeout: float,
    extensions: Mapping[str, str],
) -> tuple[HttpResponse, tuple[str, ...]]:
    """Send `sent` to `url` and follow its redirects; return the last response and the hops.

    Hops read as httpx's history does in results: `303 /cart/items` (status, path answered).
    Raises UnsafeUrl for a refused hop or more than MAX_REDIRECTS, and the client's errors.
    """
    hops: list[str] = []
    while True:
        response = _send(client, url, sent, timeout, extensions, follow=False)
        location = response.headers.get("location")
        if response.status_code not in REDIRECT_STATUSES or not location:
            return response, tuple(hops)
        if len(hops) == MAX_REDIRECTS:
            raise UnsafeUrl(f"more than {MAX_REDIRECTS} redirects: not followed")
        hops.append(f"{response.status_code} {urlsplit(url).path or '/'}")
        url = _next_hop(str(response.url) or url, location)
        _redirect_method(sent, response.status_code)
        if (origin := origin_of(url)) not in own:
            if sent.body_secrets:
                raise UnsafeUrl(
                    f"{hops[-1].split()[0]} redirect to {show_origin(origin)} would resend "
                    f"{show_secrets(sent.body_secrets)} in the body: not followed"
                )
            if sent.headers:
                kept = {k: v for k, v in sent.headers.items() if k.lower() not in secret_headers}
                sent.headers = kept or None


def _next_hop(current: str, location: str) -> str:
    url = urljoin(current, location)
    scheme = urlsplit(url).scheme.lower()
    if scheme not in REQUESTED_SCHEMES:
        raise UnsafeUrl(f"redirected to a {scheme[:20]!r} URL: not followed")
    if origin_of(url) is None:
        raise UnsafeUrl(f"redirected to {show_origin(None)}: not followed")
    return url


def _redirect_method(sent: Sent, status: int) -> None:
    """Change method and body for the next hop in place, as httpx and browsers do."""
    sent.params = None  # the query is in the Location now
    if (status == 303 and sent.method != "HEAD") or (
        status in (301, 302) and sent.method == "POST"
    ):
        sent.method, sent.json, sent.data = "GET", None, None
        sent.body_secrets = frozenset()
