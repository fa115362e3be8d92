"""`journey run` end to end: the real CLI against the real demo shop over loopback."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import xmlschema
from prometheus_client.parser import text_string_to_metric_families

from runner.document import from_json, to_json
from tests.conftest import JOURNEYS, ROOT, free_port, running_demo_shop

JUNIT_XSD = ROOT / "tests" / "junit-10.xsd"


def journey(
    *args: str, env: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "runner", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
        cwd=ROOT,
    )


SCHEMA = json.loads((ROOT / "runner" / "outputs" / "results.schema.json").read_text())


def results(out: Path) -> dict[str, Any]:
    """results.json of a run, checked against the published schema on every read."""
    data: dict[str, Any] = json.loads((out / "results.json").read_text())
    jsonschema.validate(data, SCHEMA)
    assert to_json(from_json(data)) == data  # the typed document holds every field, exactly
    return data


def by_name(data: dict[str, Any], engine: str = "http") -> dict[str, dict[str, Any]]:
    return {j["name"]: j for j in data["journeys"] if j["engine"] == engine}


@pytest.mark.slow
def test_shipped_journeys_pass_against_the_demo_shop(demo_shop: str, tmp_path: Path) -> None:
    done = journey("run", str(JOURNEYS), "--target", demo_shop, "--out", str(tmp_path))
    assert done.returncode == 0, done.stdout + done.stderr
    data = results(tmp_path)
    assert data["schema"] == 1 and data["command"] == "run" and data["verdict"] == "pass"
    journeys = by_name(data)
    assert sorted(journeys) == ["cart", "checkout", "order-export", "pos-sync", "search"]
    assert sorted(by_name(data, "browser")) == ["cart", "checkout", "search"]
    assert all(j["verdict"] == "pass" and j["attempts"] == 1 for j in data["journeys"])
    assert journeys["pos-sync"]["freshness_s"]["max"] > 0.2  # the shop applies POS sales later
    steps = {s["name"]: s for s in journeys["checkout"]["steps"]}
    assert steps["add to cart"]["redirects"] == ["303 /cart/items"]  # form post → cart page
    assert steps["place order"]["redirects"] == ["303 /checkout"]
    assert all(o["met"] for o in data["objectives"])
    xmlschema.validate(tmp_path / "junit.xml", JUNIT_XSD)
    assert "PASS" in done.stdout
    # one run of each shows no objective (issue 10): a pass, but the banner never says "Ready"
    assert "Ready" not in (tmp_path / "index.html").read_text()
    assert "not shown" in (tmp_path / "index.html").read_text()
    families = {
        f.name: f for f in text_string_to_metric_families((tmp_path / "metrics.prom").read_text())
    }
    runs = {
        (s.labels["journey"], s.labels["engine"]): s.value
        for s in families["journey_runs"].samples
        if s.labels["result"] == "success"
    }
    assert runs[("checkout", "browser")] == 1 and runs[("pos-sync", "http")] == 1
    search = by_name(data, "browser")["search"]
    page = {s["name"]: s["page"] for s in search["steps"]}["search page"]
    assert 0 < page["ttfb_s"]["p50"] <= page["load_s"]["p50"]  # navigation timing recorded


@pytest.mark.slow
def test_checkout_errors_fail_the_run_and_name_the_step(tmp_path: Path) -> None:
    with running_demo_shop(tmp_path, "checkout:errors=100%") as url:
        done = journey(
            "run",
            str(JOURNEYS / "checkout.yaml"),
            str(JOURNEYS / "search.yaml"),
            "--target",
            url,
            "--out",
            str(tmp_path / "out"),
        )
    assert done.returncode == 1, done.stdout + done.stderr
    journeys = by_name(results(tmp_path / "out"))
    assert journeys["search"]["verdict"] == "pass"
    checkout = journeys["checkout"]
    assert checkout["verdict"] == "fail"
    assert checkout["failures"][0]["step"] == "checkout form"
    assert checkout["failures"][0]["reason"] == "expected status 200, got 503"
    junit = (tmp_path / "out" / "junit.xml").read_text()
    xmlschema.validate(tmp_path / "out" / "junit.xml", JUNIT_XSD)
    assert "step 'checkout form': expected status 200, got 503" in junit
    assert "checkout / checkout form: expected status 200, got 503" in done.stdout
    browser = by_name(results(tmp_path / "out"), "browser")["checkout"]
    failure = browser["failures"][0]
    assert failure["step"] == "checkout form"
    # the dead page is the reason, first and at once: not the expectation that waited on it
    assert failure["reason"] == "GET /checkout answered 503", failure
    assert (tmp_path / "out" / failure["screenshot"]).read_bytes()[:4] == b"\x89PNG"
    assert zipfile.is_zipfile(tmp_path / "out" / failure["trace"])
    assert "GET /checkout 503" in browser["failed_requests"]
    assert (
        f"{failure['trace']}" not in junit
    )  # junit names the step and reason; paths are in results
    assert "step 'checkout form': GET /checkout answered 503" in junit
    report = (tmp_path / "out" / "index.html").read_text()
    assert "expected status 200, got 503" in report
    assert "GET /checkout answered 503" in report
    assert "data:image/png;base64," in report  # the failure screenshot, embedded
    assert f'href="{failure["trace"]}"' in report


@pytest.mark.slow
def test_pos_lag_beyond_the_slo_fails_pos_sync_on_freshness(tmp_path: Path) -> None:
    with running_demo_shop(tmp_path, "pos:lag=10.5s") as url:
        done = journey(
            "run", str(JOURNEYS / "pos-sync.yaml"), "--target", url, "--out", str(tmp_path / "out")
        )
    assert done.returncode == 1, done.stdout + done.stderr
    pos = by_name(results(tmp_path / "out"))["pos-sync"]
    missed = {o["name"] for o in pos["objectives"] if not o["met"]}
    assert missed == {
        "pos-sync [http] freshness p95",
        "pos-sync [http] freshness max",
        "pos-sync [http] / stock visible freshness max",
    }
    assert pos["successes"] == 1  # the sale did arrive: late, not lost
    assert pos["freshness_s"]["max"] > 10.5


@pytest.mark.slow
def test_no_server_listening_exits_3_with_a_report(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    done = journey("run", str(JOURNEYS), "--target", url, "--out", str(tmp_path))
    assert done.returncode == 3, done.stdout + done.stderr
    data = results(tmp_path)
    assert data["verdict"] == "error"
    assert data["reason"].startswith(f"no response from {url}: cannot connect")
    assert all(j["verdict"] == "error" for j in data["journeys"])
    assert "could not be reached" in done.stdout
    xmlschema.validate(tmp_path / "junit.xml", JUNIT_XSD)


@pytest.mark.slow
def test_a_target_failing_midway_keeps_what_was_measured(tmp_path: Path) -> None:
    with running_demo_shop(tmp_path, "checkout:errors=50%") as url:
        done = journey(
            "run",
            str(JOURNEYS / "checkout.yaml"),
            "--engine",
            "http",
            "--target",
            url,
            "--repeat",
            "12",
            "--out",
            str(tmp_path / "out"),
        )
    assert done.returncode == 1
    checkout = by_name(results(tmp_path / "out"))["checkout"]
    assert checkout["attempts"] == 12
    assert 0 < checkout["successes"] < 12  # passes before and after the failures are kept
    assert checkout["steps"][0]["attempts"] == 12
    assert checkout["failure_count"] == 12 - checkout["successes"]


@pytest.mark.slow
def test_secret_header_value_appears_in_no_artefact_or_console_line(
    demo_shop: str, tmp_path: Path
) -> None:
    secret = "s3cr3t-shop-token-4f1d9a"
    journeys = tmp_path / "journeys"
    shutil.copytree(JOURNEYS, journeys)
    cart = journeys / "cart.yaml"
    # a failing check that quotes the header back forces the secret towards every output
    cart.write_text(
        cart.read_text()
        .replace(
            "request: {url: /api/cart}",
            'request: {url: /api/cart, headers: {X-Shop-Token: "${SHOP_TOKEN}"}}',
        )
        .replace('"$.total": {gt: 0}', '"$.total": "${SHOP_TOKEN}"')
    )
    targets = tmp_path / "targets.yaml"
    targets.write_text(
        f"targets:\n  demo:\n    base_url: {demo_shop}\n    headers: {{Authorization: 'Bearer ${{SHOP_TOKEN}}'}}\n"
    )
    out = tmp_path / "out"
    done = journey(
        "run",
        str(journeys),
        "--target",
        "demo",
        "--targets",
        str(targets),
        "--out",
        str(out),
        env={"SHOP_TOKEN": secret},
    )
    assert done.returncode == 1, done.stdout + done.stderr  # the cart check fails on purpose
    assert "expected '***'" in by_name(results(out))["cart"]["failures"][0]["reason"]
    files = [p for p in out.rglob("*") if p.is_file()]
    assert {p.name for p in files} >= {"results.json", "junit.xml"}
    for path in files:
        assert secret not in path.read_text(errors="replace"), path
    assert secret not in done.stdout + done.stderr
    assert "4242424242424242" not in (out / "results.json").read_text() + done.stdout


@pytest.mark.slow
@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_a_stopped_run_writes_what_was_measured_and_exits_130(
    demo_shop: str, tmp_path: Path, stop: signal.Signals
) -> None:
    run = ["run", str(JOURNEYS / "search.yaml"), "--target", demo_shop, "--repeat", "100000"]
    proc = subprocess.Popen(
        [sys.executable, "-m", "runner", *run, "--out", str(tmp_path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    time.sleep(3)  # some runs measured, the loop still going
    proc.send_signal(stop)
    stdout, stderr = proc.communicate(timeout=30)
    assert proc.returncode == 130, stdout + stderr
    data = results(tmp_path)
    assert data["verdict"] == "interrupted"
    assert by_name(data)["search"]["attempts"] > 0
    assert "INTERRUPTED" in stdout


@pytest.mark.slow
def test_report_rerenders_junit_from_results(demo_shop: str, tmp_path: Path) -> None:
    journey("run", str(JOURNEYS / "search.yaml"), "--target", demo_shop, "--out", str(tmp_path))
    (tmp_path / "junit.xml").unlink()
    (tmp_path / "index.html").unlink()
    done = journey("report", str(tmp_path / "results.json"))
    assert done.returncode == 0, done.stderr
    xmlschema.validate(tmp_path / "junit.xml", JUNIT_XSD)
    assert "not shown" in (tmp_path / "index.html").read_text()  # one run shows nothing


@pytest.mark.slow
def test_default_out_dir_is_timestamped_and_latest_points_at_it(
    demo_shop: str, tmp_path: Path
) -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "runner",
            "run",
            str(JOURNEYS / "search.yaml"),
            "--target",
            demo_shop,
        ],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    latest = tmp_path / "reports" / "latest"
    assert latest.is_symlink() and latest.resolve().name.endswith("-run")
    assert results(latest)["verdict"] == "pass"
