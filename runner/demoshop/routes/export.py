"""The order export API, JSON and CSV, paged by an opaque cursor (see `demoshop.export`)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from runner.demoshop import export
from runner.demoshop.context import shop
from runner.demoshop.errors import InvalidRequest


def _page(request: Request) -> export.ExportPage:
    limit = export.check_limit(request.query_params.get("limit"))
    since = request.query_params.get("since") or None
    return export.export_page(shop(request).db.read(), since=since, limit=limit)


def orders_json(request: Request) -> Response:
    try:
        page = _page(request)
    except InvalidRequest as exc:
        return JSONResponse({"error": str(exc)}, status_code=422)
    return JSONResponse(page.to_json())


def orders_csv(request: Request) -> Response:
    try:
        page = _page(request)
    except InvalidRequest as exc:
        return JSONResponse({"error": str(exc)}, status_code=422)
    headers = {
        "X-Next-Cursor": page.next_cursor,
        "X-Has-More": "true" if page.has_more else "false",
    }
    return Response(
        export.export_csv(page.orders), media_type="text/csv; charset=utf-8", headers=headers
    )


def cursor(request: Request) -> Response:
    return JSONResponse({"cursor": export.head_cursor(shop(request).db.read())})


routes = [
    Route("/export/v1/cursor", cursor, methods=["GET"]),
    Route("/export/v1/orders", orders_json, methods=["GET"]),
    Route("/export/v1/orders.csv", orders_csv, methods=["GET"]),
]
