"""The browser engine records `record: true` captures on the step that read them, on a pass only."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from runner.engines.browser import BrowserSession
from runner.results import StepResult
from runner.spec.loader import load_journey_text
from runner.spec.target import Target

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BrowserSession]:
    artefacts = tmp_path_factory.mktemp("artefacts")
    with BrowserSession(artefacts=artefacts, scrub=lambda text: text, trace=False) as browser:
        yield browser


def browse(session: BrowserSession, url: str, *steps: dict[str, Any]) -> list[StepResult]:
    document = {"journey": "recording", "browser": list(steps)}
    journey = load_journey_text(yaml.safe_dump(document, sort_keys=False), path="rec.yaml")
    return list(session.run_journey(journey, Target.single(url), 0).steps)


@pytest.mark.slow
def test_a_passing_step_records_its_marked_captures_only(
    session: BrowserSession, demo_shop: str, tmp_path: Path
) -> None:
    (step,) = browse(
        session,
        demo_shop,
        {
            "name": "search",
            "goto": "/search?q=shirt",
            "capture": {
                "first_product": {"text": ".product-card a.product-link", "record": True},
                "page": {"url": "q=(\\w+)"},  # not marked: a variable, never recorded
            },
        },
    )
    assert step.outcome == "passed", step.reason
    ((name, value),) = step.recorded
    assert name == "first_product" and value.strip() and "\n" not in value


@pytest.mark.slow
def test_a_step_that_fails_after_capturing_records_nothing(
    session: BrowserSession, demo_shop: str
) -> None:
    (step,) = browse(
        session,
        demo_shop,
        {
            "name": "search",
            "goto": "/search?q=shirt",
            "capture": {  # the first is read, then the second fails the step
                "first_product": {"text": ".product-card a.product-link", "record": True},
                "missing": {"text": "#no-such-element", "record": True},
            },
            "timeout": "1s",
        },
    )
    assert step.outcome == "failed"
    assert step.recorded == ()
