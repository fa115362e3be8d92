"""The demo shop's ASGI application: routes, middleware and the POS applier, for one database.

`create_app_from_environment` is the factory uvicorn imports in each worker process; it reads
the database path from `DEMOSHOP_DB` and the root path from `DEMOSHOP_ROOT_PATH`, which `serve()`
sets. Middleware, outermost first: the root path (a request outside it is a 404 that nothing else
sees), metrics (so injected latency and errors are measured), faults, sessions.
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
from starlette.types import Receive, Scope, Send

from runner.demoshop.context import ShopContext
from runner.demoshop.database import Database
from runner.demoshop.fault_middleware import FaultMiddleware
from runner.demoshop.faults import FaultStore
from runner.demoshop.groups import wants_json
from runner.demoshop.metrics import MetricsMiddleware, ShopMetrics
from runner.demoshop.paths import RootPathMiddleware, app_path, check_root_path
from runner.demoshop.pos import PosApplier
from runner.demoshop.routes import api, export, ops, pos, storefront
from runner.demoshop.routes.rendering import create_templates, error_page
from runner.demoshop.schema import initialise
from runner.demoshop.sessions import SessionMiddleware

DB_ENV: Final = "DEMOSHOP_DB"
ROOT_PATH_ENV: Final = "DEMOSHOP_ROOT_PATH"


async def _http_error(request: Request, exc: Exception) -> Response:
    # Unknown paths (404) and wrong methods (405): JSON on API paths, a page on the storefront.
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    if wants_json(app_path(request.scope)):
        detail = exc.detail if isinstance(exc, HTTPException) else "internal error"
        return JSONResponse({"error": "not found" if status == 404 else detail.lower()}, status)
    title = "Page not found" if status == 404 else "Request not allowed"
    return error_page(request, status, title, f"Nothing answers {request.url.path} here.")


async def _outside_root_path(scope: Scope, receive: Receive, send: Send) -> None:
    # The shop's own 404 (JSON on API paths), for a client that dropped the root path.
    response = await _http_error(Request(scope, receive), HTTPException(404))
    await response(scope, receive, send)


def create_app(db_path: str, *, root_path: str = "") -> Starlette:
    """Return the shop app on the SQLite file `db_path`, creating and seeding it if needed.

    With a `root_path` (`/en-gb`) every route is served below it, and every other path answers
    404. Raises ValueError for a malformed `root_path` (see `paths.check_root_path`).
    """
    root_path = check_root_path(root_path)  # before the database is opened
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
            Middleware(RootPathMiddleware, root_path=root_path, outside=_outside_root_path),
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
    """Return the app on `DEMOSHOP_DB` under `DEMOSHOP_ROOT_PATH`: uvicorn's factory in each worker.

    Raises:
        RuntimeError: `DEMOSHOP_DB` is not set (the factory was used outside `serve()`).
    """
    db_path = os.environ.get(DB_ENV)
    if not db_path:
        raise RuntimeError(f"{DB_ENV} is not set: start the shop with `journey demo-shop`")
    return create_app(db_path, root_path=os.environ.get(ROOT_PATH_ENV, ""))
