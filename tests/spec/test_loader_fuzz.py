"""The loader answers any input with a journey or with Problem lines: never a traceback."""

from __future__ import annotations

import re
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from runner.errors import SpecError
from runner.spec import load_journey_text
from runner.spec.loadprofile import profile_from_document
from runner.spec.sourcetext import decode_source
from runner.spec.target import targets_from_document
from runner.spec.units import parse_duration, parse_ratio
from runner.spec.yamlsource import parse_yaml

PROBLEM_LINE = re.compile(r"fuzz\.yaml:\d+:\d+: [^\n]+: [^\n]+")

VALID: dict[str, Any] = {
    "journey": "fuzz",
    "slo": {"success": "99%", "latency": {"p95": "2s"}, "steps": {"a": {"p95": "1s"}}},
    "vars": {"who": "probe"},
    "http": [
        {
            "name": "a",
            "request": {"url": "/x?q={{ who }}", "headers": {"X-A": "1"}},
            "expect": {"status": 200, "json": {"$.id": {"exists": True}}},
            "capture": {"id": "$.id"},
        },
        {
            "name": "b",
            "request": {"method": "POST", "url": "/y", "json": {"id": "{{ id }}"}},
            "expect": {"html": {"p.x": {"contains": "ok"}}, "latency": "1s"},
            "until": {"timeout": "5s", "interval": "100ms"},
        },
    ],
}

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**6), 10**6),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
    st.sampled_from(["{{ x", "{{ id }}", "${NOPE}", "$.a[", "99%", "4s", "GET", "[", "p95"]),
)
structures = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)


def _assert_problem_lines_only(text: str) -> None:
    try:
        load_journey_text(text, path="fuzz.yaml")
    except SpecError as exc:  # any other exception fails the test
        assert exc.problems
        assert all(PROBLEM_LINE.fullmatch(str(p)) for p in exc.problems), exc.problems


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(value, dict):
        for key, item in value.items():
            out += _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            out += _paths(item, (*prefix, index))
    return out


def _replace(value: Any, path: tuple[Any, ...], new: Any) -> Any:
    if not path:
        return new
    head, rest = path[0], path[1:]
    if isinstance(value, dict):
        return {**value, head: _replace(value[head], rest, new)}
    copy = list(value)
    copy[head] = _replace(copy[head], rest, new)
    return copy


# Pieces of YAML's syntax, hostile ones included, so that generated text reaches the scanner's
# and composer's refusals (tags, anchors, directives, merges, deep flows) rather than only
# plain scalars.
YAML_PIECES = st.sampled_from(
    [
        *"ab1 :-[]{},&*!%<>|?#'\"\n\t\\=~",
        "<<",
        "!!str",
        "!!python/object/apply:os.system",
        "!e!x",
        "&a",
        "*a",
        "---",
        "...",
        "%TAG ! tag:x,2000:\n",
        "%YAML 1.1\n",
        "\ufeff",
        "\x00",
        "\x1b",
        "\x85",
        "{{ x }}",
        "{{ ((((",
        "file:///",
        "//h",
        "journey: ",
        "profile: ",
        "targets: ",
        "http:\n  - request: {url: ",
        "2024-02-30",
        "9" * 120,
        "[" * 70,
    ]
)
yaml_like = st.lists(YAML_PIECES, max_size=40).map("".join)


def _assert_every_kind_answers_with_problem_lines_only(text: str) -> None:
    _assert_problem_lines_only(text)
    for validate in (profile_from_document, targets_from_document):
        try:
            validate(parse_yaml(text, "fuzz.yaml"))
        except SpecError as exc:
            assert exc.problems
            assert all(PROBLEM_LINE.fullmatch(str(p)) for p in exc.problems), exc.problems


def test_the_fuzz_base_is_valid() -> None:
    load_journey_text(yaml.safe_dump(VALID), path="fuzz.yaml")


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=200))
def test_random_text_never_raises_anything_but_problems(text: str) -> None:
    _assert_problem_lines_only(text)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(yaml_like)
def test_yaml_like_text_never_raises_anything_but_problems(text: str) -> None:
    _assert_every_kind_answers_with_problem_lines_only(text)


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=200) | st.text(max_size=100).map(lambda t: t.encode("utf-16")))
def test_any_bytes_are_text_or_one_placed_problem(data: bytes) -> None:
    try:
        text = decode_source(data, "fuzz.yaml")
    except SpecError as exc:
        [problem] = exc.problems
        assert PROBLEM_LINE.fullmatch(str(problem)), problem
    else:
        _assert_every_kind_answers_with_problem_lines_only(text)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(structures)
def test_random_structures_never_raise_anything_but_problems(value: Any) -> None:
    _assert_problem_lines_only(yaml.safe_dump(value))


@pytest.mark.slow
@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_a_valid_journey_with_one_value_changed_gives_problems_or_a_journey(
    data: st.DataObject,
) -> None:
    path = data.draw(st.sampled_from(_paths(VALID)))
    mutated = _replace(VALID, path, data.draw(structures))
    _assert_problem_lines_only(yaml.safe_dump(mutated))


@given(st.one_of(scalars, st.text(alphabet="0123456789.msh% -", max_size=8)))
def test_duration_and_ratio_parsers_raise_only_value_errors(value: Any) -> None:
    for parse in (parse_duration, parse_ratio):
        try:
            result = parse(value)
        except ValueError:
            continue
        assert result >= 0


def test_durations_and_ratios_parse_as_documented() -> None:
    assert parse_duration("1500ms") == 1.5
    assert parse_duration("2m") == 120
    assert parse_duration(3) == 3.0
    assert parse_ratio("99.5%") == 0.995
    assert parse_ratio(0.25) == 0.25
