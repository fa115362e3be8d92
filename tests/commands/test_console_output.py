"""What `journey run` prints off a terminal: progress that says it is alive, messages whole,
and with --quiet the verdict alone."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import JOURNEYS, ROOT, running_demo_shop

ONE_SEARCH = """\
journey: slow search
slo: {success: 99%}
http:
  - name: search page
    request: {url: /search, query: {q: mug}}
    expect: {status: 200}
"""


def journey_command(*words: str) -> list[str]:
    return [sys.executable, "-m", "runner", *words]


@pytest.mark.slow
def test_a_run_off_a_terminal_says_where_it_is_at_least_every_ten_seconds(
    tmp_path: Path,
) -> None:
    """One run held 12 s by the shop: progress lines at its start and 10 s in, not only at its end."""
    path = tmp_path / "slow.yaml"
    path.write_text(ONE_SEARCH, encoding="utf-8")
    with running_demo_shop(tmp_path, "search:latency=12s") as url:
        with subprocess.Popen(
            journey_command("run", str(path), "--target", url, "--out", str(tmp_path / "out")),
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        ) as proc:
            assert proc.stdout is not None and proc.stderr is not None
            started = time.monotonic()
            seen: list[tuple[float, str]] = [
                (time.monotonic() - started, line) for line in iter(proc.stdout.readline, "")
            ]
            assert proc.wait(timeout=60) == 0, proc.stderr.read()
    progress = [(at, line) for at, line in seen if line.startswith("run ")]
    assert [line.split(" · ")[0] for _, line in progress] == ["run 0/1 runs", "run 0/1 runs"]
    first, second = progress[0][0], progress[1][0]
    assert first < 3 and 9 < second < 12.5, progress  # every 10 s, while the shop is slow
    assert seen[-1][0] > 11.5  # ... and the run itself held that long


def test_quiet_prints_the_verdict_line_alone(demo_shop: str, tmp_path: Path) -> None:
    done = subprocess.run(
        journey_command(
            "run", str(JOURNEYS / "search.yaml"), "--engine", "http", "--target", demo_shop,
            "--out", str(tmp_path / "out"), "-q",
        ),
        cwd=ROOT, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    (line,) = done.stdout.splitlines()  # no table, no progress, no report path
    assert line.startswith("PASS: every objective met")


def test_off_a_terminal_no_message_is_wrapped_mid_line(tmp_path: Path) -> None:
    """A failure line longer than any terminal stays on one line, for grep and for people."""
    path = tmp_path / "long.yaml"
    step = "search page " + "and then some more " * 2 + "words"  # the line: 110 characters
    path.write_text(
        ONE_SEARCH.replace("search page", step.strip()).replace("{status: 200}", "{status: 201}"),
        encoding="utf-8",
    )
    with running_demo_shop(tmp_path) as url:
        done = subprocess.run(
            journey_command("run", str(path), "--target", url, "--out", str(tmp_path / "out")),
            cwd=ROOT, capture_output=True, text=True, timeout=60,
            env={**os.environ, "COLUMNS": "60"},
        )  # fmt: skip
    assert done.returncode == 1, done.stdout + done.stderr
    failed = [line for line in done.stdout.splitlines() if line.lstrip().startswith("failed")]
    assert failed == [f"  failed  slow search / {step.strip()}: expected status 201, got 200"]
