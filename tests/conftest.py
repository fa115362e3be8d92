from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parent.parent
JOURNEYS = ROOT / "journeys"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until_healthy(url: str, *, timeout_s: float, proc: subprocess.Popen[bytes]) -> str:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"demo shop exited with {proc.returncode}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                return url
        time.sleep(0.05)
    raise RuntimeError(f"demo shop at {url} not healthy after {timeout_s}s")


@contextlib.contextmanager
def running_demo_shop(
    db_dir: Path, *faults: str, workers: int = 1, timeout_s: float = 20
) -> Iterator[str]:
    """Start a real demo shop on a free loopback port; stop it (by pid) on exit."""
    port = free_port()
    args = [
        "demo-shop",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--db",
        str(db_dir / "shop.db"),
    ]
    args += ["--workers", str(workers)]
    for fault in faults:
        args += ["--fault", fault]
    proc = subprocess.Popen([sys.executable, "-m", "runner", *args])
    try:
        yield wait_until_healthy(f"http://127.0.0.1:{port}", timeout_s=timeout_s, proc=proc)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


@pytest.fixture(scope="session")
def demo_shop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real demo shop on loopback, shared by the session because start-up costs ~1 s."""
    with running_demo_shop(tmp_path_factory.mktemp("shop")) as url:
        yield url
