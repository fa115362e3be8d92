"""The docs stay in step with the code: every model key documented, every example loadable."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pydantic import BaseModel

from runner.spec import load_journey_text, load_targets
from runner.spec.browser import BrowserCapture, BrowserExpect, BrowserStep, BrowserUntil, Locate
from runner.spec.data import DataFeeder
from runner.spec.journey import Capture, Check, Expect, HttpRequest, HttpStep, Journey, Until
from runner.spec.schedule import Schedule
from runner.spec.slo import JourneySlo, Percentiles, StepSlo
from runner.spec.target import Environment, TargetsFile
from runner.spec.template import ENV_REF

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = ROOT / "docs" / "journeys.md"
EXAMPLE_DOCS = [REFERENCE, ROOT / "docs" / "tutorial-another-shop.md", ROOT / "README.md"]
MODELS: list[type[BaseModel]] = [
    Journey,
    HttpStep,
    HttpRequest,
    Expect,
    Check,
    Capture,
    Until,
    BrowserStep,
    Locate,
    BrowserExpect,
    BrowserCapture,
    BrowserUntil,
    DataFeeder,
    Schedule,
    JourneySlo,
    StepSlo,
    Percentiles,
    TargetsFile,
    Environment,
]
HEADING = re.compile(r"^(#{1,3}) (\S+)", re.MULTILINE)
KEY_ROW = re.compile(r"^\| `([^`]+)` \|", re.MULTILINE)
YAML_BLOCK = re.compile(r"^```yaml\n(.*?)^```", re.MULTILINE | re.DOTALL)


def yaml_keys(model: type[BaseModel]) -> set[str]:
    return {info.alias or name for name, info in model.model_fields.items()}


def model_sections(text: str) -> dict[str, str]:
    """Text under each `### Model ...` heading, up to the next heading of level 1 to 3."""
    headings = list(HEADING.finditer(text))
    sections: dict[str, str] = {}
    for index, heading in enumerate(headings):
        if heading.group(1) != "###":
            continue
        end = headings[index + 1].start() if index + 1 < len(headings) else len(text)
        sections[heading.group(2)] = text[heading.end() : end]
    return sections


def documented_keys(model: type[BaseModel], reference: Path = REFERENCE) -> list[str]:
    """The keys of `model`'s table in `reference` (docs/journeys.md unless told)."""
    sections = model_sections(reference.read_text(encoding="utf-8"))
    assert model.__name__ in sections, f"{reference.name} has no '### {model.__name__}' section"
    return KEY_ROW.findall(sections[model.__name__])


def yaml_examples(prefix: str) -> list[tuple[str, str]]:
    return [
        (f"{doc.name}: {block.splitlines()[0]}", block)
        for doc in EXAMPLE_DOCS
        for block in YAML_BLOCK.findall(doc.read_text(encoding="utf-8"))
        if block.startswith(prefix)
    ]


def set_referenced_env(text: str, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ENV_REF.findall(text):
        monkeypatch.setenv(name, "doc-example-secret")


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_every_field_of_a_model_is_documented(model: type[BaseModel]) -> None:
    missing = yaml_keys(model) - set(documented_keys(model))
    assert not missing, f"{model.__name__}: undocumented keys {sorted(missing)}"


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_every_documented_key_is_a_field_of_its_model(model: type[BaseModel]) -> None:
    keys = documented_keys(model)
    unknown = set(keys) - yaml_keys(model)
    assert not unknown, f"{model.__name__}: documented keys that are no fields {sorted(unknown)}"
    assert len(keys) == len(set(keys)), f"{model.__name__}: a key is documented twice"


JOURNEY_EXAMPLES = yaml_examples("journey:")
TARGETS_EXAMPLES = yaml_examples("targets:")


def test_the_docs_have_examples_to_check() -> None:
    assert len(JOURNEY_EXAMPLES) >= 10
    assert TARGETS_EXAMPLES


@pytest.mark.parametrize(("where", "text"), JOURNEY_EXAMPLES, ids=[w for w, _ in JOURNEY_EXAMPLES])
def test_journey_examples_in_the_docs_load(
    where: str, text: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    set_referenced_env(text, monkeypatch)
    # Inside journeys/, so that `data/products.csv` resolves as in a shipped journey.
    load_journey_text(text, path=str(ROOT / "journeys" / "doc-example.yaml"))


@pytest.mark.parametrize(("where", "text"), TARGETS_EXAMPLES, ids=[w for w, _ in TARGETS_EXAMPLES])
def test_targets_examples_in_the_docs_load(
    where: str, text: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    set_referenced_env(text, monkeypatch)
    path = tmp_path / "targets.yaml"
    path.write_text(text, encoding="utf-8")
    assert load_targets(path).targets
