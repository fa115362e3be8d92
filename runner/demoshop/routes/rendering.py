"""Rendering storefront pages and their error pages with the shop's Jinja2 templates.

Templates live in `runner/demoshop/templates/` and are loaded with autoescape on, so product
names and search terms can never inject markup. Templates write app paths through
`served_path("/cart")`, so every link and form action carries the shop's root path.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any

import jinja2
from starlette.requests import Request
from starlette.responses import Response
from starlette.templating import Jinja2Templates

from runner.demoshop.context import shop
from runner.demoshop.paths import served_path

TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "templates"


def create_templates() -> Jinja2Templates:
    """Return the shop's template renderer (autoescape on, undefined names are errors)."""
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return Jinja2Templates(env=environment)


def render(
    request: Request, name: str, context: dict[str, Any], status_code: int = 200
) -> Response:
    """Render template `name` as the response to `request` (`q` fills the header's search box)."""
    context = {"q": "", "served_path": partial(served_path, request), **context}
    return shop(request).templates.TemplateResponse(request, name, context, status_code=status_code)


def error_page(request: Request, status_code: int, title: str, message: str) -> Response:
    """Render the generic error page (`.error-title`, `.error-message`) with `status_code`."""
    context = {"status": status_code, "title": title, "message": message}
    return render(request, "error.html", context, status_code=status_code)
