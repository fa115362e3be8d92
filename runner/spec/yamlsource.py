"""YAML parsed into plain Python values *and* the place of every node.

pydantic reports errors as location paths (`("http", 2, "expect", "status")`); this module keeps
a map from every such path to the line and column where its value (and, for mapping entries,
its key) stands, so each error points where the user must edit. Built on PyYAML's composer,
which keeps marks, rather than its constructor, which drops them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

from runner.errors import Problem, SpecError

Loc = tuple[str | int, ...]

# A document nested deeper than this is not a journey; refusing it keeps recursion bounded.
_MAX_DEPTH = 64


@dataclass(slots=True)
class Marks:
    """1-based (line, column) of every value and mapping key in a document, by location path."""

    values: dict[Loc, tuple[int, int]] = field(default_factory=dict)
    keys: dict[Loc, tuple[int, int]] = field(default_factory=dict)

    def at(self, loc: Loc, *, key: bool = False) -> tuple[int, int]:
        """Place of `loc`; of its key when asked and known; else of its nearest known ancestor."""
        if key and loc in self.keys:
            return self.keys[loc]
        for end in range(len(loc), -1, -1):
            if loc[:end] in self.values:
                return self.values[loc[:end]]
        return (1, 1)


@dataclass(slots=True)
class Document:
    """One parsed YAML file: its path as typed, its data and the marks of every node."""

    path: str
    data: Any
    marks: Marks


def parse_yaml(text: str, path: str) -> Document:
    """Parse one YAML document, keeping marks. Raises SpecError for syntax and structure errors.

    Duplicate keys are reported (PyYAML silently keeps the last one).
    """
    try:
        loader = yaml.SafeLoader(text)
    except yaml.reader.ReaderError as exc:
        line = text.count("\n", 0, exc.position) + 1
        column = exc.position - (text.rfind("\n", 0, exc.position) + 1) + 1
        message = f"invalid YAML: character {exc.character!r} is not allowed"
        raise SpecError([Problem(path, line, column, (), message)]) from None
    try:
        node = loader.get_single_node()
        if node is None:
            return Document(path, None, Marks())
        builder = _Builder(loader, path)
        data = builder.build(node, ())
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        message = exc.problem or exc.context or "invalid YAML"
        raise SpecError([Problem(path, line, col, (), f"invalid YAML: {message}")]) from None
    except yaml.YAMLError as exc:
        first_line = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise SpecError([Problem(path, 1, 1, (), f"invalid YAML: {first_line}")]) from None
    finally:
        loader.dispose()
    if builder.problems:
        raise SpecError(builder.problems)
    return Document(path, data, builder.marks)


class _Builder:
    """Turns composed nodes into Python values, recording each node's mark under its path."""

    def __init__(self, loader: yaml.SafeLoader, path: str) -> None:
        self.loader = loader
        self.path = path
        self.marks = Marks()
        self.problems: list[Problem] = []
        self._open: set[int] = set()  # nodes being built: an alias back to one is recursive

    def build(self, node: yaml.Node, loc: Loc) -> Any:
        mark = node.start_mark
        self.marks.values[loc] = (mark.line + 1, mark.column + 1)
        if id(node) in self._open:
            self._problem(node, loc, "a recursive alias cannot be a journey value")
            return None
        if len(loc) > _MAX_DEPTH:
            self._problem(node, loc[:_MAX_DEPTH], f"nested deeper than {_MAX_DEPTH} levels")
            return None
        if isinstance(node, yaml.ScalarNode):
            return self.loader.construct_object(node, deep=True)
        self._open.add(id(node))
        try:
            if isinstance(node, yaml.MappingNode):
                return self._mapping(node, loc)
            return [self.build(item, (*loc, i)) for i, item in enumerate(node.value)]
        finally:
            self._open.discard(id(node))

    def _mapping(self, node: yaml.MappingNode, loc: Loc) -> dict[Any, Any]:
        self.loader.flatten_mapping(node)  # resolves `<<` merge keys as PyYAML does
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                self._problem(key_node, loc, "a mapping key must be a plain value")
                continue
            key = self.loader.construct_object(key_node)
            if not isinstance(key, str | int | float | bool) or key is None:
                self._problem(key_node, loc, f"a mapping key must be a plain value, got {key!r}")
                continue
            key = str(key) if not isinstance(key, str) else key
            if key in out:
                self._problem(key_node, (*loc, key), f"duplicate key {key!r}")
                continue
            km = key_node.start_mark
            self.marks.keys[(*loc, key)] = (km.line + 1, km.column + 1)
            out[key] = self.build(value_node, (*loc, key))
        return out

    def _problem(self, node: yaml.Node, loc: Loc, message: str) -> None:
        mark = node.start_mark
        self.problems.append(Problem(self.path, mark.line + 1, mark.column + 1, loc, message))
