"""Real processes for serve's tests: `journey serve` itself and a Prometheus that scrapes it.

Each is started on a free loopback port, waited for, and stopped by its pid on exit (SIGTERM,
then SIGKILL after a bound), so a failing test never leaves one behind.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from runner.demoshop.process import free_port

STOP_S = 20.0


@dataclass
class Served:
    """A running `journey serve`: its URL, process and log file."""

    url: str
    proc: subprocess.Popen[bytes]
    log: Path

    def metrics(self) -> str:
        return httpx.get(f"{self.url}/metrics", timeout=5).text

    def health(self) -> dict[str, Any]:
        answer: dict[str, Any] = httpx.get(f"{self.url}/healthz", timeout=5).json()
        return answer

    def value(self, name: str, **labels: str) -> float | None:
        """The sum of `name`'s samples whose labels include `labels` (None: no such sample)."""
        return sample_sum(self.metrics(), name, **labels)

    def stop(self, signum: int = signal.SIGTERM, timeout_s: float = STOP_S) -> int:
        self.proc.send_signal(signum)
        return self.proc.wait(timeout=timeout_s)


def sample_sum(text: str, name: str, **labels: str) -> float | None:
    from prometheus_client.parser import text_string_to_metric_families

    total, found = 0.0, False
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                total += sample.value
                found = True
    return total if found else None


@contextlib.contextmanager
def running_serve(
    paths: Sequence[str | Path],
    *flags: str,
    log: Path,
    timeout_s: float = 30,
    env: Mapping[str, str] | None = None,
) -> Iterator[Served]:
    port = free_port()
    command = [sys.executable, "-m", "runner", "serve", *map(str, paths)]
    command += ["--host", "127.0.0.1", "--port", str(port), *flags]
    environment = {**os.environ, **(env or {})}
    with log.open("ab") as out:
        proc = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=environment)
    served = Served(f"http://127.0.0.1:{port}", proc, log)
    try:
        deadline = time.monotonic() + timeout_s
        while True:
            if proc.poll() is not None:
                pytest.fail(f"serve exited {proc.returncode}: {log.read_text()[-2000:]}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{served.url}/healthz", timeout=2).status_code == 200:
                    break
            if time.monotonic() > deadline:
                pytest.fail(f"serve did not become healthy: {log.read_text()[-2000:]}")
            time.sleep(0.1)
        yield served
    finally:
        _end(proc)


@dataclass
class PrometheusServer:
    """A real Prometheus on loopback: query its HTTP API."""

    url: str
    proc: subprocess.Popen[bytes]

    def query(self, promql: str, at: float | None = None) -> list[dict[str, Any]]:
        params = {"query": promql} | ({"time": str(at)} if at is not None else {})
        answer = httpx.get(f"{self.url}/api/v1/query", params=params, timeout=10).json()
        assert answer["status"] == "success", answer
        result: list[dict[str, Any]] = answer["data"]["result"]
        return result

    def scalar(self, promql: str, at: float | None = None) -> float | None:
        result = self.query(promql, at)
        return float(result[0]["value"][1]) if result else None


@contextlib.contextmanager
def running_prometheus(
    scrape: Sequence[str], workdir: Path, *, rule_files: Sequence[Path] = ()
) -> Iterator[PrometheusServer]:
    """Prometheus scraping `scrape` (host:port) every second, its data in `workdir`.

    `rule_files` are loaded and evaluated every second too (a rule file Prometheus refuses
    stops it from starting, which fails the test with its log).
    """
    binary = shutil.which("prometheus")
    if binary is None:
        pytest.fail("prometheus not found: `make test` installs it (apt-get install prometheus)")
    port = free_port()
    config = workdir / "prometheus.yml"
    targets = ", ".join(f'"{t}"' for t in scrape)
    rules = "".join(f"  - {json.dumps(str(path))}\n" for path in rule_files)
    config.write_text(
        "global: {scrape_interval: 1s, evaluation_interval: 1s}\n"
        + (f"rule_files:\n{rules}" if rules else "")
        + "scrape_configs:\n"
        f"  - job_name: journey\n    static_configs: [{{targets: [{targets}]}}]\n",
        encoding="utf-8",
    )
    command = [
        binary,
        f"--config.file={config}",
        f"--storage.tsdb.path={workdir / 'data'}",
        f"--web.listen-address=127.0.0.1:{port}",
    ]
    with (workdir / "prometheus.log").open("ab") as out:
        proc = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
    server = PrometheusServer(f"http://127.0.0.1:{port}", proc)
    try:
        deadline = time.monotonic() + 30
        while True:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{server.url}/-/ready", timeout=2).status_code == 200:
                    break
            if proc.poll() is not None or time.monotonic() > deadline:
                log = (workdir / "prometheus.log").read_text()[-2000:]
                pytest.fail(f"prometheus did not start: {log}")
            time.sleep(0.1)
        yield server
    finally:
        _end(proc)


def _end(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGCONT)
        proc.terminate()
        try:
            proc.wait(timeout=STOP_S)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
