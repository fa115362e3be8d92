"""Every kind of bad input gives exactly one `file:line:col: loc: message` line and exit 2."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from runner.cli import main

PROBLEM_LINE = re.compile(r"[^:\n]+:\d+:\d+: [^\n]+: [^\n]+")

BASE = """\
journey: probe
channel: web
slo:
  success: 99%
  latency: {p95: 2s}
  steps: {search: {p95: 500ms}}
data:
  product: {csv: products.csv, pick: random}
http:
  - name: search
    request: {url: "/api/products?q={{ product.query }}"}
    expect: {status: 200, json: {"$.items[0].sku": {exists: true}}}
    capture: {sku: "$.items[0].sku"}
  - name: add
    request: {method: POST, url: /api/cart/items, json: {sku: "{{ sku }}", qty: 1}}
    expect: {status: 201, latency: 1s}
"""

# (id, text replaced, replacement, expected line, expected column, fragment of the message)
CASES = [
    ("yaml syntax", "qty: 1}}", "qty: 1}", 16, 5, "invalid YAML"),
    (
        "unknown top key",
        "channel: web",
        "chanel: web",
        2,
        1,
        "unknown key 'chanel' (did you mean 'channel'?)",
    ),
    (
        "unknown step key",
        "    expect: {status: 201",
        "    expct: {status: 201",
        16,
        5,
        "did you mean 'expect'?",
    ),
    ("status not an integer", "status: 201", "status: ok", 16, 22, "expected an integer, got 'ok'"),
    ("bad duration", "latency: 1s}", "latency: soon}", 16, 36, "expected a duration"),
    ("bad percentage", "success: 99%", "success: 150%", 4, 12, "between 0% and 100%"),
    ("percentage not a number", "success: 99%", "success: lots", 4, 12, "expected a percentage"),
    (
        "undefined variable",
        '"{{ sku }}"',
        '"{{ skux }}"',
        15,
        63,
        "undefined template variable 'skux'",
    ),
    (
        "missing env secret",
        "url: /api/cart/items,",
        "url: /api/cart/items, headers: {X-Key: '${JOURNEY_TEST_UNSET}'},",
        15,
        68,
        "JOURNEY_TEST_UNSET is not set",
    ),
    ("missing csv file", "csv: products.csv", "csv: nowhere.csv", 8, 18, "data file not found"),
    ("missing csv column", "product.query", "product.qurey", 11, 20, "has no column 'qurey'"),
    (
        "duplicate step name",
        "  - name: add",
        "  - name: search",
        14,
        11,
        "duplicate step name 'search'",
    ),
    ("slo on unknown step", "steps: {search:", "steps: {serch:", 6, 11, "no step named 'serch'"),
    ("bad method", "method: POST", "method: FETCH", 15, 23, "expected 'GET', 'POST'"),
    ("bad channel", "channel: web", "channel: fax", 2, 10, "expected 'web', 'pos'"),
    (
        "missing request",
        '    request: {url: "/api/products?q={{ product.query }}"}\n',
        "",
        10,
        5,
        "missing required key 'request'",
    ),
    (
        "bad jsonpath",
        '"$.items[0].sku": {exists',
        '"$.items[[": {exists',
        12,
        34,
        "invalid JSONPath",
    ),
    ("bad regex", "{exists: true}", "{matches: '(unclosed'}", 12, 62, "invalid regular expression"),
    (
        "duplicate yaml key",
        "channel: web",
        "channel: web\nchannel: pos",
        3,
        1,
        "duplicate key 'channel'",
    ),
    (
        "capture with two sources",
        'capture: {sku: "$.items[0].sku"}',
        "capture: {sku: {json: $.a, header: X-A}}",
        13,
        20,
        "exactly one of json, html, header, regex",
    ),
    ("json and form", "json: {sku:", "form: {a: b}, json: {sku:", 15, 14, "cannot both be set"),
    ("template syntax", '"{{ sku }}"', '"{{ sku "', 15, 63, "invalid template"),
    ("bad journey name", "journey: probe", "journey: 'probe/*'", 1, 10, "expected 1 to 64 letters"),
    (
        "bad surface",
        "  - name: add\n",
        "  - name: add\n    surface: mainframe\n",
        15,
        14,
        "expected 'storefront', 'api'",
    ),
    (
        "empty flow",
        BASE[BASE.index("http:") :],
        "http: []\n",
        1,
        1,
        "expected an http: or browser: flow",
    ),
    (
        "slo step key misspelt",
        "{search: {p95: 500ms}}",
        "{search: {p59: 500ms}}",
        6,
        20,
        "unknown key 'p59'",
    ),
    (
        "from without regex",
        'capture: {sku: "$.items[0].sku"}',
        "capture: {sku: {json: $.a, from: url}}",
        13,
        20,
        "from is only valid with regex",
    ),
    (
        "attr outside html",
        "{exists: true}",
        "{exists: true, attr: href}",
        12,
        13,
        "attr is only valid in html checks",
    ),
    ("not a mapping", BASE, "- just\n- a list\n", 1, 1, "expected a journey mapping"),
]


@pytest.fixture
def journey_dir(tmp_path: Path) -> Path:
    (tmp_path / "products.csv").write_text("query\nshirt\n")
    return tmp_path


def _validate(path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, list[str]]:
    with pytest.raises(SystemExit) as stop:
        main(["validate", str(path)])
    lines = capsys.readouterr().err.splitlines()
    return int(stop.value.code or 0), lines


def test_the_base_journey_is_valid(journey_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = journey_dir / "probe.yaml"
    path.write_text(BASE)
    assert _validate(path, capsys) == (0, [])


@pytest.mark.parametrize(
    ("old", "new", "line", "column", "fragment"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_bad_input_gives_one_placed_line_and_exit_2(
    journey_dir: Path,
    capsys: pytest.CaptureFixture[str],
    old: str,
    new: str,
    line: int,
    column: int,
    fragment: str,
) -> None:
    assert old in BASE
    path = journey_dir / "probe.yaml"
    path.write_text(BASE.replace(old, new, 1))
    code, lines = _validate(path, capsys)
    assert code == 2
    assert len(lines) == 1, lines
    assert PROBLEM_LINE.fullmatch(lines[0]), lines[0]
    assert lines[0].startswith(f"{path}:{line}:{column}: "), lines[0]
    assert fragment in lines[0]


def test_duplicate_journey_names_across_files(
    journey_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (journey_dir / "a.yaml").write_text(BASE)
    (journey_dir / "b.yaml").write_text(BASE)
    code, lines = _validate(journey_dir, capsys)
    assert code == 2
    assert lines == [
        f"{journey_dir / 'b.yaml'}:1:10: journey: duplicate journey name 'probe' (also in {journey_dir / 'a.yaml'})"
    ]


def test_every_problem_of_a_file_is_reported_in_line_order(
    journey_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = journey_dir / "probe.yaml"
    path.write_text(
        BASE.replace("status: 201", "status: ok").replace("channel: web", "chanel: web")
    )
    code, lines = _validate(path, capsys)
    assert code == 2
    assert [line.split(":")[1] for line in lines] == ["2", "16"]


def test_missing_path_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, lines = _validate(tmp_path / "nope.yaml", capsys)
    assert (code, lines) == (
        2,
        [f"{tmp_path / 'nope.yaml'}:1:1: (document): no such file or folder"],
    )


def test_bad_targets_file_is_placed(journey_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (journey_dir / "probe.yaml").write_text(BASE)
    targets = journey_dir / "targets.yaml"
    targets.write_text("targets:\n  staging:\n    storefront: ftp://shop\n")
    with pytest.raises(SystemExit) as stop:
        main(
            [
                "run",
                str(journey_dir / "probe.yaml"),
                "--target",
                "staging",
                "--targets",
                str(targets),
            ]
        )
    lines = capsys.readouterr().err.splitlines()
    assert stop.value.code == 2
    assert lines == [
        f"{targets}:3:17: targets.staging.storefront: expected an http:// or https:// URL, got 'ftp://shop'"
    ]


def test_the_command_line_exits_2_without_traceback(journey_dir: Path) -> None:
    path = journey_dir / "probe.yaml"
    path.write_text(BASE.replace("status: 201", "status: ok"))
    done = subprocess.run(
        [sys.executable, "-m", "runner", "validate", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.splitlines() == [
        f"{path}:16:22: http[1].expect.status: expected an integer, got 'ok'"
    ]


def test_a_var_may_use_the_vars_before_it_only(
    journey_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = journey_dir / "probe.yaml"
    path.write_text(
        BASE.replace("channel: web", "channel: web\nvars: {a: x, b: '{{ a }}-{{ c }}', c: y}")
    )
    code, lines = _validate(path, capsys)
    assert code == 2
    assert lines == [f"{path}:3:17: vars.b: undefined template variable 'c'"]


def test_a_busy_port_is_invalid_input_not_a_crash(capsys: pytest.CaptureFixture[str]) -> None:
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(SystemExit) as stop:
            main(["demo-shop", "--port", str(port)])
    assert stop.value.code == 2
    assert capsys.readouterr().err.startswith(
        f"--port:1:1: port: cannot listen on 127.0.0.1:{port}"
    )
