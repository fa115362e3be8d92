"""The demo shop as a child process on a free loopback port, for tests, benches and `make demo`.

One place starts it, waits for `/health` and stops it (by pid, terminate then kill), so every
caller gets the same lifecycle. Imports `paths`, nothing from the rest of `runner/`.
"""

from __future__ import annotations

import contextlib
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

from runner.demoshop.paths import check_root_path


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until_healthy(url: str, *, timeout_s: float, proc: subprocess.Popen[bytes]) -> str:
    """Return `url` once its `/health` answers 200. Raises RuntimeError if it never does."""
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
    db_dir: Path,
    *faults: str,
    workers: int = 1,
    timeout_s: float = 20,
    quiet: bool = False,
    root_path: str = "",
) -> Iterator[str]:
    """Start a real demo shop on a free loopback port; yield its URL; stop it on exit.

    With a `root_path` (`/en-gb`) the shop serves below it and the URL ends with it
    (`http://127.0.0.1:PORT/en-gb`), so `f"{url}/cart"` is still the cart.
    """
    with demo_shop_process(
        db_dir, *faults, workers=workers, timeout_s=timeout_s, quiet=quiet, root_path=root_path
    ) as (url, _):
        yield url


@contextlib.contextmanager
def demo_shop_process(
    db_dir: Path,
    *faults: str,
    workers: int = 1,
    timeout_s: float = 20,
    quiet: bool = False,
    root_path: str = "",
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """As `running_demo_shop`, with the process too: tests freeze it (SIGSTOP) and resume it.

    On exit the process is resumed first (SIGCONT), so a frozen shop still stops cleanly.
    Raises ValueError for a malformed `root_path`, before anything starts.
    """
    root_path = check_root_path(root_path)
    port = free_port()
    command = [sys.executable, "-m", "runner", "demo-shop", "--host", "127.0.0.1"]
    command += ["--port", str(port), "--db", str(db_dir / "shop.db"), "--workers", str(workers)]
    for fault in faults:
        command += ["--fault", fault]
    if root_path:
        command += ["--root-path", root_path]
    proc = subprocess.Popen(command, stderr=subprocess.DEVNULL if quiet else None)
    try:
        url = f"http://127.0.0.1:{port}{root_path}"
        url = wait_until_healthy(url, timeout_s=timeout_s, proc=proc)
        yield url, proc
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGCONT)
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
