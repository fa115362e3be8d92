"""Keeping secrets out of every artefact: `${ENV}` values, credentials, card numbers.

Writers render their text first and scrub it last, so no code path that forgets a field can
leak one: each known secret value is replaced by `***`, and any 13 to 19 digit run that passes the
Luhn check (a card number) by `[card]`.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable

from runner.spec.loader import LoadedJourney
from runner.spec.target import Target
from runner.spec.template import ENV_REF

MASK = "***"
SENSITIVE_HEADERS = frozenset(
    {"authorization", "proxy-authorization", "cookie", "set-cookie", "x-api-key", "x-auth-token"}
)
_SENSITIVE_FIELD = re.compile(r"card|cvv|cvc|password|passwd|secret|token|pin\b", re.IGNORECASE)
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


def secret_values(journeys: Iterable[LoadedJourney], target: Target) -> set[str]:
    """Every value that must never be written: env secrets, credentials, sensitive fields."""
    names = {ref for journey in journeys for ref in journey.env_refs} | target.env_refs()
    values = {os.environ[name] for name in names if name in os.environ}
    headers = [target.headers] + [
        step.request.headers for journey in journeys for step in journey.spec.http
    ]
    for mapping in headers:
        values |= {v for k, v in mapping.items() if k.lower() in SENSITIVE_HEADERS}
    for journey in journeys:
        for step in journey.spec.http:
            fields = dict(step.request.form or {})
            if isinstance(step.request.json_body, dict):
                fields |= {k: v for k, v in step.request.json_body.items() if isinstance(v, str)}
            values |= {v for k, v in fields.items() if _SENSITIVE_FIELD.search(k)}
    # a templated value is only a secret once rendered; its source text is harmless
    return {v for v in values if not ENV_REF.search(v) and "{{" not in v}
