"""pydantic validation errors turned into Problems a user can act on.

Each error is placed at the bad value (a missing key at the mapping that lacks it, an unknown
key at the key itself), its location is the path the user reads (`http[2].expect.status`, union
and validator tags dropped), and its message says "expected X, got Y" in lower case, with a
"did you mean" for a misspelt key.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from runner.errors import Problem
from runner.spec.yamlsource import Document, Loc

_EXPECTED = {
    "string_type": "expected a string",
    "int_type": "expected an integer",
    "int_parsing": "expected an integer",
    "int_from_float": "expected an integer",
    "float_type": "expected a number",
    "float_parsing": "expected a number",
    "bool_type": "expected true or false",
    "bool_parsing": "expected true or false",
    "dict_type": "expected a mapping",
    "model_type": "expected a mapping",
    "model_attributes_type": "expected a mapping",
    "list_type": "expected a list",
}


def cut(value: object) -> str:
    """`repr` of a user's value, cut to 40 characters."""
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def field_vocabulary(*models: type[BaseModel]) -> frozenset[str]:
    """Every key the given models (and the models inside them) accept, for "did you mean"."""
    seen: set[type[BaseModel]] = set()
    keys: set[str] = set()
    pending = list(models)
    while pending:
        model = pending.pop()
        if model in seen:
            continue
        seen.add(model)
        for name, info in model.model_fields.items():
            keys.add(info.alias or name)
            pending.extend(_models_in(info.annotation))
    return frozenset(keys)


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [m for arg in getattr(annotation, "__args__", ()) for m in _models_in(arg)]


def problems_from_validation(
    exc: ValidationError, document: Document, vocabulary: Iterable[str] = ()
) -> list[Problem]:
    """One Problem per distinct place pydantic found wrong, placed in `document`."""
    known = sorted(set(vocabulary))
    problems: dict[tuple[int, int, Loc], Problem] = {}
    for error in exc.errors(include_url=False):
        loc, missing_key = _user_loc(error["loc"], document.data)
        if error["type"] == "missing" and missing_key is not None:
            line, col = document.marks.at(loc)
            message = f"missing required key {missing_key!r}"
            loc = (*loc, missing_key)
        elif error["type"] == "extra_forbidden" or error["loc"][-1:] == ("[key]",):
            line, col = document.marks.at(loc, key=True)
            message = (
                _unknown_key(str(loc[-1]) if loc else "", known)
                if error["type"] == "extra_forbidden"
                else _message(error)
            )
        else:
            line, col = document.marks.at(loc)
            message = _message(error)
        problems.setdefault((line, col, loc), Problem(document.path, line, col, loc, message))
    return list(problems.values())


def _user_loc(loc: tuple[int | str, ...], data: Any) -> tuple[Loc, str | None]:
    """Keep the parts of pydantic's loc that exist in the data; the rest are schema tags.

    A last part that does not exist is a missing key, returned separately.
    """
    out: list[str | int] = []
    node = data
    for index, part in enumerate(loc):
        if isinstance(node, dict) and part in node:
            out.append(part)
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            out.append(part)
            node = node[part]
        elif index == len(loc) - 1 and isinstance(part, str) and isinstance(node, dict):
            return tuple(out), part
    return tuple(out), None


def _unknown_key(key: str, known: list[str]) -> str:
    close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return f"unknown key {key!r}{hint}"


def _message(error: ErrorDetails) -> str:
    kind, ctx, given = error["type"], error.get("ctx") or {}, error.get("input")
    if kind in _EXPECTED:
        return f"{_EXPECTED[kind]}, got {cut(given)}"
    if kind == "literal_error":
        return f"expected {ctx.get('expected', 'one of the allowed values')}, got {cut(given)}"
    if kind in ("too_short", "string_too_short"):
        return f"must not be empty (at least {ctx.get('min_length', 1)}), got {cut(given)}"
    if kind in ("too_long", "string_too_long"):
        return f"must be at most {ctx.get('max_length')} long, got {cut(given)}"
    if kind == "greater_than_equal":
        return f"expected at least {ctx.get('ge')}, got {cut(given)}"
    if kind in ("value_error", "assertion_error"):
        text = str(ctx.get("error", error["msg"]))
        return text[:1].lower() + text[1:]
    text = error["msg"]
    return f"{text[:1].lower()}{text[1:]}, got {cut(given)}"
