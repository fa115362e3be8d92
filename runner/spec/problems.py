"""pydantic validation errors turned into Problems a user can act on.

Each error is placed at the bad value (a missing key at the mapping that lacks it, an unknown
key at the key itself), its location is the path the user reads (`http[2].expect.status`, union
and validator tags dropped), and its message says "expected X, got Y" in lower case, with a
"did you mean" for a misspelt key chosen only from the keys valid at that place of that kind
of file (a profile's stage, a journey's step), found by walking the root model's field types.
"""

from __future__ import annotations

import difflib
import types
import typing
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


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [m for arg in getattr(annotation, "__args__", ()) for m in _models_in(arg)]


def keys_at(model: type[BaseModel], loc: Loc) -> frozenset[str]:
    """The keys valid in the mapping at `loc` of a file whose root is `model`.

    This is what "did you mean" chooses from: a misspelt key of a stage is matched against a
    stage's keys, never against a journey's `timeout` or a step's `expect`. Empty when `loc`
    leads to no model (a free-form mapping such as `vars:`), so nothing is suggested there.
    """
    annotations: list[Any] = [model]
    for part in loc:
        found: list[Any] = []
        for annotation in annotations:
            found += _step_into(annotation, part)
        annotations = found
    keys: set[str] = set()
    for annotation in annotations:
        for candidate in _models_in(annotation):
            keys |= {info.alias or name for name, info in candidate.model_fields.items()}
    return frozenset(keys)


def _step_into(annotation: Any, part: str | int) -> list[Any]:
    """What the value at `part` of a value typed `annotation` is typed: a field, an item."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _step_into(typing.get_args(annotation)[0], part)
    if origin in (typing.Union, types.UnionType):
        return [t for arg in typing.get_args(annotation) for t in _step_into(arg, part)]
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        for name, info in annotation.model_fields.items():
            if part in (name, info.alias):
                return [info.annotation]
        return []
    args = typing.get_args(annotation)
    if origin is list and isinstance(part, int) and args:
        return [args[0]]
    if origin is dict and len(args) == 2:
        return [args[1]]
    return []


def problems_from_validation(
    exc: ValidationError, document: Document, model: type[BaseModel] | None = None
) -> list[Problem]:
    """One Problem per distinct place pydantic found wrong, placed in `document`.

    Given the file's root `model`, an unknown key gets a "did you mean" from the keys valid
    at its place.
    """
    problems: dict[tuple[int, int, Loc], Problem] = {}
    for error in exc.errors(include_url=False):
        loc, missing_key = _user_loc(error["loc"], document.data)
        if error["type"] == "missing" and missing_key is not None:
            line, col = document.marks.at(loc)
            message = f"missing required key {missing_key!r}"
            loc = (*loc, missing_key)
        elif error["type"] == "extra_forbidden" or error["loc"][-1:] == ("[key]",):
            line, col = document.marks.at(loc, key=True)
            known = keys_at(model, loc[:-1]) if model is not None and loc else frozenset()
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


def _unknown_key(key: str, known: Iterable[str]) -> str:
    close = suggest(key, known)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return f"unknown key {cut(key)}{hint}"


def suggest(word: str, candidates: Iterable[str]) -> list[str]:
    """The candidate closest to a misspelt `word`, if one is close enough (difflib's 0.6)."""
    return difflib.get_close_matches(word, sorted(set(candidates)), n=1, cutoff=0.6)


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
