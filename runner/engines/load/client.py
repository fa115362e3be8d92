"""Locust's fastest HTTP client (FastHttpSession) behind the interface the http engine uses.

The http engine (`runner/engines/http.py`) speaks httpx's `Client.request`; this adapter lets
the very same flow code (templating, checks, captures, until:) run on geventhttpclient inside
Locust, with Locust's own request events fired for every request, named `journey / step` so
Locust's statistics stay bounded. The user's cookie jar is the session's.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

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
    """httpx-shaped `request` over a FastHttpSession; connection failures raise httpx errors."""

    def __init__(self, session: FastHttpSession) -> None:
        self.session = session
        self.step_name = ""  # set by the flow: Locust's request name

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
        response = self.session.request(
            method,
            url,
            name=name,
            data=body,
            json=json if data is None else None,
            headers=sent_headers,
            allow_redirects=follow_redirects,
        )
        if response.status_code == 0:  # geventhttpclient reports a connection failure so
            error = getattr(response, "error", None) or "connection failed"
            raise httpx.ConnectError(str(error))
        return FastResponseView(response)
