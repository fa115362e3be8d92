"""Serve's HTTP side: `/metrics` for Prometheus, `/healthz` for Kubernetes, `/` for people.

A Starlette app on uvicorn (the demo shop's stack), in a thread of its own so the main thread
keeps the signals. Every endpoint reads; none changes what is probed. `/healthz` answers 503
once the scheduler is not running (stopping, or dead), so a liveness probe restarts a serve
whose scheduler died rather than scraping a frozen one for ever.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from prometheus_client import CONTENT_TYPE_LATEST
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route


@dataclass(frozen=True, slots=True)
class Health:
    """What /healthz says."""

    healthy: bool
    body: dict[str, object]


def create_app(
    metrics: Callable[[], bytes], page: Callable[[], str], health: Callable[[], Health]
) -> Starlette:
    """The app: three read-only routes, plain functions run in Starlette's thread pool."""

    def exposition(request: Request) -> Response:
        return Response(metrics(), media_type=CONTENT_TYPE_LATEST)

    def healthz(request: Request) -> Response:
        state = health()
        return JSONResponse(state.body, status_code=200 if state.healthy else 503)

    def index(request: Request) -> Response:
        return HTMLResponse(page())

    return Starlette(
        routes=[
            Route("/metrics", exposition),
            Route("/healthz", healthz),
            Route("/", index),
        ]
    )
