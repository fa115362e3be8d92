"""Work done once per spec object, for the frozen pydantic models that cannot be hashed.

A journey's steps, expectations and checks are parsed once and shared by every run and
virtual user, but hold dicts, so `functools.lru_cache` cannot key on them. This keys on the
object's identity and keeps the object alive beside its entry, so an id is never reused while
its entry stands; the oldest entries go first when the cache is full.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

Key = TypeVar("Key")
Value = TypeVar("Value")


class PerObject(Generic[Key, Value]):
    """`build(obj)` computed once per object (by identity), for up to `size` objects."""

    __slots__ = ("_build", "_entries", "_size")

    def __init__(self, build: Callable[[Key], Value], size: int = 4096) -> None:
        self._build = build
        self._size = size
        self._entries: dict[int, tuple[Key, Value]] = {}

    def __call__(self, obj: Key) -> Value:
        entry = self._entries.get(id(obj))
        if entry is not None and entry[0] is obj:
            return entry[1]
        value = self._build(obj)
        if len(self._entries) >= self._size:
            del self._entries[next(iter(self._entries))]
        self._entries[id(obj)] = (obj, value)
        return value
