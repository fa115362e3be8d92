"""Hostile spec files are refused with one placed line and exit 2, within 2 s and 512 MiB.

Each file of tests/spec/hostile/ (and a few generated into tmp_path: too big to commit, or
sparse) goes through `python -m runner validate FILE` in its own process, with its address
space capped at 512 MiB (RLIMIT_AS) and its CPU time at 2 s (RLIMIT_CPU: Python's start-up
included, so the loader itself has less), under a generous 30 s wall-clock timeout so that a
loaded CI machine cannot fail it. A process over the CPU limit is killed (SIGXCPU), one over
the memory limit fails to allocate (MemoryError, a traceback): either fails the test.
Then the in-process tests pin down what the docs promise about `!!str`, `<<`, byte order
marks and URLs, with the messages users will read.
"""

from __future__ import annotations

import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from runner.errors import SpecError
from runner.spec import load_journeys
from runner.spec.literals import url_problem
from runner.spec.sourcetext import MAX_FILE_BYTES
from runner.spec.yamlsource import parse_yaml
from tests.spec.limited import WALL_SECONDS, limits, validate_limited

HOSTILE = Path(__file__).parent / "hostile"

# A fragment of the one line each file must give, so a file refused for the wrong reason fails.
EXPECTED = {
    "alias-of-a-step.yaml": "anchors (&name) are not allowed",
    "billion-laughs.yaml": "anchors (&name) are not allowed",
    "c1-control-char.yaml": "control character U+009B is not allowed",
    "deep-block-mapping.yaml": "nested deeper than 64 levels",
    "deep-block-sequence.yaml": "nested deeper than 64 levels",
    "deep-flow-mapping.yaml": "nested deeper than 64 levels",
    "deep-flow-sequence.yaml": "nested deeper than 64 levels",
    "deep-jsonpath.yaml": "invalid JSONPath",
    "deep-regex.yaml": "invalid regular expression: nested too deeply",
    "deep-template.yaml": "invalid template: nested too deeply",
    "directive-tag.yaml": "directives are not allowed, got '%TAG'",
    "directive-yaml.yaml": "directives are not allowed, got '%YAML'",
    "esc-control-char.yaml": "control character U+001B is not allowed",
    "goto-data.yaml": "browser[0].goto: data: URLs are not allowed",
    "goto-file.yaml": "browser[0].goto: file: URLs are not allowed",
    "goto-javascript-with-tab.yaml": "browser[0].goto: javascript: URLs are not allowed",
    "goto-javascript.yaml": "browser[0].goto: javascript: URLs are not allowed",
    "huge-int.yaml": "an integer of more than 100 digits",
    "invalid-date.yaml": "invalid value '2024-02-30'",
    "latin1-not-utf8.yaml": "not valid UTF-8 (byte 0xe9)",
    "merge-key-of-an-alias.yaml": "anchors (&name) are not allowed",
    "merge-key.yaml": "merge keys (<<) are not allowed",
    "nul-byte.yaml": "NUL character U+0000 is not allowed",
    "profile-health-path-file.yaml": "abort_if.health_path: expected a path starting with '/'",
    "profile-health-path-url.yaml": "abort_if.health_path: expected a path starting with '/'",
    "recursive-alias.yaml": "anchors (&name) are not allowed",
    "tag-custom.yaml": "tags are not allowed, got '!custom'",
    "tag-non-specific.yaml": "tags are not allowed, got '!'",
    "tag-python-name.yaml": "tags are not allowed, got '!!python/name:os.system'",
    "tag-python-object-apply.yaml": "tags are not allowed, got '!!python/object/apply:os.system'",
    "tag-str.yaml": "tags are not allowed, got '!!str'",
    "tag-undefined-handle.yaml": "tags are not allowed, got '!e!int'",
    "tag-verbatim.yaml": "tags are not allowed, got '!<tag:yaml.org,2002:str>'",
    "targets-file-base-url.yaml": "targets.local.base_url: expected an http:// or https:// URL",
    "targets-scheme-relative-surface.yaml": "targets.local.api: expected an http:// or https://",
    "too-many-nodes.yaml": "more than 10000 YAML values and keys",
    "too-many-template-expressions.yaml": "more than 1000 {{ }} expressions in one journey",
    "too-many-templated-strings.yaml": "more than 250 templated strings in one journey",
    "two-documents.yaml": "a file holds one YAML document",
    "url-backslash-host.yaml": "http[0].request.url: a URL starting with '/\\\\' names another host",
    "url-data-in-http-step.yaml": "http[0].request.url: data: URLs are not allowed",
    "url-file-in-http-step.yaml": "http[0].request.url: file: URLs are not allowed",
    "url-ftp-in-http-step.yaml": "http[0].request.url: ftp: URLs are not allowed",
    "url-https-without-host.yaml": "http[0].request.url: expected an http:// or https:// URL with a host",
    "url-scheme-relative.yaml": "http[0].request.url: a URL starting with '//' names another host",
    "url-templated-file.yaml": "http[0].request.url: file: URLs are not allowed",
    "utf16-be-bom.yaml": "the file is UTF-16 (big-endian), with a byte order mark",
    "utf16-le-bom.yaml": "the file is UTF-16 (little-endian), with a byte order mark",
    "utf16-le-no-bom.yaml": "the file is UTF-16 (little-endian)",
    "utf32-be-no-bom.yaml": "the file is UTF-32 (big-endian)",
    "utf32-le-bom.yaml": "the file is UTF-32 (little-endian), with a byte order mark",
}


def _validate_limited(path: Path) -> str | None:
    return validate_limited(path, EXPECTED.get(path.name))


def _generated(folder: Path) -> list[Path]:
    """Files too big to commit: just over the size cap, and a sparse 4 GiB one."""
    over = folder / "over-the-size-cap.yaml"
    filler = "# " + "x" * 97 + "\n"
    over.write_text("journey: big\n" + filler * (MAX_FILE_BYTES // len(filler) + 1))
    sparse = folder / "sparse-4-gib.yaml"
    with sparse.open("wb") as stream:
        stream.write(b"journey: sparse\n")
        stream.truncate(4 * 1024**3)  # reading this whole would break the 512 MiB limit
    return [over, sparse]


def test_the_memory_limit_is_enforced_on_the_child() -> None:
    # a check that cannot fail proves nothing: 600 MiB must not fit
    done = subprocess.run(
        [sys.executable, "-c", "bytearray(600 * 1024 * 1024)"],
        capture_output=True,
        text=True,
        timeout=WALL_SECONDS,
        preexec_fn=limits,  # only setrlimit runs in the child before exec
    )
    assert done.returncode != 0
    assert "MemoryError" in done.stderr


def test_the_corpus_covers_every_class() -> None:
    files = sorted(path.name for path in HOSTILE.iterdir())
    assert len(files) >= 25
    assert files == sorted(EXPECTED), "every hostile file needs its expected message, and back"


@pytest.mark.slow
def test_every_hostile_file_is_refused_in_one_line_within_the_limits(tmp_path: Path) -> None:
    files = sorted(HOSTILE.iterdir()) + _generated(tmp_path)
    with ThreadPoolExecutor(max_workers=2) as pool:  # each child has its own limits
        failures = [failure for failure in pool.map(_validate_limited, files) if failure]
    assert not failures, "\n".join(failures)


def test_a_file_over_the_cap_is_refused_before_it_is_read(tmp_path: Path) -> None:
    [over, sparse] = _generated(tmp_path)
    for path in (over, sparse):
        with pytest.raises(SpecError) as refused:
            load_journeys([str(path)])
        [problem] = refused.value.problems
        assert f"over the {MAX_FILE_BYTES // 1024} KiB limit" in str(problem)


def test_a_journey_with_a_utf8_byte_order_mark_loads(tmp_path: Path) -> None:
    path = tmp_path / "bom.yaml"
    path.write_bytes(b"\xef\xbb\xbfjourney: bom\nhttp:\n  - request: {url: /}\n")
    [journey] = load_journeys([str(path)])
    assert journey.name == "bom"


def test_str_tag_is_refused_with_the_documented_message() -> None:
    with pytest.raises(SpecError) as refused:
        parse_yaml("journey: x\nvars:\n  code: !!str 007\n", "tags.yaml")
    assert [str(p) for p in refused.value.problems] == [
        "tags.yaml:3:9: vars.code: YAML tags are not allowed, got '!!str': quote the value to "
        'make it a string ("123", not !!str 123)'
    ]
    # and what the message says to do instead works
    assert parse_yaml('code: "007"\n', "quoted.yaml").data == {"code": "007"}


def test_merge_key_is_refused_with_the_documented_message() -> None:
    text = "journey: x\nvars:\n  more:\n    <<: {a: 1}\n    b: 2\n"
    with pytest.raises(SpecError) as refused:
        parse_yaml(text, "merge.yaml")
    assert [str(p) for p in refused.value.problems] == [
        "merge.yaml:4:5: vars.more: YAML merge keys (<<) are not allowed: write the keys out"
    ]
    # a quoted "<<" is an ordinary key: only the merge is refused
    assert parse_yaml("'<<': 1\n", "quoted.yaml").data == {"<<": 1}


def test_nesting_up_to_the_limit_loads() -> None:
    deepest = "v: " + "[" * 63 + "1" + "]" * 63 + "\n"  # the root mapping makes 64
    value = parse_yaml(deepest, "deep.yaml").data["v"]
    for _ in range(62):
        value = value[0]
    assert value == [1]
    with pytest.raises(SpecError, match="nested deeper than 64 levels"):
        parse_yaml("v: " + "[" * 64 + "1" + "]" * 64 + "\n", "deeper.yaml")


@pytest.mark.parametrize(
    "url",
    [
        "/api/cart",
        "api/cart",  # documented: a missing leading / is added
        "https://cdn.example/x",
        "http://127.0.0.1:8000/health",
        "{{ next_link }}",
        "https://{{ host }}/x",
        "/api/stock/{{ sku }}",
        "${SHOP_URL}/x",
    ],
)
def test_paths_web_urls_and_templates_are_accepted(url: str) -> None:
    assert url_problem(url) is None


@pytest.mark.parametrize(
    ("url", "fragment"),
    [
        ("file:///etc/passwd", "file: URLs are not allowed"),
        ("FILE:///etc/passwd", "file: URLs are not allowed"),
        ("javascript:alert(1)", "javascript: URLs are not allowed"),
        (" javascript:alert(1)", "javascript: URLs are not allowed"),
        ("java\nscript:alert(1)", "javascript: URLs are not allowed"),
        ("data:text/html,x", "data: URLs are not allowed"),
        ("ftp://files.example", "ftp: URLs are not allowed"),
        ("localhost:8000/x", "localhost: URLs are not allowed"),
        ("//evil.example/x", "names another host"),
        ("\\\\evil.example/x", "names another host"),
        ("//{{ host }}/x", "names another host"),
        ("file://{{ path }}", "file: URLs are not allowed"),
        ("https://", "with a host"),
        ("http:/x", "with a host"),
    ],
)
def test_other_schemes_and_other_hosts_are_refused(url: str, fragment: str) -> None:
    problem = url_problem(url)
    assert problem is not None and fragment in problem
