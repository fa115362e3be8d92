"""YAML parsed into plain Python values *and* the place of every node, hostile input refused.

pydantic reports errors as location paths (`("http", 2, "expect", "status")`); this module keeps
a map from every such path to the line and column where its value (and, for mapping entries,
its key) stands, so each error points where the user must edit. Built on PyYAML's composer,
which keeps marks, rather than its constructor, which drops them.

A spec file is input, not code, so only the plain subset of YAML is accepted, and each refusal
happens *while* scanning and composing, before the structure that would do harm exists:

- tags of any kind (`!!str`, `!!python/object`, `!custom`) and `%TAG` / `%YAML` directives:
  a tag asks the loader to build something, and nothing in a journey needs one (quote a value
  to make it a string);
- anchors and aliases (`&a`, `*a`), which let a few lines expand into billions of values,
  and merge keys (`<<`), which hide where a key came from;
- a second document in one file;
- nesting deeper than MAX_DEPTH (block or flow style): the composer recurses, so depth is
  checked as each collection starts, long before Python's own recursion limit;
- more than MAX_NODES nodes, and integers of more than MAX_INT_DIGITS digits.

Every refusal is one placed Problem (SpecError), never a traceback.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

import yaml

from runner.errors import Problem, SpecError
from runner.spec.sourcetext import check_text, read_source

Loc = tuple[str | int, ...]

MAX_DEPTH = 64
"""Collections nested deeper than this are refused; the shipped journeys nest at most 6."""
MAX_NODES = 10_000
"""Values and keys in one file; the biggest shipped journey has ~400."""
MAX_INT_DIGITS = 100
"""An integer longer than this is refused (Python would spend quadratic time converting it)."""

_INT_TAG = "tag:yaml.org,2002:int"
_MERGE_TAG = "tag:yaml.org,2002:merge"
_VALUE_TAG = "tag:yaml.org,2002:value"  # a plain `=`: YAML 1.1's "default value", just text here
_TAG_END = frozenset(" \t\r\n,[]{}\0")
_INVALID = object()  # a scalar that could not be built (its problem is recorded)


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


def read_document(path: Path) -> Document:
    """Read (size-capped, UTF-8 only) and parse one spec file. Raises SpecError if refused."""
    return parse_yaml(read_source(path), str(path))


def parse_yaml(text: str, path: str) -> Document:
    """Parse one YAML document, keeping marks. Raises SpecError for syntax and structure errors.

    Duplicate keys are reported (PyYAML silently keeps the last one); so is everything the
    module docstring lists as refused.
    """
    text = text.removeprefix("\ufeff")  # a byte order mark, already decoded
    check_text(text, path)
    try:
        loader = _GuardedLoader(text)
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
    except _Refused as exc:
        line, col = exc.mark.line + 1, exc.mark.column + 1
        raise SpecError([Problem(path, line, col, exc.loc, exc.message)]) from None
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


class _Refused(Exception):
    """Raised inside the loader when the text uses what spec files may not; placed by `mark`."""

    def __init__(self, mark: yaml.Mark, loc: Loc, message: str) -> None:
        super().__init__(message)
        self.mark = mark
        self.loc = loc
        self.message = message


class _GuardedLoader(yaml.SafeLoader):
    """PyYAML's safe loader, refusing hostile YAML as it scans and composes it.

    Tags, anchors, aliases and directives are refused as they are scanned; too deep and too
    many nodes as they are composed. Refusing in the scanner (rather than inspecting the
    composed nodes) means an undefined tag handle (`!e!x`) or a `%YAML 2.0` gets the same
    message as any other tag or directive, and an alias never reaches the composer that would
    expand it. It also keeps the path being composed, so a refusal names the key it is under.
    """

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._path: list[str | int] = []
        self._frames: list[_Frame] = []
        self._nodes = 0

    # -- the scanner: what is refused wherever it stands

    def fetch_directive(self) -> None:
        word = self._word()
        hint = "remove the line"
        if word == "%TAG":
            hint += " (tags are not allowed: quote a value to make it a string)"
        self._refuse(f"YAML directives are not allowed, got {word!r}: {hint}")

    def fetch_anchor(self) -> None:
        self._refuse("YAML anchors (&name) are not allowed: write the value out where it is used")

    def fetch_alias(self) -> None:
        self._refuse("YAML aliases (*name) are not allowed: write the value out where it is used")

    def fetch_tag(self) -> None:
        self._refuse(
            f"YAML tags are not allowed, got {self._word()!r}: quote the value to make it a "
            'string ("123", not !!str 123)'
        )

    def _word(self) -> str:
        """The token starting here, up to 40 characters: `%TAG`, `!!python/object:os.system`."""
        length, verbatim = 0, self.prefix(2) == "!<"  # `!<tag:yaml.org,2002:str>` holds a ','
        while length < 40 and self.peek(length) not in (">\0" if verbatim else _TAG_END):
            length += 1
        return str(self.prefix(length + (verbatim and self.peek(length) == ">")))

    def _refuse(self, message: str, mark: yaml.Mark | None = None) -> NoReturn:
        raise _Refused(mark or self.get_mark(), self.place(), message)

    # -- the composer: depth, count and the path for messages

    def get_single_node(self) -> yaml.Node | None:
        self.get_event()  # type: ignore[no-untyped-call] # the stream start
        node = None
        if not self.check_event(yaml.StreamEndEvent):
            node = self.compose_document()
        if not self.check_event(yaml.StreamEndEvent):
            event = self.get_event()  # type: ignore[no-untyped-call]
            message = "a file holds one YAML document: found a second one (remove the '---')"
            self._refuse(message, event.start_mark)
        self.get_event()  # type: ignore[no-untyped-call] # the stream end
        return node

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        # `index` is the item's position in a sequence, the key's node for a mapping value,
        # and None for a mapping key (which is placed at its mapping).
        part: str | int | None = None
        if isinstance(index, int):
            part = index
        elif isinstance(index, yaml.ScalarNode):
            part = str(index.value)
        if part is not None:
            self._path.append(part)
        try:
            event = self.peek_event()  # type: ignore[no-untyped-call]
            self._nodes += 1
            if self._nodes > MAX_NODES:
                message = f"more than {MAX_NODES} YAML values and keys in one file: split it"
                self._refuse(message, event.start_mark)
            opens = isinstance(event, yaml.SequenceStartEvent | yaml.MappingStartEvent)
            if opens and len(self._frames) >= MAX_DEPTH:
                self._refuse(f"nested deeper than {MAX_DEPTH} levels", event.start_mark)
            if not opens:
                return super().compose_node(parent, index)
            self._frames.append(_Frame(isinstance(event, yaml.SequenceStartEvent), self.place()))
            try:
                return super().compose_node(parent, index)
            finally:
                self._frames.pop()
        finally:
            if part is not None:
                self._path.pop()
            if isinstance(index, int) and self._frames and self._frames[-1].sequence:
                self._frames[-1].next_index = index + 1

    def place(self) -> Loc:
        """Where the composer stands: the path of the node being composed.

        Between two items of a sequence (the scanner looking at the next one), that next item.
        """
        path = tuple(self._path)
        frame = self._frames[-1] if self._frames else None
        if frame is not None and frame.sequence and frame.loc == path:
            return (*path, frame.next_index)
        return path


@dataclass(slots=True)
class _Frame:
    """One collection being composed: whether it is a sequence, where, and its next index."""

    sequence: bool
    loc: Loc
    next_index: int = 0


class _Builder:
    """Turns composed nodes into Python values, recording each node's mark under its path."""

    def __init__(self, loader: _GuardedLoader, path: str) -> None:
        self.loader = loader
        self.path = path
        self.marks = Marks()
        self.problems: list[Problem] = []

    def build(self, node: yaml.Node, loc: Loc) -> Any:
        # Depth is bounded by the composer (MAX_DEPTH), so this recursion is too.
        mark = node.start_mark
        self.marks.values[loc] = (mark.line + 1, mark.column + 1)
        if isinstance(node, yaml.ScalarNode):
            value = self._scalar(node, loc)
            return None if value is _INVALID else value
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, loc)
        return [self.build(item, (*loc, i)) for i, item in enumerate(node.value)]

    def _scalar(self, node: yaml.ScalarNode, loc: Loc) -> Any:
        if node.tag in (_VALUE_TAG, _MERGE_TAG):  # `=` or `<<` as a value: text (a merge key
            return node.value  # is refused by _mapping before it gets here)
        if node.tag == _INT_TAG and sum(c.isdigit() for c in node.value) > MAX_INT_DIGITS:
            self._problem(node, loc, f"an integer of more than {MAX_INT_DIGITS} digits")
            return _INVALID
        try:
            return self.loader.construct_object(node, deep=True)
        except (ValueError, OverflowError) as exc:  # `2024-02-30` resolves as a date
            self._problem(node, loc, f"invalid value {node.value[:40]!r}: {exc}")
            return _INVALID

    def _mapping(self, node: yaml.MappingNode, loc: Loc) -> dict[Any, Any]:
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE_TAG:
                message = "YAML merge keys (<<) are not allowed: write the keys out"
                self._problem(key_node, loc, message)
                continue
            if not isinstance(key_node, yaml.ScalarNode):
                self._problem(key_node, loc, "a mapping key must be a plain value")
                continue
            key = self._scalar(key_node, loc)
            if key is _INVALID:
                continue
            if not isinstance(key, str | int | float | bool):
                self._problem(
                    key_node, loc, f"a mapping key must be a plain value, got {key!r:.40}"
                )
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
