"""`make demo`: start the embedded demo shop, run the shipped journeys against it, stop it.

Writes the run's outputs under reports/<timestamp>-run/ (reports/latest points there) and exits
with journey's own exit code, so `make demo` fails exactly when the run does.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until_healthy(url: str, shop: subprocess.Popen[bytes], timeout_s: float = 30) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if shop.poll() is not None:
            raise SystemExit(f"demo: the demo shop exited with {shop.returncode}")
        try:
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise SystemExit(f"demo: the demo shop did not become healthy within {timeout_s:g}s")


def main() -> int:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory(prefix="journey-demo-") as folder:
        db = Path(folder) / "shop.db"
        shop = subprocess.Popen(
            [sys.executable, "-m", "runner", "demo-shop", "--port", str(port), "--db", str(db)],
            cwd=ROOT,
        )
        try:
            wait_until_healthy(url, shop)
            print(f"demo: demo shop at {url}; running the shipped journeys", flush=True)
            run = [sys.executable, "-m", "runner", "run", "journeys", "--target", url]
            code = subprocess.call([*run, "--repeat", "3"], cwd=ROOT)
        finally:
            shop.terminate()
            shop.wait(timeout=15)
    print(f"demo: report in {ROOT / 'reports' / 'latest'} (exit {code})", flush=True)
    return code


if __name__ == "__main__":
    sys.exit(main())
