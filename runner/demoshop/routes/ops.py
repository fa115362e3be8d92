"""Operations endpoints: health, Prometheus metrics and the fault admin API.

None of these belongs to a route group, so they are never faulted: an operator can always turn
a fault off. Fault changes go to SQLite and so reach every worker within the store's cache age.
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from runner.demoshop.context import shop
from runner.demoshop.errors import InvalidRequest
from runner.demoshop.faults import KINDS, FaultSettings, healthy, parse_fault_value
from runner.demoshop.groups import GROUPS
from runner.demoshop.metrics import CONTENT_TYPE
from runner.demoshop.routes.bodies import json_object, read_json


def _state(settings: dict[str, FaultSettings]) -> dict[str, dict[str, float]]:
    return {group: settings[group].to_json() for group in GROUPS}


def health(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


def metrics(request: Request) -> Response:
    return Response(shop(request).metrics.exposition(), media_type=CONTENT_TYPE)


def get_faults(request: Request) -> Response:
    return JSONResponse(_state(shop(request).faults.load()))


def _changes(body: dict[str, object]) -> dict[str, float]:
    changes = {}
    for kind, value in body.items():
        if kind not in KINDS:
            raise InvalidRequest(f"unknown fault kind {kind!r}, expected one of {', '.join(KINDS)}")
        try:
            changes[kind] = parse_fault_value(kind, value)
        except ValueError as exc:
            raise InvalidRequest(str(exc)) from None
    return changes


async def put_faults(request: Request) -> Response:
    group = request.path_params["group"]
    try:
        if group not in GROUPS:
            raise InvalidRequest(f"unknown group {group!r}, expected one of {', '.join(GROUPS)}")
        changes = _changes(json_object(await read_json(request)))
    except InvalidRequest as exc:
        return JSONResponse({"error": str(exc)}, status_code=422)
    settings = await run_in_threadpool(shop(request).faults.update, group, changes)
    return JSONResponse(_state(settings))


def clear_faults(request: Request) -> Response:
    return JSONResponse(_state(shop(request).faults.replace_all(healthy())))


routes = [
    Route("/health", health, methods=["GET"]),
    Route("/metrics", metrics, methods=["GET"]),
    Route("/admin/faults", get_faults, methods=["GET"]),
    Route("/admin/faults", clear_faults, methods=["DELETE"]),
    Route("/admin/faults/{group}", put_faults, methods=["PUT"]),
]
