"""The demo shop's ASGI application: routes, middleware and the POS applier, for one database.

`create_app_from_environment` is the factory uvicorn imports in each worker process; it reads
the database path from `DEMOSHOP_DB`, which `serve()` sets. Middleware, outermost first:
metrics (so injected latency and errors are measured), faults, sessions.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Final

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from runner.demoshop.context import ShopContext
from runner.demoshop.database import Database
from runner.demoshop.fault_middleware import FaultMiddleware
from runner.demoshop.faults import FaultStore
from runner.demoshop.groups import wants_json
from runner.demoshop.metrics import MetricsMiddleware, ShopMetrics
from runner.demoshop.pos import PosApplier
from runner.demoshop.routes import api, export, ops, pos, storefront
from runner.demoshop.routes.rendering import create_templates, error_page
from runner.demoshop.schema import initialise
from runner.demoshop.sessions import SessionMiddleware

DB_ENV: Final = "DEMOSHOP_DB"


async def _http_error(request: Request, exc: Exception) -> Response:
    # Unknown paths (404) and wrong methods (405): JSON on API paths, a page on the storefront.
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    if wants_json(request.url.path):
        detail = exc.detail if isinstance(exc, HTTPException) else "internal error"
        return JSONResponse({"error": "not found" if status == 404 else detail.lower()}, status)
    title = "Page not found" if status == 404 else "Request not allowed"
    return error_page(request, status, title, f"Nothing answers {request.url.path} here.")


def create_app(db_path: str) -> Starlette:
    """Return the shop app on the SQLite file `db_path`, creating and seeding it if needed."""
    db = Database(db_path)
    context = ShopContext(
        db=db,
        faults=FaultStore(db),
        metrics=ShopMetrics(),
        templates=create_templates(),
        csrf_secret=initialise(db),
    )
    applier = PosApplier(db)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        applier.start()
        try:
            yield
        finally:
            applier.stop()
            db.close()

    app = Starlette(
        routes=[*storefront.routes, *api.routes, *pos.routes, *export.routes, *ops.routes],
        middleware=[
            Middleware(MetricsMiddleware, metrics=context.metrics),
            Middleware(FaultMiddleware, store=context.faults),
            Middleware(SessionMiddleware),
        ],
        exception_handlers={HTTPException: _http_error},
        lifespan=lifespan,
    )
    app.state.shop = context
    return app


def create_app_from_environment() -> Starlette:
    """Return `create_app(os.environ["DEMOSHOP_DB"])`: uvicorn's factory in each worker.

    Raises:
        RuntimeError: `DEMOSHOP_DB` is not set (the factory was used outside `serve()`).
    """
    db_path = os.environ.get(DB_ENV)
    if not db_path:
        raise RuntimeError(f"{DB_ENV} is not set: start the shop with `journey demo-shop`")
    return create_app(db_path)
