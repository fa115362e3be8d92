"""`journey run --push-to`: checked by its consumer, a real Pushgateway, against a real shop.

The Pushgateway comes from Debian's `prometheus-pushgateway` package, which `make test`
installs when it is missing; without it these tests fail rather than skip. What it holds is
read back from its own `/metrics`, as Prometheus would scrape it, with prometheus_client's
parser. Each test pushes under its own job, so the groups of one test never meet another's.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from runner.arguments import parse
from tests.conftest import JOURNEYS, ROOT, free_port, running_demo_shop, wait_for

SEARCH = str(JOURNEYS / "search.yaml")
Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


@contextlib.contextmanager
def running_pushgateway(log: Path) -> Iterator[str]:
    """A real Pushgateway on a free loopback port, ready; stopped by its pid on exit.

    In memory only: Debian's build persists to /var/lib/prometheus/pushgateway.data by
    default, and one started from that file would hold groups of earlier runs.
    """
    binary = shutil.which("prometheus-pushgateway") or "/usr/bin/prometheus-pushgateway"
    if not Path(binary).exists():
        pytest.fail("prometheus-pushgateway not found: `make test` installs it")
    address = f"127.0.0.1:{free_port()}"
    url = f"http://{address}"
    with log.open("wb") as out:
        command = [binary, f"--web.listen-address={address}", "--persistence.file="]
        proc = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
    try:

        def ready() -> bool:
            assert proc.poll() is None, log.read_text()
            try:
                return httpx.get(f"{url}/-/ready", timeout=1).status_code == 200
            except httpx.HTTPError:
                return False

        wait_for(ready, timeout_s=10, interval_s=0.05)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


@pytest.fixture(scope="module")
def pushgateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The Pushgateway this module's runs push to, each test under its own job."""
    with running_pushgateway(tmp_path_factory.mktemp("pushgateway") / "log") as url:
        yield url


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A demo shop of this module's own: its faults are switched on here, never elsewhere."""
    with running_demo_shop(tmp_path_factory.mktemp("push-shop"), quiet=True) as url:
        yield url


def journey(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "runner", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(env or {})},
        cwd=ROOT,
    )


def pushed(pushgateway: str, job: str) -> Samples:
    """Every sample the Pushgateway exposes for `job`, by name and labels (`job` dropped)."""
    text = httpx.get(f"{pushgateway}/metrics", timeout=5).text
    return {
        (s.name, frozenset((k, v) for k, v in s.labels.items() if k != "job")): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
        if s.labels.get("job") == job
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    """The one sample named `name` whose labels include `labels`."""
    (found,) = [v for (n, ls), v in samples.items() if n == name and set(labels.items()) <= set(ls)]
    return found


@pytest.mark.slow  # two runs, ~2 s
def test_a_run_pushes_its_metrics_and_the_next_push_replaces_them(
    pushgateway: str, shop: str, tmp_path: Path
) -> None:
    push = ("--push-to", pushgateway, "--push-job", "t1", "--engine", "http", "-q")
    first = journey(
        "run", SEARCH, "--target", shop, "--repeat", "3", *push, "--out", str(tmp_path / "1")
    )
    assert first.returncode == 0, first.stdout + first.stderr
    assert first.stderr == ""
    samples = pushed(pushgateway, "t1")
    runs = {"journey": "search", "engine": "http", "target": shop, "instance": ""}
    assert value(samples, "journey_runs_total", **runs, result="success") == 3
    assert value(samples, "journey_runs_total", **runs, result="failure") == 0
    assert value(samples, "journey_verdict", target=shop, verdict="pass") == 1
    pushed_at = value(samples, "push_time_seconds", target=shop)
    assert pushed_at > 0
    # the same families as metrics.prom, no more: the Pushgateway only adds job and instance
    written = {
        s.name
        for family in text_string_to_metric_families((tmp_path / "1" / "metrics.prom").read_text())
        for s in family.samples
    }
    assert {name for name, _ in samples} == written | {
        "push_time_seconds",
        "push_failure_time_seconds",
    }

    httpx.put(f"{shop}/admin/faults/search", json={"errors": "100%"}).raise_for_status()
    try:
        second = journey(
            "run", SEARCH, "--target", shop, "--repeat", "2", *push, "--out", str(tmp_path / "2")
        )
    finally:
        httpx.delete(f"{shop}/admin/faults").raise_for_status()
    assert second.returncode == 1, second.stdout + second.stderr
    samples = pushed(pushgateway, "t1")
    # PUT replaced the group: the second run's counts, not 3 + 2, and its verdict alone
    assert value(samples, "journey_runs_total", **runs, result="success") == 0
    assert value(samples, "journey_runs_total", **runs, result="failure") == 2
    verdicts = {dict(ls)["verdict"]: v for (n, ls), v in samples.items() if n == "journey_verdict"}
    assert verdicts == {"fail": 1}
    assert value(samples, "push_time_seconds", target=shop) > pushed_at


def test_a_secret_never_reaches_the_pushgateway(
    pushgateway: str, shop: str, tmp_path: Path
) -> None:
    # The secret is a step's name, so that it is certainly in the text pushed: only the
    # scrubbing on the way out keeps it from the Pushgateway.
    secret = "search api"
    targets = tmp_path / "targets.yaml"
    targets.write_text(
        "targets:\n"
        f"  demo:\n    base_url: {shop}\n    tenant: eu\n"
        "    headers: {X-Shop-Token: '${SHOP_TOKEN}'}\n"
    )
    done = journey(
        "run", SEARCH, "--target", "demo", "--targets", str(targets), "--engine", "http",
        "--push-to", pushgateway, "--push-job", "secret", "--out", str(tmp_path / "out"), "-q",
        env={"SHOP_TOKEN": secret},
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    text = httpx.get(f"{pushgateway}/metrics", timeout=5).text
    lines = [line for line in text.splitlines() if 'job="secret"' in line]
    assert lines and not [line for line in lines if secret in line]
    samples = pushed(pushgateway, "secret")
    assert value(samples, "journey_step_requests_total", step="***", target="demo") == 1
    # the grouping key: the target's name and its tenant, never a run id
    (group,) = [dict(ls) for n, ls in samples if n == "push_time_seconds"]
    assert group == {"instance": "", "target": "demo", "tenant": "eu"}


@pytest.fixture
def refusing(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A fresh Pushgateway made to refuse our push: `journey_verdict` is a counter there."""
    with running_pushgateway(tmp_path_factory.mktemp("refusing") / "log") as url:
        conflict = "# TYPE journey_verdict counter\njourney_verdict 1\n"
        httpx.put(f"{url}/metrics/job/conflict", content=conflict).raise_for_status()
        yield url


@pytest.mark.parametrize("where", ["unreachable", "refusing"])
def test_a_failed_push_is_one_line_and_the_exit_code_stays_the_verdicts(
    where: str, shop: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    url = (
        f"http://127.0.0.1:{free_port()}"
        if where == "unreachable"
        else request.getfixturevalue(where)
    )
    done = journey(
        "run", SEARCH, "--target", shop, "--engine", "http", "--push-to", url,
        "--push-job", "failed", "--out", str(tmp_path), "-q",
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    (line,) = done.stderr.splitlines()
    assert line.startswith(f"journey: could not push to {url}: "), line
    reason = {"unreachable": "Connection refused", "refusing": "HTTP 400 Bad Request: pushed"}
    assert reason[where] in line
    assert (tmp_path / "results.json").exists()  # the outputs were written first


def test_a_bad_push_url_exits_2_with_one_line_and_runs_nothing(tmp_path: Path) -> None:
    out = tmp_path / "out"
    # a target nothing listens on: running anything would be exit 3, not 2
    target = f"http://127.0.0.1:{free_port()}"
    done = journey(
        "run", SEARCH, "--target", target, "--push-to", "ftp://pgw:9091", "--out", str(out)
    )
    assert done.returncode == 2, done.stdout + done.stderr
    assert done.stderr.splitlines() == [
        "journey run: argument --push-to: expected a Pushgateway URL such as "
        "http://pushgateway:9091, got 'ftp://pgw:9091'"
    ]
    assert done.stdout == "" and not out.exists()


@pytest.mark.parametrize(
    "flags",
    [
        ["--push-to", "pushgateway:9091"],
        ["--push-to", "http://:9091"],
        ["--push-to", "http://pushgateway:99999"],
        ["--push-to", "http://pushgateway:9091/metrics/job/x"],
        ["--push-to", "http://user:pass@pushgateway:9091"],
        ["--push-to", "http://pushgateway:9091?job=x"],
        ["--push-to", "http://pgw:9091", "--push-job", "a/b"],
        ["--push-to", "http://pgw:9091", "--push-job", ""],
        ["--push-to", "http://pgw:9091", "--push-job", "x" * 65],
    ],
    ids=[
        "no-scheme", "no-host", "bad-port", "with-metrics-path", "credentials", "query",
        "job-slash", "job-empty", "job-long",
    ],
)  # fmt: skip
def test_bad_push_flags_are_refused_in_one_line(
    flags: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as stopped:
        parse(["run", SEARCH, "--target", "http://127.0.0.1:1", *flags])
    assert stopped.value.code == 2
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith("journey run: argument --push-"), line


def test_good_push_flags_are_kept() -> None:
    args = parse(["run", SEARCH, "--target", "x", "--push-to", "https://pgw.example/prefix/"])
    assert (args.push_to, args.push_job) == ("https://pgw.example/prefix", "journey")
    args = parse(
        ["run", SEARCH, "--target", "x", "--push-to", "http://pgw:9091", "--push-job", "eu.probe-1"]
    )
    assert args.push_job == "eu.probe-1"
