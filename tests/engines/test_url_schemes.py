"""Run-time URL schemes: a templated URL that renders to anything but http(s) is never opened.

`url: "{{ next }}"` is decided by what the target answered, so the loader's checks prove
nothing about it. The target here is a recording server that answers `{"next": …}` and keeps
every request, so each test can assert that the refused URL cost no request at all.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import yaml

from runner.engines.browser import BrowserSession
from runner.engines.http import run_http_flow
from runner.results import StepResult
from runner.spec.loader import LoadedJourney, load_journey_text
from runner.spec.target import Target
from tests.conftest import ROOT
from tests.engines.test_secret_origins import recording_server


def next_is(value: str) -> dict[str, tuple[int, dict[str, str], bytes]]:
    return {"/start": (200, {}, json.dumps({"next": value}).encode())}


FOLLOW_NEXT = """\
journey: next
http:
  - name: start
    request: {url: /start}
    capture: {next: "$.next"}
  - name: follow
    request: {url: "{{ next }}"}
"""


def follow(target: Target) -> list[StepResult]:
    loaded = load_journey_text(FOLLOW_NEXT, path="next.yaml")
    with httpx.Client() as client:
        return list(run_http_flow(loaded.spec, target, client=client, variables={}))


@pytest.mark.parametrize(
    ("url", "scheme"),
    [
        ("file:///etc/passwd", "file"),
        ("FILE:///etc/passwd", "file"),
        ("javascript:alert(document.cookie)", "javascript"),
        ("data:text/plain,hello", "data"),
        ("ftp://127.0.0.1/pub", "ftp"),
        ("gopher://127.0.0.1:70/x", "gopher"),
    ],
)
def test_a_captured_url_with_another_scheme_fails_the_step_without_a_request(
    url: str, scheme: str
) -> None:
    with recording_server(next_is(url)) as target:
        start, refused = follow(Target.single(target.url))
    assert start.outcome == "passed"
    assert (refused.outcome, refused.responded, refused.status) == ("failed", False, None)
    assert refused.reason == f"url renders to a {scheme!r} URL: only http and https are requested"
    assert target.paths() == ["/start"]


@pytest.mark.parametrize("url", ["http://", "https:///no-host", "http://[::1/x", "http://h:99999/"])
def test_an_http_url_without_a_valid_host_fails_the_step_without_a_request(url: str) -> None:
    with recording_server(next_is(url)) as target:
        _, refused = follow(Target.single(target.url))
    assert (refused.outcome, refused.responded) == ("failed", False)
    assert refused.reason.endswith("URL without a valid host: not requested")
    assert target.paths() == ["/start"]


def test_a_captured_path_is_joined_to_the_target() -> None:
    with recording_server(next_is("api/next")) as target:
        results = follow(Target.single(target.url))
    assert [r.outcome for r in results] == ["passed", "passed"]
    assert target.paths() == ["/start", "/api/next"]


def test_an_absolute_url_in_capitals_goes_to_its_host_without_the_target_headers() -> None:
    # once joined to the target as a path; now an absolute URL, and not the target's origin
    with recording_server() as other:
        with recording_server(next_is(other.url.upper() + "/x")) as target:
            secret = Target(name="t", urls={"api": target.url}, headers={"X-Api-Key": "k-123456"})
            results = follow(secret)
    assert [r.outcome for r in results] == ["passed", "passed"]
    assert target.seen[0].headers["x-api-key"] == "k-123456"
    assert other.paths() == ["/x"] and "x-api-key" not in other.seen[0].headers


# The load engine's users run the same flow code on Locust's FastHttpSession, in a
# gevent-patched process: so in a child process, as `journey load`'s workers are.
LOAD_USER = """\
from gevent import monkey; monkey.patch_all()
import json, sys
from locust.contrib.fasthttp import FastHttpSession
from locust.env import Environment
from runner.engines.http import run_http_flow
from runner.engines.load.client import Clients, FastClient
from runner.spec.loader import load_journey_text
from runner.spec.target import Target
base, text = sys.argv[1], sys.argv[2]
journey = load_journey_text(text, path="next.yaml")
client = FastClient(FastHttpSession(base, Environment().events.request, None), Clients())
steps = run_http_flow(journey.spec, Target.single(base), client=client, variables={})
print(json.dumps([[s.outcome, s.reason] for s in steps]))
"""


def test_the_load_engines_client_refuses_it_too() -> None:
    with recording_server(next_is("file:///etc/passwd")) as target:
        done = subprocess.run(
            [sys.executable, "-c", LOAD_USER, target.url, FOLLOW_NEXT],
            capture_output=True,
            text=True,
            timeout=60,
            cwd=ROOT,
        )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == [
        ["passed", ""],
        ["failed", "url renders to a 'file' URL: only http and https are requested"],
    ]
    assert target.paths() == ["/start"]


@pytest.fixture(scope="module")
def session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BrowserSession]:
    artefacts = tmp_path_factory.mktemp("artefacts")
    with BrowserSession(artefacts=artefacts, scrub=lambda text: text, trace=False) as browser:
        yield browser


def browser_journey(steps: list[dict[str, Any]], **variables: str) -> LoadedJourney:
    document = {"journey": "b", "vars": variables, "browser": steps}
    return load_journey_text(yaml.safe_dump(document, sort_keys=False), path="b.yaml")


@pytest.mark.slow
@pytest.mark.browser
def test_a_goto_rendering_to_javascript_or_file_fails_the_step(
    session: BrowserSession, demo_shop: str
) -> None:
    captured = browser_journey(
        [
            {"goto": "/?next=javascript:alert(document.cookie)"},
            {"name": "read", "capture": {"next": {"url": "next=(.+)"}}},
            {"goto": "{{ next }}"},
        ]
    )
    from_vars = browser_journey([{"goto": "/"}, {"goto": "{{ next }}"}], next="file:///etc/passwd")
    for loaded, scheme, steps in ((captured, "javascript", 3), (from_vars, "file", 2)):
        run = session.run_journey(loaded, Target.single(demo_shop), 0)
        assert [s.outcome for s in run.steps] == ["passed"] * (steps - 1) + ["failed"]
        assert run.steps[-1].reason == (
            f"goto {{{{ next }}}}: url renders to a {scheme!r} URL: only http and https are "
            "requested"
        )
