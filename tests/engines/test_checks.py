"""JSONPath evaluation: the fast path for singular paths selects what RFC 9535 selects."""

from __future__ import annotations

from typing import Any

import jsonpath
from hypothesis import given
from hypothesis import strategies as st

from runner.engines.checks import _compiled_path

names = st.sampled_from(["a", "b", "items", "sku", "a b", "0", "x_1"])
documents = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 5) | st.text(max_size=3),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(names, inner, max_size=3),
    max_leaves=12,
)


@st.composite
def singular_paths(draw: st.DrawFn) -> str:
    path = "$"
    for _ in range(draw(st.integers(0, 4))):
        kind = draw(st.sampled_from(["dot", "index", "quoted"]))
        name = draw(names)
        if kind == "index":
            path += f"[{draw(st.integers(-3, 3))}]"
        elif kind == "dot" and name.replace("_", "").isalnum() and not name[0].isdigit():
            path += f".{name}"
        else:
            path += f"['{name}']"
    return path


@given(documents, singular_paths())
def test_singular_paths_select_what_the_library_selects(document: Any, path: str) -> None:
    # The oracle gets the document inside a list, the path rooted at its one item: the same
    # selection, but python-jsonpath parses a top-level `str` as JSON text (`'['` raises),
    # which is the very behaviour our resolver must not have.
    rooted = "$[0]" + path[1:]
    expected = [match.obj for match in jsonpath.compile(rooted, strict=True).finditer([document])]
    assert _compiled_path(path)(document) == expected


containers = st.lists(documents, max_size=3) | st.dictionaries(names, documents, max_size=3)
general_paths = st.sampled_from(
    ["$.items[*]", "$..sku", "$.items[?@.sku]", "$[0:2]", "$.*", "$..*"]
)


@given(containers, general_paths)
def test_other_paths_go_to_the_library(document: Any, path: str) -> None:
    expected = [match.obj for match in jsonpath.compile(path, strict=True).finditer(document)]
    assert _compiled_path(path)(document) == expected


@given(st.none() | st.booleans() | st.integers() | st.text(), general_paths)
def test_a_primitive_body_holds_nothing_a_general_path_reaches(document: Any, path: str) -> None:
    """RFC 9535: wildcards, slices, filters and descendants select nothing under a primitive."""
    assert _compiled_path(path)(document) == []


def test_a_json_string_body_is_not_parsed_again() -> None:
    assert _compiled_path("$[*]")("[1, 2]") == []
