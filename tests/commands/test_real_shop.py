"""What a real shop needs over http, end to end through the command line (issue 12).

A shop under a path prefix (the demo shop with `--root-path /en-gb`), whose links are
root-relative with the prefix or relative to a page a redirect led to; a shop whose pages
redirect twice and then answer 404; orders that must be audited afterwards; analytics that
must tell rehearsal traffic from shoppers. Every test drives `journey` as a user does and
reads what it wrote.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from runner.spec.target import DEFAULT_USER_AGENT
from tests.commands.test_load import load, results
from tests.conftest import JOURNEYS, ROOT, running_demo_shop
from tests.engines.test_secret_origins import recording_server

PREFIX = "/en-gb"


def journey(*args: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "runner", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout, cwd=ROOT)


def read(out: Path) -> tuple[dict[str, Any], str, str]:
    """results.json (schema-checked, round-tripped), junit.xml and the report's HTML."""
    data = results(out)
    return data, (out / "junit.xml").read_text(), (out / "index.html").read_text()


GONE_JOURNEY = """\
journey: gone
http:
  - name: open
    request: {url: "/old?token=tok-77aa"}
    expect: {status: 200}
"""


def test_a_404_after_two_redirects_is_shown_where_it_landed_in_every_output(
    tmp_path: Path,
) -> None:
    answers = {
        "/old": (302, {"Location": "/mid?token=tok-77aa&step=2"}, b""),
        "/mid": (302, {"Location": "/gone?session=s-31337"}, b""),
        "/gone": (404, {"Content-Type": "text/html"}, b"<h1>No such page</h1><p>sorry</p>"),
    }
    (tmp_path / "gone.yaml").write_text(GONE_JOURNEY)
    with recording_server(answers) as shop:
        done = journey(
            "run", str(tmp_path / "gone.yaml"), "--target", shop.url, "--out", str(tmp_path / "out")
        )
    assert done.returncode == 1, done.stdout + done.stderr
    data, junit, html = read(tmp_path / "out")
    [failure] = data["journeys"][0]["failures"]
    assert failure["reason"] == "expected status 200, got 404"
    assert failure["response"] == {
        "url": "/gone?session=***",
        "status": 404,
        "redirects": ["302 /old?token=***", "302 /mid?token=***&step=***"],
        "body": "<h1>No such page</h1><p>sorry</p>",
    }
    for text in (junit, html):
        assert "/gone?session=***" in text
        assert "302 /old?token=***" in text and "302 /mid?token=***&amp;step=***" in text
        assert "No such page" in text
    for written in (json.dumps(data), junit, html, done.stdout):
        assert "tok-77aa" not in written and "s-31337" not in written


@pytest.fixture(scope="module")
def prefixed_journeys(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shipped checkout (its order number recorded) and `astray`, whose last check fails."""
    folder = tmp_path_factory.mktemp("journeys")
    shutil.copytree(JOURNEYS / "data", folder / "data")
    shutil.copy(JOURNEYS / "checkout.yaml", folder / "checkout.yaml")
    (folder / "astray.yaml").write_text(ASTRAY)
    return folder


ASTRAY = """\
journey: astray
http:
  - name: search
    surface: storefront
    request: {url: /search, query: {q: mug}}
    capture: {product: {html: ".product-card a.product-link", attr: href}}
  - name: product
    surface: storefront
    request: {url: "{{ product }}"}
    expect: {url: /products/*}
  - name: receipt
    surface: storefront
    request: {url: "{{ product }}"}
    expect: {url: "**/receipts/*"}
"""

PROFILE = """\
profile: prefixed
stages:
  - {name: hold, duration: 8s, users: 4, ramp: 1s}
mix: {checkout: 70, astray: 30}
think_time: {min: 50ms, max: 150ms}
probes: [checkout]
probe_interval: 3s
"""


def exported_numbers(url: str) -> set[str]:
    """Every order number the shop's own export lists, page after page."""
    numbers: set[str] = set()
    cursor: str | None = None
    while True:
        params = {"limit": "500", **({"since": cursor} if cursor else {})}
        page = httpx.get(f"{url}/export/v1/orders", params=params, timeout=10).json()
        numbers |= {order["number"] for order in page["orders"]}
        cursor = page["next_cursor"]
        if not page["has_more"]:
            return numbers


def requests_by_agent(url: str) -> dict[str, float]:
    """Requests the shop answered, by User-Agent, from its own /metrics."""
    families = text_string_to_metric_families(httpx.get(f"{url}/metrics", timeout=10).text)
    return {
        sample.labels["agent"]: sample.value
        for family in families
        if family.name == "demoshop_user_agent_requests"
        for sample in family.samples
        if sample.name.endswith("_total")
    }


def recorded_lines(out: Path) -> list[dict[str, Any]]:
    path = out / "captures.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()]


@pytest.mark.slow
def test_checkout_under_a_path_prefix_passes_in_both_engines_and_records_its_orders(
    tmp_path: Path, prefixed_journeys: Path
) -> None:
    with running_demo_shop(tmp_path, root_path=PREFIX) as url:
        assert url.endswith(PREFIX)
        done = journey(
            "run", str(prefixed_journeys / "checkout.yaml"), "--target", url,
            "--engine", "all", "--repeat", "3", "--out", str(tmp_path / "out"),
        )  # fmt: skip
        exported = exported_numbers(url)
    assert done.returncode == 0, done.stdout + done.stderr
    data, junit, html = read(tmp_path / "out")
    by_engine = {j["engine"]: j for j in data["journeys"]}
    assert {e: (j["attempts"], j["successes"]) for e, j in by_engine.items()} == {
        "http": (3, 3),
        "browser": (3, 3),
    }
    lines = recorded_lines(tmp_path / "out")
    numbers = [line["value"] for line in lines if line["capture"] == "order_number"]
    assert len(numbers) == 6 and len(set(numbers)) == 6  # three runs in each engine
    assert set(numbers) <= exported  # every recorded order is one the shop placed
    assert all(n.startswith("ORD-") for n in numbers)
    assert sum(j["recorded"]["count"] for j in data["journeys"]) == len(lines)
    assert 'name="journey.recorded_captures"' in junit
    assert numbers[0] in html


@pytest.mark.slow
def test_a_load_rehearsal_under_a_prefix_follows_links_judges_urls_and_says_what_it_is(
    tmp_path: Path, prefixed_journeys: Path
) -> None:
    profile = tmp_path / "prefixed.yaml"
    profile.write_text(PROFILE)
    with running_demo_shop(tmp_path, root_path=PREFIX, workers=2) as url:
        done = load(str(profile), url, tmp_path / "out", journeys=prefixed_journeys, workers=1)
        exported = exported_numbers(url)
        agents = requests_by_agent(url)
    assert done.returncode == 1, done.stdout + done.stderr  # astray fails, by design
    data = results(tmp_path / "out")
    entries = {(j["name"], j["engine"]): j for j in data["journeys"]}
    checkout = entries[("checkout", "http")]
    assert checkout["attempts"] >= 10 and checkout["successes"] == checkout["attempts"]
    probe = entries[("checkout", "browser")]
    assert probe["attempts"] >= 1 and probe["successes"] == probe["attempts"]
    astray = entries[("astray", "http")]
    assert astray["attempts"] >= 3 and astray["successes"] == 0
    steps = {s["name"]: s for s in astray["steps"]}
    assert steps["product"]["failures"] == 0  # `/products/*` is on the surface, prefix kept
    assert steps["receipt"]["failures"] == astray["attempts"]
    reason = astray["failures"][0]["reason"]
    assert reason.startswith(f"url: expected '**/receipts/*', landed on {PREFIX}/products/")
    # the order numbers the load placed, every one of them, and only real ones
    lines = [line for line in recorded_lines(tmp_path / "out") if line["capture"] == "order_number"]
    numbers = {line["value"] for line in lines}
    # the count covers the whole rehearsal, ramp included; the judged runs are a part of it
    assert len(numbers) == len(lines) == checkout["recorded"]["count"] + probe["recorded"]["count"]
    assert len(lines) >= checkout["successes"] + probe["successes"]
    assert numbers <= exported
    # every request of the rehearsal said it was synthetic; the test's own httpx did not
    synthetic = sum(n for agent, n in agents.items() if agent.endswith(DEFAULT_USER_AGENT))
    others = {agent for agent in agents if not agent.endswith(DEFAULT_USER_AGENT)}
    assert synthetic >= checkout["attempts"] * 5
    assert all(agent.startswith("python-httpx/") for agent in others), others


def test_recording_a_cookie_is_refused_by_validate_with_one_line(tmp_path: Path) -> None:
    leak = tmp_path / "leak.yaml"
    leak.write_text(
        "journey: leak\nhttp:\n  - request: {url: /login}\n"
        "    capture:\n      session: {header: Set-Cookie, record: true}\n"
    )
    done = journey("validate", str(leak))
    assert done.returncode == 2 and "Traceback" not in done.stderr
    [line] = done.stderr.strip().splitlines()
    assert line.startswith(f"{leak}:5:16: http[0].capture.session: ")
    assert line.endswith("a capture from the Set-Cookie header cannot be recorded")
