"""Where a journey's `${ENV}` secrets may go: only to the target's own origins.

A journey file is often written by another team and reviewed as input, not code, so a request
that carries a secret (in its URL, headers, query, json or form, written as `${NAME}` or
reaching it through a `vars:` entry that holds one) to a host that is not the target's is
refused. Where the host is written literally, this module refuses it before anything runs
(`check_secret_origins`, called by `run` and `load` once the target is known); where it is
only known once a template renders (`url: "{{ next }}"`), the engines refuse it at run time
with the same origin rules (`runner/engines/urls.py`).

Origins are compared as (scheme, host, port), the port made explicit. The parse is strict on
purpose: a URL that HTTP clients and browsers might read differently (a backslash, blanks or
control characters, two `@`, a percent-encoded host) has no origin here, so it is never taken
for the target's. Imports the spec only; no engine.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import idna

from runner.errors import Problem, SpecError
from runner.spec.journey import Journey
from runner.spec.loader import LoadedJourney
from runner.spec.target import Target
from runner.spec.template import TemplateError, compile_template
from runner.spec.yamlsource import Loc, parse_yaml

Origin = tuple[str, str, int]  # scheme, host (lower case), port
DEFAULT_PORTS: Mapping[str, int] = {"http": 80, "https": 443}

_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*)://")
_AUTHORITY_END = re.compile(r"[/?#]")
_HOST_PORT = re.compile(r"(\[[0-9A-Fa-f:.]+\]|[^\s@:/?#\\\[\]%]+)(?::([0-9]{0,5}))?")
# Blanks, controls and backslashes in an authority: browsers end it at a backslash (read as
# `/`) and drop tabs, httpx keeps both in the host. Either way, no origin is taken from it.
_UNSAFE_CHAR = re.compile(r"[\x00-\x20\x7f\\]")
# A URL whose start is a template or a scheme: its host is only known once it renders. Any
# other text is a path, joined to the target's base URL.
_RUN_TIME_HOST = re.compile(r"[{$]|[A-Za-z][A-Za-z0-9+.\-]*:")


def origin_of(url: str) -> Origin | None:
    """The origin of an absolute http(s) URL; None for anything else or anything ambiguous."""
    match = _SCHEME.match(url)
    if match is None:
        return None
    scheme = match.group(1).lower()
    if scheme not in DEFAULT_PORTS:
        return None
    rest = url[match.end() :]
    end = _AUTHORITY_END.search(rest)
    authority = rest[: end.start()] if end else rest
    if authority.count("@") > 1 or _UNSAFE_CHAR.search(authority):
        return None  # parsers disagree on which `@` ends the userinfo
    host_port = _HOST_PORT.fullmatch(authority.rpartition("@")[2])
    if host_port is None:
        return None
    port = int(host_port.group(2)) if host_port.group(2) else DEFAULT_PORTS[scheme]
    host = host_port.group(1).lower()
    if not host.isascii():
        try:  # as httpx and browsers send it: `bücher.example` is `xn--bcher-kva.example`
            host = idna.encode(host).decode("ascii")
        except idna.IDNAError:
            return None
    return (scheme, host, port) if port <= 65535 else None


def target_origins(target: Target) -> frozenset[Origin]:
    """The origins of every surface URL of `target` (storefront, api, pos, export)."""
    return frozenset(o for url in target.urls.values() if (o := origin_of(url)) is not None)


def show_origin(origin: Origin | None) -> str:
    """`https://shop.example:8443`, the port left out when it is the scheme's default."""
    if origin is None:
        return "an unparsable URL"
    scheme, host, port = origin
    return f"{scheme}://{host}" if DEFAULT_PORTS[scheme] == port else f"{scheme}://{host}:{port}"


def show_secrets(names: Iterable[str]) -> str:
    """`${SHOP_TOKEN}, ${PAY_KEY}`: the names only, never a value."""
    return ", ".join(f"${{{name}}}" for name in sorted(names))


def secret_vars(journey: Journey) -> dict[str, frozenset[str]]:
    """The `${ENV}` names each `vars:` entry holds, directly or through earlier vars."""
    carried: dict[str, frozenset[str]] = {}
    for name, value in journey.vars.items():
        carried[name] = carried_secrets(value, carried)
    return carried


def carried_secrets(value: Any, by_var: Mapping[str, frozenset[str]]) -> frozenset[str]:
    """The `${ENV}` names a templated value would send once rendered (nested values included).

    `by_var` says which secrets each variable holds (`secret_vars`); a string that cannot be
    compiled carries none here, as the loader has already reported it.
    """
    names: set[str] = set()
    for text in _texts(value):
        if "$" not in text and "{{" not in text:
            continue
        try:
            template = compile_template(text)
        except TemplateError:
            continue
        names |= template.env
        for variable in template.names:
            names |= by_var.get(variable, frozenset())
    return frozenset(names)


def literal_origin(source: str) -> Origin | None:
    """The origin of an absolute URL whose scheme and host are written out, not templated."""
    match = _SCHEME.match(source)
    if match is None:
        return None
    end = _AUTHORITY_END.search(source, match.end())
    head = source if end is None else source[: end.start()]
    if "{" in head or "$" in head:
        return None  # the host is only known once rendered: checked at run time
    return origin_of(head)


def secret_origin_problems(
    journeys: Iterable[LoadedJourney], targets: Sequence[Target]
) -> list[Problem]:
    """One problem per step that would send a secret to a literal host none of `targets` own.

    Also one per browser `goto` whose host is only known at run time and that a secret
    reaches through `vars:`: the browser checks the `${NAME}` written in a goto at run time,
    but cannot see through variables, so that case is refused here.
    """
    owned = frozenset().union(*(target_origins(t) for t in targets))
    whom = f"the target {targets[0].name}" if len(targets) == 1 else "any of the targets"
    problems: list[Problem] = []
    for journey in journeys:
        found = list(_refusals(journey.spec, owned, whom))
        if found:
            problems += _placed(journey.path, found)
    return problems


def check_secret_origins(journeys: Iterable[LoadedJourney], target: Target) -> None:
    """Refuse journeys that would send a secret to a literal host that is not `target`'s.

    Raises SpecError (exit 2, one line per step) before anything is sent.
    """
    problems = secret_origin_problems(journeys, [target])
    if problems:
        raise SpecError(problems)


def _refusals(journey: Journey, owned: frozenset[Origin], whom: str) -> Iterator[tuple[Loc, str]]:
    by_var = secret_vars(journey)
    for index, step in enumerate(journey.http):
        request = step.request
        origin = literal_origin(request.url)
        if origin is None or origin in owned:
            continue
        fields: list[tuple[Loc, Any]] = [(("url",), request.url)]
        fields += [(("headers", k), v) for k, v in request.headers.items()]
        fields += [(("query", k), v) for k, v in request.query.items()]
        fields += list(_leaves(request.json_body, ("json",)))
        fields += [(("form", k), v) for k, v in (request.form or {}).items()]
        for loc, value in fields:
            if names := carried_secrets(value, by_var):
                yield ("http", index, "request", *loc), _message(names, origin, whom)
                break  # one line per step: the destination is the one mistake
    for index, browser_step in enumerate(journey.browser):
        goto = browser_step.goto
        if goto is None or not (names := carried_secrets(goto, by_var)):
            continue
        where: Loc = ("browser", index, "goto")
        origin = literal_origin(goto)
        if origin is not None and origin not in owned:
            yield where, _message(names, origin, whom)
        elif origin is None and _RUN_TIME_HOST.match(goto):
            if hidden := names - carried_secrets(goto, {}):
                yield where, _THROUGH_VARS.format(secrets=show_secrets(hidden))


_THROUGH_VARS = (
    "{secrets} reaches this goto through vars and its host is only known at run time, where "
    "the browser cannot check it: write the host out, or the ${{NAME}} in the goto itself"
)


def _message(names: frozenset[str], origin: Origin, whom: str) -> str:
    return (
        f"would send {show_secrets(names)} to {show_origin(origin)}, which is not {whom}: "
        "secrets go only to the target's own origins"
    )


def _placed(path: str, found: list[tuple[Loc, str]]) -> list[Problem]:
    # Only a refused journey is parsed again, for the places: the common case pays nothing.
    try:
        marks = parse_yaml(Path(path).read_text(encoding="utf-8"), path).marks
    except (OSError, UnicodeDecodeError, SpecError):
        return [Problem(path, 1, 1, loc, message) for loc, message in found]
    return [Problem(path, *marks.at(loc), loc, message) for loc, message in found]


def _texts(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _texts(item)
    elif isinstance(value, list):
        for item in value:
            yield from _texts(item)


def _leaves(value: Any, loc: Loc) -> Iterator[tuple[Loc, Any]]:
    """Every string inside a JSON body, with its place, so a problem points at the field."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _leaves(item, (*loc, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _leaves(item, (*loc, index))
    elif isinstance(value, str):
        yield loc, value
