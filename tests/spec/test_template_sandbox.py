"""Templates that cannot escape: read run variables, call the built-ins, stay within bounds.

Each file of tests/spec/hostile_templates/ goes through `python -m runner validate FILE` in its
own process (tests/spec/limited.py), its address space capped at 512 MiB (RLIMIT_AS) and
its CPU time at 2 s (RLIMIT_CPU, Python's start-up included): exit 2, exactly one `file:line:col: field: message` line naming the expression, no traceback. What
only a run can tell (a `range(n)` whose `n` is a variable) fails the step with the reason,
against the real demo shop; and the documented built-ins and filters still work.
"""

from __future__ import annotations

import os
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import jinja2
import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from runner.engines.http import run_http_flow
from runner.errors import SpecError
from runner.spec.loader import LoadedJourney, load_journey_text, load_journeys
from runner.spec.sandbox import MAX_CHARS
from runner.spec.target import Target
from runner.spec.template import TemplateError, TemplateLimitError, compile_template
from tests.conftest import ROOT
from tests.spec.limited import validate_limited

CORPUS = Path(__file__).parent / "hostile_templates"

# The one line each file must give contains this: the field, then the expression as written
# (and the reason), so a file refused for another reason, or at another place, fails.
EXPECTED = {
    "attr-filter.yaml": 'headers.X-Probe: template "{{ x|attr(\'__class__\') }}": "x|attr(',
    "browser-fill-format.yaml": "browser[1].fill.#q: template \"{{ '{0.__class__}'.format(x) }}\"",
    "browser-goto-dunder.yaml": "browser[0].goto: template '/products/{{ x.__class__ }}'",
    "comment.yaml": "query.q: template '{{ x }}{# hidden #}': {# #} comments are not allowed",
    "concatenation.yaml": "'a' * 1000000 ~ 'b' * 1000000\" would make text of 2,000,000 char",
    "config-globals.yaml": "'config.__class__.__init__.__globals__' reads '__globals__'",
    "cycler-global.yaml": "'cycler(1, 2).next()' calls a method",
    "data-csv-absolute.yaml": "data.row.csv: expected a path inside the journey's folder",
    "data-csv-parent.yaml": "data.row.csv: expected a path inside the journey's folder",
    "expect-equals-dunder.yaml": "expect.json.$.status.equals: template '{{ x.__init__ }}'",
    "fast-path-dunder-class.yaml": "request.url: template '/api/products/{{ x.__class__ }}'",
    "fast-path-dunder-in-vars.yaml": "vars.leak: template '{{ iteration.__class__ }}'",
    "fast-path-dunder-mro.yaml": "'x.__class__.__mro__' reads '__mro__'",
    "for-loop.yaml": "'{% for i in range(100000) %}{{ i }}{% endfor %}': {% %} statements",
    "format-filter.yaml": "\"'%0999999999d'|format(1)\" uses the filter 'format'",
    "format-map.yaml": "'x.format_map' reads 'format_map'",
    "format-method.yaml": "\"'{0.__class__}'.format\" reads 'format'",
    "huge-range.yaml": "'range(10 ** 9)' gives more than 100,000 numbers",
    "integer-multiplication.yaml": "'10 ** 1000 * 10 ** 1000' would make a number over 4,096",
    "item-dunder.yaml": "\"x['__class__']\" reads '__class__'",
    "jinja-globals-walk.yaml": "'uuid.__globals__' reads '__globals__'",
    "jinja-subclasses-walk.yaml": "''.__class__.__mro__[1].__subclasses__\" reads '__subcl",
    "join-separator.yaml": "\"range(100000)|join('x' * 100000)\" would make text of 9,999,900,000",
    "joiner-global.yaml": "\"joiner(',')\" is not a call of a built-in",
    "lipsum-global.yaml": "'lipsum(1000000)' is not a call of a built-in",
    "list-repetition.yaml": "'[1] * 1000' repeats a list",
    "map-filter.yaml": "\"[x]|map(attribute='__class__')\" uses the filter 'map'",
    "method-call.yaml": "'x.upper()' calls a method",
    "mro-method.yaml": "'x.mro' reads 'mro'",
    "namespace-global.yaml": "'namespace(a=1)' is not a call of a built-in",
    "nested-replace.yaml": "|replace('a', 'aa')\" would make text of 2,000,000 characters",
    "percent-format.yaml": "\"'%0999999999d' % 1\" formats text with %",
    "power-tower.yaml": "'9 ** 9 ** 9 ** 9 ** 9' would make a number over 4,096 bits",
    "raw-block.yaml": "'{% raw %}{{ x }}{% endraw %}': {% %} statements are not allowed",
    "request-builtins.yaml": "'request.application.__globals__.__builtins__' reads '__builtins__'",
    "self-reference.yaml": "'self._TemplateReference__context' reads '_TemplateReference__co",
    "set-statement.yaml": "'{% set y = x %}{{ y }}': {% %} statements are not allowed",
    "star-args.yaml": "'range()' passes *args or **kwargs",
    "string-multiplication.yaml": "\"'a' * 100000000\" would make text of 100,000,000 characters",
    "sum-attribute.yaml": "\"[x]|sum(attribute='__class__')\" reads '__class__'",
    "templated-url-dunder.yaml": "request.url: template '{{ x.__class__.__name__ }}/api/products'",
    "tojson-indent.yaml": "tojson(indent=100000000)' indents by more than 16 spaces",
    "too-many-parts.yaml": "more than 200 parts",
}


def _validate_limited(path: Path) -> str | None:
    return validate_limited(path.relative_to(ROOT), EXPECTED[path.name])


def test_the_corpus_has_an_expected_line_for_every_file() -> None:
    files = sorted(path.name for path in CORPUS.glob("*.yaml"))
    assert len(files) >= 20
    assert files == sorted(EXPECTED), "every hostile template needs its expected message"


@pytest.mark.slow
def test_every_hostile_template_is_refused_in_one_line_within_the_limits() -> None:
    files = sorted(CORPUS.glob("*.yaml"))
    with ThreadPoolExecutor(max_workers=2) as pool:  # each child has its own limits
        failures = [failure for failure in pool.map(_validate_limited, files) if failure]
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_hostile_template_is_one_problem_when_loaded(name: str) -> None:
    with pytest.raises(SpecError) as refused:
        load_journeys([str(CORPUS / name)])
    [problem] = refused.value.problems
    assert EXPECTED[name] in str(problem)


# -- what only the run can tell: a failed step with the reason ------------------------------


def _journey(*steps: dict[str, Any], **variables: str) -> LoadedJourney:
    document = {"journey": "t", "vars": variables, "http": list(steps)}
    return load_journey_text(yaml.safe_dump(document), path="t.yaml")


def test_a_variable_driven_range_is_valid_and_then_fails_its_step(demo_shop: str) -> None:
    loaded = _journey(
        {"name": "fine", "request": {"url": "/health", "query": {"n": "{{ range(n)|length }}"}}},
        {"name": "huge", "request": {"url": "/health", "query": {"n": "{{ range(m)|length }}"}}},
        n="{{ 10 ** 3 }}",
        m="{{ 10 ** 9 }}",  # nothing in the text says how big: validation cannot tell
    )
    sent: list[str] = []
    hooks = {"request": [lambda request: sent.append(str(request.url))]}
    with httpx.Client(event_hooks=hooks) as client:
        variables = {"n": 1000, "m": 10**9}
        fine, huge = run_http_flow(
            loaded.spec, Target.single(demo_shop), client=client, variables=variables
        )
    assert fine.outcome == "passed" and sent == [f"{demo_shop}/health?n=1000"]
    assert (huge.outcome, huge.unreachable) == ("error", False)
    assert huge.reason == "template: range(1000000000) gives more than 100,000 numbers"


@pytest.mark.parametrize(
    ("source", "variables", "message"),
    [
        ("{{ range(n)|list }}", {"n": 10**9}, "range(1000000000) gives more than 100,000"),
        ("{{ range(0, n, 1)|sum }}", {"n": 100_001}, "gives more than 100,000 numbers"),
        ("{{ s * n }}", {"s": "ab", "n": 10**6}, "would make text of 2,000,000 characters"),
        ("{{ 2 ** n }}", {"n": 5000}, "2 ** 5000 would make a number over 4,096 bits"),
        ("{{ a * a }}", {"a": 2**3000}, "would make a number over 4,096 bits"),
        ("{{ s ~ s }}", {"s": "x" * 600_000}, "would make text of 1,200,000 characters"),
        ("{{ s + s }}", {"s": "x" * 600_000}, "would make text of 1,200,000 characters"),
        ("a{{ s }}{{ s }}", {"s": "x" * 600_000}, "has 1,200,001 characters"),
        ("{{ s|replace('x', 'yy') }}", {"s": "x" * 600_000}, "1,200,000 characters"),
        ("{{ l|join(s) }}", {"l": list(range(11)), "s": "x" * 100_001}, "1,000,010 char"),
        ("{{ l|tojson(indent=n) }}", {"l": [1], "n": 99}, "indents by more than 16 spaces"),
        ("{{ s % n }}", {"s": "%0999999999d", "n": 1}, "formats text with %"),
        ("{{ l * n }}", {"l": [1], "n": 2}, "repeats a list"),
        # a variable may shadow a built-in's name: the sandbox still calls only the built-ins
        ("{{ uuid() }}", {"uuid": print}, "is not a built-in function"),
    ],
)
def test_bounds_that_depend_on_variables_hold_at_run_time(
    source: str, variables: dict[str, Any], message: str
) -> None:
    template = compile_template(source)  # valid: only the variables make it too big
    with pytest.raises(TemplateLimitError, match=re.escape(message)):
        template.render(variables)


@pytest.mark.parametrize(
    "source",
    ["{{ s.upper }}", "{{ d.items }}", "{{ s['upper'] }}", "{{ n.real }}", "{{ l.append }}"],
)
def test_python_attributes_of_values_are_undefined(source: str) -> None:
    """`x.name` reads keys of data only, on the fast path and in jinja alike."""
    template = compile_template(source)
    with pytest.raises(jinja2.UndefinedError):
        template.render({"s": "text", "d": {"a": 1}, "n": 5, "l": [1]})


def test_keys_of_data_read_as_before() -> None:
    row = {"items": "key, not method", "format": "f", "query": "mug"}
    assert compile_template("{{ row.items }}").render({"row": row}) == "key, not method"
    assert compile_template("{{ row['format'] }}").render({"row": row}) == "f"
    assert compile_template("/p/{{ row.query }}").render({"row": row}) == "/p/mug"
    assert (
        compile_template("{{ cart.lines[1].sku }}").render(
            {"cart": {"lines": [{"sku": "A"}, {"sku": "B"}]}}
        )
        == "B"
    )


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("{{ range(3)|list }}", [0, 1, 2]),
        ("{{ range(100000)|sum }}", 4999950000),
        ("{{ random_int(4, 4) }}", 4),
        ("{{ uuid()|length }}", 32),
        ("{{ now()[-1] }}", "Z"),
        ("{{ timestamp() > 1700000000 }}", True),
        ("{{ q|upper }}", "MUG"),
        ("{{ q|replace('u', 'o')|title }}", "Mog"),
        ("{{ missing_key|default('x') }}", "x"),
        ("{{ '42'|int + 1 }}", 43),
        ("{{ items|length }}", 2),
        ("{{ items|join(',') }}", "a,b"),
        ("{{ {'a': [1, 2]}|tojson }}", '{"a": [1, 2]}'),
        ("{{ 'a b&c'|urlencode }}", "a%20b%26c"),
        ("{{ '  x '|trim }}", "x"),
        ("{{ q if q is defined else 'none' }}", "mug"),
        ("{{ 'x' * 1000000 == 'x' * 1000000 }}", True),
        ("{{ 2 ** 4000 > 0 }}", True),
        ("{{ (7 // 2, 7 % 2, 7 / 2) }}", (3, 1, 3.5)),
        ("{{ q ~ '-' ~ 1 }}", "mug-1"),
    ],
)
def test_the_documented_built_ins_and_filters_still_work(source: str, expected: Any) -> None:
    context = {"q": "mug", "items": ["a", "b"], "missing_key": jinja2.StrictUndefined()}
    context.pop("missing_key")
    assert compile_template(source).render(context) == expected


def test_statements_say_why() -> None:
    with pytest.raises(TemplateError, match=r"a journey is data, not a program"):
        compile_template("{% if x %}a{% endif %}")


# -- ${NAME}: the journey's own text only ---------------------------------------------------


def test_a_captured_env_reference_is_sent_literally(
    demo_shop: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The shop echoes `${JOURNEY_T_SECRET}` back; sending it again must not read the env."""
    monkeypatch.setenv("JOURNEY_T_SECRET", "s3cr3t-value")
    loaded = _journey(
        {
            "name": "echo",
            "surface": "storefront",
            # the text builds "${...}" from two halves, so only the server's answer holds it
            "request": {"url": "/search", "query": {"q": "{{ '$' ~ '{JOURNEY_T_SECRET}' }}"}},
            "capture": {"echo": {"regex": 'name="q" type="search" value="([^"]*)"'}},
        },
        {
            "name": "send",
            "request": {"url": "/health?v={{ echo }}&k=${JOURNEY_T_SECRET}"},
        },
    )
    sent: list[httpx.URL] = []
    with httpx.Client(event_hooks={"request": [lambda r: sent.append(r.url)]}) as client:
        variables: dict[str, Any] = {}
        results = list(
            run_http_flow(loaded.spec, Target.single(demo_shop), client=client, variables=variables)
        )
    assert [r.outcome for r in results] == ["passed", "passed"], results
    assert variables["echo"] == "${JOURNEY_T_SECRET}"
    assert dict(sent[1].params) == {"v": "${JOURNEY_T_SECRET}", "k": "s3cr3t-value"}


@pytest.mark.parametrize(
    "source",
    ["{{ v }}?k=${JOURNEY_T_KEY}", "{{ v ~ '' }}${JOURNEY_T_KEY}", "{{ v }}{{ v|lower }}"],
)
def test_env_references_in_values_stay_literal(
    source: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JOURNEY_T_KEY", "key")
    monkeypatch.setenv("HOME", "/root-should-not-leak")
    rendered = compile_template(source).render({"v": "${HOME}"})
    assert "/root-should-not-leak" not in rendered
    assert rendered.startswith("${HOME}")


def test_env_references_in_the_text_and_in_string_literals_expand(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("JOURNEY_T_KEY", "key")
    assert compile_template("a${JOURNEY_T_KEY}{{ 1 + 1 }}").render({}) == "akey2"
    assert compile_template("{{ '${JOURNEY_T_KEY}'|upper }}").render({}) == "KEY"
    monkeypatch.setenv("JOURNEY_T_KEY", "{{ 7 * 6 }}")  # a value is never read as a template
    assert compile_template("a${JOURNEY_T_KEY}{{ 1 }}").render({}) == "a{{ 7 * 6 }}1"
    assert compile_template("{{ '${JOURNEY_T_KEY}' }}").render({}) == "{{ 7 * 6 }}"


# -- data files stay inside the journey's folder --------------------------------------------

DATA_JOURNEY = """\
journey: data
data:
  row: {csv: CSV}
http:
  - name: probe
    request: {url: "/health?r={{ row.sku }}"}
"""


def _data_journey(folder: Path, csv: str) -> Path:
    path = folder / "journey.yaml"
    path.write_text(DATA_JOURNEY.replace("CSV", csv))
    return path


def _only_problem(path: Path) -> str:
    with pytest.raises(SpecError) as refused:
        load_journeys([str(path)])
    [problem] = refused.value.problems
    return str(problem)


def test_a_symbolic_link_out_of_the_folder_is_refused(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.csv").write_text("sku\nSKU-1\n")
    folder = tmp_path / "journeys"
    (folder / "data").mkdir(parents=True)
    (folder / "data" / "link.csv").symlink_to(outside / "secret.csv")
    (folder / "linked").symlink_to(outside, target_is_directory=True)
    for csv in ("data/link.csv", "linked/secret.csv"):
        line = _only_problem(_data_journey(folder, csv))
        assert f"journey.yaml:3:14: data.row.csv: cannot read data file: '{folder}/{csv}'" in line
        assert "leads outside the journey's folder (a symbolic link)" in line


def test_a_link_inside_the_folder_and_a_subfolder_are_fine(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "rows.csv").write_text("sku\nSKU-1\n")
    (tmp_path / "same.csv").symlink_to(tmp_path / "data" / "rows.csv")
    for csv in ("data/rows.csv", "same.csv", "./data/rows.csv"):
        [loaded] = load_journeys([str(_data_journey(tmp_path, csv))])
        assert loaded.feeders["row"].rows == [{"sku": "SKU-1"}]


@pytest.mark.parametrize(
    "csv", ["../x.csv", "data/../../x.csv", "/etc/passwd", "'C:\\x.csv'", "'\\\\host\\x.csv'"]
)
def test_paths_written_outside_the_folder_are_refused(tmp_path: Path, csv: str) -> None:
    line = _only_problem(_data_journey(tmp_path, csv))
    assert "data.row.csv: expected a path inside the journey's folder (relative, no '..')" in line


def test_a_fifo_is_not_read(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "rows.csv")  # opening it would wait for a writer for ever
    line = _only_problem(_data_journey(tmp_path, "rows.csv"))
    assert "rows.csv' is not a regular file" in line


# -- whatever the text, only TemplateError at compile time, and bounded renders -------------

EXPRESSION_PIECES = st.sampled_from(
    [
        " ",
        *"s n l d 1 9 'a' * ** + ~ % ( ) [ ] |upper |join |list |string range( , . _".split(),
        *"__class__ format".split(),
    ]
)


@given(st.lists(EXPRESSION_PIECES, max_size=14))
def test_any_expression_compiles_or_is_refused_and_renders_bounded(pieces: list[str]) -> None:
    source = "{{ " + "".join(pieces) + " }}"
    try:
        template = compile_template(source)
    except TemplateError:
        return
    context = {"s": "abc" * 1000, "n": 99999, "l": ["x"] * 50, "d": {"k": "v"}}
    try:
        value = template.render(context)
    except (jinja2.TemplateError, TypeError, ValueError, ZeroDivisionError, OverflowError):
        return
    assert len(str(value)) <= MAX_CHARS or not isinstance(value, str)
