"""What `record: true` may never write: credentials a capture could read.

Recorded captures (order numbers, basket ids) go to captures.jsonl, an audit trail people
share. A cookie, a bearer token or a password must never land there, so a capture from a
credential header or a password field is refused while the journey loads, in both flows.
Imports nothing of ours.
"""

from __future__ import annotations

UNRECORDABLE_HEADERS = frozenset(
    {"set-cookie", "cookie", "authorization", "proxy-authorization", "x-api-key", "x-auth-token"}
)


def password_field(selector: str) -> bool:
    """Whether a selector names a password field (`input[type=password]`, `#password`).

    Read from the selector's text: at load the page is not known. The http engine also
    refuses, at run time, to record any value read from an `<input type=password>`.
    """
    lowered = selector.lower()
    return "password" in lowered or "passwd" in lowered
