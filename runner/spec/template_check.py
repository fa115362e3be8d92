"""What a template's text already shows it would do, refused when the journey is validated.

The sandbox (`runner/spec/sandbox.py`) holds at run time whatever a template tries; this check
turns every attempt the text alone reveals into a validation error naming the expression
(exit 2, nothing runs): a statement or comment, a name starting with `_`, `.format`, `|attr`,
a call of anything but a built-in, a filter templates do not have, too many parts, and
constant expressions that break a bound (`'a' * 100000000`, `range(10**9)`), which are
worked out with the sandbox's own guards, so a refused one is never computed. What depends
on run variables (`range(n)`) is left to the sandbox: a failed step with the reason.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from jinja2 import nodes

from runner.spec.sandbox import (
    BUILTINS,
    FILTERS,
    SANDBOX,
    TESTS,
    TemplateLimitError,
    bounded_concat,
    guarded_binop,
)

MAX_PARTS = 200
"""The most parts (names, literals, operators, filters, calls) one template string may have."""
REFUSED_ATTRIBUTES = frozenset({"format", "format_map", "mro"})
"""Python methods refused by name, beside every name starting with `_`."""

STATEMENTS = (
    "{% %} statements are not allowed: a journey is data, not a program, so a template holds"
    " only {{ expressions }}"
)
COMMENTS = "{# #} comments are not allowed in templates: a journey is data; use a YAML # comment"
_STATEMENT_TOKENS = frozenset({"block_begin", "raw_begin", "linestatement_begin"})
_COMMENT_TOKENS = frozenset({"comment_begin", "linecomment_begin"})
# Everything an expression may be made of; any other node is a statement
_EXPRESSION_NODES = (
    nodes.Template,
    nodes.Output,
    nodes.TemplateData,
    nodes.Name,
    nodes.Const,
    nodes.List,
    nodes.Tuple,
    nodes.Dict,
    nodes.Pair,
    nodes.Keyword,
    nodes.CondExpr,
    nodes.Getattr,
    nodes.Getitem,
    nodes.Slice,
    nodes.Filter,
    nodes.Test,
    nodes.Call,
    nodes.Concat,
    nodes.Compare,
    nodes.Operand,
    nodes.BinExpr,
    nodes.UnaryExpr,
)
_FUNCTIONS = ", ".join(f"{name}()" for name in BUILTINS)
_ARITHMETIC: Mapping[str, Callable[[Any, Any], Any]] = {
    "-": operator.sub,
    "/": operator.truediv,
    "//": operator.floordiv,
}
_UNARY: Mapping[str, Callable[[Any], Any]] = {"-": operator.neg, "+": operator.pos}
_UNKNOWN = object()  # a value only the run will know


def refusal(source: str, tree: nodes.Template) -> str | None:
    """Why the template `source` (parsed as `tree`) may not run, or None. Never raises."""
    try:
        for _, token, _ in SANDBOX.lex(source):
            if token in _STATEMENT_TOKENS:
                return STATEMENTS
            if token in _COMMENT_TOKENS:
                return COMMENTS
        parts = 0
        for node in _walk(tree):
            if not isinstance(node, nodes.Template | nodes.Output | nodes.TemplateData):
                parts += 1
            if parts > MAX_PARTS:
                return f"more than {MAX_PARTS} parts (names, literals, operators, filters)"
            reason = _node_refusal(node)
            if reason is not None:
                return reason
        _fold(tree)
    except TemplateLimitError as exc:
        return exc.message
    except RecursionError:
        return "nested too deeply"
    return None


def _walk(tree: nodes.Node) -> Iterator[nodes.Node]:
    """Every node, in the order of the text."""
    stack = [tree]
    while stack:
        node = stack.pop()
        yield node
        stack.extend(reversed(list(node.iter_child_nodes())))


def _node_refusal(node: nodes.Node) -> str | None:
    if not isinstance(node, _EXPRESSION_NODES):
        return STATEMENTS
    if isinstance(node, nodes.Getattr):
        return _name_refusal(node, node.attr)
    if isinstance(node, nodes.Getitem):  # `row['format']` reads a key: only `_` is refused
        key = _constant_text(node.arg)
        return _name_refusal(node, key) if key and key.startswith("_") else None
    if isinstance(node, nodes.Filter | nodes.Test):
        return _filter_refusal(node)
    if isinstance(node, nodes.Call):
        return _call_refusal(node)
    if isinstance(node, nodes.Name) and node.name == "self":
        return "'self' is reserved: templates read run variables only"
    if isinstance(node, nodes.Mod) and isinstance(_constant_text(node.left), str):
        return f"{text_of(node)!r} formats text with %, which templates may not do (use ~)"
    return None


def _call_refusal(node: nodes.Call) -> str | None:
    callee = node.node
    if isinstance(callee, nodes.Name) and callee.name in BUILTINS:
        if node.dyn_args or node.dyn_kwargs:
            return f"{text_of(node)!r} passes *args or **kwargs, which templates may not do"
        return None
    if isinstance(callee, nodes.Getattr | nodes.Getitem):  # `x.upper()`, `'{0}'.format(x)`
        key = callee.attr if isinstance(callee, nodes.Getattr) else _constant_text(callee.arg)
        reason = _name_refusal(callee, key)
        if reason is not None:
            return reason
        return f"{text_of(node)!r} calls a method: templates call only {_FUNCTIONS}"
    return f"{text_of(node)!r} is not a call of a built-in: templates call only {_FUNCTIONS}"


def _constant_text(node: nodes.Node) -> str | None:
    if isinstance(node, nodes.Const) and isinstance(node.value, str):
        return node.value
    return None


def _name_refusal(node: nodes.Node, name: str | None) -> str | None:
    if name is None:
        return None
    if name.startswith("_"):
        return f"{text_of(node)!r} reads {name!r}: no name starting with '_' is readable"
    if name in REFUSED_ATTRIBUTES:
        return f"{text_of(node)!r} reads {name!r}: templates read run variables, not methods"
    return None


def _filter_refusal(node: nodes.Filter | nodes.Test) -> str | None:
    is_filter = isinstance(node, nodes.Filter)
    known = FILTERS if is_filter else TESTS
    if node.name == "attr":
        return f"{text_of(node)!r} uses |attr: templates read run variables, not attributes"
    if node.name not in known:
        kind = "filter" if is_filter else "test"
        return (
            f"{text_of(node)!r} uses the {kind} {node.name!r}, which templates do not have"
            f" (they have {', '.join(sorted(known))})"
        )
    for keyword in node.kwargs:
        if keyword.key == "attribute":  # `|sum(attribute='__class__')` reads a name too
            reason = _name_refusal(node, _constant_text(keyword.value))
            if reason is not None:
                return reason
    return None


def _fold(node: nodes.Node) -> Any:
    """`node`'s value if the text alone fixes it, else _UNKNOWN; every subtree is folded.

    Raises TemplateLimitError where a constant part breaks a bound: the same guards as the
    sandbox, checked before each operation, so nothing huge is ever made here.
    """
    if isinstance(node, nodes.Const):
        return node.value
    known = {id(child): _fold(child) for child in node.iter_child_nodes()}

    def value(child: nodes.Node | None) -> Any:
        return _UNKNOWN if child is None else known.get(id(child), _UNKNOWN)

    try:
        return _fold_known(node, value)
    except TemplateLimitError as exc:
        raise TemplateLimitError(repr(text_of(node)), exc.detail) from None
    except Exception:  # e.g. 1 / 0: the run will say so, on its step
        return _UNKNOWN


def _fold_known(node: nodes.Node, value: Callable[[nodes.Node | None], Any]) -> Any:
    if isinstance(node, nodes.Keyword):
        return value(node.value)
    if isinstance(node, nodes.List | nodes.Tuple):
        items = [value(item) for item in node.items]
        if any(item is _UNKNOWN for item in items):
            return _UNKNOWN
        return items if isinstance(node, nodes.List) else tuple(items)
    if isinstance(node, nodes.BinExpr) and node.operator not in ("and", "or"):
        left, right = value(node.left), value(node.right)
        if left is _UNKNOWN or right is _UNKNOWN:
            return _UNKNOWN
        if node.operator in _ARITHMETIC:
            return _ARITHMETIC[node.operator](left, right)
        return guarded_binop(node.operator, left, right)
    if isinstance(node, nodes.UnaryExpr) and node.operator in _UNARY:
        operand = value(node.node)
        return _UNKNOWN if operand is _UNKNOWN else _UNARY[node.operator](operand)
    if isinstance(node, nodes.Concat):
        parts = [value(part) for part in node.nodes]
        return _UNKNOWN if _UNKNOWN in parts else bounded_concat(parts)
    args = [value(arg) for arg in getattr(node, "args", ())]
    kwargs = {keyword.key: value(keyword) for keyword in getattr(node, "kwargs", ())}
    if _UNKNOWN in args or _UNKNOWN in kwargs.values() or getattr(node, "dyn_args", None):
        return _UNKNOWN
    if isinstance(node, nodes.Call) and isinstance(node.node, nodes.Name):
        if node.node.name == "range" and not kwargs:
            return BUILTINS["range"](*args)
    if isinstance(node, nodes.Filter) and node.name in FILTERS:
        subject = value(node.node)
        if subject is not _UNKNOWN:
            return SANDBOX.call_filter(node.name, subject, args, kwargs)
    return _UNKNOWN


def text_of(node: nodes.Node | None, limit: int = 60) -> str:
    """The expression as a user would write it (near enough), cut to `limit` characters."""
    text = _text(node)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _text(node: nodes.Node | None) -> str:
    if isinstance(node, nodes.Name):
        return node.name
    if isinstance(node, nodes.Const):
        shown = repr(node.value)
        return shown if len(shown) <= 24 else shown[:21] + "..."
    if isinstance(node, nodes.Getattr):
        return f"{_text(node.node)}.{node.attr}"
    if isinstance(node, nodes.Getitem):
        return f"{_text(node.node)}[{_text(node.arg)}]"
    if isinstance(node, nodes.Call):
        return f"{_text(node.node)}({_arguments(node)})"
    if isinstance(node, nodes.Filter | nodes.Test):
        args = f"({_arguments(node)})" if node.args or node.kwargs else ""
        joint = "|" if isinstance(node, nodes.Filter) else " is "
        return f"{_text(node.node)}{joint}{node.name}{args}"
    if isinstance(node, nodes.BinExpr):
        return f"{_text(node.left)} {node.operator} {_text(node.right)}"
    if isinstance(node, nodes.Concat):
        return " ~ ".join(_text(part) for part in node.nodes)
    if isinstance(node, nodes.List | nodes.Tuple):
        return f"[{', '.join(_text(item) for item in node.items)}]"
    return "..."


def _arguments(node: nodes.Call | nodes.Filter | nodes.Test) -> str:
    shown = [_text(arg) for arg in node.args]
    shown += [f"{keyword.key}={_text(keyword.value)}" for keyword in node.kwargs]
    return ", ".join(shown)
