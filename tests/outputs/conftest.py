"""What the report tests share: one Chromium per module, fixtures' documents, the offline opener."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from runner.document import from_json
from runner.engines.chromium import LAUNCH_ARGS
from runner.outputs.html import write_html
from runner.redact import Redactor

DATA = Path(__file__).parent / "data"
ROOT = Path(__file__).resolve().parents[2]
ARTEFACTS = ROOT / "reports" / "test-artefacts"


def load(name: str) -> dict[str, Any]:
    """A results document from tests/outputs/data, as JSON data: tests change it, then type it."""
    document: dict[str, Any] = json.loads((DATA / name).read_text(encoding="utf-8"))
    return document


def write(document: dict[str, Any], base_dir: Path) -> Path:
    """index.html of `document` (JSON data, typed here), written as runs write it."""
    path = base_dir / "index.html"
    write_html(from_json(document), path, Redactor())
    return path


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """One Chromium for the module: launching costs ~0.5 s, a new context almost nothing."""
    with sync_playwright() as driver:
        chromium = driver.chromium.launch(
            executable_path="/usr/bin/chromium", args=list(LAUNCH_ARGS)
        )
        yield chromium
        chromium.close()


def open_report(browser: Browser, path: Path) -> tuple[Page, list[str]]:
    """Open the report with every request recorded, and all but the report's own file aborted."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    requests: list[str] = []
    own = path.as_uri()

    def record(route: Any) -> None:
        requests.append(route.request.url)
        if route.request.url == own:
            route.continue_()
        else:
            route.abort()

    context.route("**/*", record)
    page = context.new_page()
    page.goto(own)
    page.wait_for_load_state("load")
    return page, requests
