"""A journey's `timeout:` is its http run's budget too: every request is capped by what is left.

Against a demo shop whose search stalls each request for 30 s, a journey with `timeout: 1s`
must fail within about a second, not after its steps' 30 s request timeouts.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from runner.engines.probe import new_client, run_http_journey
from runner.spec import load_journeys
from runner.spec.target import Target
from runner.vocabulary import FAILED
from tests.conftest import running_demo_shop

JOURNEY = """\
journey: budgeted
timeout: 1s
http:
  - name: first
    request: {url: /api/products, query: {q: mug}}
  - name: second
    request: {url: /api/products, query: {q: mug}}
"""


@pytest.mark.slow
def test_a_stalled_request_fails_its_run_at_the_journeys_timeout(tmp_path: Path) -> None:
    path = tmp_path / "budgeted.yaml"
    path.write_text(JOURNEY)
    (journey,) = load_journeys([path])
    with running_demo_shop(tmp_path, "search:stall=30s") as url, new_client() as client:
        t0 = time.perf_counter()
        run = run_http_journey(journey, Target.single(url), 0, client=client)
        took = time.perf_counter() - t0
    assert run.outcome == FAILED
    assert 0.9 <= took < 3.0, took
    (step,) = run.steps
    assert step.step == "first" and step.duration_s >= 0.9
    assert step.reason.startswith("no response within 1s")
