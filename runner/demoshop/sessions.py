"""Shopper sessions (the `shop_session` cookie) and the CSRF tokens bound to them.

The session id is opaque and random; a request without a valid one gets a new id, usable by the
endpoint at once (`request.state.session_id`) and set on the response. A CSRF token is the HMAC
of the session id under a per-database secret, so every worker process agrees without sharing
memory, and a token lifted from one session is useless in another. Imports `groups` and
`paths` only.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from typing import Final

from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from runner.demoshop.groups import route_group
from runner.demoshop.paths import app_path

COOKIE: Final = "shop_session"
_SESSION_ID: Final = re.compile(r"[A-Za-z0-9_-]{32}")


def new_session_id() -> str:
    """Return a fresh random session id (32 URL-safe characters)."""
    return secrets.token_urlsafe(24)


def csrf_token(secret: bytes, session_id: str) -> str:
    """Return the CSRF token for forms served to `session_id`."""
    return hmac.new(secret, session_id.encode(), hashlib.sha256).hexdigest()


def csrf_is_valid(secret: bytes, session_id: str, token: str | None) -> bool:
    """Whether `token` is the CSRF token of `session_id` (constant-time comparison)."""
    return token is not None and hmac.compare_digest(csrf_token(secret, session_id), token)


class SessionMiddleware:
    """Pure ASGI middleware giving every shop request a session id, setting the cookie if new.

    Ops and admin paths are left alone: probes and scrapers need no session.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or route_group(app_path(scope)) in ("ops", "admin"):
            await self.app(scope, receive, send)
            return
        session_id = HTTPConnection(scope).cookies.get(COOKIE, "")
        is_new = not _SESSION_ID.fullmatch(session_id)
        if is_new:
            session_id = new_session_id()
        scope.setdefault("state", {})["session_id"] = session_id

        async def send_with_cookie(message: Message) -> None:
            if is_new and message["type"] == "http.response.start":
                cookie = f"{COOKIE}={session_id}; Path=/; HttpOnly; SameSite=Lax"
                message["headers"] = [*message.get("headers", []), (b"set-cookie", cookie.encode())]
            await send(message)

        await self.app(scope, receive, send_with_cookie)
