"""Per-object memoisation: one build per object, never another object's value."""

from __future__ import annotations

from runner.engines.memo import PerObject


class Spec:
    """Stands in for an unhashable frozen model: equal by value, distinct by identity."""

    __hash__ = None  # type: ignore[assignment]

    def __init__(self, value: int) -> None:
        self.value = value

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Spec) and other.value == self.value


def test_each_object_is_built_once_and_never_shares_another_objects_value() -> None:
    built: list[int] = []

    def build(spec: Spec) -> int:
        built.append(spec.value)
        return spec.value * 10

    cache = PerObject(build, size=2)
    first, twin = Spec(1), Spec(1)
    assert cache(first) == 10
    assert cache(first) == 10
    assert cache(twin) == 10
    assert built == [1, 1]  # equal but distinct objects are built apart

    third = Spec(3)
    assert cache(third) == 30  # the cache is full: the oldest entry goes
    assert cache(first) == 10
    assert built == [1, 1, 3, 1]
