"""`journey load` end to end: real Locust master and worker processes against the demo shop."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import pytest
from prometheus_client.parser import text_string_to_metric_families

from runner.document import from_json, to_json
from tests.conftest import JOURNEYS, ROOT, free_port, running_demo_shop

pytestmark = pytest.mark.slow
SCHEMA = json.loads((ROOT / "runner" / "outputs" / "results.schema.json").read_text())

CLOSED = """\
profile: test-closed
stages:
  - {name: ramp up, duration: 4s, users: 4, ramp: 3s}
  - {name: hold, duration: 8s, users: 6, ramp: 1s}
mix: {search: 60, cart: 40}
think_time: {min: 50ms, max: 150ms}
slo: {exclude: ramp, latency: {p95: 1s}, error_rate: 1%}
"""


def load_command(
    profile: str, url: str, out: Path, *extra: str, journeys: Path = JOURNEYS, workers: int = 2
) -> list[str]:
    """`journey load PROFILE` against `url` with local workers, a free master port, outputs in `out`."""
    return [
        *(sys.executable, "-m", "runner", "load", profile, "--journeys", str(journeys)),
        *("--target", url, "--workers", str(workers), "--master-port", str(free_port())),
        *("--out", str(out), *extra),
    ]


def load(
    profile: str, url: str, out: Path, *extra: str, journeys: Path = JOURNEYS, workers: int = 2
) -> subprocess.CompletedProcess[str]:
    command = load_command(profile, url, out, *extra, journeys=journeys, workers=workers)
    return subprocess.run(command, capture_output=True, text=True, timeout=180, cwd=ROOT)


def results(out: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((out / "results.json").read_text())
    jsonschema.validate(data, SCHEMA)
    assert to_json(from_json(data)) == data  # the typed document holds every field, exactly
    return data


def shop_requests(url: str) -> int:
    """Requests the demo shop itself counted, by its own /metrics (health and metrics aside)."""
    total = 0.0
    for family in text_string_to_metric_families(httpx.get(f"{url}/metrics").text):
        if family.name == "demoshop_requests":
            total += sum(
                s.value
                for s in family.samples
                if s.name.endswith("_total") and s.labels.get("group") != "admin"
            )
    return int(total)


def loaded_requests(data: dict[str, Any]) -> int:
    return sum(stage["requests"] for stage in data["load"]["stages"])


def write(tmp_path: Path, text: str, name: str = "profile.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_a_closed_profile_runs_on_local_workers_and_is_judged(tmp_path: Path) -> None:
    profile = write(tmp_path, CLOSED)
    with running_demo_shop(tmp_path, workers=2) as url:
        done = load(str(profile), url, tmp_path / "out")
        counted = shop_requests(url)
    assert done.returncode == 0, done.stdout + done.stderr
    data = results(tmp_path / "out")
    assert data["command"] == "load" and data["verdict"] == "pass"
    stages = data["load"]["stages"]
    assert [s["name"] for s in stages] == ["ramp up", "hold"]
    assert all(s["requests"] > 0 and s["failures"] == 0 for s in stages)
    assert data["load"]["workers"] == {"expected": 2, "ready": 2, "lost": []}
    assert {o["name"] for o in data["objectives"]} >= {
        "test-closed: request error ratio",
        "test-closed: request latency p95",
    }
    series = data["load"]["timeseries"]
    assert max(row["users"] or 0 for row in series) == 6
    assert sum(row["requests"] for row in series) == loaded_requests(data)
    assert abs(loaded_requests(data) - counted) <= 0.01 * counted  # every request accounted for
    assert (tmp_path / "out" / "index.html").exists() and (tmp_path / "out" / "junit.xml").exists()
    generator = data["load"]["generator"]
    assert 0 < generator["cpu_max_percent"] < 90 and not generator["overloaded"]


# range() gives at most 100,000 numbers: 39 sums of them make the CPU cost
BURN = " + ".join(["(range(100000) | sum)"] * 13)
BUSY_JOURNEY = f"""\
journey: busy
vars:
  # ~50 ms of the worker's CPU per iteration, and no I/O to wait for: the generator, not the
  # target, is what limits this rehearsal
  burn1: "{{{{ {BURN} }}}}"
  burn2: "{{{{ {BURN} }}}}"
  burn3: "{{{{ {BURN} }}}}"
http:
  - name: health
    request: {{url: "/health?n={{{{ burn1 }}}}&m={{{{ burn2 }}}}&o={{{{ burn3 }}}}"}}
"""

BUSY_PROFILE = """\
profile: busy
stages:
  - {name: hold, duration: 9s, users: 4}
mix: {busy: 1}
"""


def test_a_generator_short_of_cpu_says_its_figures_are_doubtful(tmp_path: Path) -> None:
    (tmp_path / "journeys").mkdir()
    write(tmp_path / "journeys", BUSY_JOURNEY, "busy.yaml")
    profile = write(tmp_path, BUSY_PROFILE)
    with running_demo_shop(tmp_path) as url:
        done = load(str(profile), url, tmp_path / "out", journeys=tmp_path / "journeys", workers=1)
    generator = results(tmp_path / "out")["load"]["generator"]
    assert generator["overloaded"], (generator, done.stdout, done.stderr)
    assert generator["cpu_max_percent"] >= 90
    assert "CPU" in generator["note"] and "add workers" in generator["note"]
    assert "CPU" in done.stdout
    assert "Load generator overloaded" in (tmp_path / "out" / "index.html").read_text()


def test_an_open_model_keeps_its_arrival_rate_while_the_shop_slows_down(tmp_path: Path) -> None:
    profile = write(
        tmp_path,
        """\
profile: test-open
stages:
  - {name: arrive, duration: 16s, rate: 12/s, ramp: 2s}
mix: {search: 100}
max_users: 80
slo: {exclude: ramp, throughput: 95%}
""",
    )
    with running_demo_shop(tmp_path, "search:latency=500ms", workers=2) as url:
        done = load(str(profile), url, tmp_path / "out")
    # the search journey's own SLO (search api p95 500ms) is missed: the shop is slow
    assert done.returncode == 1, done.stdout + done.stderr
    data = results(tmp_path / "out")
    (kept,) = [o for o in data["objectives"] if o["kind"] == "throughput"]
    assert kept["met"], kept
    throughput = data["load"]["throughput"]
    assert throughput["asked_per_s"] == pytest.approx(12.0)
    assert abs(throughput["achieved_per_s"] - 12.0) <= 0.05 * 12.0, throughput
    search = next(j for j in data["journeys"] if j["name"] == "search")
    assert search["latency_s"]["p50"] > 1.0  # two of its three requests wait 500 ms each
    assert data["load"]["dropped_iterations"] == 0


def start_distributed(
    profile: Path, url: str, out: Path
) -> tuple[subprocess.Popen[str], list[subprocess.Popen[bytes]]]:
    """A `journey load --master` and two `journey worker` processes, as on separate hosts."""
    port = str(free_port())
    master = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "runner",
            "load",
            str(profile),
            "--journeys",
            str(JOURNEYS),
            "--target",
            url,
            "--master",
            "--expect-workers",
            "2",
            "--master-port",
            port,
            "--out",
            str(out),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    worker = [
        sys.executable,
        "-m",
        "runner",
        "worker",
        "--master-host",
        "127.0.0.1",
        "--master-port",
        port,
    ]
    return master, [
        subprocess.Popen(worker, cwd=out.parent, stdout=subprocess.PIPE, text=True)
        for _ in range(2)
    ]


def test_master_and_two_workers_as_separate_processes_count_every_request(tmp_path: Path) -> None:
    profile = write(tmp_path, CLOSED)
    with running_demo_shop(tmp_path, workers=2) as url:
        master, workers = start_distributed(profile, url, tmp_path / "out")
        try:
            stdout, stderr = master.communicate(timeout=180)
        finally:
            said = [worker.communicate(timeout=30)[0] for worker in workers]
        counted = shop_requests(url)
    assert master.returncode == 0, stdout + stderr
    data = results(tmp_path / "out")
    assert data["load"]["workers"]["ready"] == 2
    for lines in said:  # each worker says where it is, in order
        assert [line.split(":")[1].strip().split(" ")[0] for line in lines.splitlines()] == [
            "connecting", "connected", "the", "the"
        ], lines  # fmt: skip
        assert "rehearsal started" in lines and "rehearsal ended" in lines
    assert abs(loaded_requests(data) - counted) <= 0.01 * counted, (loaded_requests(data), counted)


def test_a_killed_worker_leaves_the_rehearsal_to_the_others_and_keeps_its_data(
    tmp_path: Path,
) -> None:
    profile = write(tmp_path, CLOSED.replace("duration: 8s, users: 6", "duration: 14s, users: 6"))
    with running_demo_shop(tmp_path, workers=2) as url:
        master, workers = start_distributed(profile, url, tmp_path / "out")
        time.sleep(9)  # both workers are running users
        workers[0].kill()
        stdout, stderr = master.communicate(timeout=180)
        for worker in workers:
            worker.communicate(timeout=30)
        counted = shop_requests(url)
    assert master.returncode in (0, 1), stdout + stderr
    data = results(tmp_path / "out")
    assert len(data["load"]["workers"]["lost"]) == 1
    assert "lost" in stdout.lower()
    # the killed worker's requests up to its last hand-over (at most a second's) are kept
    assert loaded_requests(data) >= 0.85 * counted, (loaded_requests(data), counted)


def test_sigterm_mid_rehearsal_writes_outputs_marked_interrupted(tmp_path: Path) -> None:
    profile = write(tmp_path, CLOSED.replace("duration: 8s", "duration: 60s"))
    with running_demo_shop(tmp_path, workers=2) as url:
        proc = subprocess.Popen(
            load_command(str(profile), url, tmp_path / "out"),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=ROOT,
        )
        time.sleep(10)
        proc.send_signal(signal.SIGTERM)
        stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stdout + stderr
    data = results(tmp_path / "out")
    assert data["verdict"] == "interrupted"
    assert loaded_requests(data) > 0


FAST = ("--time-scale", "0.05")  # flash-sale's 13 minutes in 39 s


def test_flash_sale_passes_against_a_healthy_shop(tmp_path: Path) -> None:
    with running_demo_shop(tmp_path, workers=2) as url:
        done = load("flash-sale", url, tmp_path / "out", *FAST)
    assert done.returncode == 0, done.stdout + done.stderr
    data = results(tmp_path / "out")
    assert data["verdict"] == "pass"
    assert [s["judged"] for s in data["load"]["stages"]] == [
        "ramp excluded",
        "ramp excluded",
        "excluded",
    ]
    probes = [j for j in data["journeys"] if j["engine"] == "browser"]
    assert [p["name"] for p in probes] == ["checkout"] and probes[0]["attempts"] >= 1
    # what was rehearsed, against the expected peak, with the real hold lengths
    assert data["load"]["peak"] == {"event": "flash sale", "expected": 60.0, "unit": "users"}
    assert data["load"]["rehearsed"] == (
        "held 60 users for 10 min: 1.0\u00d7 the expected flash sale peak; "
        "played at 0.05\u00d7: each hold lasted 30 s, not 10 min"
    )


def test_flash_sale_with_slow_checkout_misses_its_latency_objective(tmp_path: Path) -> None:
    with running_demo_shop(tmp_path, "checkout:latency=2s", workers=2) as url:
        done = load("flash-sale", url, tmp_path / "out", *FAST, "--no-probes")
    assert done.returncode == 1, done.stdout + done.stderr
    data = results(tmp_path / "out")
    assert data["verdict"] == "fail" and data["load"]["aborted"] is None
    missed = {o["name"] for o in data["objectives"] if not o["met"]}
    assert "flash-sale: request latency p95" in missed


def test_flash_sale_with_failing_search_is_stopped_by_the_abort_rail(tmp_path: Path) -> None:
    with running_demo_shop(tmp_path, "search:errors=50%", workers=2) as url:
        started = time.monotonic()
        done = load("flash-sale", url, tmp_path / "out", *FAST, "--no-probes")
        elapsed = time.monotonic() - started
    assert done.returncode == 1, done.stdout + done.stderr
    data = results(tmp_path / "out")
    assert data["verdict"] == "aborted"
    aborted = data["load"]["aborted"]
    window = max(30 * 0.05, 3.0)  # abort_if.for, scaled like every window, at least 3 s
    assert aborted["at_s"] <= window + 5, aborted
    assert aborted["reason"].startswith("error ratio")
    assert data["reason"].startswith("error ratio")
    assert elapsed < 39 + 30  # stopped long before the profile's 39 s end plus start-up
    assert "ABORTED" in done.stdout
