"""Requests per second per core: `journey load` against a hand-written Locust FastHttpUser.

Both drive the same 3-request journey, with the same checks and captures (status, a JSON
field, a captured SKU fed into the next URL), each against its own nginx serving static JSON
(both nginx pinned to core 1). The two load generators run *at the same time, pinned to the
same core 0*, so whatever else the machine does hits both alike: on this shared VM, two
back-to-back runs of one tool differ by up to 15 %, more than the gap being measured. Each
side's figure is requests per CPU-second of its own processes (journey: master and worker;
Locust: its one process), requests counted by its target (nginx's stub_status), over the
same steady window. Goal: ratio >= 0.95.

Two variants, both reported: `plain` (no redirect) and `redirect`, where the journey's last
request answers a 302 that both follow (4 requests an iteration). geventhttpclient follows a
redirect without saying where it went; journey's load client follows it itself, hop by hop,
so that the final URL, `expect.url` and links work as in probes: this measures that cost.

Needs nginx (Debian: apt-get install -y nginx-light) and taskset.

    .venv/bin/python bench/load_engine.py [--seconds 40] [--users 40] [--rounds 2]
                                          [--variant plain|redirect|both]
"""

from __future__ import annotations

import argparse
import json
import os
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
    request: {url: HEALTH}
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
        with self.client.get("HEALTH", name="health", catch_response=True) as r:
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
    absolute_redirect off;
    location = /status {{ stub_status; }}
    location = /health-moved {{ return 302 /health.json; }}
  }}
}}
"""


WARMUP_S = 8.0  # both tools start, connect their users and reach full speed within this
SLICE_S = 3.0


def handled(port: int) -> int:
    text = urllib.request.urlopen(f"http://127.0.0.1:{port}/status").read().decode()
    return int(re.search(r"\n\s*\d+\s+\d+\s+(\d+)", text).group(1))  # type: ignore[union-attr]


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of `pid` and every process below it, as far as they still run."""
    children = Path(f"/proc/{pid}/task/{pid}/children")
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        kids = [int(k) for k in children.read_text().split()]
    except (FileNotFoundError, ProcessLookupError):
        return 0.0
    total = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total + sum(cpu_seconds(kid) for kid in kids)


def start_nginx(folder: Path, www: Path) -> tuple[subprocess.Popen[bytes], int]:
    folder.mkdir()
    (folder / "www").symlink_to(www)
    port = free_port()
    (folder / "nginx.conf").write_text(NGINX.format(folder=folder, port=port))
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    server = subprocess.Popen(
        ["taskset", "-c", "1", nginx, "-c", str(folder / "nginx.conf"), "-g", "daemon off;"]
    )
    return server, port


def check_served(port: int) -> None:
    """Every URL of the journey answers 200 with JSON: a bench of failing requests means nothing.

    (nginx's workers run as `nobody`: a private temporary folder would answer 403 to all.)
    """
    for path in ("/api/products.json", "/api/items/SKU-1.json", "/health.json", "/health-moved"):
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}") as response:
            json.loads(response.read())


def failed_iterations(results: Path) -> int:
    journeys = json.loads(results.read_text())["journeys"]
    return sum(j["attempts"] - j["successes"] for j in journeys)


def failed_requests(summary: str) -> int:
    match = re.search(r"Aggregated\s+\d+\s+(\d+)\(", summary)
    if match is None:
        raise SystemExit(f"no Locust summary in its output:\n{summary[-500:]}")
    return int(match.group(1))


def one_round(
    ours: list[str], theirs: list[str], ports: tuple[int, int], folder: Path, seconds: int
) -> dict[str, float]:
    """Both generators at once on core 0; requests per CPU-second of each, over the steady part."""
    summary = folder / "locust-summary.txt"
    with summary.open("w") as locust_out:
        processes = [
            subprocess.Popen(command, cwd=ROOT, stdout=out, stderr=out)
            for command, out in ((ours, subprocess.DEVNULL), (theirs, locust_out))
        ]
    try:
        time.sleep(WARMUP_S)
        cpu0 = [cpu_seconds(p.pid) for p in processes]
        counts0 = [handled(port) for port in ports]
        t0 = time.monotonic()
        slices: list[float] = []
        last = counts0
        while time.monotonic() - t0 + SLICE_S < seconds - WARMUP_S - 3:
            time.sleep(SLICE_S)
            now = [handled(port) for port in ports]
            slices.append((now[0] - last[0]) / max(now[1] - last[1], 1))
            last = now
        elapsed = time.monotonic() - t0
        cpu = [cpu_seconds(p.pid) - before for p, before in zip(processes, cpu0, strict=True)]
        requests = [after - before for after, before in zip(last, counts0, strict=True)]
        for process in processes:
            process.wait(timeout=seconds + 120)
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
    failed_ours = failed_iterations(folder / "out" / "results.json")
    failed_theirs = failed_requests(summary.read_text())
    if failed_ours or failed_theirs:
        print(f"WARNING: journey failed {failed_ours} iterations, Locust {failed_theirs} requests")
    return {
        "ours": requests[0] / cpu[0],
        "theirs": requests[1] / cpu[1],
        "busy": (cpu[0] + cpu[1]) / elapsed,  # share of core 0 the two used: ~1.0 = CPU-bound
        "slices": statistics.median(slices),
    }


HEALTH = {"plain": "/health.json", "redirect": "/health-moved"}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=40)
    parser.add_argument("--users", type=int, default=40)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--variant", choices=[*HEALTH, "both"], default="both")
    args = parser.parse_args()
    variants = list(HEALTH) if args.variant == "both" else [args.variant]
    ratios = {variant: bench_variant(variant, args) for variant in variants}
    for variant, ratio in ratios.items():
        print(f"{variant:>8}: ratio journey / hand-written, per CPU-second: {ratio:.3f}")
    print("goal >= 0.95 for each")
    return 0


def bench_variant(variant: str, args: argparse.Namespace) -> float:
    """One variant's rounds, printed; its ratio of medians, journey over hand-written."""
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        folder.chmod(0o755)  # nginx's workers (user nobody) read the files below
        www = folder / "www"
        (www / "api" / "items").mkdir(parents=True)
        (www / "api" / "products.json").write_text(json.dumps({"items": [{"sku": "SKU-1"}]}))
        (www / "api" / "items" / "SKU-1.json").write_text(json.dumps({"sku": "SKU-1", "stock": 5}))
        (www / "health.json").write_text(json.dumps({"status": "ok"}))
        (folder / "journeys").mkdir()
        journey_text = JOURNEY.replace("HEALTH", HEALTH[variant])
        (folder / "journeys" / "bench.yaml").write_text(journey_text)
        (folder / "profile.yaml").write_text(PROFILE.format(seconds=args.seconds, users=args.users))
        (folder / "locustfile.py").write_text(LOCUSTFILE.replace("HEALTH", HEALTH[variant]))
        servers = [start_nginx(folder / f"nginx-{side}", www) for side in ("ours", "theirs")]
        ports = (servers[0][1], servers[1][1])
        try:
            time.sleep(0.5)
            for port in ports:
                check_served(port)
            journey = [
                "taskset", "-c", "0", sys.executable, "-m", "runner", "load",
                str(folder / "profile.yaml"), "--journeys", str(folder / "journeys"),
                "--target", f"http://127.0.0.1:{ports[0]}", "--workers", "1",
                "--master-port", str(free_port()), "--out", str(folder / "out"),
            ]  # fmt: skip
            locust = [
                "taskset", "-c", "0", str(Path(sys.executable).parent / "locust"),
                "-f", str(folder / "locustfile.py"), "--headless", "-u", str(args.users),
                "-r", str(args.users), "-t", f"{args.seconds}s",
                "--host", f"http://127.0.0.1:{ports[1]}", "--only-summary",
            ]  # fmt: skip
            rounds = [
                one_round(journey, locust, ports, folder, args.seconds) for _ in range(args.rounds)
            ]
        finally:
            for server, _ in servers:
                server.terminate()
                server.wait(timeout=10)

    def per_round(side: str) -> str:
        return ", ".join(f"{r[side]:,.0f}" for r in rounds)

    ours = statistics.median(r["ours"] for r in rounds)
    theirs = statistics.median(r["theirs"] for r in rounds)
    print(f"--- variant {variant}: last request {HEALTH[variant]}")
    print(
        f"targets: two nginx (static JSON) on core 1; both generators at once on core 0; "
        f"{args.users} users each, {args.seconds}s, {args.rounds} rounds"
    )
    print(
        f"journey load (master + 1 worker) : {ours:,.0f} req per CPU-second  "
        f"(rounds: {per_round('ours')})"
    )
    print(
        f"hand-written Locust FastHttpUser : {theirs:,.0f} req per CPU-second  "
        f"(rounds: {per_round('theirs')})"
    )
    print(
        "core 0 busy: "
        + ", ".join(f"{r['busy']:.0%}" for r in rounds)
        + " (below ~95 %, the generators were not CPU-bound and the ratio means little)"
    )
    print(
        f"requests per {SLICE_S:g}s slice, journey / hand-written (median per round): "
        + ", ".join(f"{r['slices']:.3f}" for r in rounds)
    )
    print(f"ratio journey / hand-written, per CPU-second: {ours / theirs:.3f}  (goal >= 0.95)")
    return ours / theirs


if __name__ == "__main__":
    sys.exit(main())
