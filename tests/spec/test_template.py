from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from runner.spec.template import TemplateError, compile_template, render_value


def test_a_single_expression_keeps_its_native_type() -> None:
    assert compile_template("{{ stock - 2 }}").render({"stock": 10}) == 8
    assert compile_template("n={{ stock - 2 }}").render({"stock": 10}) == "n=8"


def test_names_attributes_and_env_refs_are_known_before_rendering() -> None:
    template = compile_template("/p?q={{ product.query }}&k=${SHOP_KEY}")
    assert template.names == {"product"}
    assert template.attributes == {("product", "query")}
    assert template.env == {"SHOP_KEY"}


def test_env_refs_are_substituted_at_render(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHOP_KEY", "abc")
    assert render_value({"h": ["Bearer ${SHOP_KEY}"]}, {}) == {"h": ["Bearer abc"]}


def test_builtins_give_fresh_values() -> None:
    assert compile_template("{{ uuid() }}").render({}) != compile_template("{{ uuid() }}").render(
        {}
    )


def test_a_syntax_error_is_a_template_error() -> None:
    with pytest.raises(TemplateError, match="invalid template"):
        compile_template("{{ x")


@given(st.text().filter(lambda s: "{" not in s and "$" not in s))
def test_text_without_template_marks_renders_as_itself(text: str) -> None:
    assert compile_template(text).render({}) == text


@given(st.text(max_size=30))
def test_compiling_any_text_raises_only_template_errors(text: str) -> None:
    try:
        compile_template(text)
    except TemplateError:
        pass
