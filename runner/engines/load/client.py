"""Locust's fastest HTTP client (FastHttpSession) behind the interface the http engine uses.

The http engine (`runner/engines/http.py`) speaks httpx's `Client.request`; this adapter lets
the very same flow code (templating, checks, captures, until:) run on geventhttpclient inside
Locust, with Locust's own request events fired for every request, named `journey / step` so
Locust's statistics stay bounded. The user's cookie jar is the session's.

geventhttpclient has only per-client timeouts (60 s in FastHttpSession), so each request's own
timeout is a `gevent.Timeout` here, raised as httpx's ReadTimeout for the flow to report. A
request that timed out leaves its connection with an answer that may still arrive: the user's
connections are closed then, so a late answer can never be read as the next request's. Every
request is counted in `in_flight` while outstanding, for the time series and the hang rail.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

import gevent
import httpx
from locust.contrib.fasthttp import FastHttpSession


class FastResponseView:
    """The few httpx.Response attributes the checks read, over Locust's FastResponse."""

    __slots__ = ("_response", "headers", "history", "status_code")

    def __init__(self, response: Any) -> None:
        self._response = response
        self.status_code: int = response.status_code
        self.headers = response.headers
        self.history: list[Any] = []  # geventhttpclient follows redirects without telling

    @property
    def text(self) -> str:
        return self._response.text or ""

    @property
    def url(self) -> str:
        return str(self._response.url or "")

    def json(self) -> Any:
        return self._response.json()


class FastClient:
    """httpx-shaped `request` over a FastHttpSession; connection failures raise httpx errors.

    `in_flight` is shared by the process's users: requests outstanding by `journey / step`.
    `sent_at` is when the request outstanding now was sent (perf_counter), None between two.
    """

    def __init__(self, session: FastHttpSession, in_flight: dict[str, int]) -> None:
        self.session = session
        self.in_flight = in_flight
        self.sent_at: float | None = None

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
        if params:
            url += ("&" if "?" in url else "?") + urlencode(params)
        body = None
        sent_headers = dict(headers) if headers else None  # None: geventhttpclient's fast path
        if data is not None:
            body = urlencode(data)
            sent_headers = sent_headers or {}
            sent_headers.setdefault("Content-Type", "application/x-www-form-urlencoded")
        name = (extensions or {}).get("step") or url
        in_flight = self.in_flight
        in_flight[name] = in_flight.get(name, 0) + 1
        self.sent_at = time.perf_counter()
        timer = gevent.Timeout.start_new(timeout) if timeout else None
        response = None
        try:
            response = self.session.request(
                method,
                url,
                name=name,
                data=body,
                json=json if data is None else None,
                headers=sent_headers,
                allow_redirects=follow_redirects,
            )
        except gevent.Timeout as exc:
            if exc is not timer:
                raise
        finally:
            # FastHttpSession catches a Timeout itself (as a status 0, or mid-body as a
            # truncated answer): whether our timer went off is the one thing to trust
            timed_out = timer is not None and not timer.pending
            if timer is not None:
                timer.close()
            in_flight[name] -= 1
            self.sent_at = None
        if timed_out or response is None:
            self.session.client.clientpool.close()  # a late answer must meet a closed socket
            raise httpx.ReadTimeout(f"no response within {timeout:g}s")
        if response.status_code == 0:  # geventhttpclient reports a connection failure so
            error = getattr(response, "error", None) or "connection failed"
            raise httpx.ConnectError(str(error))
        return FastResponseView(response)
