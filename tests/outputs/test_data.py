"""The hand-kept documents in tests/outputs/data are results.json files as journey writes them.

Every output test reads them in place of a real run: a document the schema rejects would test
the outputs against input no run can produce, and hide a stale fixture.
"""

from __future__ import annotations

import json

import pytest
from jsonschema import Draft202012Validator

from tests.conftest import ROOT
from tests.outputs.conftest import DATA, load

SCHEMA = json.loads((ROOT / "runner" / "outputs" / "results.schema.json").read_text())
DOCUMENTS = sorted(path.name for path in DATA.glob("*.json"))


def test_the_schema_is_a_valid_draft_2020_12_schema() -> None:
    Draft202012Validator.check_schema(SCHEMA)


def test_the_documents_cover_runs_and_rehearsals_passing_and_not() -> None:
    kinds = {(load(name)["command"], load(name)["verdict"]) for name in DOCUMENTS}
    assert kinds >= {("run", "pass"), ("run", "fail"), ("load", "pass"), ("load", "aborted")}


@pytest.mark.parametrize("name", DOCUMENTS)
def test_each_hand_kept_document_validates_against_the_schema(name: str) -> None:
    errors = Draft202012Validator(SCHEMA).iter_errors(load(name))
    problems = sorted(
        f"{'/'.join(map(str, error.absolute_path)) or '(document)'}: {error.message}"
        for error in errors
    )
    assert problems == []
