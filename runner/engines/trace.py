"""Playwright traces made safe to keep: secrets scrubbed, credentials and cookies masked.

A trace records every request with its headers, cookies and bodies, and DOM snapshots with
typed values. Before a trace is kept beside the results it is rewritten: header and cookie
values that carry credentials become `***`, and every text entry passes through the caller's
scrub function (known secret values, card numbers). Screenshots in the trace are images and
are kept as they are (sensitive inputs are masked when they are taken).
"""

from __future__ import annotations

import json
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from runner.redact import MASK, SENSITIVE_HEADERS

_JSON_LINES = (".trace", ".network")


def scrub_trace(source: Path, destination: Path, scrub: Callable[[str], str]) -> None:
    """Write `source`'s trace to `destination` with every secret masked; `source` is left."""
    with (
        zipfile.ZipFile(source) as original,
        zipfile.ZipFile(destination, "w", zipfile.ZIP_DEFLATED) as cleaned,
    ):
        for info in original.infolist():
            data = original.read(info)
            try:
                text = data.decode("utf-8")
            except UnicodeDecodeError:
                cleaned.writestr(info, data)  # an image or font: nothing to read
                continue
            if info.filename.endswith(_JSON_LINES):
                text = "\n".join(_mask_line(line) for line in text.split("\n"))
            cleaned.writestr(info, scrub(text))


def _mask_line(line: str) -> str:
    if not line.strip():
        return line
    try:
        event = json.loads(line)
    except ValueError:
        return line
    return json.dumps(_mask(event), ensure_ascii=False)


def _mask(value: Any, key: str = "") -> Any:
    if isinstance(value, list):
        return [_mask(item, key) for item in value]
    if not isinstance(value, dict):
        return value
    name = value.get("name")
    if key == "cookies" and "value" in value:
        return {**value, "value": MASK}
    if isinstance(name, str) and name.lower() in SENSITIVE_HEADERS and "value" in value:
        return {**value, "value": MASK}
    return {k: _mask(v, k) for k, v in value.items()}
