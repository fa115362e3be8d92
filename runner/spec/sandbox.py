"""The sandbox every `{{ }}` template renders in, and the bounds it keeps.

A journey file is input, often written by another team and reviewed in a pull request, so a
template may read run variables and call the documented built-ins, and nothing else. Jinja
runs in `ImmutableSandboxedEnvironment`, narrowed further here:

- `x.name` and `x['name']` read keys of mappings (data rows, JSON captures) only: never a
  Python attribute or method, so no `__class__` walk, no `.format`, no `.upper()`;
- only the built-in functions below may be called, and only the filters and tests in
  `FILTERS` and `TESTS` exist (no `|attr`, `|format`, `|map`; no `lipsum`, `cycler`, ...);
- operations that could make something huge are checked *before* they run: text from `*`,
  `+`, `~` and filters at most `MAX_CHARS` characters, integers from `*` and `**` at most
  `MAX_INT_BITS` bits, `range()` at most `MAX_RANGE` numbers; text `%` formatting and list
  repetition are refused. Bounds, not timers: a refused operation costs nothing.

`runner/spec/template_check.py` refuses at validation what the text already shows, with the
same guards; this module is what holds at run time. Imports nothing of ours.
"""

from __future__ import annotations

import functools
import math
import operator
import os
import random
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from typing import Any, cast

import jinja2
from jinja2 import nodes
from jinja2.exceptions import SecurityError
from jinja2.filters import FILTERS as JINJA_FILTERS
from jinja2.runtime import Context
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.tests import TESTS as JINJA_TESTS

MAX_CHARS = 1_000_000
"""The longest text an operation or a rendered value may be."""
MAX_INT_BITS = 4096
"""The largest integer `*` and `**` may make (about 1,233 digits)."""
MAX_RANGE = 100_000
"""The most numbers `range()` may give."""
MAX_JSON_INDENT = 16
"""The widest `|tojson(indent=...)`: a wider one only multiplies the text."""


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class TemplateLimitError(SecurityError):
    """An expression would exceed a documented bound, or do what templates may not.

    A jinja2 TemplateError, so a step that meets it fails with this message (the journey's
    mistake, as data), and a validation that can tell in advance reports it instead, naming
    the expression as written. `what` shows the values, `detail` says what is wrong.
    """

    def __init__(self, what: str, detail: str) -> None:
        super().__init__(f"{what} {detail}")
        self.detail = detail


def _preview(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 24 else text[:21] + "..."


def _bounded_range(*args: int) -> range:
    numbers = range(*args)
    try:
        count = len(numbers)
    except OverflowError:  # more than sys.maxsize numbers
        count = MAX_RANGE + 1
    if count > MAX_RANGE:
        shown = ", ".join(_preview(a) for a in args)
        raise TemplateLimitError(f"range({shown})", f"gives more than {MAX_RANGE:,} numbers")
    return numbers


BUILTINS: Mapping[str, Callable[..., Any]] = {
    "uuid": lambda: uuid.uuid4().hex,
    "now": _now,
    "timestamp": time.time,
    "random_int": lambda low, high: random.randint(int(low), int(high)),
    "range": _bounded_range,
}
"""Functions every template may call: `{{ uuid() }}`, `{{ random_int(1, 5) }}`, `range(3)`."""
_CALLABLE_IDS = frozenset(id(function) for function in BUILTINS.values())


def _too_long(length: int, what: str) -> TemplateLimitError:
    return TemplateLimitError(
        what, f"would make text of {length:,} characters (at most {MAX_CHARS:,})"
    )


def check_size(value: Any, what: str) -> Any:
    """`value` itself if its text or list is at most MAX_CHARS long; else the limit's error."""
    if isinstance(value, str | list | tuple) and len(value) > MAX_CHARS:
        raise _too_long(len(value), what)
    return value


def guarded_binop(symbol: str, left: Any, right: Any) -> Any:
    """`left <symbol> right`, refused before it runs if its result would break a bound."""
    what = f"{_preview(left)} {symbol} {_preview(right)}"
    if symbol == "*":
        _check_multiplication(left, right, what)
    elif symbol == "**":
        _check_power(left, right, what)
    elif symbol == "+":
        if isinstance(left, str | list | tuple) and isinstance(right, str | list | tuple):
            if len(left) + len(right) > MAX_CHARS:
                raise _too_long(len(left) + len(right), what)
    elif symbol == "%" and isinstance(left, str):
        raise TemplateLimitError(what, "formats text with %, which templates may not do")
    return _BINOPS[symbol](left, right)


def _check_multiplication(left: Any, right: Any, what: str) -> None:
    for seq, times in ((left, right), (right, left)):
        if isinstance(seq, list | tuple) and isinstance(times, int):
            raise TemplateLimitError(what, "repeats a list, which templates may not do")
        if isinstance(seq, str) and isinstance(times, int) and len(seq) * times > MAX_CHARS:
            raise _too_long(len(seq) * times, what)
    if isinstance(left, int) and isinstance(right, int):
        if left.bit_length() + right.bit_length() > MAX_INT_BITS + 1:
            raise TemplateLimitError(what, f"would make a number over {MAX_INT_BITS:,} bits")


def _check_power(base: Any, exponent: Any, what: str) -> None:
    if isinstance(base, int) and isinstance(exponent, int) and exponent > 0 and abs(base) > 1:
        if exponent * math.log2(abs(base)) > MAX_INT_BITS:
            raise TemplateLimitError(what, f"would make a number over {MAX_INT_BITS:,} bits")


_BINOPS: Mapping[str, Callable[[Any, Any], Any]] = {
    "*": operator.mul,
    "**": operator.pow,
    "+": operator.add,
    "%": operator.mod,
}


def bounded_concat(parts: Iterable[Any]) -> str:
    """`a ~ b ~ c` and a whole rendered string: the text of every part, at most MAX_CHARS."""
    texts: list[str] = []
    total = 0
    for part in parts:
        text = part if isinstance(part, str) else str(part)
        total += len(text)
        if total > MAX_CHARS:
            raise _too_long(total, "joining the parts of the template")
        texts.append(text)
    return "".join(texts)


# `{{ a ~ b }}` compiles to a filter of this name: not an identifier, so no template can name it
CONCAT_FILTER = "journey concat"


def _replace(value: Any, old: Any, new: Any, count: int | None = None) -> str:
    text, old, new = str(value), str(old), str(new)
    found = text.count(old) if old else len(text) + 1
    if count is not None and count >= 0:
        found = min(found, count)
    length = len(text) + found * (len(new) - len(old))
    if length > MAX_CHARS:
        raise _too_long(length, f"{_preview(text)}|replace({_preview(old)}, {_preview(new)})")
    return text.replace(old, new, -1 if count is None else count)


@jinja2.pass_eval_context
def _join(eval_ctx: Any, value: Iterable[Any], d: str = "", attribute: Any = None) -> str:
    items = list(value)
    length = len(str(d)) * max(len(items) - 1, 0)
    if length > MAX_CHARS:
        raise _too_long(length, f"|join({_preview(d)})")
    joined: str = JINJA_FILTERS["join"](eval_ctx, items, d, attribute)
    return joined


@jinja2.pass_eval_context
def _tojson(eval_ctx: Any, value: Any, indent: int | None = None) -> str:
    if indent is not None and not 0 <= int(indent) <= MAX_JSON_INDENT:
        raise TemplateLimitError(
            f"|tojson(indent={_preview(indent)})", f"indents by more than {MAX_JSON_INDENT} spaces"
        )
    return str(JINJA_FILTERS["tojson"](eval_ctx, value, indent))  # text, not Markup


def _guarded_filter(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(function)  # keeps jinja's pass_eval_context / pass_environment marks
    def guarded(*args: Any, **kwargs: Any) -> Any:
        return check_size(function(*args, **kwargs), f"|{name}")

    return guarded


_SAFE_FILTERS = (
    "abs capitalize count d default first float int last length list lower max min reverse"
    " round string sum title trim truncate upper urlencode"
).split()
FILTERS: Mapping[str, Callable[..., Any]] = {
    **{name: _guarded_filter(name, JINJA_FILTERS[name]) for name in _SAFE_FILTERS},
    "replace": _replace,
    "join": _guarded_filter("join", _join),
    "tojson": _guarded_filter("tojson", _tojson),
}
"""The filters a template may use; each one's result is bounded like every operation."""

TESTS: Mapping[str, Callable[..., Any]] = {
    name: cast("Callable[..., Any]", JINJA_TESTS[name])
    for name in (
        "defined undefined none boolean true false integer float number string mapping"
        " sequence iterable odd even divisibleby eq ne lt le gt ge in lower upper equalto"
        " greaterthan lessthan == != < <= > >="
    ).split()
}
"""The `is` tests a template may use: they only look at a value."""


class _Environ:
    """Where `${NAME}` in the journey's own text reads the environment, at render time."""


ENVIRON = _Environ()


class JourneySandbox(ImmutableSandboxedEnvironment):
    """The jinja environment of journey templates: keys of data, the built-ins, bounded."""

    intercepted_binops = frozenset(_BINOPS)
    # a rendered string is joined by this, so `{{ a }}{{ a }}...` is bounded as it grows
    concat = staticmethod(bounded_concat)
    journey_environ = ENVIRON  # what `${NAME}` reads: see env_value_node

    def __init__(self) -> None:
        super().__init__(undefined=jinja2.StrictUndefined, autoescape=False)
        self.globals.clear()  # no lipsum, cycler, joiner, namespace, dict
        self.globals.update(BUILTINS)
        self.filters = {**FILTERS, CONCAT_FILTER: bounded_concat}
        self.tests = dict(TESTS)

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        return guarded_binop(operator, left, right)

    def getattr(self, obj: Any, attribute: str) -> Any:
        """`x.name`: the key `name` of a mapping, never a Python attribute."""
        return self.getitem(obj, attribute)

    def getitem(self, obj: Any, argument: Any) -> Any:
        """`x['name']`, `x[0]`: a key of a mapping or an index of a list or text, only."""
        if obj is ENVIRON:
            return os.environ.get(argument, "")
        if isinstance(argument, str) and not isinstance(obj, Mapping):
            return self.undefined(obj=obj, name=argument)  # no fallback to attributes
        try:
            return obj[argument]
        except (TypeError, LookupError):
            return self.undefined(obj=obj, name=argument)

    def call(__self, __context: Context, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        """Call one of the built-ins; anything else a template might reach is refused."""
        if id(__obj) not in _CALLABLE_IDS:
            raise TemplateLimitError(_preview(__obj), "is not a built-in function")
        return __context.call(__obj, *args, **kwargs)


SANDBOX = JourneySandbox()


def env_value_node(name: str) -> nodes.Expr:
    """The expression `${NAME}` becomes: the environment's value, read when rendering."""
    return nodes.Getitem(nodes.EnvironmentAttribute("journey_environ"), nodes.Const(name), "load")
