"""The POS API: stores post sales batches, applied to storefront stock asynchronously.

202 for a new batch, 200 with the same batch for a replayed `Idempotency-Key`, so a store's
retry after a timeout never sells twice. The `pos` lag fault is read when the batch is accepted.
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from runner.demoshop import pos
from runner.demoshop.context import shop
from runner.demoshop.errors import IdempotencyConflict, InvalidRequest, UnknownProduct
from runner.demoshop.routes.bodies import read_json


async def post_batch(request: Request) -> Response:
    try:
        key = pos.check_key(request.headers.get("idempotency-key"))
    except InvalidRequest as exc:
        return JSONResponse({"error": str(exc)}, status_code=400)
    try:
        store, lines = pos.parse_batch(await read_json(request))
        context = shop(request)
        lag_s = (await run_in_threadpool(context.faults.load))["pos"].lag_s
        batch, is_new = await run_in_threadpool(
            lambda: pos.accept_batch(context.db, key=key, store=store, lines=lines, lag_s=lag_s)
        )
    except InvalidRequest as exc:
        return JSONResponse({"error": str(exc)}, status_code=422)
    except UnknownProduct as exc:
        return JSONResponse({"error": "unknown sku", "sku": exc.sku}, status_code=422)
    except IdempotencyConflict as exc:
        return JSONResponse({"error": str(exc)}, status_code=409)
    body = batch.to_json()
    del body["applied_at"]  # the acceptance answer; GET the batch for its progress
    return JSONResponse(body, status_code=202 if is_new else 200)


def get_batch(request: Request) -> Response:
    batch = pos.get_batch(shop(request).db.read(), request.path_params["batch_id"])
    if batch is None:
        return JSONResponse({"error": "not found"}, status_code=404)
    return JSONResponse(batch.to_json())


routes = [
    Route("/pos/v1/sales/batches", post_batch, methods=["POST"]),
    Route("/pos/v1/sales/batches/{batch_id}", get_batch, methods=["GET"]),
]
