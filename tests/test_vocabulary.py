"""The shared words: every verdict has an exit code and words, and no module spells one again."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

from runner import vocabulary
from runner.vocabulary import (
    ENGINES,
    JOURNEY_VERDICTS,
    OBJECTIVE_STATES,
    RUN_VERDICTS,
    VERDICT_EXIT,
    VERDICT_HEADLINES,
    VERDICT_LINES,
    ExitCode,
    ObjectiveKind,
    exit_code,
)
from tests.conftest import ROOT

RUNNER = ROOT / "runner"
SCHEMA = json.loads((RUNNER / "outputs" / "results.schema.json").read_text())
DATA = ROOT / "tests" / "outputs" / "data"

# Where a verdict word is spelt for another reason than a verdict, and why.
NOT_VERDICTS = {
    ("runner/spec/problems.py", "error"): "pydantic's error context key",
    ("runner/engines/page_watch.py", "error"): "a browser console message type",
    ("runner/engines/load/master.py", "error"): "a key of our worker protocol",
    ("runner/engines/load/worker.py", "error"): "a key of our worker protocol",
    ("runner/engines/load/client.py", "error"): "FastResponse's attribute",
    ("runner/engines/load/timeline.py", "hold"): "a stage's verb: 'hold 20 users'",
    ("runner/outputs/load_charts.py", "hold"): "a CSS class of the chart",
    ("runner/outputs/junit.py", "error"): "JUnit's own element name",
}


def test_every_verdict_has_an_exit_code_a_console_line_and_a_headline() -> None:
    for verdict in RUN_VERDICTS:
        assert verdict in VERDICT_EXIT and verdict in VERDICT_LINES and verdict in VERDICT_HEADLINES
        assert exit_code(verdict) == VERDICT_EXIT[verdict]
    # a journey's verdict is a run's, but for "not run" (a run never ends without running)
    assert set(JOURNEY_VERDICTS) - {vocabulary.NOT_RUN} <= set(RUN_VERDICTS)
    assert VERDICT_EXIT["hold"] == ExitCode.CANARY_HOLD == 4
    assert VERDICT_EXIT["promote"] == ExitCode.OK and VERDICT_EXIT["rollback"] == 1


def test_the_vocabulary_is_the_schema_s() -> None:
    assert list(RUN_VERDICTS) == SCHEMA["properties"]["verdict"]["enum"]
    journey = SCHEMA["$defs"]["journey"]["properties"]
    assert list(JOURNEY_VERDICTS) == journey["verdict"]["enum"]
    assert list(ENGINES) == journey["engine"]["enum"]
    objective = SCHEMA["$defs"]["objective"]["properties"]
    assert list(OBJECTIVE_STATES) == objective["state"]["enum"]
    assert list(ObjectiveKind.__args__) == objective["kind"]["enum"]  # type: ignore[attr-defined]


def verdict_words_in(path: Path) -> list[tuple[int, str]]:
    words = set(RUN_VERDICTS)
    return [
        (node.lineno, node.value)
        for node in ast.walk(ast.parse(path.read_text(), str(path)))
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in words
    ]


def test_no_module_but_the_vocabulary_spells_a_verdict_word() -> None:
    spelt, excused = [], set()
    for path in sorted(RUNNER.rglob("*.py")):
        relative = path.relative_to(ROOT).as_posix()
        if relative == "runner/vocabulary.py" or relative.startswith("runner/demoshop/"):
            continue  # the demo shop is the target, not us: it speaks HTTP's words
        for line, word in verdict_words_in(path):
            if (relative, word) in NOT_VERDICTS:
                excused.add((relative, word))
            else:
                spelt.append(f"{relative}:{line}: {word!r}")
    assert not spelt, "use runner.vocabulary's constants:\n" + "\n".join(spelt)
    # an excuse nothing needs any more would let a real verdict word in later
    assert set(NOT_VERDICTS) == excused


def test_the_word_check_finds_a_spelt_verdict(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text('def verdict(ok: bool) -> str:\n    return "pass" if ok else "rollback"\n')
    assert verdict_words_in(bad) == [(2, "pass"), (2, "rollback")]
    assert verdict_words_in(Path(vocabulary.__file__))  # where they belong


@pytest.mark.parametrize(("verdict", "code"), [("hold", 4), ("promote", 0), ("rollback", 1)])
def test_report_on_a_canary_verdict_exits_with_its_code(
    tmp_path: Path, verdict: str, code: int
) -> None:
    results = json.loads((DATA / "run-pass.json").read_text())
    results["verdict"] = verdict
    path = tmp_path / "results.json"
    path.write_text(json.dumps(results))
    done = subprocess.run(
        [sys.executable, "-m", "runner", "report", str(path), "--out", str(tmp_path / "out")],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    assert done.returncode == code, done.stdout + done.stderr
    assert VERDICT_LINES[verdict] in done.stdout  # type: ignore[index]
    _, words = VERDICT_HEADLINES[verdict]  # type: ignore[index]
    assert words in (tmp_path / "out" / "index.html").read_text()
