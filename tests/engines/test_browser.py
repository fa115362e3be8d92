"""The browser engine in real Chromium against the real demo shop, through `journey run`."""

from __future__ import annotations

import http.server
import json
import os
import subprocess
import sys
import threading
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from runner.engines.browser import BrowserSession
from runner.results import StepResult
from runner.spec.loader import load_journey_text
from runner.spec.target import Target
from tests.conftest import ROOT, free_port, running_demo_shop

pytestmark = pytest.mark.browser


def run_journey(
    document: dict[str, Any], tmp_path: Path, *args: str, env: dict[str, str] | None = None
) -> tuple[subprocess.CompletedProcess[str], dict[str, Any]]:
    path = tmp_path / f"{document['journey']}.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    out = tmp_path / "out"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "runner",
            "run",
            str(path),
            "--engine",
            "browser",
            "--out",
            str(out),
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        env={**os.environ, **(env or {})},
    )
    results = (
        json.loads((out / "results.json").read_text()) if (out / "results.json").exists() else {}
    )
    return done, results


@pytest.mark.slow
def test_a_selector_that_matches_nothing_fails_with_screenshot_and_trace(
    demo_shop: str, tmp_path: Path
) -> None:
    document = {
        "journey": "missing",
        "browser": [
            {"goto": "/"},
            {"name": "find banner", "expect": {"visible": "#no-such-banner"}, "timeout": "1s"},
        ],
    }
    done, results = run_journey(document, tmp_path, "--target", demo_shop)
    assert done.returncode == 1, done.stdout + done.stderr
    (entry,) = results["journeys"]
    failure = entry["failures"][0]
    assert failure["step"] == "find banner"
    assert failure["reason"].startswith("expect: #no-such-banner: Locator expected to be visible")
    out = tmp_path / "out"
    assert (out / failure["screenshot"]).read_bytes()[:4] == b"\x89PNG"
    with zipfile.ZipFile(out / failure["trace"]) as trace:
        assert any(name.endswith(".trace") for name in trace.namelist())
    junit = (out / "junit.xml").read_text()
    assert "step 'find banner': expect: #no-such-banner" in junit
    report = (out / "index.html").read_text()
    assert "find banner" in report and "#no-such-banner" in report
    assert "data:image/png;base64," in report
    assert f'href="{failure["trace"]}"' in report
    assert "find banner" in done.stdout


@pytest.mark.slow
def test_a_hanging_page_fails_at_the_step_timeout_and_the_run_finishes(tmp_path: Path) -> None:
    document = {
        "journey": "hang",
        "browser": [{"name": "home", "goto": "/", "timeout": "2s"}],
    }
    with running_demo_shop(tmp_path, "pages:latency=60s") as url:
        started = time.monotonic()
        done, results = run_journey(document, tmp_path, "--target", url)
        elapsed = time.monotonic() - started
    assert done.returncode == 1, done.stdout + done.stderr
    assert elapsed < 20  # the shop would answer after 60 s
    failure = results["journeys"][0]["failures"][0]
    assert failure["step"] == "home"
    assert failure["reason"].startswith("goto /: timed out after 2s")
    assert results["journeys"][0]["steps"][0]["latency_s"]["max"] < 4


@pytest.mark.slow
def test_secrets_reach_no_artefact_not_even_the_trace(demo_shop: str, tmp_path: Path) -> None:
    secret = "brws3cr3t-token-77aa19"
    targets = tmp_path / "targets.yaml"
    targets.write_text(
        f"targets:\n  demo:\n    base_url: {demo_shop}\n"
        "    headers: {Authorization: 'Bearer ${SHOP_TOKEN}', X-Shop-Token: '${SHOP_TOKEN}'}\n"
    )
    document = {
        "journey": "secretive",
        "browser": [
            {"goto": "/products/SKU-00001"},
            {"click": "#add-to-cart"},
            {"goto": "/checkout"},
            {
                "fill": {
                    "#email": "probe@example.test",
                    "#card_number": "4242424242424242",
                    "#name": "${SHOP_TOKEN}",
                }
            },
            {"name": "never there", "expect": {"visible": "#nope"}, "timeout": "1s"},
        ],
    }
    done, results = run_journey(
        document,
        tmp_path,
        "--target",
        "demo",
        "--targets",
        str(targets),
        env={"SHOP_TOKEN": secret},
    )
    assert done.returncode == 1, done.stdout + done.stderr
    out = tmp_path / "out"
    failure = results["journeys"][0]["failures"][0]
    texts = [done.stdout, done.stderr]
    texts += [p.read_bytes().decode("latin-1") for p in out.rglob("*") if p.is_file()]
    with zipfile.ZipFile(out / failure["trace"]) as trace:
        entries = trace.namelist()
        texts += [trace.read(name).decode("latin-1") for name in entries]
    assert any(name.endswith(".network") for name in entries)
    for text in texts:
        assert secret not in text
        assert "4242424242424242" not in text
    # the session cookie and the credentials travel in the trace's network log, masked
    with zipfile.ZipFile(out / failure["trace"]) as trace:
        network = next(trace.read(n).decode() for n in trace.namelist() if n.endswith(".network"))
    assert '"name": "Cookie", "value": "***"' in network
    assert '"name": "shop_session", "value": "***"' in network
    assert '"name": "Authorization", "value": "***"' in network


# Fail fast on a dead page: the engine in process, one Chromium for these tests, against a
# shop whose `pages` group (/, /products/…, /orders/…) answers 503 while search and cart work.


@pytest.fixture(scope="module")
def faulty_shop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with running_demo_shop(tmp_path_factory.mktemp("faulty"), "pages:errors=100%") as url:
        yield url


@pytest.fixture(scope="module")
def session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BrowserSession]:
    artefacts = tmp_path_factory.mktemp("artefacts")
    with BrowserSession(artefacts=artefacts, scrub=lambda text: text, trace=False) as browser:
        yield browser


@pytest.fixture(scope="module")
def page_with_broken_parts(faulty_shop: str) -> Iterator[str]:
    """A page whose image answers 404, whose script 503, and whose shop image is faulted.

    The shop has no page with sub-resources, so a plain loopback server serves this one;
    Chromium blocks the shop's cross-origin 503 (ORB), which fails that request outright.
    """
    page = (
        '<h1 id="ok">still fine</h1><img src="/missing.png"><script src="/broken.js"></script>'
        f'<img src="{faulty_shop}/products/SKU-00001.png">'
    ).encode()
    answers = {"/page": (200, page), "/missing.png": (404, b""), "/broken.js": (503, b"")}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            status, body = answers.get(self.path, (404, b""))
            self.send_response(status)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/page"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def browse(session: BrowserSession, url: str, *steps: dict[str, Any]) -> list[StepResult]:
    document = {"journey": "dead pages", "browser": list(steps)}
    journey = load_journey_text(yaml.safe_dump(document, sort_keys=False), path="dead.yaml")
    return list(session.run_journey(journey, Target.single(url), 0).steps)


@pytest.mark.slow
def test_a_page_answering_503_fails_its_step_at_once(
    session: BrowserSession, faulty_shop: str
) -> None:
    # a click that navigates to a 503 (product pages are faulted, search is not) …
    *_, clicked = browse(
        session,
        faulty_shop,
        {"goto": "/search?q=shirt"},
        {"click": ".product-link", "expect": {"visible": "#add-to-cart"}, "timeout": "15s"},
    )
    # … and a goto to one, its query masked
    (opened,) = browse(
        session,
        faulty_shop,
        {"goto": "/products/SKU-00001?ref=mail", "expect": {"visible": "h1"}, "timeout": "15s"},
    )
    assert clicked.outcome == "failed"
    assert clicked.duration_s < 2, clicked.reason
    assert clicked.reason.startswith("GET /products/SKU-"), clicked.reason
    assert "answered 503" in clicked.reason
    assert opened.outcome == "failed"
    assert opened.duration_s < 2, opened.reason
    assert opened.reason == "GET /products/SKU-00001?ref=*** answered 503"


@pytest.mark.slow
def test_a_broken_image_or_script_does_not_fail_the_step(
    session: BrowserSession, page_with_broken_parts: str
) -> None:
    (step,) = browse(
        session,
        page_with_broken_parts,
        {"goto": page_with_broken_parts, "expect": {"visible": "#ok"}},
    )
    assert step.outcome == "passed", step.reason
    assert "GET /missing.png 404" in step.failed_requests
    assert "GET /broken.js 503" in step.failed_requests
    assert "GET /products/SKU-00001.png net::ERR_BLOCKED_BY_ORB" in step.failed_requests


@pytest.mark.slow
def test_a_page_on_a_closed_port_fails_at_once_saying_so(
    session: BrowserSession, faulty_shop: str
) -> None:
    closed = f"http://127.0.0.1:{free_port()}/checkout?token=abc123"
    (step,) = browse(session, faulty_shop, {"goto": closed, "timeout": "15s"})
    assert step.outcome == "failed"
    assert step.duration_s < 2, step.reason
    assert step.reason == "GET /checkout?token=*** failed: net::ERR_CONNECTION_REFUSED"
    assert step.unreachable


@pytest.mark.slow
def test_an_until_that_times_out_names_the_url_it_last_polled_and_what_it_found(
    session: BrowserSession, faulty_shop: str
) -> None:
    until = {"timeout": "1s", "interval": "200ms"}
    (missing,) = browse(
        session,
        faulty_shop,
        {"goto": "/search?q=shirt", "expect": {"visible": "#restocked"}, "until": until},
    )
    (dead,) = browse(session, faulty_shop, {"goto": "/products/SKU-00001", "until": until})
    assert missing.outcome == "failed" and missing.attempts > 1
    assert missing.reason.startswith(
        f"not met within 1s ({missing.attempts} polls); last polled GET /search?q=***: "
        "answered 200; goto /search?q=shirt: #restocked: Locator expected to be visible"
    ), missing.reason
    assert dead.outcome == "failed" and dead.attempts > 1
    assert dead.reason == (
        f"not met within 1s ({dead.attempts} polls); last polled GET /products/SKU-00001: "
        "answered 503"
    )
