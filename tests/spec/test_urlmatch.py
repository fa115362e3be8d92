"""`expect.url` patterns: Playwright's glob rules, `{matches: regex}`, and bad ones placed."""

from __future__ import annotations

import pytest

from runner.errors import SpecError
from runner.spec.loader import load_journey_text
from runner.spec.target import targets_from_document
from runner.spec.urlmatch import glob_regex
from runner.spec.yamlsource import parse_yaml


@pytest.mark.parametrize(
    ("glob", "url", "matches"),
    [
        # the cases of Playwright's own glob tests (tests/page/interception.spec.ts)
        ("**/*.js", "https://localhost:8080/foo.js", True),
        ("**/*.js", "https://localhost:8080/foo.js?x=1", False),
        ("**/*.css", "https://localhost:8080/foo.js", False),
        ("*.js", "https://localhost:8080/foo.js", False),  # `*` never crosses a `/`
        ("https://localhost:8080/*.js", "https://localhost:8080/foo.js", True),
        ("**/{a,b}.js", "https://localhost:8080/a.js", True),
        ("**/{a,b}.js", "https://localhost:8080/c.js", False),
        ("**/foo/**/bar", "https://x/foo/bar", True),  # `/**/` may be a single `/`
        ("**/foo/**/bar", "https://x/foo/a/b/bar", True),
        ("**/api/\\?param", "https://x/api/?param", True),  # `\` escapes
        ("**/orders/*", "http://shop/en-gb/orders/ORD-1", True),
        ("**/orders/*", "http://shop/en-gb/orders/ORD-1/lines", False),
        ("**/search?q=*", "http://shop/search?q=mug", True),  # `?` is a literal
        ("**/search?q=*", "http://shop/searchXq=mug", False),
    ],
)
def test_globs_follow_playwrights_rules(glob: str, url: str, matches: bool) -> None:
    assert bool(glob_regex(glob).match(url)) is matches


def journey_with(url: str) -> str:
    return f"journey: u\nhttp:\n  - request: {{url: /x}}\n    expect: {{url: {url}}}\n"


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ('"**/{a,b"', "unmatched '{'"),
        ('"**/a}"', "unmatched '}'"),
        ('"**/{a,{b}}"', "nested '{'"),
        ("{matches: '(orders'}", "invalid regular expression"),
        ("{glob: '**', matches: x}", "expected a glob"),
        ("{}", "expected a glob"),
    ],
)
def test_a_bad_pattern_is_one_placed_problem(url: str, message: str) -> None:
    with pytest.raises(SpecError) as refused:
        load_journey_text(journey_with(url), path="u.yaml")
    [problem] = refused.value.problems
    assert message in problem.message and problem.line == 4
    assert problem.loc[-1] in ("url", "glob", "matches")


def test_a_templated_glob_is_checked_when_it_renders() -> None:
    loaded = load_journey_text(
        journey_with('"**/orders/{{ order }}"').replace(
            "journey: u\n", "journey: u\nvars: {order: 1}\n"
        ),
        path="u.yaml",
    )
    assert loaded.spec.http[0].expect.url is not None


def test_a_user_agent_is_one_printable_line() -> None:
    text = (
        'targets:\n  shop:\n    base_url: http://127.0.0.1:1\n    user_agent: "a\\nInjected: 1"\n'
    )
    with pytest.raises(SpecError) as refused:
        targets_from_document(parse_yaml(text, "targets.yaml"))
    [problem] = refused.value.problems
    assert "one line" in problem.message and problem.loc[-1] == "user_agent"
