"""metrics.prom, checked by Prometheus's own linter: `promtool check metrics` must say nothing.

promtool comes from Debian's `prometheus` package, which `make test` installs when it is
missing; without it these tests fail rather than skip, so CI cannot pass unchecked. Not
marked slow (the whole module takes well under a second per document), so `make test-fast`
runs it too.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from typing import Any

import pytest

from runner.document import from_json
from runner.outputs.prometheus import render_prometheus
from runner.vocabulary import INTERRUPTED, NOT_RUN
from tests.outputs.test_prometheus import load, with_buckets


@pytest.fixture(scope="module")
def promtool() -> str:
    path = shutil.which("promtool")
    if path is None:
        pytest.fail("promtool not found: `make test` installs it (apt-get install prometheus)")
    return path


def check(promtool: str, text: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [promtool, "check", "metrics"], input=text, capture_output=True, text=True, timeout=30
    )


def interrupted() -> dict[str, Any]:
    """A run stopped by Ctrl-C: partial figures, and a journey that never started."""
    document = with_buckets(load("run-pass.json"))
    document["verdict"] = INTERRUPTED
    never = document["journeys"][-1]
    never |= {"verdict": NOT_RUN, "attempts": 0, "successes": 0, "success_ratio": None}
    never |= {"latency_buckets": None, "last_run": None, "last_success": None}
    never["steps"] = [step | {"attempts": 0, "latency_buckets": None} for step in never["steps"]]
    return document


DOCUMENTS: dict[str, Callable[[], dict[str, Any]]] = {
    "passing run": lambda: with_buckets(load("run-pass.json")),
    "failing run": lambda: with_buckets(load("run-fail-browser.json")),
    "interrupted run": interrupted,
    "passing rehearsal": lambda: with_buckets(load("load-pass.json")),
    "aborted rehearsal": lambda: with_buckets(load("load-aborted.json")),
    "rehearsal with a failing probe": lambda: with_buckets(load("load-fail-probe.json")),
    "document without buckets": lambda: load("run-fail-browser.json"),
}


@pytest.mark.parametrize("name", list(DOCUMENTS))
def test_promtool_accepts_the_metrics(promtool: str, name: str) -> None:
    text = render_prometheus(from_json(DOCUMENTS[name]()))
    assert "# TYPE journey_runs_total counter" in text

    done = check(promtool, text)

    assert (done.returncode, done.stdout + done.stderr) == (0, "")


def test_promtool_rejects_latency_as_quantile_gauges(promtool: str) -> None:
    # the shape metrics.prom had before: the check above would catch its return
    text = (
        "# HELP journey_latency_seconds Journey latency percentile\n"
        "# TYPE journey_latency_seconds gauge\n"
        'journey_latency_seconds{journey="cart",quantile="0.95"} 0.2\n'
    )

    done = check(promtool, text)

    assert done.returncode != 0 and "quantile" in done.stderr
