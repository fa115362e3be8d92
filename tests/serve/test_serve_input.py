"""`journey serve` refuses bad input with one line and exit 2, before anything is probed."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.serve.journeys import write_journey


def serve(*words: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "runner", "serve", *words]
    return subprocess.run(command, capture_output=True, text=True, timeout=60, cwd=cwd)


@pytest.fixture
def journeys(tmp_path: Path) -> Path:
    folder = tmp_path / "journeys"
    folder.mkdir()
    write_journey(folder, "north", "/api/products?q=shoe")
    return folder


def one_line(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 2, (result.returncode, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    return lines[0]


def test_a_history_file_that_is_not_one_is_refused_and_left_alone(
    tmp_path: Path, journeys: Path
) -> None:
    other = tmp_path / "notes.db"
    other.write_bytes(b"these are not the rows you are looking for" * 100)
    line = one_line(
        serve(
            str(journeys),
            "--target",
            "http://127.0.0.1:9",
            "--db",
            str(other),
            "--port",
            "0",
            cwd=tmp_path,
        )
    )
    assert line.startswith("--db") and "not a journey history" in line
    assert other.read_bytes().startswith(b"these are not")


def test_a_port_in_use_is_exit_2(tmp_path: Path, journeys: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        line = one_line(
            serve(
                str(journeys),
                "--target",
                "http://127.0.0.1:9",
                "--port",
                str(port),
                "--db",
                str(tmp_path / "s.db"),
                cwd=tmp_path,
            )
        )
    assert line.startswith("--port") and f"cannot listen on 127.0.0.1:{port}" in line


@pytest.mark.parametrize(
    ("flags", "starts", "says"),
    [
        (["--target", "http://a.test", "--target", "http://a.test"], "--target", "given twice"),
        (["--target", "http://a.test", "--retention", "1d"], "--retention", "shorter than"),
        (["--target", "http://a.test", "--every", "10s", "--jitter", "9s"], "--every", "half"),
        (
            ["--target", "http://a.test", "--every", "1s", "--cron", "* * * * *"],
            "--every",
            "not both",
        ),
    ],
)
def test_contradicting_flags_are_one_line(
    tmp_path: Path, journeys: Path, flags: list[str], starts: str, says: str
) -> None:
    line = one_line(serve(str(journeys), *flags, "--db", str(tmp_path / "s.db"), cwd=tmp_path))
    assert line.startswith(starts) and says in line, line


def test_a_bad_cron_flag_and_a_broken_journey_are_exit_2(tmp_path: Path, journeys: Path) -> None:
    bad_cron = serve(
        str(journeys), "--target", "http://a.test", "--cron", "61 * * * *", cwd=tmp_path
    )
    assert bad_cron.returncode == 2 and "--cron" in bad_cron.stderr
    (journeys / "broken.yaml").write_text("journey: broken\nschedule: {every: soon}\n")
    line = one_line(serve(str(journeys), "--target", "http://a.test", cwd=tmp_path))
    assert "broken.yaml:2:" in line and "schedule" in line
    assert not (tmp_path / "journey-serve.db").exists()  # nothing was started
