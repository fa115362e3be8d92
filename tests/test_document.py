"""The typed results document: every field read and written back, exactly, or one clear error."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from runner.document import DocumentError, ResultsDocument, from_json, to_json
from tests.conftest import ROOT

DATA = ROOT / "tests" / "outputs" / "data"
FILES = sorted(DATA.glob("*.json"))

# JSON has no NaN or infinity; everything else hypothesis may invent for the types
st.register_type_strategy(float, st.floats(allow_nan=False, allow_infinity=False))


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_every_hand_kept_document_reads_into_the_typed_document(path: Path) -> None:
    data = json.loads(path.read_text())
    document = from_json(data)
    assert from_json(to_json(document)) == document
    written = to_json(document)
    # fields the hand-kept file predates come back at their defaults; nothing else changes
    assert {k: written[k] for k in data} == {k: data[k] for k in data} or _same_but_defaults(
        data, written
    )


def _same_but_defaults(old: object, new: object) -> bool:
    if isinstance(old, dict) and isinstance(new, dict):
        return all(k in new and _same_but_defaults(v, new[k]) for k, v in old.items())
    if isinstance(old, list) and isinstance(new, list):
        return len(old) == len(new) and all(map(_same_but_defaults, old, new))
    return old == new


# generated documents nest deep (journeys, steps, seconds): a few dozen make the point
@pytest.mark.slow
@settings(max_examples=40, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.from_type(ResultsDocument))
def test_any_document_survives_a_round_trip_through_json_text(document: ResultsDocument) -> None:
    text = json.dumps(to_json(document))
    assert from_json(json.loads(text)) == document


@pytest.mark.parametrize(
    ("data", "says"),
    [
        ({"schema": 2}, "results schema 2: this journey reads schema 1"),
        ([], "not a journey results document"),
        ({"schema": 1, "tool": {"name": "journey"}}, "tool: missing 'version'"),
    ],
)
def test_a_document_it_cannot_read_says_why(data: object, says: str) -> None:
    with pytest.raises(DocumentError, match=says):
        from_json(data)


def test_report_on_a_document_of_another_schema_exits_2_in_one_line(tmp_path: Path) -> None:
    data = json.loads((DATA / "run-pass.json").read_text())
    data["schema"] = 2
    path = tmp_path / "results.json"
    path.write_text(json.dumps(data))
    done = subprocess.run(
        [sys.executable, "-m", "runner", "report", str(path)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    assert done.returncode == 2, done.stdout + done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "schema" in lines[0] and str(path) in lines[0], lines


def test_a_wrong_field_type_is_named_with_its_place() -> None:
    data = json.loads((DATA / "run-pass.json").read_text())
    data["journeys"][0]["attempts"] = "many"
    with pytest.raises(DocumentError, match=r"journeys\[0\]\.attempts: expected int, got 'many'"):
        from_json(data)
