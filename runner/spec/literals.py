"""Strings of a spec that another parser reads later (URLs, regular expressions), checked now.

A journey names paths, never hosts; the target supplies those. So a URL a journey writes is a
path (`/cart`; a relative `cart` is joined to the surface with a `/`, as the docs say) or an
absolute `http://` / `https://` URL with a host, e.g. a link an API returned. Anything else is
refused while loading, naming the field: `file:`, `javascript:`, `data:`, `ftp:` and every
other scheme can read local files or run script in the probe's browser, and `//host` (or its
backslash spellings, which browsers read alike) silently changes the host. Parts of a URL that
are templates (`{{ next }}`, `${HOST}`) are only known at run time; what is literal before the
first of them is checked now (`file://{{ x }}` is refused, `{{ next }}` cannot be).

A regular expression is compiled once here, so a bad one is a problem line rather than a crash
mid-run; one nested so deep that Python's parser recurses out is refused the same way.
Imports nothing of ours.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

WEB_SCHEMES = ("http", "https")
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*):")
# What browsers (WHATWG URL) drop before reading a URL: so `java\tscript:` is `javascript:`.
_IGNORED = re.compile(r"[\t\n\r]")
_LEADING = " \x00\x01\x02\x03\x04\x05\x06\x07\x08\x0b\x0c\x0e\x0f\x10\x11\x12\x13\x14\x15\x16"
_LEADING += "\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f"
_TEMPLATE = re.compile(r"\{\{|\{%|\$\{")


def literal_prefix(url: str) -> str:
    """The part of `url` before its first template (`{{`, `{%`) or `${ENV}`: known at load."""
    found = _TEMPLATE.search(url)
    return url if found is None else url[: found.start()]


def url_problem(url: str, *, path_only: bool = False) -> str | None:
    """Why a URL written in a spec is refused, or None when it (or its literal part) is fine.

    `path_only` refuses absolute URLs too (a health endpoint on the target's own surface).
    """
    templated = _TEMPLATE.search(url) is not None
    text = _IGNORED.sub("", literal_prefix(url)).lstrip(_LEADING)
    shown = url[:40]
    if text[:2] in ("//", "\\\\", "/\\", "\\/"):
        return f"a URL starting with {text[:2]!r} names another host, got {shown!r}: write a path"
    scheme = _SCHEME.match(text)
    if scheme is None:
        if path_only and not templated and not text.startswith("/"):
            return f"expected a path starting with '/', got {shown!r}"
        return None
    if path_only:
        return f"expected a path starting with '/', not a URL, got {shown!r}"
    if scheme.group(1).lower() not in WEB_SCHEMES:
        return (
            f"{scheme.group(1).lower()}: URLs are not allowed, got {shown!r}: "
            "expected a path such as /cart or an http:// or https:// URL"
        )
    rest = text[scheme.end() :]
    if templated and len(rest) < 3:
        return None  # `https://{{ host }}`: the host is a template
    try:
        host = urlsplit(text).hostname
    except ValueError:  # an unbalanced `[` of an IPv6 host
        host = None
    if not rest.startswith("//") or not host:
        return f"expected an http:// or https:// URL with a host, got {shown!r}"
    return None


def check_url(url: str) -> str:
    """A pydantic validator: `url` as is, or ValueError saying why it is refused."""
    problem = url_problem(url)
    if problem is not None:
        raise ValueError(problem)
    return url


def check_path(path: str) -> str:
    """A pydantic validator for a path on the target (`/health`): never a URL, never `//`."""
    problem = url_problem(path, path_only=True)
    if problem is not None:
        raise ValueError(problem)
    return path


def check_regex(pattern: str | None) -> str | None:
    """A pydantic validator: the pattern compiles (ValueError saying why not otherwise)."""
    if pattern is not None:
        try:
            re.compile(pattern)
        except re.error as exc:
            raise ValueError(f"invalid regular expression: {exc}") from None
        except RecursionError:
            raise ValueError("invalid regular expression: nested too deeply") from None
    return pattern
