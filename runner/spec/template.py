"""Templated strings: `{{ expressions }}` over run variables, and `${ENV}` secrets.

A string that is exactly one `{{ expr }}` renders to the expression's *native* value (an int
captured from JSON stays an int, so `{{ stock - 2 }}` compares with a JSON number); any other
string renders to text. Templates are compiled once per distinct string (the load path
renders thousands per second and cannot re-parse).

A journey file is input, not code: `runner/spec/template_check.py` refuses at compile time
what the text shows a template would do beyond reading run variables and calling the
built-ins, and every template renders in the sandbox of `runner/spec/sandbox.py`, or on the
fast path below, which keeps the same rules without jinja. `${NAME}` is the environment
variable NAME, read at render time, where the journey's own text says it (literal text and
string literals of an expression): a value a template *produces* is never expanded, so a
captured `"${HOME}"` stays as it is and reads nothing. Its presence is checked at load.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, TypeVar, cast

import jinja2
from jinja2 import meta, nodes
from jinja2.environment import TemplateExpression
from jinja2.visitor import NodeTransformer

from runner.spec.sandbox import (
    BUILTINS,
    CONCAT_FILTER,
    MAX_CHARS,
    SANDBOX,
    TemplateLimitError,
    env_value_node,
)
from runner.spec.template_check import refusal

__all__ = [
    "BUILTINS",
    "BUILTIN_VARIABLES",
    "ENV_REF",
    "Template",
    "TemplateError",
    "TemplateLimitError",
    "compile_template",
    "render_text",
    "render_value",
    "renders_to_itself",
]

ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_SINGLE_EXPR = re.compile(r"\s*\{\{(.*)\}\}\s*", re.DOTALL)
# `{{ sku }}`, `{{ product.query }}`: a variable, maybe with keys, and nothing else; a key never
# starts with `_` nor is a method refused by name, so such a path goes to jinja, and is refused
_KEY = r"(?!format\b|format_map\b|mro\b)[A-Za-z][A-Za-z0-9_]*"
_PLAIN_VARIABLE = re.compile(rf"\{{\{{\s*([A-Za-z_][A-Za-z0-9_]*(?:\.{_KEY})*)\s*\}}\}}")

BUILTIN_VARIABLES = frozenset({*BUILTINS, "iteration", "base_url"})
_T = TypeVar("_T")


class TemplateError(ValueError):
    """A template string cannot be parsed or may not run; the message is user-facing."""


def _env_value(match: re.Match[str]) -> str:
    return os.environ.get(match.group(1), "")


@dataclass(frozen=True, slots=True)
class Template:
    """One compiled string: what it needs (`names`, `attributes`, `env`) and how to render it."""

    source: str
    names: frozenset[str]
    attributes: frozenset[tuple[str, str]]  # (variable, key): `product.query`
    env: frozenset[str]
    _render: Callable[[Mapping[str, Any]], Any] | None

    def render(self, context: Mapping[str, Any]) -> Any:
        """Render against run variables.

        Raises jinja2.UndefinedError for a missing variable, TemplateLimitError for text over
        MAX_CHARS that the template makes (a lone `{{ var }}` passes its value through as it
        is), and what the expression itself raises (TypeError for `'a' - 1`).
        """
        if self._render is None:  # no `{{ }}`: the journey's text, `${NAME}` expanded
            return ENV_REF.sub(_env_value, self.source) if self.env else self.source
        return self._render(context)


def _bounded(value: _T) -> _T:
    """`value`, unless it is text longer than MAX_CHARS: what a template may make."""
    if isinstance(value, str) and len(value) > MAX_CHARS:
        raise TemplateLimitError(
            "the rendered value", f"has {len(value):,} characters (at most {MAX_CHARS:,})"
        )
    return value


def _quoted(source: str) -> str:
    text = repr(source)
    return text if len(text) <= 80 else text[:77] + "..."


@lru_cache(maxsize=4096)
def compile_template(source: str) -> Template:
    """Compile `source` once. Raises TemplateError for a syntax error or a refused template."""
    env_names = frozenset(ENV_REF.findall(source))
    if "{{" not in source and "{%" not in source:
        return Template(source, frozenset(), frozenset(), env_names, None)
    single = _SINGLE_EXPR.fullmatch(source)
    expression = single.group(1).strip() if single else None
    if expression is not None and ("{{" in expression or "}}" in expression):
        expression = None
    tree = _parse(source if expression is None else "{{ " + expression + " }}")
    reason = refusal(source, tree)
    if reason is not None:
        raise TemplateError(f"template {_quoted(source)}: {reason}")
    names = frozenset(meta.find_undeclared_variables(tree))
    attributes = frozenset(
        (subject.name, key)
        for node in tree.find_all((nodes.Getattr, nodes.Getitem))
        if isinstance(subject := getattr(node, "node", None), nodes.Name)
        and (key := _key_of(node)) is not None
    )
    render = _plain_render(source, expression is not None) or _jinja_render(
        tree, expression is not None
    )
    return Template(source, names, attributes, env_names, render)


def _key_of(node: nodes.Node) -> str | None:
    if isinstance(node, nodes.Getattr):
        return node.attr
    arg = getattr(node, "arg", None)
    return arg.value if isinstance(arg, nodes.Const) and isinstance(arg.value, str) else None


def _parse(text: str) -> nodes.Template:
    try:
        return SANDBOX.parse(text)
    except jinja2.TemplateSyntaxError as exc:
        raise TemplateError(f"invalid template: {exc.message}") from None
    except RecursionError:
        raise TemplateError("invalid template: nested too deeply") from None
    except ValueError as exc:  # an integer literal of more than 4,300 digits
        raise TemplateError(f"invalid template: {exc}") from None


def _jinja_render(tree: nodes.Template, single: bool) -> Callable[[Mapping[str, Any]], Any]:
    """A renderer running `tree` in the sandbox, after `${NAME}` and `~` are made explicit."""
    tree = _Prepare().visit(tree)
    tree.set_environment(SANDBOX)
    tree.set_lineno(1)
    try:
        if not single:
            return SANDBOX.from_string(tree).render
        # as Environment.compile_expression does, from the prepared expression
        output = cast(nodes.Output, tree.body[0])  # parsed from "{{ expression }}"
        assign = nodes.Assign(nodes.Name("result", "store"), output.nodes[0], lineno=1)
        template = SANDBOX.from_string(nodes.Template([assign], lineno=1))
    except jinja2.TemplateSyntaxError as exc:
        raise TemplateError(f"invalid template: {exc.message}") from None
    expression = TemplateExpression(template, undefined_to_none=False)

    def render(context: Mapping[str, Any]) -> Any:
        value = expression(**context)
        if isinstance(value, jinja2.Undefined):
            str(value)  # a StrictUndefined raises, as the fast path does
        return _bounded(value)

    return render


def _bounded_join(parts: list[nodes.Expr]) -> nodes.Expr:
    return nodes.Filter(nodes.List(parts), CONCAT_FILTER, [], [], None, None)


class _Prepare(NodeTransformer):
    """`${NAME}` in the text becomes a read of the environment, `a ~ b` a bounded join."""

    def visit_TemplateData(self, node: nodes.TemplateData) -> nodes.Node | list[nodes.Node]:
        if "${" not in node.data:
            return node
        return [
            piece if isinstance(piece, nodes.Expr) else nodes.TemplateData(piece)
            for piece in _env_pieces(node.data)
        ]

    def visit_Const(self, node: nodes.Const) -> nodes.Node:
        if not (isinstance(node.value, str) and ENV_REF.search(node.value)):
            return node
        pieces = [
            p if isinstance(p, nodes.Expr) else nodes.Const(p) for p in _env_pieces(node.value)
        ]
        return _bounded_join(pieces)

    def visit_Concat(self, node: nodes.Concat) -> nodes.Node:
        self.generic_visit(node)
        return _bounded_join(node.nodes)


def _env_pieces(text: str) -> list[str | nodes.Expr]:
    """`a${X}b` as ["a", <X's value>, "b"]: the text, and where the environment is read."""
    pieces: list[str | nodes.Expr] = []
    for index, piece in enumerate(ENV_REF.split(text)):
        if index % 2:
            pieces.append(env_value_node(piece))
        elif piece:
            pieces.append(piece)
    return pieces


def _lookup(context: Mapping[str, Any], path: tuple[str, ...]) -> Any:
    """A variable and its keys, as the sandbox reads them: keys of mappings, nothing else."""
    if path[0] not in context:
        raise jinja2.UndefinedError(f"{path[0]!r} is undefined")
    value = context[path[0]]
    for key in path[1:]:
        # `type(...) is dict` first: data rows and JSON captures are dicts, and it is cheaper
        if not ((type(value) is dict or isinstance(value, Mapping)) and key in value):
            raise jinja2.UndefinedError(f"{'.'.join(path)!r} is undefined")
        value = value[key]
    return value


def _plain_render(source: str, single: bool) -> Callable[[Mapping[str, Any]], Any] | None:
    """A renderer that skips jinja when every `{{ }}` is a plain variable path.

    The load path renders several templates per request; jinja's per-render context costs
    ~10 µs, a lookup well under one. Same results as the sandbox: the value itself for a
    string that is only `{{ var }}`, else text with each value as `str()`; a missing
    variable or key raises jinja2.UndefinedError; `${NAME}` is expanded in the literal text
    between the `{{ }}`, never in a value.
    """
    if "\r" in source:
        return None  # jinja rewrites \r\n and \r line ends: leave that to it
    parts = _PLAIN_VARIABLE.split(source)
    if any("{{" in text or "}}" in text for text in parts[::2]):
        return None  # an expression (`{{ a - 1 }}`, filters, calls): leave it to jinja
    literals = parts[::2]
    if literals[-1].endswith("\n"):
        literals[-1] = literals[-1][:-1]  # as jinja does: one trailing newline is dropped
    paths = [tuple(path.split(".")) for path in parts[1::2]]

    if single and len(paths) == 1 and not literals[0].strip() and not literals[1].strip():
        only = paths[0]
        return lambda context: _lookup(context, only)

    if any("${" in literal for literal in literals):
        return _expanding_render(literals, paths)

    def render(context: Mapping[str, Any]) -> str:
        out = [literals[0]]
        for path, literal in zip(paths, literals[1:], strict=True):
            out.append(str(_lookup(context, path)))
            out.append(literal)
        return _bounded("".join(out))

    return render


def _expanding_render(
    literals: list[str], paths: list[tuple[str, ...]]
) -> Callable[[Mapping[str, Any]], str]:
    """The fast path's renderer when the literal text holds `${NAME}`: only it is expanded."""

    def render(context: Mapping[str, Any]) -> str:
        out = [ENV_REF.sub(_env_value, literals[0])]
        for path, literal in zip(paths, literals[1:], strict=True):
            out.append(str(_lookup(context, path)))
            out.append(ENV_REF.sub(_env_value, literal))
        return _bounded("".join(out))

    return render


def renders_to_itself(value: Any) -> bool:
    """Whether `value` is fixed: no string in it holds a `{{ }}` template or a `${ENV}`.

    Conservative (any `{` counts), so the hot paths may skip rendering such values safely.
    """
    if isinstance(value, str):
        return "{" not in value
    if isinstance(value, dict):
        return all(
            renders_to_itself(key) and renders_to_itself(item) for key, item in value.items()
        )
    if isinstance(value, list):
        return all(renders_to_itself(item) for item in value)
    return True


def render_value(value: Any, context: Mapping[str, Any]) -> Any:
    """Render every string inside `value` (nested lists and mappings included)."""
    if isinstance(value, str):
        return compile_template(value).render(context)
    if isinstance(value, dict):
        return {key: render_value(item, context) for key, item in value.items()}
    if isinstance(value, list):
        return [render_value(item, context) for item in value]
    return value


def render_text(value: Any, context: Mapping[str, Any]) -> str:
    """Render and return text, for URLs, headers and form fields."""
    rendered = render_value(value, context)
    if isinstance(rendered, bool):
        return "true" if rendered else "false"
    return str(rendered)
