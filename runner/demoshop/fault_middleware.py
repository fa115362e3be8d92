"""Fault injection: pure ASGI middleware adding latency and errors to a route group.

Latency is an `await asyncio.sleep`, so even a 60 s fault holds no thread and the shop keeps
serving other groups. An injected error is a 503 with `{"error": "injected fault"}` on JSON
routes and a small HTML page elsewhere; it is decided after the latency, as a slow failure
looks to a shopper. Only the six route groups are faulted, never /health, /metrics or /admin.
"""

from __future__ import annotations

import asyncio
import random

from starlette.concurrency import run_in_threadpool
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from runner.demoshop.faults import FaultStore
from runner.demoshop.groups import GROUPS, route_group, wants_json

_ERROR_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Service unavailable</title></head>
<body><main class="error" data-status="503"><h1 class="error-title">Service unavailable</h1>
<p class="error-message">injected fault</p><p><a href="/">Back to the shop</a></p></main></body>
</html>
"""


def injected_error(path: str) -> Response:
    """Return the 503 answer of an injected error for `path`."""
    if wants_json(path):
        return JSONResponse({"error": "injected fault"}, status_code=503)
    return HTMLResponse(_ERROR_PAGE, status_code=503)


class FaultMiddleware:
    """Apply the current `FaultStore` settings of the request's route group."""

    def __init__(self, app: ASGIApp, *, store: FaultStore) -> None:
        self.app = app
        self.store = store
        self._random = random.Random()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        group = route_group(scope["path"]) if scope["type"] == "http" else "ops"
        if group not in GROUPS:
            await self.app(scope, receive, send)
            return
        settings = self.store.cached()
        if settings is None:  # stale: read SQLite off the event loop
            settings = await run_in_threadpool(self.store.load)
        fault = settings[group]
        if fault.latency_s > 0:
            await asyncio.sleep(fault.latency_s)
        if fault.error_ratio > 0 and self._random.random() < fault.error_ratio:
            await injected_error(scope["path"])(scope, receive, send)
            return
        await self.app(scope, receive, send)
