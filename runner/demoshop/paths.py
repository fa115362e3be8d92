"""Where the shop serves: its root path (`--root-path /en-gb`), app paths and served paths.

An *app path* is what routes, route groups and templates are written in (`/cart`); a *served
path* is what clients see (`/en-gb/cart`). A real multi-locale shop answers under such a prefix,
and a client that drops it must be caught, so `RootPathMiddleware` answers 404 outside it.

ASGI's convention (uvicorn's and Starlette's): `scope["path"]` is the whole path as requested and
`scope["root_path"]` the prefix it starts with. So routing, route groups and metrics ask
`app_path(scope)`, and every link, form action, redirect and JSON URL the shop emits goes through
`served_path`, the one place an app path becomes a served one. Imports nothing of ours.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Final

from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Receive, Scope, Send

# A path segment of RFC 3986 `pchar`s, without "%": percent-escapes would need decoding before
# comparing with `scope["path"]`, which uvicorn has already decoded.
_SEGMENT: Final = re.compile(r"[A-Za-z0-9._~!$&'()*+,;=:@-]+")
_EXAMPLE: Final = "such as /en-gb"


def check_root_path(text: str) -> str:
    """Return `text` as a root path: "" (no prefix) or `/a/b`, a trailing "/" removed.

    Raises:
        ValueError: it does not start with "/", has an empty, "." or ".." segment, or a
            character that is not a plain URL path character (percent-escapes included).
    """
    got = repr(text[:40])
    if not text:
        return ""
    if not text.startswith("/"):
        raise ValueError(f"expected a path starting with /, {_EXAMPLE}, got {got}")
    root_path = text.rstrip("/")
    segments = root_path.split("/")[1:]
    if any(segment in ("", ".", "..") for segment in segments):
        raise ValueError(f"expected a path without empty, . or .. segments, got {got}")
    if not all(_SEGMENT.fullmatch(segment) for segment in segments):
        raise ValueError(
            f"expected URL path characters only (letters, digits, -._~!$&'()*+,;=:@), got {got}"
        )
    return root_path


def is_under(path: str, prefix: str) -> bool:
    """Whether `path` is `prefix` or below it (`/cart/items` is under `/cart`, `/carts` not)."""
    return path == prefix or path.startswith(prefix + "/")


def app_path(scope: Mapping[str, Any]) -> str:
    """Return the request's path below its root path (`/en-gb/cart` → `/cart`).

    A path outside the root path is returned whole, as Starlette's routing does.
    """
    path: str = scope["path"]
    root_path: str = scope.get("root_path", "")
    if root_path and is_under(path, root_path):
        return path[len(root_path) :] or "/"
    return path


def served_path(connection: HTTPConnection | Mapping[str, Any], path: str) -> str:
    """Return the path clients use for the app path `path` (`/cart` → `/en-gb/cart`).

    `connection` is the request (or its scope) being answered; without a root path `path` is
    returned unchanged.
    """
    scope = connection.scope if isinstance(connection, HTTPConnection) else connection
    root_path: str = scope.get("root_path", "")
    return root_path + path


class RootPathMiddleware:
    """Pure ASGI middleware serving the app under `root_path`, and answering 404 outside it.

    A request under the prefix gets it added to `scope["root_path"]`, its path left whole; any
    other request goes to `outside`, an ASGI app answering 404, with that root path too, so the
    links of its error page lead back into the shop. Lifespan events pass straight through.
    """

    def __init__(self, app: ASGIApp, *, root_path: str, outside: ASGIApp) -> None:
        self.app = app
        self.root_path = check_root_path(root_path)
        self.outside = outside

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket") or not self.root_path:
            await self.app(scope, receive, send)
            return
        prefixed = {**scope, "root_path": scope.get("root_path", "") + self.root_path}
        if is_under(scope["path"], prefixed["root_path"]):
            await self.app(prefixed, receive, send)
        else:
            await self.outside(prefixed, receive, send)
