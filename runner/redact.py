"""Keeping secrets out of every artefact: `${ENV}` values, credentials, card numbers.

Writers render their text first and scrub it last, so no code path that forgets a field can
leak one: each known secret value is replaced by `***`, and any 13 to 19 digit run that passes
the Luhn check (a card number) by `[card]`. Engines use it too (browser traces are scrubbed
before they are kept), so it sits at the bottom of the layers and imports nothing of ours.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from urllib.parse import urlsplit

MASK = "***"
SENSITIVE_HEADERS = frozenset(
    {"authorization", "proxy-authorization", "cookie", "set-cookie", "x-api-key", "x-auth-token"}
)
_DIGITS = re.compile(r"(?<!\d)(?:\d[ -]?){12,18}\d(?!\d)")
_MIN_SECRET_LENGTH = 4  # shorter values would mask ordinary text ("1", "yes")


def _luhn_ok(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


class Redactor:
    """Replaces known secret values (and card numbers) in text."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        values = {s for s in secrets if len(s) >= _MIN_SECRET_LENGTH}
        # JSON-escaped forms too: a secret with a quote or backslash is stored escaped.
        values |= {json.dumps(s)[1:-1] for s in values}
        self._pattern = (
            re.compile("|".join(re.escape(s) for s in sorted(values, key=len, reverse=True)))
            if values
            else None
        )

    def scrub(self, text: str) -> str:
        if self._pattern is not None:
            text = self._pattern.sub(MASK, text)
        return _DIGITS.sub(_mask_card, text)


def _mask_card(match: re.Match[str]) -> str:
    digits = re.sub(r"\D", "", match.group(0))
    return "[card]" if _luhn_ok(digits) else match.group(0)


def masked_url(url: str) -> str:
    """The path and query of `url`, every query value masked: `/search?q=***`.

    Query strings may carry tokens, and the host is the target's anyway; the keys are kept
    because they say which page it was. Used for every URL a report shows: a browser's
    navigations and failed requests, an http step's redirect chain and final URL.
    """
    parts = urlsplit(url)
    path = parts.path or "/"
    if not parts.query:
        return path
    keys = (pair.split("=", 1)[0] for pair in parts.query.split("&") if pair)
    return f"{path}?{'&'.join(f'{key}={MASK}' for key in keys)}"
