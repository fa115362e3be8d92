"""Locust's fastest HTTP client (FastHttpSession) behind the interface the http engine uses.

The http engine (`runner/engines/http.py`) speaks httpx's `Client.request`; this adapter lets
the very same flow code (templating, checks, captures, until:) run on geventhttpclient inside
Locust, with Locust's own request events fired for every request, named `journey / step` so
Locust's statistics stay bounded. The user's cookie jar is the session's.

geventhttpclient has only per-client timeouts (60 s in FastHttpSession), so each request's own
timeout is kept here (Clients), raised as httpx's ReadTimeout for the flow to report. A
request that timed out leaves its connection with an answer that may still arrive: the user's
connections are closed then, so a late answer can never be read as the next request's. Every
request is counted in flight while outstanding, for the time series and the hang rail.

geventhttpclient follows redirects without saying where it went (the response's URL is the
one asked, its history empty), so a FastClient follows them itself, hop by hop, with the
rules of `runner/engines/redirects.py`, and answers with the final URL and the hops as
httpx does: the final URL, the chain, `expect.url` and links resolved against the page they
came from are then the same in load as in probes. A request without a redirect pays one
status comparison for it.
"""

from __future__ import annotations

import time
import weakref
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

import gevent
import httpx
from locust.contrib.fasthttp import FastHttpSession

from runner.engines.hops import (
    MAX_REDIRECTS,
    REDIRECT_STATUSES,
    Sent,
    next_hop,
    redirect_method,
)


class FastResponseView:
    """The few httpx.Response attributes the checks read, over Locust's FastResponse."""

    __slots__ = ("_response", "headers", "history", "status_code", "url")

    def __init__(self, response: Any, url: str, history: tuple[Hop, ...] = ()) -> None:
        self._response = response
        self.status_code: int = response.status_code
        self.headers = response.headers
        self.url = url  # the URL that answered, after the redirects followed
        self.history = history

    @property
    def text(self) -> str:
        return self._response.text or ""

    def json(self) -> Any:
        return self._response.json()


class Hop:
    """One redirect followed: its status and the URL that answered it (httpx's history)."""

    __slots__ = ("status_code", "url")

    def __init__(self, status_code: int, url: str) -> None:
        self.status_code, self.url = status_code, url


class RequestTimeout(BaseException):
    """Thrown into a user's greenlet whose request is past its timeout.

    A BaseException, so that neither FastHttpSession nor geventhttpclient, which catch
    `Exception` and gevent's own Timeout, can take it for an answer.
    """


class Clients:
    """The process's FastClients: each request's own timeout, and what is in flight, cheaply.

    A gevent.Timeout per request starts and stops a libev timer, and a shared counter of
    requests in flight is two dict updates: together ~5 % of a worker's throughput
    (bench/load_engine.py). Instead a client notes on itself the step it is waiting on and its
    deadline (two slot writes), and one timer, every `TICK_S`, throws RequestTimeout into the
    users past theirs. It throws from the hub, in the timer's callback, as gevent.Timeout
    does; a client has a deadline only while blocked in its request, so the throw can land
    nowhere else. Timeouts fire up to TICK_S late. `in_flight` counts at the moment asked.
    """

    TICK_S = 0.05

    def __init__(self) -> None:
        self._clients: weakref.WeakSet[FastClient] = weakref.WeakSet()  # users come and go
        self._timer: Any = None  # started with the first client: the master makes none

    def add(self, client: FastClient) -> None:
        self._clients.add(client)
        if self._timer is None:
            self._timer = gevent.get_hub().loop.timer(self.TICK_S, self.TICK_S)
            self._timer.start(self._expire)

    def in_flight(self) -> dict[str, int]:
        """Requests outstanding now, by `journey / step`."""
        counts: dict[str, int] = {}
        for client in list(self._clients):
            if (step := client.waiting_on) is not None:
                counts[step] = counts.get(step, 0) + 1
        return counts

    def _expire(self) -> None:
        now = time.perf_counter()
        for client in list(self._clients):
            if 0.0 < client.deadline <= now:
                client.deadline = 0.0
                client.greenlet.throw(RequestTimeout())


class FastClient:
    """httpx-shaped `request` over a FastHttpSession; connection failures raise httpx errors.

    While a request is outstanding, `waiting_on` is its `journey / step`, `sent_at` when it
    was sent (perf_counter) and `deadline` when it times out (0.0: none); None, None, 0.0
    between two requests.
    """

    __slots__ = ("__weakref__", "deadline", "greenlet", "sent_at", "session", "waiting_on")

    def __init__(self, session: FastHttpSession, clients: Clients) -> None:
        self.session = session
        self.greenlet = gevent.getcurrent()  # made in the user's on_start, in its greenlet
        self.waiting_on: str | None = None
        self.sent_at: float | None = None
        self.deadline = 0.0
        clients.add(self)

    def request(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        params: Mapping[str, str] | None = None,
        json: Any = None,
        data: Mapping[str, str] | None = None,
        timeout: float | None = None,
        follow_redirects: bool = True,
        extensions: Mapping[str, Any] | None = None,
    ) -> FastResponseView:
        """Send a request and, with `follow_redirects`, follow its redirects (see the module).

        Raises UnsafeUrl for a redirect to anything but http(s), TooManyRedirects past
        MAX_REDIRECTS, and httpx's ConnectError / ReadTimeout as httpx would.
        """
        if params:
            url += ("&" if "?" in url else "?") + urlencode(params)
        name = (extensions or {}).get("step") or url
        response = self._send(method, url, headers, json, data, timeout, name)
        if not follow_redirects or response.status_code not in REDIRECT_STATUSES:
            return FastResponseView(response, url)
        hops: list[Hop] = []
        sent = Sent(method, headers, None, json, data, frozenset())
        while (location := response.headers.get("location")) and (
            response.status_code in REDIRECT_STATUSES
        ):
            if len(hops) == MAX_REDIRECTS:
                raise httpx.TooManyRedirects(f"more than {MAX_REDIRECTS} redirects")
            hops.append(Hop(response.status_code, url))
            url = next_hop(url, location)
            redirect_method(sent, response.status_code)
            response = self._send(
                sent.method, url, sent.headers, sent.json, sent.data, timeout, name
            )
        return FastResponseView(response, url, tuple(hops))

    def _send(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str] | None,
        json: Any,
        data: Mapping[str, str] | None,
        timeout: float | None,
        name: str,
    ) -> Any:
        """One request, no redirect followed: the FastResponse, or httpx's errors."""
        body = None
        sent_headers = dict(headers) if headers else None  # None: geventhttpclient's fast path
        if data is not None:
            body = urlencode(data)
            sent_headers = sent_headers or {}
            sent_headers.setdefault("Content-Type", "application/x-www-form-urlencoded")
        self.waiting_on = name
        self.sent_at = sent = time.perf_counter()
        if timeout:
            self.deadline = sent + timeout
        try:
            response = self.session.request(
                method,
                url,
                name=name,
                data=body,
                json=json if data is None else None,
                headers=sent_headers,
                allow_redirects=False,
            )
        except RequestTimeout:
            self.session.client.clientpool.close()  # a late answer must meet a closed socket
            raise httpx.ReadTimeout(f"no response within {timeout:g}s") from None
        finally:
            self.deadline = 0.0
            self.waiting_on = self.sent_at = None
        if response.status_code == 0:  # geventhttpclient reports a connection failure so
            error = getattr(response, "error", None) or "connection failed"
            raise httpx.ConnectError(str(error))
        return response
