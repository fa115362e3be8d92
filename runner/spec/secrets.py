"""Which values of a run are secrets: what the journeys and the target say, read from the spec.

`${ENV}` values, literal credentials in sensitive headers, and literal values of form or JSON
fields named like card, password or token. The Redactor masks them in every artefact.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable

from runner.redact import SENSITIVE_HEADERS
from runner.spec.loader import LoadedJourney
from runner.spec.target import Target
from runner.spec.template import ENV_REF

_SENSITIVE_FIELD = re.compile(r"card|cvv|cvc|password|passwd|secret|token|pin\b", re.IGNORECASE)


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
