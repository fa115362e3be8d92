"""Fault injection: pure ASGI middleware stalling, slowing and failing a route group's requests.

A stall holds a request until `stall` seconds after it arrived, re-reading the fault store every
`STALL_POLL_S` while holding, so clearing or shortening the stall at run time releases requests
already held (a test can take a group down and watch it come back), and lengthening it holds
them longer. Latency is read once and slept in full. Both are `await asyncio.sleep`, so even a
60 s fault holds no thread and the shop keeps serving other groups. An injected error is a 503
with `{"error": "injected fault"}` on JSON routes and a small HTML page elsewhere; it is decided
after the stall and latency, as a slow failure looks to a shopper, by the settings in force when
the stall ends. Only the six route groups are faulted, never /health, /metrics or /admin.
"""

from __future__ import annotations

import asyncio
import html
import random
import time
from typing import Final

from starlette.concurrency import run_in_threadpool
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from runner.demoshop.faults import FaultSettings, FaultStore
from runner.demoshop.groups import GROUPS, route_group, wants_json
from runner.demoshop.paths import app_path, served_path

# How often a held request re-reads its stall: releases come at most this late (plus the store's
# cache age), and each held request costs one cache look-up per period.
STALL_POLL_S: Final = 0.2

_ERROR_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Service unavailable</title></head>
<body><main class="error" data-status="503"><h1 class="error-title">Service unavailable</h1>
<p class="error-message">injected fault</p><p><a href="{home}">Back to the shop</a></p></main>
</body></html>
"""


def injected_error(scope: Scope) -> Response:
    """Return the 503 answer of an injected error for the request of `scope`."""
    if wants_json(app_path(scope)):
        return JSONResponse({"error": "injected fault"}, status_code=503)
    page = _ERROR_PAGE.format(home=html.escape(served_path(scope, "/")))
    return HTMLResponse(page, status_code=503)


class FaultMiddleware:
    """Apply the current `FaultStore` settings of the request's route group."""

    def __init__(self, app: ASGIApp, *, store: FaultStore) -> None:
        self.app = app
        self.store = store
        self._random = random.Random()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        group = route_group(app_path(scope)) if scope["type"] == "http" else "ops"
        if group not in GROUPS:
            await self.app(scope, receive, send)
            return
        arrived = time.monotonic()
        fault = (await self._settings())[group]
        if fault.stall_s > 0:
            fault = await self._hold(group, arrived, fault)
        if fault.latency_s > 0:
            await asyncio.sleep(fault.latency_s)
        if fault.error_ratio > 0 and self._random.random() < fault.error_ratio:
            await injected_error(scope)(scope, receive, send)
            return
        await self.app(scope, receive, send)

    async def _settings(self) -> dict[str, FaultSettings]:
        settings = self.store.cached()
        if settings is None:  # stale: read SQLite off the event loop
            settings = await run_in_threadpool(self.store.load)
        return settings

    async def _hold(self, group: str, arrived: float, fault: FaultSettings) -> FaultSettings:
        """Sleep until `arrived` + the group's current stall; return the settings at release."""
        while (remaining_s := arrived + fault.stall_s - time.monotonic()) > 0:
            await asyncio.sleep(min(remaining_s, STALL_POLL_S))
            fault = (await self._settings())[group]
        return fault
