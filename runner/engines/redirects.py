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
followed by the client itself, unchanged: httpx, or the load users' FastClient, which follows
with the same hop rules (`runner/engines/hops.py`), so that hops go alike in probes and load.
Hops read `302 /old?token=***`: status and the masked URL that answered
(`runner.redact.masked_url`).
"""

from __future__ import annotations

from collections.abc import Mapping, Set

from runner.engines.hops import (
    MAX_REDIRECTS,
    REDIRECT_STATUSES,
    Sent,
    next_hop,
    redirect_method,
)
from runner.engines.http_client import HttpClient, HttpResponse
from runner.engines.urls import UnsafeUrl
from runner.redact import masked_url
from runner.spec.origins import Origin, origin_of, show_origin, show_secrets


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
    return response, tuple(f"{r.status_code} {masked_url(str(r.url))}" for r in response.history)


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

    Hops read as httpx's history does in results: `303 /cart/items` (status, URL answered).
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
        hops.append(f"{response.status_code} {masked_url(url)}")
        url = next_hop(str(response.url) or url, location)
        redirect_method(sent, response.status_code)
        if (origin := origin_of(url)) not in own:
            if sent.body_secrets:
                raise UnsafeUrl(
                    f"{hops[-1].split()[0]} redirect to {show_origin(origin)} would resend "
                    f"{show_secrets(sent.body_secrets)} in the body: not followed"
                )
            if sent.headers:
                kept = {k: v for k, v in sent.headers.items() if k.lower() not in secret_headers}
                sent.headers = kept or None
