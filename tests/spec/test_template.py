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


names = st.from_regex(r"[A-Za-z][A-Za-z0-9]{0,5}", fullmatch=True)


@given(st.lists(names, min_size=1, max_size=3), names, st.sampled_from(["_", "__"]))
def test_a_path_with_an_underscore_key_is_refused_on_the_fast_path(
    head: list[str], tail: str, underscore: str
) -> None:
    """`{{ a.b._c }}` looks like a plain variable path, but never reaches the fast path."""
    source = "/p/{{ " + ".".join([*head, underscore + tail]) + " }}"
    with pytest.raises(TemplateError, match="no name starting with '_' is readable"):
        compile_template(source)


def test_the_fast_path_reads_keys_of_mappings_only() -> None:
    import jinja2

    assert compile_template("{{ row.sku }}").render({"row": {"sku": "A"}}) == "A"
    assert compile_template("/{{ row.sku }}/").render({"row": {"sku": "A"}}) == "/A/"
    for attribute in ("upper", "real", "keys"):  # a method or attribute of the value
        with pytest.raises(jinja2.UndefinedError):
            compile_template(f"/{{{{ v.{attribute} }}}}").render({"v": "text"})


def test_env_refs_expand_in_the_text_never_in_a_value(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHOP_KEY", "abc")
    template = compile_template("/a/{{ v }}?k=${SHOP_KEY}")
    assert template.render({"v": "${SHOP_KEY}"}) == "/a/${SHOP_KEY}?k=abc"
