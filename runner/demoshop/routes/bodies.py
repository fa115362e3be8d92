"""Reading request bodies: URL-encoded forms and JSON, with errors as `InvalidRequest`.

Forms are parsed with the standard library, so the shop needs no multipart package; browsers
submit these forms URL-encoded.
"""

from __future__ import annotations

import json
from urllib.parse import parse_qs

from starlette.requests import Request

from runner.demoshop.errors import InvalidRequest

MAX_BODY_BYTES = 1_000_000


async def _read(request: Request) -> bytes:
    body = await request.body()
    if len(body) > MAX_BODY_BYTES:
        raise InvalidRequest(f"body: larger than {MAX_BODY_BYTES} bytes")
    return body


async def read_form(request: Request) -> dict[str, str]:
    """Return the fields of a URL-encoded form body (the first value of each).

    Raises:
        InvalidRequest: the body is too large or not UTF-8.
    """
    try:
        text = (await _read(request)).decode()
    except UnicodeDecodeError:
        raise InvalidRequest("body: expected UTF-8 form data") from None
    return {key: values[0] for key, values in parse_qs(text, keep_blank_values=True).items()}


async def read_json(request: Request) -> object:
    """Return the decoded JSON body.

    Raises:
        InvalidRequest: the body is too large or not JSON.
    """
    try:
        return json.loads(await _read(request))
    except ValueError:
        raise InvalidRequest("body: expected JSON") from None


def json_object(payload: object) -> dict[str, object]:
    """Return `payload` if it is a JSON object.

    Raises:
        InvalidRequest: it is not.
    """
    if not isinstance(payload, dict):
        raise InvalidRequest("body: expected a JSON object")
    return payload
