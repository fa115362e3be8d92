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


values = st.one_of(
    st.integers(), st.text(max_size=5), st.booleans(), st.none(), st.floats(allow_nan=False)
)
literals = st.text(alphabet=st.characters(blacklist_characters="{}%#$"), max_size=6)


@given(
    st.dictionaries(st.sampled_from(["a", "b", "sku"]), values, min_size=1),
    st.lists(st.tuples(literals, st.sampled_from(["a", "b", "sku"])), min_size=1, max_size=3),
    literals,
)
def test_plain_variable_templates_render_as_jinja_does(
    context: dict[str, object], pieces: list[tuple[str, str]], tail: str
) -> None:
    import jinja2

    source = "".join(f"{text}{{{{ {name} }}}}" for text, name in pieces) + tail
    jinja = jinja2.Environment(undefined=jinja2.StrictUndefined)
    try:
        expected: object = jinja.from_string(source).render(context)
    except jinja2.UndefinedError:
        with pytest.raises(jinja2.UndefinedError):
            compile_template(source).render(context)
        return
    rendered = compile_template(source).render(context)
    if len(pieces) == 1 and not pieces[0][0].strip() and not tail.strip():
        assert rendered == context[pieces[0][1]]  # a lone variable keeps its type
    else:
        assert rendered == expected
