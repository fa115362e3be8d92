"""Targets on ports that Chromium refuses (6665-6669 and others) are probed in a browser too.

Chromium answers `net::ERR_UNSAFE_PORT` on such ports where httpx connects; the browser engine
allows the targets' own ports at launch. And a target with nothing listening is exit 3
("unreachable") in every engine, never a missed objective.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from runner.engines.browser import BrowserSession
from runner.spec import load_journeys
from runner.spec.target import Target
from tests.conftest import JOURNEYS, ROOT, wait_until_healthy

pytestmark = [pytest.mark.browser, pytest.mark.slow]

# ports Chromium blocks (net/base/port_util.cc): the first free one is used, 6665 when it is
BLOCKED_PORTS = (6665, 6666, 6667, 6668, 6669)
SEARCH = str(JOURNEYS / "search.yaml")


def free_blocked_port() -> int:
    for port in BLOCKED_PORTS:
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise AssertionError(f"every port of {BLOCKED_PORTS} is taken on this machine")


@pytest.fixture(scope="module")
def blocked_port() -> int:
    return free_blocked_port()


@pytest.fixture(scope="module")
def shop_on_a_blocked_port(
    blocked_port: int, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    db = tmp_path_factory.mktemp("blocked-shop") / "shop.db"
    command = [sys.executable, "-m", "runner", "demo-shop", "--port", str(blocked_port)]
    proc = subprocess.Popen([*command, "--db", str(db)], stderr=subprocess.DEVNULL)
    try:
        yield wait_until_healthy(f"http://127.0.0.1:{blocked_port}", timeout_s=20, proc=proc)
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def run(target: str, out: Path, engine: str) -> tuple[int, dict[str, object]]:
    done = subprocess.run(
        [
            *(sys.executable, "-m", "runner", "run", SEARCH, "--engine", engine),
            *("--target", target, "--out", str(out)),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert "Traceback" not in done.stderr, done.stderr
    return done.returncode, json.loads((out / "results.json").read_text())


def test_chromium_refuses_a_blocked_port_unless_it_is_allowed(
    shop_on_a_blocked_port: str, blocked_port: int, tmp_path: Path
) -> None:
    journey = next(j for j in load_journeys([SEARCH]) if j.name == "search")
    target = Target.single(shop_on_a_blocked_port)
    outcomes = {}
    for allowed in ((), (blocked_port,)):
        session = BrowserSession(artefacts=tmp_path, scrub=str, trace=False, allowed_ports=allowed)
        with session:
            outcomes[allowed] = session.run_journey(journey, target, 0)
    refused = outcomes[()]
    assert refused.outcome == "failed" and "ERR_UNSAFE_PORT" in refused.steps[0].reason
    assert outcomes[(blocked_port,)].outcome == "passed", outcomes[(blocked_port,)].failure


def test_a_browser_journey_passes_against_a_shop_on_a_blocked_port(
    shop_on_a_blocked_port: str, tmp_path: Path
) -> None:
    code, data = run(shop_on_a_blocked_port, tmp_path, "browser")
    assert code == 0, data
    assert data["verdict"] == "pass"


@pytest.mark.parametrize("engine", ["browser", "http"])
def test_nothing_listening_on_a_blocked_port_is_unreachable_in_every_engine(
    tmp_path: Path, engine: str
) -> None:
    port = free_blocked_port()  # nobody listens there: refused, not "unsafe"
    code, data = run(f"http://127.0.0.1:{port}", tmp_path, engine)
    assert code == 3, data
    assert data["verdict"] == "error"
    assert "no response from" in str(data["reason"])
