"""`make demo`: start the demo shop, probe it with the shipped journeys, rehearse load, stop it.

The probes (http and browser) write reports/<timestamp>-run/, the smoke rehearsal
reports/<timestamp>-load/ (reports/latest points at the newest). Exits with the worse of the
two exit codes, so `make demo` fails exactly when one of them does.
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
            [
                sys.executable,
                "-m",
                "runner",
                "demo-shop",
                "--port",
                str(port),
                "--db",
                str(db),
                "--workers",
                "2",
            ],
            cwd=ROOT,
        )
        try:
            wait_until_healthy(url, shop)
            print(f"demo: demo shop at {url}; running the shipped journeys", flush=True)
            run = [sys.executable, "-m", "runner", "run", "journeys", "--target", url]
            code = subprocess.call([*run, "--repeat", "3"], cwd=ROOT)
            print("demo: a 30-second smoke rehearsal under load", flush=True)
            load = [sys.executable, "-m", "runner", "load", "smoke", "--target", url]
            code = max(code, subprocess.call([*load, "--workers", "2"], cwd=ROOT))
        finally:
            shop.terminate()
            shop.wait(timeout=15)
    print(f"demo: report in {ROOT / 'reports' / 'latest'} (exit {code})", flush=True)
    return code


if __name__ == "__main__":
    sys.exit(main())
