"""What every route needs from the running shop, built once per worker by `app.create_app`.

Routes reach it through `shop(request)` rather than module globals, so two apps (two databases)
can live in one interpreter.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

from starlette.requests import Request
from starlette.templating import Jinja2Templates

from runner.demoshop.database import Database
from runner.demoshop.faults import FaultStore
from runner.demoshop.metrics import ShopMetrics


@dataclass(frozen=True, slots=True)
class ShopContext:
    """The database, fault store, metrics, templates and CSRF secret of one shop app."""

    db: Database
    faults: FaultStore
    metrics: ShopMetrics
    templates: Jinja2Templates
    csrf_secret: bytes


def shop(request: Request) -> ShopContext:
    """Return the context of the app serving `request`."""
    return cast(ShopContext, request.app.state.shop)


def session_id(request: Request) -> str:
    """Return the request's session id (set by `SessionMiddleware`)."""
    return cast(str, request.state.session_id)
