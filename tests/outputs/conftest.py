"""What the report tests share: one Chromium per module, fixtures' documents, the offline opener.

The hand-kept documents were written before objectives carried their evidence; `weighed` adds
state, evidence and margin to each objective as runs now write them, so that tests of the
report's evidence read documents shaped like today's.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, sync_playwright
from scipy.stats import beta

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


def open_report(browser: Browser, path: Path, *, width: int = 1280) -> tuple[Page, list[str]]:
    """Open the report with every request recorded, and all but the report's own file aborted."""
    context = browser.new_context(viewport={"width": width, "height": 900})
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


def weighed(document: dict[str, Any], confidence: float = 0.95) -> dict[str, Any]:
    """`document` with every objective's state, evidence and margin, as runs now write them.

    One-sided Clopper-Pearson bounds on the bad share (failed runs; samples over the limit),
    judged against what the objective allows (1 - target; 1 - q for a percentile q); `max` and
    100 % objectives are observed, never shown. Missed percentiles count one sample over what
    they allow: the hand-kept documents do not say how many there were.
    """
    document["confidence"] = confidence
    for objective in document["objectives"]:
        _weigh(objective, confidence)
    for journey in document["journeys"]:
        for objective in journey["objectives"]:
            _weigh(objective, confidence)
    return document


def _weigh(o: dict[str, Any], confidence: float) -> None:
    samples, actual, target = o["samples"], o["actual"], o["target"]
    if actual is None or not samples:
        o.update(state="missed", evidence=None, margin=None)
        return
    success = o["kind"] == "success"
    if success:
        allowed = 1 - target
        bad = round(samples * (1 - actual))
        o["margin"] = round(bad / samples / allowed, 4) if allowed > 0 else float(bad > 0) * 100
    else:
        allowed = 0.0 if o["stat"] == "max" else 1 - int(o["stat"][1:]) / 100
        bad = 0 if o["met"] else math.floor(allowed * samples) + 1
        o["margin"] = round(actual / target, 4)
    if allowed <= 0:
        o.update(state="observed" if o["met"] else "missed", evidence=None)
        o["detail"] += "; can be observed, never shown"
        return
    bound = 1.0 if bad >= samples else float(beta.ppf(confidence, bad + 1, samples - bad))
    shown = o["met"] and bound <= allowed
    needed = None if shown or not o["met"] else _needed(bad, allowed, confidence)
    claim = f"≥ {target * 100:.4g} %" if success else f"{o['stat']} ≤ {target:g} s"
    if success:
        seen = f"{samples} runs" + (f", {bad} failed" if bad else "")
        with_bad = "with no failure" if bad == 0 else f"at {bad} failed"
        note = f"{seen}; {needed} needed {with_bad} to show {claim}"
    else:
        seen = f"{samples} samples" + (f", {bad} above {target:g} s" if bad else "")
        note = (
            f"{seen}; {claim}: a bound needs ≥ {needed} samples, more with any above {target:g} s"
        )
    if shown:
        note = f"{seen}: shown {claim}"
    elif not o["met"]:
        note = f"{seen}: worse than {claim}" if success else f"{seen}: {claim} missed"
    o["state"] = "missed" if not o["met"] else "met" if shown else "met, not shown"
    o["evidence"] = {
        "confidence": confidence,
        "samples": samples,
        "bad": bad,
        "allowed_share": round(allowed, 6),
        "bound": round(bound, 6),
        "shown": shown,
        "needed": needed,
        "note": note,
    }
    if o["state"] == "met, not shown":
        o["detail"] += f"; {note}"


def _needed(bad: int, allowed: float, confidence: float) -> int:
    if bad == 0:
        return math.ceil(math.log(1 - confidence) / math.log(1 - allowed) - 1e-9)
    n = bad + 1
    while float(beta.ppf(confidence, bad + 1, n - bad)) > allowed:
        n += 1
    return n
