"""The browser engine in real Chromium against the real demo shop, through `journey run`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import zipfile
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import ROOT, running_demo_shop

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
