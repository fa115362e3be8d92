"""The one check every engine makes on a URL before requesting it, once it has rendered.

A templated URL (`url: "{{ next }}"`, `goto: "{{ link }}"`) is decided by what a response
said, so what the loader saw proves nothing about it: it may render to `file:`,
`javascript:` or `data:`, or to another host while the request carries a secret. The http
engine (probes and load users alike, as both run `runner/engines/http.py`) and the browser's
`goto` call `checked_url` on every rendered URL; a refusal is a failed step whose reason says
why, and nothing is sent. The reason names the scheme or the origin and the secret's name,
never the URL itself, which may hold the secret.

Imports the spec only: the load workers (gevent) import this through the http engine.
"""

from __future__ import annotations

import re
from collections.abc import Set

from runner.engines.engine import join_url
from runner.spec.journey import Surface
from runner.spec.origins import Origin, origin_of, show_origin, show_secrets, target_origins
from runner.spec.target import Target

# RFC 3986: a scheme, then `:`. A relative URL whose first segment holds a colon
# (`items:batch`) reads as one too, as browsers read it: write `/items:batch` instead.
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*):")
REQUESTED_SCHEMES = frozenset({"http", "https"})


class UnsafeUrl(LookupError):
    """A rendered URL that must not be requested; the message is the step's reason.

    A LookupError, as a capture that finds nothing is: both mean the step cannot go on with
    what it was given, and both engines already fail a step (never crash) on one.
    """


def resolve_url(target: Target, surface: Surface, url: str) -> str:
    """An absolute http(s) URL as written; a path joined to `target`'s `surface`.

    Raises UnsafeUrl for any other scheme (`file:`, `javascript:`, `data:`, `ftp:`, …) and
    for an http(s) URL without a host: neither is ever requested.
    """
    match = _SCHEME.match(url)
    if match is None:
        return join_url(target, surface, url)
    scheme = match.group(1).lower()
    if scheme not in REQUESTED_SCHEMES:
        raise UnsafeUrl(f"url renders to a {scheme[:20]!r} URL: only http and https are requested")
    if origin_of(url) is None:
        raise UnsafeUrl(f"url renders to a {scheme} URL without a valid host: not requested")
    return url


def refuse_foreign_secrets(url: str, own: Set[Origin], carried: Set[str]) -> None:
    """Raise UnsafeUrl when `url` carries the secrets `carried` and is on none of `own`."""
    if carried and (origin := origin_of(url)) not in own:
        raise UnsafeUrl(
            f"would send {show_secrets(carried)} to {show_origin(origin)}, which is not an "
            "origin of the target: not sent"
        )


def checked_url(target: Target, surface: Surface, url: str, carried: Set[str]) -> str:
    """`resolve_url`, then `refuse_foreign_secrets` against all of the target's origins."""
    resolved = resolve_url(target, surface, url)
    if carried:
        refuse_foreign_secrets(resolved, target_origins(target), carried)
    return resolved
