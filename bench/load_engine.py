"""Requests per second per core: `journey load` against a hand-written Locust FastHttpUser.

Both drive the same 3-request journey, with the same checks and captures (status, a JSON
field, a captured SKU fed into the next URL), against the same fast loopback target (nginx
serving static JSON, pinned to its own core), each load generator pinned to one core with
taskset, alternating, in the same run. Requests are counted by the target itself (nginx's
stub_status), so both sides are measured the same way. Goal: ratio ≥ 0.95.

Needs nginx (Debian: apt-get install -y nginx-light) and taskset.

    .venv/bin/python bench/load_engine.py [--seconds 20] [--users 40] [--rounds 2]
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from runner.demoshop.process import free_port  # noqa: E402

JOURNEY = """\
journey: bench
http:
  - name: list
    request: {url: /api/products.json}
    expect: {status: 200, json: {"$.items[0].sku": {exists: true}}}
    capture: {sku: "$.items[0].sku"}
  - name: item
    request: {url: "/api/items/{{ sku }}.json"}
    expect: {status: 200, json: {"$.stock": {gt: 0}}}
    capture: {stock: "$.stock"}
  - name: health
    request: {url: /health.json}
    expect: {status: 200, json: {"$.status": ok}}
"""

PROFILE = """\
profile: bench
stages:
  - {{duration: {seconds}s, users: {users}}}
mix: {{bench: 1}}
"""

LOCUSTFILE = """\
from locust import FastHttpUser, constant, task


class Bench(FastHttpUser):
    wait_time = constant(0)

    @task
    def journey(self):
        with self.client.get("/api/products.json", name="list", catch_response=True) as r:
            if r.status_code != 200 or not r.json()["items"][0].get("sku"):
                r.failure("bad list")
                return
            sku = r.json()["items"][0]["sku"]
        with self.client.get(f"/api/items/{sku}.json", name="item", catch_response=True) as r:
            if r.status_code != 200 or not r.json()["stock"] > 0:
                r.failure("bad item")
                return
            stock = r.json()["stock"]
        with self.client.get("/health.json", name="health", catch_response=True) as r:
            if r.status_code != 200 or r.json()["status"] != "ok":
                r.failure("bad health")
"""

NGINX = """\
worker_processes 1;
pid {folder}/nginx.pid;
error_log {folder}/error.log;
events {{ worker_connections 4096; }}
http {{
  access_log off;
  default_type application/json;
  server {{
    listen 127.0.0.1:{port};
    root {folder}/www;
    location = /status {{ stub_status; }}
  }}
}}
"""


WARMUP_S = 6.0  # both tools start, connect their users and reach full speed within this


def handled(port: int) -> int:
    text = urllib.request.urlopen(f"http://127.0.0.1:{port}/status").read().decode()
    return int(re.search(r"\n\s*\d+\s+\d+\s+(\d+)", text).group(1))  # type: ignore[union-attr]


def measure(command: list[str], port: int, cwd: Path, seconds: float) -> float:
    """Steady-state requests/s at the target: start-up and wind-down are left out for both."""
    process = subprocess.Popen(
        command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        time.sleep(WARMUP_S)
        before, t0 = handled(port), time.monotonic()
        time.sleep(seconds - WARMUP_S - 3)
        after, t1 = handled(port), time.monotonic()
        process.wait(timeout=seconds + 120)
    finally:
        if process.poll() is None:
            process.kill()
    return (after - before - 1) / (t1 - t0)  # minus the status request itself


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=25)
    parser.add_argument("--users", type=int, default=40)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        www = folder / "www"
        (www / "api" / "items").mkdir(parents=True)
        (www / "api" / "products.json").write_text(json.dumps({"items": [{"sku": "SKU-1"}]}))
        (www / "api" / "items" / "SKU-1.json").write_text(json.dumps({"sku": "SKU-1", "stock": 5}))
        (www / "health.json").write_text(json.dumps({"status": "ok"}))
        port = free_port()
        (folder / "nginx.conf").write_text(NGINX.format(folder=folder, port=port))
        (folder / "journeys").mkdir()
        (folder / "journeys" / "bench.yaml").write_text(JOURNEY)
        (folder / "profile.yaml").write_text(PROFILE.format(seconds=args.seconds, users=args.users))
        (folder / "locustfile.py").write_text(LOCUSTFILE)
        server = subprocess.Popen(
            ["taskset", "-c", "1", nginx, "-c", str(folder / "nginx.conf"), "-g", "daemon off;"]
        )
        try:
            time.sleep(0.5)
            url = f"http://127.0.0.1:{port}"
            journey = [
                "taskset",
                "-c",
                "0",
                sys.executable,
                "-m",
                "runner",
                "load",
                str(folder / "profile.yaml"),
                "--journeys",
                str(folder / "journeys"),
                "--target",
                url,
                "--workers",
                "1",
                "--master-port",
                str(free_port()),
                "--out",
                str(folder / "out"),
            ]
            locust = [
                "taskset",
                "-c",
                "0",
                str(Path(sys.executable).parent / "locust"),
                "-f",
                str(folder / "locustfile.py"),
                "--headless",
                "-u",
                str(args.users),
                "-r",
                str(args.users),
                "-t",
                f"{args.seconds}s",
                "--host",
                url,
                "--only-summary",
            ]
            ours: list[float] = []
            theirs: list[float] = []
            for _ in range(args.rounds):
                ours.append(measure(journey, port, ROOT, args.seconds))
                theirs.append(measure(locust, port, folder, args.seconds))
        finally:
            server.terminate()
            server.wait(timeout=10)
    ours_rps, theirs_rps = statistics.median(ours), statistics.median(theirs)
    print(
        f"target: nginx (static JSON) on core 1; generators pinned to core 0; {args.users} users, {args.seconds}s, {args.rounds} rounds alternating"
    )
    print(
        f"journey load (1 worker)          : {ours_rps:,.0f} req/s  (rounds: {', '.join(f'{r:,.0f}' for r in ours)})"
    )
    print(
        f"hand-written Locust FastHttpUser : {theirs_rps:,.0f} req/s  (rounds: {', '.join(f'{r:,.0f}' for r in theirs)})"
    )
    print(f"ratio journey / hand-written: {ours_rps / theirs_rps:.3f}  (goal >= 0.95)")
    print(
        f"measured at the target over each run's steady part ({WARMUP_S:g}s after start to 3s "
        "before its end); journey's master shares core 0 with its worker"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
